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

use super::offline::open_store;
use super::sync_progress::{TerminalProgress, human_bytes};
use super::{CliError, Context, block_on, error_line, exit_code, write_stdout};
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
    let mut store = open_store(&config)?;
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
            "postie: offline: {} account(s) not contacted ({}); run `postie sync` without \
             --offline to sync them",
            names.len(),
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

/// `work: 12 new (1.2 MiB), 3 deleted, 2 flag changes, 1 warning` — only what happened is
/// named.
fn summary_line(s: &SyncSummary) -> String {
    let mut parts = vec![format!("{} new", s.new)];
    if s.bytes > 0 {
        parts[0].push_str(&format!(" ({})", human_bytes(s.bytes)));
    }
    for (n, what) in [
        (s.deleted, "deleted on the server"),
        (s.flags_changed, "flag changes"),
        (s.expunged, "expunged"),
        (s.actions_replayed, "offline actions sent"),
        (s.outbox_sent, "sent from the outbox"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    // Each warning is on its own line above; the count keeps them from going unnoticed.
    match s.warnings.len() {
        0 => {}
        1 => parts.push("1 warning".to_owned()),
        n => parts.push(format!("{n} warnings")),
    }
    format!("{}: {}", s.account, parts.join(", "))
}
