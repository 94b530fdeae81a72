//! IDLE in the UI: one [`crate::engine::idle`] watcher per IMAP account while the UI runs
//! online. A folder the server reports changed is synced (the ordinary sync path, so an
//! account is never synced twice at once) and the UI reloads it from the `FolderChanged`
//! events the sync sends; a dropped connection shows in the status line with its retry time.
//!
//! What must hold: offline and demo mode start no watcher; the watchers stop when the UI quits.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::Incoming;
use crate::engine::idle::{self, WatchEvent, WatchOptions};
use crate::ui::{AccountState, Event};

use super::{Backend, Mode};

/// How long quitting waits for the watchers to log out.
const STOP_LIMIT: Duration = Duration::from_secs(3);

impl Backend {
    /// Starts the watchers ([`Mode::Online`] only); their events arrive on the receiver.
    pub(super) fn start_watchers(&mut self) -> mpsc::UnboundedReceiver<WatchEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        if self.options.mode != Mode::Online {
            return rx;
        }
        // The watchers' connections live on the network runtime, not on the store thread.
        let _runtime = self.network.enter();
        for name in &self.options.accounts {
            let Some(account) = self.options.config.account(name) else {
                continue;
            };
            if let Incoming::Imap(imap) = &account.incoming {
                self.watchers.push(idle::spawn(
                    account.clone(),
                    imap.clone(),
                    tx.clone(),
                    WatchOptions::default(),
                ));
            }
        }
        rx
    }

    /// Stops the watchers (DONE + LOGOUT), waiting a short while at most.
    pub(super) async fn stop_watchers(&mut self) {
        let watchers = std::mem::take(&mut self.watchers);
        let stop = async {
            for w in watchers {
                w.stop().await;
            }
        };
        if tokio::time::timeout(STOP_LIMIT, stop).await.is_err() {
            tracing::warn!("gave up waiting for the IDLE connections to close");
        }
    }

    /// Acts on a watcher's report. `false` when the UI is gone.
    pub(super) async fn watch_event(&mut self, ev: WatchEvent) -> bool {
        match ev {
            // Just connected (or reconnected): changes made meanwhile were not reported.
            WatchEvent::Watching { account, folder } | WatchEvent::Changed { account, folder } => {
                if self.syncing.contains(&account) {
                    self.defer_sync(&account, Some(folder));
                    return true;
                }
                let state = self.start_sync(&account, Some(folder));
                self.emit(Event::AccountState { account, state }).await
            }
            WatchEvent::Disconnected {
                account,
                folder,
                error,
                retry_in,
            } => {
                let state = AccountState::Failed(format!(
                    "watching {folder}: {error}; retrying in {}s",
                    retry_in.as_secs()
                ));
                self.emit(Event::AccountState { account, state }).await
            }
        }
    }
}
