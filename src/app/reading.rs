//! Reading one message and acting on it from the store's side: who "you" are in an account,
//! opening a message (parsed, with its PGP state), setting flags, and address completion
//! from the mail seen.

use super::*;

impl Backend {
    /// Who "you" are in an account: its address and display name.
    pub(super) fn me(&self, account: &str) -> Option<Mailbox> {
        if self.options.mode == Mode::Demo {
            return Mailbox::new(DEMO_ME.1, Some(DEMO_ME.0)).ok();
        }
        let acc = self.options.config.account(account)?;
        Mailbox::new(&acc.email, acc.display_name.as_deref()).ok()
    }

    /// The message as the UI shows it. An envelope-only message shows its headers and, in the
    /// body, why the body is not there: `fetch_error` when a download failed, else the mode.
    pub(super) fn open_message(
        &mut self,
        id: &ui::MessageId,
        fetch_error: Option<&str>,
    ) -> Result<ui::Message, BackendError> {
        let sid = store_id_of(id)?;
        let summary = self.store.get(sid).map_err(store_error)?;
        let folder = ui::FolderRef::new(&summary.account, &summary.folder);
        let raw = match self.store.read_raw(sid) {
            Ok(raw) => raw,
            Err(StoreError::NoBody(_)) => {
                let empty = ui::Draft {
                    account: summary.account.clone(),
                    ..ui::Draft::default()
                };
                return Ok(ui::Message {
                    id: id.clone(),
                    folder,
                    headers: convert::summary_headers(&summary),
                    body: format!(
                        "body not downloaded yet: {}",
                        fetch_error.unwrap_or(match self.options.mode {
                            Mode::Offline =>
                                "offline (started with --offline); it comes down \
                                              when postie runs online",
                            _ =>
                                "only the envelope is stored here; it comes down with the \
                                  next sync (press the sync key, or run `postie sync`)",
                        })
                    ),
                    downloaded: false,
                    attachments: Vec::new(),
                    all_headers: Vec::new(),
                    prefill: ui::Prefill {
                        reply: empty.clone(),
                        reply_all: empty.clone(),
                        forward: empty,
                        ..ui::Prefill::default()
                    },
                });
            }
            Err(e) => return Err(store_error(e)),
        };
        let parsed = ParsedMessage::parse(&raw);
        if let Some(mid) = &summary.message_id {
            self.parents.insert(bare_id(mid).to_owned(), sid);
        }
        let account = summary.account.as_str();
        let prefill = self.prefill(&raw, account, id);
        let note = self.outbox_note(sid).unwrap_or_default();
        let mut message = ui::Message {
            id: id.clone(),
            folder,
            headers: convert::headers(&parsed.envelope),
            all_headers: crate::mail::headers::all_headers(&raw),
            body: format!("{note}{}", parsed.text),
            downloaded: true,
            attachments: convert::attachments(&parsed),
            prefill,
        };
        self.remember_autocrypt(account, &raw);
        self.start_pgp_check(&mut message, raw, sid, note);
        Ok(message)
    }

    pub(super) fn set_flags(
        &mut self,
        ids: &[ui::MessageId],
        add: ui::Flags,
        remove: ui::Flags,
    ) -> Result<(), StoreError> {
        let sids: Vec<store::MessageId> = ids.iter().filter_map(convert::store_id).collect();
        for flag in convert::flag_list(add) {
            self.store.set_flag(&sids, flag, true)?;
        }
        for flag in convert::flag_list(remove) {
            self.store.set_flag(&sids, flag, false)?;
        }
        Ok(())
    }

    /// Addresses seen in the store whose name or address contains `prefix` (case-insensitive),
    /// most frequent first. Found through the full-text index, so it costs the same in a
    /// 100-message store as in a 100,000-message one.
    pub(super) fn complete(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let needle = prefix.trim().to_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let word: String = needle
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        let query = word
            .split_whitespace()
            .map(|w| format!("{w}*"))
            .collect::<Vec<_>>()
            .join(" ");
        let hits = self.store.search(&query, None, None, Some(500))?;
        let mut counts: HashMap<String, (usize, i64)> = HashMap::new();
        for m in &hits {
            for form in m.from.iter().chain(&m.to).chain(&m.cc) {
                if form.to_lowercase().contains(&needle) {
                    let e = counts.entry(form.clone()).or_insert((0, 0));
                    e.0 += 1;
                    e.1 = e.1.max(m.date.unwrap_or(0));
                }
            }
        }
        let mut list: Vec<(String, (usize, i64))> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(list.into_iter().take(10).map(|(s, _)| s).collect())
    }
}
