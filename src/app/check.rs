//! Every account checked: a clock per account ([`crate::config::Account::check_interval`])
//! that syncs it while the UI runs online — POP3 accounts, and for IMAP every folder (IDLE
//! covers only `idle_folders`; the engine's sync skips a folder whose UIDNEXT and
//! HIGHESTMODSEQ did not move, so a check of a quiet account costs a SELECT per folder). The
//! UI reloads counts and lists from the `FolderChanged` events the sync sends. When a sync
//! brings new mail, the account's `notify_command` runs in the background.
//!
//! What must hold: a check never starts a second sync of an account (it goes through
//! `start_sync`, which skips a running one); offline and demo mode never check; the notify
//! command gets the news only through environment variables (a subject can never become
//! shell code), runs detached from the UI (nothing waits for it), and its failure is logged,
//! never fatal.

use std::collections::HashMap;
use std::process::Stdio;

use tokio::time::Instant;

use crate::engine::sync::SyncSummary;
use crate::store::ListQuery;
use crate::ui::Event;

use super::{Backend, Mode};

/// When each account is next checked.
#[derive(Debug, Default)]
pub(super) struct CheckClock {
    due: HashMap<String, Instant>,
}

impl CheckClock {
    /// The earliest due time, if any account has a clock.
    pub(super) fn next(&self) -> Option<Instant> {
        self.due.values().min().copied()
    }
}

/// Waits until `at`; forever when there is no such time.
pub(super) async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What a notify command is told, one environment variable each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewMail {
    pub account: String,
    pub folder: String,
    pub count: u64,
    /// Of the newest message.
    pub from: String,
    pub subject: String,
}

impl NewMail {
    /// `POSTIE_ACCOUNT`, `POSTIE_FOLDER`, `POSTIE_COUNT`, `POSTIE_FROM`, `POSTIE_SUBJECT`;
    /// control characters (a folded header's line breaks) become spaces.
    pub(crate) fn vars(&self) -> Vec<(&'static str, String)> {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect()
        };
        vec![
            ("POSTIE_ACCOUNT", clean(&self.account)),
            ("POSTIE_FOLDER", clean(&self.folder)),
            ("POSTIE_COUNT", self.count.to_string()),
            ("POSTIE_FROM", clean(&self.from)),
            ("POSTIE_SUBJECT", clean(&self.subject)),
        ]
    }
}

/// Starts `command` with `sh -c`, the news in its environment, no terminal (stdin, stdout
/// and stderr are /dev/null: it must not draw over the UI). Must be called inside a tokio
/// runtime; the child is reaped by a task there. Never waits for it.
pub(crate) fn spawn_notify(command: &str, news: &NewMail) {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(news.vars())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match child {
        Ok(mut child) => {
            tokio::spawn(async move {
                match child.wait().await {
                    Ok(status) if !status.success() => {
                        tracing::warn!("notify_command ended with {status}");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("notify_command: {e}"),
                }
            });
        }
        Err(e) => tracing::warn!("cannot run notify_command: {e}"),
    }
}

impl Backend {
    /// Sets every account's clock running ([`Mode::Online`] only): first check one interval
    /// from now (start-up has its own sync).
    pub(super) fn start_clocks(&mut self) {
        if self.options.mode != Mode::Online {
            return;
        }
        let now = Instant::now();
        for name in &self.options.accounts {
            if let Some(every) = self
                .options
                .config
                .account(name)
                .and_then(|a| a.check_interval)
            {
                self.clock.due.insert(name.clone(), now + every);
            }
        }
    }

    /// Checks the accounts whose time has come, and sets their next time. `false` when the UI
    /// is gone.
    pub(super) async fn check_due(&mut self) -> bool {
        let now = Instant::now();
        let due: Vec<String> = self
            .clock
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(name, _)| name.clone())
            .collect();
        for name in due {
            let every = self
                .options
                .config
                .account(&name)
                .and_then(|a| a.check_interval);
            match every {
                Some(every) => self.clock.due.insert(name.clone(), now + every),
                None => self.clock.due.remove(&name),
            };
            // A sync already running is this check.
            if self.syncing.contains(&name) {
                continue;
            }
            let state = self.start_sync(&name, None);
            if !self
                .emit(Event::AccountState {
                    account: name,
                    state,
                })
                .await
            {
                return false;
            }
        }
        true
    }

    /// A sync of `account` finished with `summary`: runs its notify command when it brought new
    /// mail, unless it was the session's first sync of the account (that one brings what came
    /// while postie was not running, or the whole mailbox of a new account) or it refetched a
    /// renumbered folder (not new mail either).
    pub(super) fn notify_new_mail(&mut self, account: &str, summary: &SyncSummary) {
        let first = self.synced_once.insert(account.to_owned());
        if first || summary.new == 0 || !summary.renumbered.is_empty() {
            return;
        }
        let Some(command) = self
            .options
            .config
            .account(account)
            .and_then(|a| a.notify_command.clone())
        else {
            return;
        };
        let newest = self
            .store
            .list(&ListQuery {
                account: Some(account.to_owned()),
                folder: None,
                limit: Some(1),
                offset: 0,
            })
            .ok()
            .and_then(|mut v| v.pop());
        let news = NewMail {
            account: account.to_owned(),
            folder: newest
                .as_ref()
                .map(|m| m.folder.clone())
                .unwrap_or_default(),
            count: summary.new,
            from: newest
                .as_ref()
                .and_then(|m| m.from.first().cloned())
                .unwrap_or_default(),
            subject: newest.map(|m| m.subject).unwrap_or_default(),
        };
        let _runtime = self.network.enter();
        spawn_notify(&command, &news);
    }
}
