//! Sync from the UI: one task per account on the network runtime, each with its own handle on
//! the store, reporting progress as [`AccountState`] events and finishing on the store thread.
//!
//! What must hold: an account is never synced twice at once; a failure shows in the status
//! line (as `AccountState::Failed`) and never stops the UI; offline and demo mode never connect.

use tokio::sync::mpsc;

use crate::engine::progress::{ProgressSink, SyncEvent};
use crate::engine::sync::{SyncOptions, SyncSummary, sync_account};
use crate::error::ErrorKind;
use crate::store::Store;
use crate::ui::{AccountState, BackendError, Event, FolderRef};

use super::{Backend, Internal, Mode, store_error};

/// Turns the engine's progress into status-line states. Called from the download loop, so it
/// never waits: when the UI is behind, a progress step is dropped (the next one replaces it).
struct StatusSink {
    events: mpsc::Sender<Event>,
}

impl ProgressSink for StatusSink {
    fn event(&self, event: SyncEvent) {
        let ev = match event {
            SyncEvent::Started { account, total, .. } => Event::AccountState {
                account,
                state: AccountState::Syncing { done: 0, total },
            },
            SyncEvent::Progress {
                account,
                done,
                total,
                ..
            } => Event::AccountState {
                account,
                state: AccountState::Syncing { done, total },
            },
            SyncEvent::Finished { .. } => return,
            SyncEvent::Warning { account, message } => Event::Error(BackendError::new(
                ErrorKind::Temporary,
                format!("{account}: {message}"),
            )),
        };
        let _ = self.events.try_send(ev);
    }
}

impl Backend {
    /// Starts a sync of one account or all of them; answers at once with their new state.
    pub(super) async fn sync(&mut self, account: Option<String>) -> bool {
        let accounts = match account {
            Some(a) => vec![a],
            None => self.options.accounts.clone(),
        };
        for name in accounts {
            let (state, error) = match self.options.mode {
                Mode::Offline => (
                    AccountState::Offline,
                    Some("offline: started with --offline, so postie does not connect"),
                ),
                Mode::Demo => (
                    AccountState::Offline,
                    Some("offline: the demo mailbox has no server to sync with"),
                ),
                Mode::Online => (self.start_sync(&name, None), None),
            };
            let mut ok = self
                .emit(Event::AccountState {
                    account: name.clone(),
                    state,
                })
                .await;
            if let Some(why) = error {
                ok &= self
                    .emit(Event::Error(BackendError::new(ErrorKind::Network, why)))
                    .await;
            }
            if !ok {
                return false;
            }
        }
        true
    }

    /// Spawns the account's sync (only `folder` when given) unless one is running; returns the
    /// state to show.
    pub(super) fn start_sync(&mut self, name: &str, folder: Option<String>) -> AccountState {
        if self.syncing.contains(name) {
            return AccountState::Syncing {
                done: 0,
                total: None,
            };
        }
        let Some(account) = self.options.config.account(name).cloned() else {
            return AccountState::Failed(format!("no account named {name:?} in the config"));
        };
        // The live connection is applying the queue: the sync (which replays it too) starts
        // when that ends, so no action goes twice.
        if self.replaying.contains(name) {
            self.defer_sync(name, folder);
            return AccountState::Syncing {
                done: 0,
                total: None,
            };
        }
        self.syncing.insert(name.to_owned());
        let data_dir = self.store.data_dir().to_owned();
        let config = self.options.config.clone();
        let internal = self.internal.clone();
        let sink = StatusSink {
            events: self.events.clone(),
        };
        self.network.spawn(async move {
            let result = async {
                let mut store = Store::open(&data_dir).map_err(store_error)?;
                store.register_accounts(&config).map_err(store_error)?;
                sync_account(
                    &mut store,
                    &account,
                    &SyncOptions {
                        folder: folder.clone(),
                    },
                    &sink,
                )
                .await
                .map_err(|e| BackendError::new(e.kind(), crate::error::chain_line(&e)))
            }
            .await;
            let _ = internal.send(Internal::SyncDone {
                account: account.name.clone(),
                folder,
                result,
            });
        });
        AccountState::Connecting
    }

    /// Remembers a sync to run after the current one (or the live replay) ends: one folder,
    /// or the whole account when two different ones were asked for.
    pub(super) fn defer_sync(&mut self, account: &str, folder: Option<String>) {
        let entry = self
            .resync
            .entry(account.to_owned())
            .or_insert_with(|| folder.clone());
        if *entry != folder {
            *entry = None;
        }
    }

    pub(super) async fn sync_done(
        &mut self,
        account: String,
        folder: Option<String>,
        result: Result<SyncSummary, BackendError>,
    ) -> bool {
        self.syncing.remove(&account);
        let ok = self.report_sync(&account, folder, result).await;
        // The server reported a change while that sync ran: it may have missed it. (Actions
        // held back for this sync then wait for that one: never two replays at once.)
        if ok && let Some(folder) = self.resync.remove(&account) {
            let state = self.start_sync(&account, folder);
            return self.emit(Event::AccountState { account, state }).await;
        }
        self.sync_ended(&account);
        ok
    }

    async fn report_sync(
        &mut self,
        account: &str,
        folder: Option<String>,
        result: Result<SyncSummary, BackendError>,
    ) -> bool {
        let account = account.to_owned();
        match result {
            Ok(summary) => {
                let mut ok = self
                    .emit(Event::AccountState {
                        account: account.clone(),
                        state: AccountState::Online,
                    })
                    .await;
                for w in &summary.warnings {
                    ok &= self
                        .emit(Event::Error(BackendError::new(
                            ErrorKind::Temporary,
                            format!("{account}: {w}"),
                        )))
                        .await;
                }
                let changed = summary.new
                    + summary.deleted
                    + summary.flags_changed
                    + summary.expunged
                    + summary.outbox_sent
                    > 0;
                if changed {
                    // The UI reloads the folder list and whichever list shows one of these:
                    // the one folder an IDLE report named, else all of the account's (a sent
                    // outbox message lands in Sent too).
                    let folders = match folder {
                        Some(name) if summary.outbox_sent == 0 => vec![name],
                        _ => self
                            .store
                            .folders(Some(&account))
                            .unwrap_or_default()
                            .into_iter()
                            .map(|f| f.name)
                            .collect(),
                    };
                    for name in folders {
                        ok &= self
                            .emit(Event::FolderChanged(FolderRef::new(&account, &name)))
                            .await;
                    }
                } else {
                    ok &= self.load_folders(Some(account)).await;
                }
                ok
            }
            Err(e) => {
                self.emit(Event::AccountState {
                    account,
                    state: AccountState::Failed(e.message),
                })
                .await
            }
        }
    }
}
