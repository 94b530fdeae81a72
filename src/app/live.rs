//! Actions applied live (issue #13): online, each IMAP account has a live command connection
//! ([`crate::engine::imap::live`]); a flag change, move or delete is done in the store at once
//! (which also records it in the action queue), answered to the UI, and then the connection is
//! asked to replay the queue, so the server has it a moment later. Quitting waits a little for
//! what is still on its way and says what stays queued.
//!
//! What must hold:
//! - the queue is written before the server is asked (the store does both in one call), so a
//!   crash, a cut or a refusal never loses an action: it goes at the next start or sync;
//! - the live connection and a sync of the same account never replay the queue at once: while
//!   the account syncs, the request waits and is made when the sync ends (the sync replays the
//!   queue first thing anyway);
//! - a refusal or a failure to reach the server shows in the status line (an `Event::Error`);
//! - quitting waits at most [`QUIT_WAIT`] for the queue, then reports what remains.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::Incoming;
use crate::engine::imap::live::{self, LiveEvent, LiveOptions};
use crate::error::ErrorKind;
use crate::store::Store;
use crate::ui::{self, BackendError, Event};

use super::{Backend, Internal, Mode, convert, store_error, store_ids, undo};

/// How long quitting waits for queued actions to reach the servers.
pub(super) const QUIT_WAIT: Duration = Duration::from_secs(2);
/// How long quitting waits for the live connections to log out.
const STOP_LIMIT: Duration = Duration::from_secs(2);

impl Backend {
    /// Starts a live connection per IMAP account ([`Mode::Online`] only); their reports arrive
    /// on the receiver.
    pub(super) fn start_live(&mut self) -> mpsc::UnboundedReceiver<LiveEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        if self.options.mode != Mode::Online {
            return rx;
        }
        let _runtime = self.network.enter();
        for name in &self.options.accounts {
            let Some(account) = self.options.config.account(name) else {
                continue;
            };
            let Incoming::Imap(imap) = &account.incoming else {
                continue;
            };
            let store = Store::open(self.store.data_dir()).and_then(|mut s| {
                s.register_accounts(&self.options.config)?;
                Ok(s)
            });
            match store {
                Ok(store) => {
                    let conn = live::spawn(
                        account.clone(),
                        imap.clone(),
                        store,
                        tx.clone(),
                        LiveOptions::default(),
                    );
                    self.live.insert(name.clone(), conn);
                }
                Err(e) => tracing::warn!("{name}: cannot open the store for its connection: {e}"),
            }
        }
        rx
    }

    /// Has the queued actions of `accounts` applied now (or when their sync, or the replay
    /// running, ends).
    pub(super) fn push_actions(&mut self, accounts: impl IntoIterator<Item = String>) {
        for account in accounts {
            let Some(handle) = self.live.get(&account).map(|c| c.handle()) else {
                continue;
            };
            if self.syncing.contains(&account) {
                self.replay_after_sync.insert(account);
            } else if self.replaying.contains(&account) {
                self.replay_again.insert(account);
            } else {
                self.replaying.insert(account.clone());
                let internal = self.internal.clone();
                self.network.spawn(async move {
                    handle.flush().await;
                    let _ = internal.send(Internal::Replayed { account });
                });
            }
        }
    }

    /// A replay asked by [`Backend::push_actions`] ended: replay again for actions made
    /// meanwhile, else run the sync that waited for it.
    pub(super) async fn replayed(&mut self, account: String) -> bool {
        self.replaying.remove(&account);
        if self.replay_again.remove(&account) {
            self.push_actions([account]);
            return true;
        }
        // (A sync already running takes the waiting one when it ends.)
        if !self.syncing.contains(&account)
            && let Some(folder) = self.resync.remove(&account)
        {
            let state = self.start_sync(&account, folder);
            return self.emit(Event::AccountState { account, state }).await;
        }
        true
    }

    /// The sync of `account` ended: make the replay it held back.
    pub(super) fn sync_ended(&mut self, account: &str) {
        if self.replay_after_sync.remove(account) {
            self.push_actions([account.to_owned()]);
        }
        self.folder_changes_ended_sync(account);
    }

    /// The accounts the messages belong to (looked up before they move).
    fn accounts_of(&self, ids: &[ui::MessageId]) -> Vec<String> {
        let mut accounts: Vec<String> = ids
            .iter()
            .filter_map(convert::store_id)
            .filter_map(|id| self.store.get(id).ok())
            .map(|m| m.account)
            .collect();
        accounts.sort();
        accounts.dedup();
        accounts
    }

    pub(super) async fn set_flags_now(
        &mut self,
        ids: Vec<ui::MessageId>,
        add: ui::Flags,
        remove: ui::Flags,
        undoable: bool,
    ) -> bool {
        let ids = self.still_here(ids);
        let accounts = self.accounts_of(&ids);
        let before = undo::snapshot(&self.store, &store_ids(&ids).unwrap_or_default());
        let result = self.set_flags(&ids, add, remove).map_err(store_error);
        if undoable && let Some(entry) = undo::after_flags(&self.store, &before) {
            self.undo.push(entry);
        }
        if result.is_ok() {
            self.push_actions(accounts);
        }
        self.emit(Event::FlagsSet { ids, result }).await
    }

    pub(super) async fn move_now(&mut self, ids: Vec<ui::MessageId>, to: ui::FolderRef) -> bool {
        let ids = self.still_here(ids);
        let accounts = self.accounts_of(&ids);
        let before = undo::snapshot(&self.store, &store_ids(&ids).unwrap_or_default());
        let result = store_ids(&ids).and_then(|sids| {
            self.store
                .move_messages(&sids, &to.folder)
                .map_err(store_error)
        });
        if let Some(entry) = undo::after_move(&self.store, &before, false) {
            self.undo.push(entry);
        }
        if result.is_ok() {
            self.push_actions(accounts);
        }
        self.emit(Event::Moved { ids, result }).await
    }

    pub(super) async fn delete_now(&mut self, ids: Vec<ui::MessageId>) -> bool {
        let ids = self.still_here(ids);
        let accounts = self.accounts_of(&ids);
        let before = undo::snapshot(&self.store, &store_ids(&ids).unwrap_or_default());
        let result =
            store_ids(&ids).and_then(|sids| self.store.delete_messages(&sids).map_err(store_error));
        if let Some(entry) = undo::after_move(&self.store, &before, true) {
            self.undo.push(entry);
        }
        if result.is_ok() {
            self.push_actions(accounts);
        }
        self.emit(Event::Deleted { ids, result }).await
    }

    /// Takes back the session's newest undoable action (a new action the other way, queued
    /// and pushed like any other).
    pub(super) async fn undo_now(&mut self) -> bool {
        let result = match self.undo.pop() {
            None => Err(undo::UndoError::Nothing),
            Some(entry) => undo::apply(&mut self.store, entry),
        };
        let result = match result {
            Ok((line, accounts)) => {
                self.push_actions(accounts);
                Ok(line)
            }
            Err(e) => {
                let kind = match &e {
                    undo::UndoError::Store(s) => s.kind(),
                    _ => ErrorKind::Usage,
                };
                Err(BackendError::new(kind, crate::error::chain_line(&e)))
            }
        };
        self.emit(Event::Undone { result }).await
    }

    /// A live connection's report: refusals and failures go to the status line.
    pub(super) async fn live_event(&mut self, ev: LiveEvent) -> bool {
        let LiveEvent::Replayed {
            account,
            result,
            queued,
            retry_in,
        } = ev;
        match result {
            Ok(summary) => {
                let mut ok = true;
                for w in &summary.warnings {
                    ok &= self
                        .emit(Event::Error(BackendError::new(
                            ErrorKind::Protocol,
                            format!("{account}: {w}"),
                        )))
                        .await;
                }
                ok
            }
            Err(why) => {
                // What happened to the user's action first: the status line may cut the rest.
                let when = match retry_in {
                    Some(d) => format!("retrying in {}s", d.as_secs().max(1)),
                    None => "sent with the next action or sync".to_owned(),
                };
                self.emit(Event::Error(BackendError::new(
                    ErrorKind::Network,
                    format!(
                        "{} not on the server yet (kept queued, {when}): {why}",
                        actions(queued)
                    ),
                )))
                .await
            }
        }
    }

    /// At quit: gives the queues at most [`QUIT_WAIT`] to reach the servers, closes the live
    /// connections, and returns one line per account that still has actions queued.
    pub(super) async fn finish_live(&mut self) -> Vec<String> {
        let handles: Vec<_> = self.live.values().map(|c| c.handle()).collect();
        let flush = futures::future::join_all(handles.iter().map(|h| h.flush()));
        let _ = tokio::time::timeout(QUIT_WAIT, flush).await;
        let connections: Vec<_> = self.live.drain().map(|(_, c)| c).collect();
        let stop = futures::future::join_all(connections.into_iter().map(|c| c.stop()));
        if tokio::time::timeout(STOP_LIMIT, stop).await.is_err() {
            tracing::warn!("gave up waiting for the command connections to close");
        }
        if self.options.mode == Mode::Demo {
            return Vec::new();
        }
        let mut notes = Vec::new();
        for account in &self.options.accounts {
            let queued = self
                .store
                .pending_actions(account)
                .map(|a| a.len())
                .unwrap_or(0);
            if queued > 0 {
                notes.push(queued_note(account, queued));
            }
        }
        notes
    }
}

/// "1 action" / "3 actions".
fn actions(n: usize) -> String {
    if n == 1 {
        "1 action".to_owned()
    } else {
        format!("{n} actions")
    }
}

/// What quitting says about an account's queue.
pub(super) fn queued_note(account: &str, queued: usize) -> String {
    format!(
        "{} queued for {account}; they go at the next start or `postie sync`",
        actions(queued)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quit_note_counts_and_says_when_they_go() {
        assert_eq!(
            queued_note("work", 2),
            "2 actions queued for work; they go at the next start or `postie sync`"
        );
        assert_eq!(
            queued_note("home", 1),
            "1 action queued for home; they go at the next start or `postie sync`"
        );
    }
}
