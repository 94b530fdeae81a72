//! `postie sync [--account A] [--folder F] [--json]`: one-shot sync of every account (or one).
//!
//! Accounts are synced one after another; a failing account is reported (one line naming the
//! account and server) and the others still run. The exit status is that of the first
//! failure's kind, or 0.
//!
//! Offline (`--offline`): the store still picks up what changed on disk, Maildir accounts are
//! rescanned (their outbox stays queued), and the IMAP and POP3 accounts are not contacted:
//! one line on stderr names them, and the exit status is 0 (nothing failed; a script run
//! offline asked for exactly this).

use std::process::ExitCode;

use super::offline::{OfflineError, open_store_unrefreshed};
use super::plural::{count, plural};
use super::sync_progress::{TerminalProgress, human_bytes};
use super::{CliError, Context, block_on, error_line, exit_code, write_stdout};
use crate::config::Incoming;
use crate::engine::sync::{SyncOptions, SyncSummary, sync_account};

/// Download new mail (POP3, IMAP), push changes made offline, and send the outbox.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Only this account (default: all accounts).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Only this folder (IMAP accounts).
    #[arg(long, value_name = "FOLDER")]
    pub folder: Option<String>,
    /// Print a JSON array of per-account summaries instead of lines.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: SyncArgs) -> Result<ExitCode, CliError> {
    let config = ctx.load_config()?;
    let accounts: Vec<_> = match &args.account {
        Some(name) => vec![config.require_account(Some(name))?.clone()],
        None => {
            config.require_account(None)?;
            config.accounts.clone()
        }
    };
    // Offline, only the accounts that need no server are synced (a Maildir account's outbox
    // is held by the engine); the rest are named once, not reported as failures.
    let (accounts, not_contacted): (Vec<_>, Vec<_>) = accounts
        .into_iter()
        .partition(|a| crate::net::offline::connections_allowed() || a.incoming_server().is_none());
    let mut store = open_store_unrefreshed(&config)?;
    // Other programs' changes to the folders of network accounts (cheap when there are none);
    // a Maildir account is indexed by its own sync, which counts what it found.
    for account in config
        .accounts
        .iter()
        .filter(|a| !matches!(a.incoming, Incoming::Maildir(_)))
    {
        store
            .refresh_account(&account.name, false, &mut |_| {})
            .map_err(OfflineError::from)?;
    }
    let options = SyncOptions {
        folder: args.folder.clone(),
    };
    let progress = TerminalProgress::new(args.json);
    let total = accounts.len();
    let (summaries, failures) = block_on(async {
        let mut summaries = Vec::new();
        let mut failures = Vec::new();
        for account in &accounts {
            match sync_account(&mut store, account, &options, &progress).await {
                Ok(summary) => summaries.push(summary),
                Err(err) => {
                    eprintln!("postie: {}", error_line(&err));
                    failures.push(err.kind());
                }
            }
        }
        (summaries, failures)
    })?;
    for summary in &summaries {
        for warning in &summary.warnings {
            eprintln!("postie: warning: account {}: {warning}", summary.account);
        }
    }
    if !not_contacted.is_empty() {
        let names: Vec<&str> = not_contacted.iter().map(|a| a.name.as_str()).collect();
        eprintln!(
            "postie: offline: {} not contacted ({}); run `postie sync` without --offline to \
             sync them",
            count(names.len() as u64, "account", "accounts"),
            names.join(", ")
        );
    }
    if args.json {
        let mut json = serde_json::to_vec_pretty(&summaries)
            .map_err(|e| CliError::Stdout(std::io::Error::other(e)))?;
        json.push(b'\n');
        write_stdout(&json)?;
    } else {
        let text: String = summaries.iter().map(|s| summary_line(s) + "\n").collect();
        write_stdout(text.as_bytes())?;
    }
    match failures.first() {
        None => Ok(ExitCode::SUCCESS),
        Some(&kind) => {
            if failures.len() == 1 && total == 1 {
                // The one account's error line is already out; just the status.
                Ok(ExitCode::from(exit_code(kind)))
            } else {
                Err(CliError::SyncFailed {
                    failed: failures.len(),
                    total,
                    kind,
                })
            }
        }
    }
}

/// `work: 12 new messages (1.2 MiB), 3 deleted on the server, 2 flag changes`: only what
/// happened is named, with correct plurals; `work: nothing new` when nothing happened.
fn summary_line(s: &SyncSummary) -> String {
    let mut parts = Vec::new();
    if s.new > 0 || s.bytes > 0 {
        let mut new = format!("{} new {}", s.new, plural(s.new, "message", "messages"));
        if s.bytes > 0 {
            new.push_str(&format!(" ({})", human_bytes(s.bytes)));
        }
        parts.push(new);
    }
    if s.indexed > 0 {
        parts.push(format!(
            "{} indexed",
            count(s.indexed, "message", "messages")
        ));
    }
    for (n, one, many) in [
        (
            s.unindexed,
            "gone from the Maildir",
            "gone from the Maildir",
        ),
        (s.deleted, "deleted on the server", "deleted on the server"),
        (s.flags_changed, "flag change", "flag changes"),
        (s.expunged, "expunged", "expunged"),
        (
            s.actions_replayed,
            "offline action sent",
            "offline actions sent",
        ),
        (
            s.outbox_sent,
            "sent from the outbox",
            "sent from the outbox",
        ),
    ] {
        if n > 0 {
            parts.push(format!("{n} {}", plural(n, one, many)));
        }
    }
    // Each warning is on its own line above; the count keeps them from going unnoticed.
    match s.warnings.len() {
        0 => {}
        1 => parts.push("1 warning".to_owned()),
        n => parts.push(format!("{n} warnings")),
    }
    if parts.is_empty() {
        parts.push("nothing new".to_owned());
    }
    format!("{}: {}", s.account, parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::summary_line;
    use crate::engine::sync::SyncSummary;

    fn summary() -> SyncSummary {
        SyncSummary {
            account: "work".to_owned(),
            protocol: "imap",
            ..SyncSummary::default()
        }
    }

    #[test]
    fn nothing_done_says_so_in_words() {
        assert_eq!(summary_line(&summary()), "work: nothing new");
    }

    #[test]
    fn counts_use_the_singular_for_one() {
        let one = SyncSummary {
            new: 1,
            bytes: 1536,
            deleted: 1,
            flags_changed: 1,
            actions_replayed: 1,
            ..summary()
        };
        assert_eq!(
            summary_line(&one),
            "work: 1 new message (1.5 KiB), 1 deleted on the server, 1 flag change, 1 offline action sent"
        );
        let two = SyncSummary {
            new: 2,
            flags_changed: 2,
            actions_replayed: 2,
            ..summary()
        };
        assert_eq!(
            summary_line(&two),
            "work: 2 new messages, 2 flag changes, 2 offline actions sent"
        );
    }

    #[test]
    fn a_maildir_sync_says_how_many_it_indexed() {
        let local = SyncSummary {
            account: "local".to_owned(),
            protocol: "maildir",
            indexed: 100_000,
            unindexed: 1,
            ..SyncSummary::default()
        };
        assert_eq!(
            summary_line(&local),
            "local: 100000 messages indexed, 1 gone from the Maildir"
        );
    }
}
