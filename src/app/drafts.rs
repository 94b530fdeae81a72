//! Drafts (issue #13): `C-s` stores the draft in the account's Drafts folder, replacing the
//! version saved before (a draft keeps one Message-ID across saves); online, an IMAP account's
//! draft also goes to the server's Drafts folder over the live connection
//! ([`crate::engine::imap::live::LiveHandle::replace_draft`]), earlier versions expunged there.
//! A stored draft opens again in the composer ([`ui::Command::EditDraft`]); sending it removes
//! it from Drafts, here and on the server.
//!
//! What must hold:
//! - the new version is stored before the old ones are removed (a failure in between leaves
//!   two versions, never none);
//! - the local copy is kept even when the APPEND succeeds: it has no UID, and the sync that
//!   brings the server's copy down adopts it by Message-ID (no duplicate);
//! - offline, or when the server cannot be reached, the draft stays local and is APPENDed when
//!   the account's next sync ends ([`Backend::push_local_drafts`]), not queued as an action;
//! - POP3 and Maildir accounts keep their drafts in the store only;
//! - a draft with encryption on is stored (here and on the server) encrypted to the sender's
//!   own key, never in clear, and reopens decrypted with its OpenPGP toggles
//!   ([`Backend::seal_draft`], `pgp::open_draft`).

use crate::error::ErrorKind;
use crate::mail::compose::Composed;
use crate::mail::{Flag, Flags, ParsedMessage};
use crate::store::NewMessage;
use crate::ui::{self, BackendError, Event};

use super::{Backend, Internal, Mode, convert, store_error, store_id_of};

impl Backend {
    /// The local Drafts folder of `account` (by role, else `Drafts`), created when missing.
    fn drafts_folder(
        &mut self,
        account: &str,
    ) -> Result<(crate::store::FolderId, String), BackendError> {
        let folders = self.store.folders(Some(account)).map_err(store_error)?;
        let name = folders
            .iter()
            .find(|f| f.role.as_deref() == Some("drafts"))
            .map(|f| f.name.clone())
            .unwrap_or_else(|| "Drafts".to_owned());
        let id = self
            .store
            .ensure_folder(account, &name)
            .map_err(store_error)?;
        Ok((id, name))
    }

    /// Stores the draft in the account's Drafts folder (flagged draft and seen) in place of
    /// its earlier version, and sends it to the server when the account is online IMAP.
    /// Returns the folder and the draft's Message-ID.
    pub(super) fn save_draft(
        &mut self,
        d: &ui::Draft,
    ) -> Result<(ui::FolderRef, String), BackendError> {
        let (composed, empty) = self.compose(d, true)?;
        let bytes = if empty {
            composed.bytes.clone()
        } else {
            composed.sent_copy()
        };
        let bytes = self.seal_draft(d, &composed.envelope_from, bytes)?;
        let (folder, name) = self.drafts_folder(&d.account)?;
        let old = self
            .store
            .with_message_id(folder, &composed.message_id)
            .map_err(store_error)?;
        let msg = NewMessage {
            flags: Flags::from_flags(&[Flag::Draft, Flag::Seen]),
            ..NewMessage::new(&bytes)
        };
        let new = self.store.deliver(folder, &msg).map_err(store_error)?;
        // Attachments the composer still names by an old version's parts now live in `new`.
        for id in &old {
            self.draft_versions
                .insert(convert::ui_id(*id), convert::ui_id(new));
        }
        self.store.discard_ids(&old).map_err(store_error)?;
        self.draft_to_server(&d.account, Some(bytes), &composed.message_id);
        Ok((ui::FolderRef::new(&d.account, &name), composed.message_id))
    }

    /// After a draft was sent (or queued): its versions leave Drafts, here and on the server.
    /// Returns the Drafts folder when it changed.
    pub(super) fn drop_sent_draft(
        &mut self,
        account: &str,
        composed: &Composed,
    ) -> Option<ui::FolderRef> {
        let (folder, name) = self.drafts_folder(account).ok()?;
        let removed = match self
            .store
            .discard_draft_versions(folder, &composed.message_id)
        {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("cannot remove the sent draft from Drafts: {e}");
                0
            }
        };
        // The server may hold a version this store has no UID for yet: removed there by
        // Message-ID in any case.
        self.draft_to_server(account, None, &composed.message_id);
        if removed == 0 {
            return None;
        }
        self.push_actions([account.to_owned()]);
        Some(ui::FolderRef::new(account, &name))
    }

    /// Online IMAP accounts: the new version (or, `None`, the removal) goes to the server's
    /// Drafts over the live connection; the outcome comes back as [`Internal::DraftOnServer`].
    fn draft_to_server(&mut self, account: &str, bytes: Option<Vec<u8>>, message_id: &str) {
        if self.options.mode != Mode::Online {
            return;
        }
        let Some(live) = self.live.get(account).map(|c| c.handle()) else {
            return;
        };
        let internal = self.internal.clone();
        let account = account.to_owned();
        let message_id = message_id.to_owned();
        self.network.spawn(async move {
            let result = live
                .replace_draft(bytes, message_id)
                .await
                .map(|_| ())
                .map_err(|e| crate::error::chain_line(&e));
            let _ = internal.send(Internal::DraftOnServer { account, result });
        });
    }

    /// A draft that could not reach the server is said so (it stays in the local Drafts and
    /// goes after the account's next sync).
    pub(super) async fn draft_on_server(
        &mut self,
        account: String,
        result: Result<(), String>,
    ) -> bool {
        match result {
            Ok(()) => true,
            Err(why) => {
                self.emit(Event::Error(BackendError::new(
                    ErrorKind::Network,
                    format!(
                        "{account}: draft saved locally, not on the server yet (sent after the \
                         next sync): {why}"
                    ),
                )))
                .await
            }
        }
    }

    /// After a sync of an online IMAP account: drafts saved here that the server does not
    /// have (no UID: saved offline, or the APPEND failed) are APPENDed now; the next sync
    /// adopts them.
    pub(super) fn push_local_drafts(&mut self, account: &str) {
        if self.options.mode != Mode::Online || !self.live.contains_key(account) {
            return;
        }
        let Ok((folder, _)) = self.drafts_folder(account) else {
            return;
        };
        let local = match self.store.local_only(folder) {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!("{account}: cannot list the drafts to upload: {e}");
                return;
            }
        };
        for id in local {
            let (Ok(summary), Ok(raw)) = (self.store.get(id), self.store.read_raw(id)) else {
                continue;
            };
            if let Some(mid) = summary.message_id {
                self.draft_to_server(account, Some(raw), &format!("<{mid}>"));
            }
        }
    }

    /// A stored draft as the composer's draft: headers, text and attachments (as parts of
    /// the stored message), with its Message-ID so that saving replaces it.
    pub(super) fn read_draft(&mut self, id: &ui::MessageId) -> Result<ui::Draft, BackendError> {
        let sid = store_id_of(id)?;
        let summary = self.store.get(sid).map_err(store_error)?;
        let raw = self.store.read_raw(sid).map_err(store_error)?;
        let (raw, pgp) = super::pgp::open_draft(&self.gpg, raw)?;
        Ok(ui::Draft {
            pgp,
            ..draft_from_raw(&raw, &summary.account, id)
        })
    }
}

/// Parses a stored draft (see [`Backend::read_draft`]).
pub(super) fn draft_from_raw(raw: &[u8], account: &str, id: &ui::MessageId) -> ui::Draft {
    let parsed = ParsedMessage::parse(raw);
    let env = &parsed.envelope;
    let list = |a: &[crate::mail::Address]| {
        a.iter()
            .map(|a| crate::mail::envelope::format_addresses(std::slice::from_ref(a)))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    };
    let bcc = mail_parser::MessageParser::default()
        .parse_headers(raw)
        .and_then(|m| {
            m.bcc().map(|b| {
                b.iter()
                    .filter_map(|a| {
                        let addr = a.address()?;
                        Some(match a.name() {
                            Some(n) => format!("{n} <{addr}>"),
                            None => addr.to_owned(),
                        })
                    })
                    .collect()
            })
        })
        .unwrap_or_default();
    let angle = |s: &String| format!("<{s}>");
    ui::Draft {
        account: account.to_owned(),
        // The From it was saved with: the composer finds its identity again (or the
        // account's own when the config no longer has it).
        from: list(&env.from).into_iter().next(),
        to: list(&env.to),
        cc: list(&env.cc),
        bcc,
        subject: env.subject.clone(),
        // The composer edits lines: CRLF (as stored) becomes LF; the final line end goes.
        body: parsed
            .text
            .replace("\r\n", "\n")
            .trim_end_matches('\n')
            .to_owned(),
        attachments: parsed
            .attachments
            .iter()
            .enumerate()
            .map(|(part, a)| ui::DraftAttachment::Part {
                message: id.clone(),
                part,
                name: a.name.clone(),
            })
            .collect(),
        in_reply_to: env.in_reply_to.first().map(angle),
        references: env.references.iter().map(angle).collect(),
        message_id: env.message_id.as_ref().map(angle),
        body_cursor: 0,
        pgp: None,
    }
}

#[cfg(test)]
mod tests {
    use super::draft_from_raw;
    use crate::ui::{DraftAttachment, MessageId};

    #[test]
    fn a_stored_draft_comes_back_with_its_headers_text_attachments_and_message_id() {
        let raw = b"From: Me <me@x.test>\r\nTo: Bob <b@x.test>, c@x.test\r\nCc: d@x.test\r\n\
Bcc: Eve <e@x.test>\r\nSubject: Plans\r\nMessage-ID: <d7@x.test>\r\nIn-Reply-To: <p@x.test>\r\n\
References: <r@x.test> <p@x.test>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nDear Bob,\r\nsee the plan.\r\n--b\r\n\
Content-Type: application/pdf; name=\"plan.pdf\"\r\n\
Content-Disposition: attachment; filename=\"plan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\
\r\nJVBERi0=\r\n--b--\r\n";
        let id = MessageId("42".into());
        let d = draft_from_raw(raw, "work", &id);
        assert_eq!(d.account, "work");
        assert_eq!(d.to, vec!["Bob <b@x.test>", "c@x.test"]);
        assert_eq!(d.cc, vec!["d@x.test"]);
        assert_eq!(d.bcc, vec!["Eve <e@x.test>"]);
        assert_eq!(d.subject, "Plans");
        assert_eq!(d.body, "Dear Bob,\nsee the plan.");
        assert_eq!(
            d.attachments,
            vec![DraftAttachment::Part {
                message: id,
                part: 0,
                name: "plan.pdf".into(),
            }]
        );
        assert_eq!(d.in_reply_to.as_deref(), Some("<p@x.test>"));
        assert_eq!(d.references, vec!["<r@x.test>", "<p@x.test>"]);
        assert_eq!(d.message_id.as_deref(), Some("<d7@x.test>"));
    }
}
