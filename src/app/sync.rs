//! Sync from the UI: one task per account on the network runtime, each with its own handle on
//! the store, reporting progress as [`AccountState`] events and finishing on the store thread.
//!
//! What must hold: an account is never synced twice at once (here by `Backend::syncing`;
//! against other processes by the account's lock, `engine::lock`); a failure shows in the
//! status line (as `AccountState::Failed`) and never stops the UI; an account another process
//! is syncing shows as `AccountState::Busy` and is tried again after [`BUSY_RETRY`]; offline and
//! demo mode never connect.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::engine::EngineError;
use crate::engine::progress::{ProgressSink, SyncEvent};
use crate::engine::sync::{SyncOptions, SyncSummary, sync_account};
use crate::error::ErrorKind;
use crate::store::Store;
use crate::ui::{AccountState, BackendError, Event, FolderRef};

use super::{Backend, Internal, Mode, store_error};

/// How long after finding an account busy (another process syncing it) the sync is tried again
/// (a second in unit tests, which check that it is).
#[cfg(not(test))]
pub(super) const BUSY_RETRY: Duration = Duration::from_secs(30);
#[cfg(test)]
pub(super) const BUSY_RETRY: Duration = Duration::from_secs(1);

/// How long the start-up sync waits for the UI's first page before it starts anyway.
const FIRST_PAGE_WAIT: Duration = Duration::from_secs(1);

/// The sync every account gets at start-up, held back until the first page of the list has
/// been answered (or [`FIRST_PAGE_WAIT`] has passed): on 2 cores, a Maildir account's forced
/// rescan of 100,000 files (or an IMAP login's TLS handshake) beside the first page doubled the
/// time to the first screen (issue #16's profile). What must hold: it starts exactly once,
/// and always (a UI that never asks for a page still gets its sync after the wait).
pub(super) struct InitialSync {
    pending: bool,
    deadline: tokio::time::Instant,
}

impl InitialSync {
    /// `wanted`: whether this session syncs at start-up at all.
    pub(super) fn new(wanted: bool) -> InitialSync {
        InitialSync {
            pending: wanted,
            deadline: tokio::time::Instant::now() + FIRST_PAGE_WAIT,
        }
    }

    /// Whether the start-up sync is still to start.
    pub(super) fn pending(&self) -> bool {
        self.pending
    }

    /// `true` once, when the start-up sync is to start now (then it is no longer pending).
    pub(super) fn due(&mut self) -> bool {
        std::mem::take(&mut self.pending)
    }

    /// When it starts if no page was asked for before.
    pub(super) fn deadline(&self) -> tokio::time::Instant {
        self.deadline
    }
}

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
            let mut busy = None;
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
                .map_err(|e| {
                    if let EngineError::AccountBusy { pid } = e.source {
                        busy = Some(pid);
                    }
                    BackendError::new(e.kind(), crate::error::chain_line(&e))
                })
            }
            .await;
            let _ = internal.send(Internal::SyncDone {
                account: account.name.clone(),
                folder,
                result,
                busy,
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
        busy: Option<Option<u32>>,
    ) -> bool {
        self.syncing.remove(&account);
        if let Some(pid) = busy {
            // Another process holds the lock: the waiting folder changes say so themselves.
            self.folder_changes_ended_sync(&account);
            return self.retry_when_free(account, folder, pid).await;
        }
        // A whole-account sync that worked: drafts saved while offline go to the server now.
        let drafts_up = folder.is_none() && result.is_ok();
        let ok = self.report_sync(&account, folder, result).await;
        if drafts_up {
            self.push_local_drafts(&account);
        }
        // The server reported a change while that sync ran: it may have missed it. (Actions
        // held back for this sync then wait for that one: never two replays at once.)
        if ok && let Some(folder) = self.resync.remove(&account) {
            let state = self.start_sync(&account, folder);
            return self.emit(Event::AccountState { account, state }).await;
        }
        self.sync_ended(&account);
        ok
    }

    /// Another process is syncing `account`: says so (not as a failure) and tries again after
    /// [`BUSY_RETRY`].
    async fn retry_when_free(
        &mut self,
        account: String,
        folder: Option<String>,
        holder: Option<u32>,
    ) -> bool {
        let internal = self.internal.clone();
        let retry = Internal::RetrySync {
            account: account.clone(),
            folder,
        };
        self.network.spawn(async move {
            tokio::time::sleep(BUSY_RETRY).await;
            let _ = internal.send(retry);
        });
        let why = format!(
            "busy: being synced by {}; trying again in {}s",
            crate::engine::lock::holder_name(holder),
            BUSY_RETRY.as_secs()
        );
        self.emit(Event::AccountState {
            account,
            state: AccountState::Busy(why),
        })
        .await
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
                self.notify_new_mail(&account, &summary);
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
                // Renumbered folders first: the UI drops every id it holds for them.
                for name in &summary.renumbered {
                    ok &= self
                        .emit(Event::FolderReset(FolderRef::new(&account, name)))
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
