//! `postie outbox [list|flush|drop]`: what is queued for sending, sending it now, and removing
//! a message the user gave up on.
//!
//! This file owns the arguments and the output; sending is `engine::outbox`, the queue is the
//! store's. A flush here ignores the backoff (the user asked for it now); `postie sync` keeps it.
//! Offline (`--offline`) a flush sends nothing, says so and exits 75 when messages wait (0 when
//! the outbox is empty).

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

use super::offline::{OfflineError, open_store, run_to_stdout};
use super::{CliError, Context, block_on, exit_code, write_stdout};
use crate::engine::outbox::{FlushOptions, flush_account, unsent_line};
use crate::engine::progress::NoProgress;
use crate::mail::envelope::rfc3339;
use crate::store::{MessageId, OutboxItem, Store};

/// Show the messages queued for sending (default), send them now, or drop one.
#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub action: Option<OutboxAction>,
}

#[derive(Debug, clap::Subcommand)]
pub enum OutboxAction {
    /// List queued messages: id, account, date queued, attempts, state, recipients, subject,
    /// and the last error.
    List {
        /// Only this account.
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
        /// Print a JSON array of {id, account, date, sender, recipients, subject, attempts,
        /// last_error, next_try, refused}.
        #[arg(long)]
        json: bool,
    },
    /// Send queued messages now, ignoring the wait between automatic retries. Messages the
    /// server refused are sent again only when named by ID.
    Flush {
        /// Only this account.
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
        /// Only these messages (refused ones included).
        #[arg(value_name = "ID")]
        ids: Vec<MessageId>,
    },
    /// Remove queued messages without sending them (their local copies are deleted).
    Drop {
        #[arg(value_name = "ID", required = true)]
        ids: Vec<MessageId>,
    },
}

pub fn run(ctx: &Context, args: OutboxArgs) -> Result<ExitCode, CliError> {
    let config = ctx.load_config()?;
    match args.action.unwrap_or(OutboxAction::List {
        account: None,
        json: false,
    }) {
        OutboxAction::List { account, json } => run_to_stdout(|out| {
            let store = open_store(&config)?;
            let items = store.outbox(account.as_deref())?;
            if json {
                write_json(&store, &items, out)
            } else {
                write_text(&store, &items, out)
            }
        }),
        OutboxAction::Flush { account, ids } => flush(&config, account.as_deref(), ids),
        OutboxAction::Drop { ids } => {
            let mut store = open_store(&config)?;
            for &id in &ids {
                if store.outbox_item(id).map_err(OfflineError::from)?.is_none() {
                    return Err(OfflineError::Usage(format!(
                        "no message {id} in the outbox (see `postie outbox list`)"
                    ))
                    .into());
                }
            }
            for &id in &ids {
                store.outbox_drop(id).map_err(OfflineError::from)?;
            }
            write_stdout(format!("dropped {} from the outbox\n", ids.len()).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn flush(
    config: &crate::config::Config,
    account: Option<&str>,
    ids: Vec<MessageId>,
) -> Result<ExitCode, CliError> {
    let accounts: Vec<_> = match account {
        Some(name) => vec![config.require_account(Some(name))?.clone()],
        None => config.accounts.clone(),
    };
    let mut store = open_store(config)?;
    for &id in &ids {
        let item = store.outbox_item(id).map_err(OfflineError::from)?;
        if !item.is_some_and(|i| accounts.iter().any(|a| a.name == i.account)) {
            return Err(OfflineError::Usage(format!(
                "no message {id} in the outbox{} (see `postie outbox list`)",
                account
                    .map(|a| format!(" of account {a}"))
                    .unwrap_or_default()
            ))
            .into());
        }
    }
    let options = FlushOptions {
        force: true,
        only: ids,
    };
    let reports = block_on(async {
        let mut reports = Vec::new();
        for account in &accounts {
            reports.push(
                flush_account(&mut store, account, &options, &NoProgress)
                    .await
                    .map_err(Box::new)?,
            );
        }
        Ok::<_, Box<crate::engine::AccountError>>(reports)
    })??;
    // Offline: the engine tried nothing and changed nothing; one line says so, and the exit
    // status is sendmail's "not sent now, still queued".
    let held: usize = reports.iter().map(|r| r.held_offline).sum();
    if held > 0 {
        eprintln!(
            "postie: offline: nothing sent; {} in the outbox (`postie outbox flush` without \
             --offline sends them)",
            super::plural::count(held as u64, "message stays", "messages stay")
        );
        return Ok(ExitCode::from(super::send::EX_TEMPFAIL));
    }
    let mut lines = String::new();
    let mut status = ExitCode::SUCCESS;
    let mut worst: Option<crate::error::ErrorKind> = None;
    for r in &reports {
        for w in &r.warnings {
            eprintln!("postie: warning: account {}: {w}", r.account);
        }
        for u in &r.unsent {
            eprintln!("postie: account {}: {}", r.account, unsent_line(u));
            worst.get_or_insert(u.kind);
        }
        if r.sent.is_empty() && r.unsent.is_empty() && r.already_sent.is_empty() {
            continue;
        }
        let mut parts = vec![format!("{} sent", r.sent.len())];
        if !r.already_sent.is_empty() {
            parts.push(format!(
                "{} already accepted earlier (removed, not sent again)",
                r.already_sent.len()
            ));
        }
        if !r.unsent.is_empty() {
            parts.push(format!("{} still queued", r.unsent.len()));
        }
        lines.push_str(&format!("{}: {}\n", r.account, parts.join(", ")));
    }
    if lines.is_empty() {
        let waiting: usize = reports.iter().map(|r| r.waiting).sum();
        lines = if waiting > 0 {
            format!(
                "nothing sent: {} in the outbox (see `postie outbox list`); a refused one is \
                 retried only by `postie outbox flush ID`, or removed by `postie outbox drop ID`\n",
                super::plural::count(waiting as u64, "message waits", "messages wait")
            )
        } else {
            "the outbox is empty\n".to_owned()
        };
    }
    write_stdout(lines.as_bytes())?;
    if let Some(kind) = worst {
        status = ExitCode::from(if kind.is_retryable() {
            super::send::EX_TEMPFAIL
        } else {
            exit_code(kind)
        });
    }
    Ok(status)
}

fn subject_of(store: &Store, id: MessageId) -> String {
    store.get(id).map(|m| m.subject).unwrap_or_default()
}

fn state(item: &OutboxItem) -> &'static str {
    if item.refused {
        "refused"
    } else if item.attempts == 0 {
        "queued"
    } else {
        "retrying"
    }
}

fn write_text(
    store: &Store,
    items: &[OutboxItem],
    out: &mut dyn Write,
) -> Result<(), OfflineError> {
    if items.is_empty() {
        writeln!(out, "the outbox is empty")?;
        return Ok(());
    }
    for item in items {
        writeln!(
            out,
            "{:>6}  {}  {}  {} attempt{}  {}  to {}  {}",
            item.id,
            item.account,
            rfc3339(item.created, 0).unwrap_or_default(),
            item.attempts,
            if item.attempts == 1 { "" } else { "s" },
            state(item),
            item.recipients.join(", "),
            subject_of(store, item.id),
        )?;
        if let Some(err) = &item.last_error {
            writeln!(out, "        last error: {err}")?;
        }
    }
    Ok(())
}

fn write_json(
    store: &Store,
    items: &[OutboxItem],
    out: &mut dyn Write,
) -> Result<(), OfflineError> {
    let rows: Vec<_> = items
        .iter()
        .map(|item| {
            json!({
                "id": item.id,
                "account": item.account,
                "date": rfc3339(item.created, 0),
                "sender": item.sender,
                "recipients": item.recipients,
                "subject": subject_of(store, item.id),
                "attempts": item.attempts,
                "last_error": item.last_error,
                "next_try": item.next_try.and_then(|t| rfc3339(t, 0)),
                "refused": item.refused,
            })
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&rows).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    out.write_all(&bytes)?;
    Ok(())
}
