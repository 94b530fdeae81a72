//! The Outbox in the TUI: the account's queue of messages waiting to be sent, shown as a
//! pseudo-folder while something waits in it, one row per queued message (recipients, the
//! subject with its state: attempts, next try, last error, refused), and the UI's two actions
//! on it: send now and drop.
//!
//! What must hold: sending now is exactly `postie outbox flush ID` (`engine::outbox`, with its
//! lock and its accepted record, so a message is never sent twice) and dropping is exactly
//! `postie outbox drop ID`; every change to the queue (queued, sent, dropped) is followed by
//! [`Event::FolderChanged`] for the account's Outbox so the pane and the list follow.

use crate::engine::outbox::{FlushOptions, FlushReport, flush_account, unsent_line};
use crate::engine::progress::NoProgress;
use crate::error::ErrorKind;
use crate::store::{self, OutboxItem, Store};
use crate::ui::{self, BackendError, Event, Page, PageRequest, Row, ThreadPos};

use super::{Backend, Internal, Mode, convert, store_error, store_ids};

/// The store's role for the local queue folder.
pub(super) const ROLE: &str = "outbox";

/// One queued message as a list row: "To: …" where the sender would be, and its state after
/// the subject; the date is when it was queued.
pub(super) fn row(item: &OutboxItem, summary: Option<&store::MessageSummary>, now: i64) -> Row {
    let subject = summary.map(|m| m.subject.as_str()).unwrap_or_default();
    Row {
        id: convert::ui_id(item.id),
        folder: ui::FolderRef::new(
            &item.account,
            summary.map_or("Outbox", |m| m.folder.as_str()),
        ),
        date: item.created,
        from: format!("To: {}", item.recipients.join(", ")),
        subject: format!("{subject}  [{}]", state(item, now)),
        // Nothing to read here: a queued message is the user's own.
        flags: ui::Flags::SEEN,
        has_attachments: false,
        has_body: true,
        size: summary.map_or(0, |m| m.size),
        thread: ThreadPos::default(),
    }
}

/// The state of a queued message in a few words: what `postie outbox list` says, with when
/// the next automatic try is due.
pub(super) fn state(item: &OutboxItem, now: i64) -> String {
    let attempts = match item.attempts {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    let error = item
        .last_error
        .as_deref()
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    if item.refused {
        format!("REFUSED, {attempts}{error}")
    } else if item.attempts == 0 {
        "queued".to_owned()
    } else {
        let next = match item.next_try {
            Some(t) if t > now => format!("next try in {}", minutes(t - now)),
            _ => "next try at the next sync".to_owned(),
        };
        format!("{attempts}, {next}{error}")
    }
}

fn minutes(secs: i64) -> String {
    match (secs + 59) / 60 {
        1 => "1 min".to_owned(),
        m => format!("{m} min"),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Backend {
    /// The name of the account's Outbox folder, if the store has one.
    pub(super) fn outbox_folder(&self, account: &str) -> Option<String> {
        self.store.folder_with_role(account, ROLE).ok().flatten()
    }

    /// Whether a page request is for an Outbox (its rows come from the queue, not the index).
    pub(super) fn is_outbox(&self, f: &ui::FolderRef) -> bool {
        self.outbox_folder(&f.account).as_deref() == Some(f.folder.as_str())
    }

    /// The Outbox's rows, oldest queued first (the order they are sent in).
    pub(super) fn outbox_page(
        &self,
        f: &ui::FolderRef,
        req: &PageRequest,
    ) -> Result<Page, store::StoreError> {
        let items = self.store.outbox(Some(&f.account))?;
        let now = now();
        let rows = items
            .iter()
            .skip(req.offset)
            .take(req.limit)
            .map(|item| row(item, self.store.get(item.id).ok().as_ref(), now))
            .collect();
        Ok(Page {
            offset: req.offset,
            total: items.len(),
            rows,
        })
    }

    /// The line an opened queued message starts with: its state and the keys that act on it.
    pub(super) fn outbox_note(&self, id: store::MessageId) -> Option<String> {
        let item = self.store.outbox_item(id).ok()??;
        Some(format!(
            "[Outbox: to {}; {}. F sends it now, d drops it.]\n\n",
            item.recipients.join(", "),
            state(&item, now())
        ))
    }

    /// Tells the UI the account's Outbox changed (the pane shows or hides it, the list reloads).
    pub(super) async fn outbox_changed(&mut self, account: &str) -> bool {
        match self.outbox_folder(account) {
            Some(name) => {
                self.emit(Event::FolderChanged(ui::FolderRef::new(account, name)))
                    .await
            }
            None => true,
        }
    }

    /// Answers [`ui::Command::DropOutbox`]: what `postie outbox drop ID` does.
    pub(super) async fn drop_outbox(&mut self, ids: Vec<ui::MessageId>) -> bool {
        let mut accounts = Vec::new();
        let result = store_ids(&ids).and_then(|sids| {
            for id in sids {
                let item = self.store.outbox_item(id).map_err(store_error)?;
                let Some(item) = item else {
                    return Err(BackendError::new(
                        ErrorKind::Data,
                        format!("message {id} is no longer in the outbox (sent or dropped)"),
                    ));
                };
                self.store.outbox_drop(id).map_err(store_error)?;
                accounts.push(item.account);
            }
            Ok(())
        });
        let mut ok = self.emit(Event::OutboxDropped { ids, result }).await;
        accounts.dedup();
        for account in accounts {
            ok &= self.outbox_changed(&account).await;
        }
        ok
    }

    /// Answers [`ui::Command::RetryOutbox`]: what `postie outbox flush ID` does, on the
    /// network runtime with its own store handle; the answer comes through
    /// [`Internal::OutboxFlushed`].
    pub(super) async fn retry_outbox(&mut self, ids: Vec<ui::MessageId>) -> bool {
        let refuse = |e: BackendError| Event::OutboxRetried {
            ids: ids.clone(),
            result: Err(e),
        };
        if self.options.mode != Mode::Online {
            let e = BackendError::new(
                ErrorKind::Temporary,
                "offline: nothing sent (postie runs without the network; the message waits)",
            );
            return self.emit(refuse(e)).await;
        }
        let sids = match store_ids(&ids) {
            Ok(s) => s,
            Err(e) => return self.emit(refuse(e)).await,
        };
        let item = match sids.first().map(|&id| self.store.outbox_item(id)) {
            Some(Ok(Some(item))) => item,
            Some(Err(e)) => return self.emit(refuse(store_error(e))).await,
            _ => return self.emit(Event::OutboxRetried { ids, result: Ok(0) }).await,
        };
        let Some(account) = self.options.config.account(&item.account).cloned() else {
            let e = BackendError::new(
                ErrorKind::Config,
                format!("no account named {:?} in the config", item.account),
            );
            return self.emit(refuse(e)).await;
        };
        let data_dir = self.store.data_dir().to_owned();
        let config = self.options.config.clone();
        let internal = self.internal.clone();
        self.network.spawn(async move {
            let result = async {
                let mut store = Store::open(&data_dir).map_err(store_error)?;
                store.register_accounts(&config).map_err(store_error)?;
                let options = FlushOptions {
                    force: true,
                    only: sids,
                };
                flush_account(&mut store, &account, &options, &NoProgress)
                    .await
                    .map_err(|e| BackendError::new(e.kind(), crate::error::chain_line(&e)))
            }
            .await;
            let _ = internal.send(Internal::OutboxFlushed {
                account: account.name.clone(),
                ids,
                result,
            });
        });
        true
    }

    /// A send-now finished: the answer, then the Outbox (and Sent, when it went) reload.
    pub(super) async fn outbox_flushed(
        &mut self,
        account: String,
        ids: Vec<ui::MessageId>,
        result: Result<FlushReport, BackendError>,
    ) -> bool {
        let result = result.and_then(|r| {
            for w in &r.warnings {
                tracing::warn!("account {account}: {w}");
            }
            let done = r.sent.len() + r.already_sent.len();
            match (r.unsent.first(), r.warnings.first()) {
                (Some(u), _) => Err(BackendError::new(u.kind, unsent_line(u))),
                // Nothing tried (held offline, another postie sending, unreadable): say why.
                (None, Some(w)) if done == 0 => Err(BackendError::new(ErrorKind::Temporary, w)),
                (None, _) => Ok(done),
            }
        });
        let sent = matches!(result, Ok(n) if n > 0);
        let mut ok = self.emit(Event::OutboxRetried { ids, result }).await;
        ok &= self.outbox_changed(&account).await;
        if sent {
            // An IMAP account's Sent copy was APPENDed: the live connection's next sync
            // brings it down; a local one is there already.
            ok &= self.sent_folder_changed(&account).await;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(attempts: u32, next_try: Option<i64>, refused: bool) -> OutboxItem {
        OutboxItem {
            id: 7,
            account: "acc".into(),
            sender: "me@x.test".into(),
            recipients: vec!["a@x.test".into(), "b@x.test".into()],
            created: 1_000,
            attempts,
            last_error: (attempts > 0).then(|| "connection refused".to_owned()),
            next_try,
            refused,
        }
    }

    #[test]
    fn the_state_says_attempts_next_try_and_refusal() {
        assert_eq!(state(&item(0, None, false), 0), "queued");
        assert_eq!(
            state(&item(2, Some(1_150), false), 1_000),
            "2 attempts, next try in 3 min: connection refused"
        );
        assert_eq!(
            state(&item(1, Some(900), false), 1_000),
            "1 attempt, next try at the next sync: connection refused"
        );
        assert_eq!(
            state(&item(3, None, true), 1_000),
            "REFUSED, 3 attempts: connection refused"
        );
    }

    #[test]
    fn a_row_shows_the_recipients_and_when_it_was_queued() {
        let r = row(&item(1, None, false), None, 1_000);
        assert_eq!(r.from, "To: a@x.test, b@x.test");
        assert_eq!(r.date, 1_000);
        assert!(r.subject.contains("[1 attempt"), "{}", r.subject);
        assert_eq!(r.id, convert::ui_id(7));
    }
}
