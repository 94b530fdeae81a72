//! IDLE watchers: while the TUI runs, each IMAP account keeps extra connections idling on its
//! `idle_folders` (one connection per folder: IMAP idles on the selected folder only) and
//! reports "folder F of account A changed" so the TUI can sync that folder on its own session.
//!
//! Owns: those connections, re-IDLE before the server's 30-minute limit, reconnecting with
//! backoff after a drop or a suspend. May not touch: the store (the watcher only reports;
//! whoever receives the event runs the sync), the terminal.
//!
//! ```text
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! let watcher = engine::idle::spawn(account.clone(), imap.clone(), tx, WatchOptions::default());
//! while let Some(ev) = rx.recv().await {
//!     if let WatchEvent::Changed { account, folder } = ev { /* sync that folder */ }
//! }
//! watcher.stop().await; // or drop it: the tasks end at their next wake-up
//! ```

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::imap::mapping::personal_form;
use super::imap::{ConnectOptions, convert, create, open};
use crate::config::{Account, ImapIncoming};
use crate::proto::imap::{IdleEvent, IdleOptions};

/// What a watcher reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// A connection is idling on `folder` (after start or a reconnect: sync the folder, since
    /// changes made while disconnected were not reported).
    Watching { account: String, folder: String },
    /// The server reported a change in `folder` (new mail, expunge, flags): sync it.
    Changed { account: String, folder: String },
    /// The connection for `folder` failed; the watcher retries after `retry_in`. `error` is one
    /// line for a status bar.
    Disconnected {
        account: String,
        folder: String,
        error: String,
        retry_in: Duration,
    },
}

/// How the watcher behaves. The defaults suit the TUI.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// DONE + IDLE again after this long (under the server's 30 minutes; a dead connection
    /// shows at the latest then).
    pub refresh: Duration,
    /// First reconnect delay; doubles after each failure up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub connect: ConnectOptions,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            refresh: Duration::from_secs(28 * 60),
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            connect: ConnectOptions::default(),
        }
    }
}

/// The running watcher of one account. Dropping it stops the tasks too (at their next wake-up;
/// an IDLE in progress ends at once, since the stop signal is part of what it waits on).
#[derive(Debug)]
pub struct IdleWatcher {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl IdleWatcher {
    /// Stops every connection (DONE + LOGOUT where possible) and waits for the tasks.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Starts watching the account's `idle_folders` (INBOX when the list is empty). Events go to
/// `events`; a closed receiver stops the watcher.
pub fn spawn(
    account: Account,
    imap: ImapIncoming,
    events: mpsc::UnboundedSender<WatchEvent>,
    options: WatchOptions,
) -> IdleWatcher {
    let (stop, stop_rx) = watch::channel(false);
    let folders = if imap.idle_folders.is_empty() {
        vec!["INBOX".to_owned()]
    } else {
        imap.idle_folders.clone()
    };
    let tasks = folders
        .into_iter()
        .map(|folder| {
            tokio::spawn(watch_folder(
                account.clone(),
                imap.clone(),
                folder,
                events.clone(),
                options.clone(),
                stop_rx.clone(),
            ))
        })
        .collect();
    IdleWatcher { stop, tasks }
}

/// Resolves when the watcher is told to stop (or its owner is gone).
async fn stopped(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

async fn watch_folder(
    account: Account,
    imap: ImapIncoming,
    folder: String,
    events: mpsc::UnboundedSender<WatchEvent>,
    options: WatchOptions,
    stop: watch::Receiver<bool>,
) {
    let mut backoff = options.backoff;
    let idle_options = IdleOptions {
        refresh: options.refresh,
    };
    loop {
        if *stop.borrow() || events.is_closed() {
            return;
        }
        let error = match open(&account, &imap, &options.connect).await {
            Err(e) => crate::error::chain_line(&e),
            Ok(mut session) => {
                // The wire name: from LIST when the folder is there, else derived. Named as
                // the sync names it (`Lists` for Cyrus's `INBOX.Lists`), or in full.
                let name = match session.list_folders().await {
                    Ok(list) => {
                        let personal = create::personal_prefix(&list);
                        list.iter()
                            .find(|f| {
                                let short = personal_form(f, personal.as_deref());
                                convert::store_name(&short) == folder
                            })
                            .or_else(|| list.iter().find(|f| convert::store_name(f) == folder))
                            .map(|f| f.name.clone())
                            .unwrap_or_else(|| convert::server_name(&folder, None))
                    }
                    Err(_) => convert::server_name(&folder, None),
                };
                match session.select(&name).await {
                    Err(e) => crate::error::chain_line(&e),
                    Ok(_) => {
                        backoff = options.backoff;
                        let ev = WatchEvent::Watching {
                            account: account.name.clone(),
                            folder: folder.clone(),
                        };
                        if events.send(ev).is_err() {
                            session.logout().await;
                            return;
                        }
                        loop {
                            match session
                                .idle(&name, stopped(stop.clone()), &idle_options)
                                .await
                            {
                                Ok(IdleEvent::Changed(_)) => {
                                    let ev = WatchEvent::Changed {
                                        account: account.name.clone(),
                                        folder: folder.clone(),
                                    };
                                    if events.send(ev).is_err() {
                                        session.logout().await;
                                        return;
                                    }
                                }
                                Ok(IdleEvent::Stopped) => {
                                    session.logout().await;
                                    return;
                                }
                                Err(e) => break crate::error::chain_line(&e),
                            }
                        }
                    }
                }
            }
        };
        if *stop.borrow() {
            return;
        }
        let ev = WatchEvent::Disconnected {
            account: account.name.clone(),
            folder: folder.clone(),
            error,
            retry_in: backoff,
        };
        if events.send(ev).is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stopped(stop.clone()) => return,
        }
        backoff = (backoff * 2).min(options.max_backoff);
    }
}
