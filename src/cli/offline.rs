//! What the offline commands (`folders`, `list`, `read`, `search`, `flag`, `move`, `delete`,
//! `demo`) share: opening the store for a config, their error type, and the text and JSON
//! forms of a message row.
//!
//! These commands read and write only the local store; the network parts (fetching a missing
//! body, replaying queued actions) belong to the engine.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::config::Config;
use crate::error::ErrorKind;
use crate::mail::Flag;
use crate::store::{MessageSummary, Progress, Store, StoreError};

/// Why an offline command failed.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write to standard output")]
    Output(#[source] io::Error),
    /// Arguments that parsed but cannot be used (exit 64).
    #[error("{0}")]
    Usage(String),
}

impl OfflineError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            OfflineError::Store(e) => e.kind(),
            OfflineError::Output(_) => ErrorKind::Io,
            OfflineError::Usage(_) => ErrorKind::Usage,
        }
    }
}

impl From<io::Error> for OfflineError {
    fn from(e: io::Error) -> OfflineError {
        OfflineError::Output(e)
    }
}

/// Runs an offline command body against buffered standard output and maps the result to the
/// CLI's: a closed pipe (`postie list | head`) is success, like `write_stdout`.
pub fn run_to_stdout(
    body: impl FnOnce(&mut dyn Write) -> Result<(), OfflineError>,
) -> Result<ExitCode, super::CliError> {
    let mut out = BufWriter::new(io::stdout().lock());
    let result = body(&mut out).and_then(|()| out.flush().map_err(OfflineError::Output));
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(OfflineError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens the store of `config`, registers its accounts and picks up changes other programs
/// made. A rebuild (missing or corrupt index) shows a progress line on a terminal.
pub fn open_store(config: &Config) -> Result<Store, OfflineError> {
    let mut store = open_store_unrefreshed(config)?;
    store.refresh()?;
    Ok(store)
}

/// [`open_store`] without the pick-up of other programs' changes, for `postie sync`, which
/// indexes Maildir accounts itself so it can say how many messages that was.
pub fn open_store_unrefreshed(config: &Config) -> Result<Store, OfflineError> {
    let tty = io::stderr().is_terminal();
    let mut last = 0u64;
    let mut progress = |p: Progress| {
        if tty && p.total > 0 && (p.done == p.total || p.done >= last + 500) {
            last = p.done;
            eprint!("\rindexing {}/{} messages", p.done, p.total);
            if p.done == p.total {
                eprintln!();
            }
        }
    };
    let mut store = Store::open_with_progress(&config.data_dir, &mut progress)?;
    store.register_accounts(config)?;
    Ok(store)
}

/// The account a command means when `--account` is not given: the config's default (first).
pub fn default_account(config: &Config) -> Option<String> {
    config.accounts.first().map(|a| a.name.clone())
}

/// Fails with a usage error when `--account` names an account the config does not have.
pub fn check_account(config: &Config, account: Option<&str>) -> Result<(), OfflineError> {
    match account {
        Some(a) if !config.accounts.is_empty() && !config.accounts.iter().any(|c| c.name == a) => {
            Err(OfflineError::Usage(format!(
                "no account named {a:?} in the config"
            )))
        }
        _ => Ok(()),
    }
}

/// The `--json` object of a message (SPEC.md: id, account, folder, date, from, to, subject,
/// flags, has_body; plus cc, message_id and size). `from` is one string (all From addresses
/// joined by ", "); `to` and `cc` are arrays of `Name <addr>` strings; `date` is RFC 3339 in
/// the message's own zone, or null.
pub fn message_json(m: &MessageSummary) -> Value {
    json!({
        "id": m.id,
        "account": m.account,
        "folder": m.folder,
        "date": m.date_rfc3339(),
        "from": m.from_display(),
        "to": m.to,
        "cc": m.cc,
        "subject": m.subject,
        "flags": m.flags.names(),
        "has_body": m.has_body,
        "message_id": m.message_id,
        "size": m.size,
    })
}

/// Prints a JSON array of messages.
pub fn write_json_messages(out: &mut dyn Write, msgs: &[MessageSummary]) -> io::Result<()> {
    let arr: Vec<Value> = msgs.iter().map(message_json).collect();
    serde_json::to_writer_pretty(&mut *out, &arr)?;
    writeln!(out)
}

/// One text line per message: id, local date, flags (N unseen, F flagged, R answered,
/// T deleted, D draft), sender, subject.
pub fn write_text_messages(out: &mut dyn Write, msgs: &[MessageSummary]) -> io::Result<()> {
    for m in msgs {
        let date = m
            .date
            .and_then(|d| chrono::DateTime::from_timestamp(d, 0))
            .map(|d| {
                d.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|| "-".repeat(16));
        let from = m.from.first().map(|f| short_name(f)).unwrap_or_default();
        writeln!(
            out,
            "{:>6}  {}  {:<4}  {:<24}  {}",
            m.id,
            date,
            flag_column(m),
            clip(&sanitize(&from), 24),
            sanitize(&m.subject)
        )?;
    }
    Ok(())
}

fn flag_column(m: &MessageSummary) -> String {
    let mut s = String::new();
    if !m.flags.contains(Flag::Seen) {
        s.push('N');
    }
    for (flag, c) in [
        (Flag::Flagged, 'F'),
        (Flag::Answered, 'R'),
        (Flag::Deleted, 'T'),
        (Flag::Draft, 'D'),
    ] {
        if m.flags.contains(flag) {
            s.push(c);
        }
    }
    s
}

/// `Name <addr>` -> `Name`; a bare address stays.
fn short_name(display: &str) -> String {
    match display.rfind(" <") {
        Some(pos) if display.ends_with('>') && pos > 0 => display[..pos].to_owned(),
        _ => display.to_owned(),
    }
}

/// Cuts to `width` chars, marking the cut with `…`.
pub fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Replaces control characters (except newline and tab) so a hostile message cannot send
/// escape sequences to the user's terminal.
///
/// A CR right before an LF is a line end (every message downloaded by IMAP or POP3 is stored
/// with CRLF), so CRLF folds to LF; a lone CR elsewhere could move the cursor back over the
/// line and is replaced like any other control character.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        out.push(if c.is_control() && c != '\n' && c != '\t' {
            '\u{FFFD}'
        } else {
            c
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn sanitize_folds_crlf_and_replaces_other_controls() {
        assert_eq!(sanitize("one\r\ntwo\r\n\r\n"), "one\ntwo\n\n");
        assert_eq!(sanitize("tab\there\n"), "tab\there\n");
        assert_eq!(
            sanitize("lone\rcr \x1b[2J end\r"),
            "lone\u{FFFD}cr \u{FFFD}[2J end\u{FFFD}"
        );
        assert_eq!(sanitize("\r\r\n"), "\u{FFFD}\n");
    }
}
