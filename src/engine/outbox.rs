//! The outbox: messages that could not be sent at once, sent later (issue #5) by
//! `postie outbox flush` and `postie sync`, with backoff between automatic attempts.
//!
//! Owns the order of a queued message's way out; the SMTP dialogue is `proto::smtp`, the rows
//! and files are the store's, the Sent copy is [`super::sent`].
//!
//! What must hold:
//! - A message leaves the outbox only after the server accepted it (2xx after DATA).
//! - A kill between acceptance and removal neither loses it nor sends it twice: acceptance is
//!   recorded at once ([`Store::record_accepted`], keyed by [`accepted_key`]), and a flush
//!   first clears out what was recorded as accepted instead of sending it again.
//! - The Outbox holds the Sent form of a message (a composed message keeps its Bcc header);
//!   Bcc fields are stripped just before submission, so no recipient ever sees them.
//! - A permanent refusal (5xx) is kept, marked refused with the server's words, and not
//!   retried automatically; a failed Sent copy is a warning, never a reason to resend.

use super::progress::{ProgressSink, SyncEvent};
use super::sent::{self, SentCopy};
use super::sync::SyncSummary;
use super::{AccountError, EngineError};
use crate::config::Account;
use crate::error::ErrorKind;
use crate::error::chain_line;
use crate::mail::compose::prepare_raw;
use crate::proto::smtp::{Envelope, Session, Submission};
use crate::store::{MessageId, OutboxItem, Store};

/// The first automatic retry waits this long after a failed flush attempt; each further
/// failure doubles it, up to [`MAX_RETRY_DELAY`].
pub const FIRST_RETRY_DELAY: i64 = 60;
/// The longest wait between automatic attempts.
pub const MAX_RETRY_DELAY: i64 = 3600;

/// The environment variable naming a failpoint (debug builds only; see [`failpoint`]).
pub const FAILPOINT_VAR: &str = "POSTIE_FAILPOINT";

/// What a flush should try.
#[derive(Debug, Clone, Default)]
pub struct FlushOptions {
    /// Ignore the backoff (an explicit `postie outbox flush`); sync leaves it false.
    pub force: bool,
    /// Only these messages, refused ones included (how a refused message is retried).
    pub only: Vec<MessageId>,
}

/// One message that is still in the outbox after the flush.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsent {
    pub id: MessageId,
    /// The one-line error (with the server's words where it refused).
    pub error: String,
    pub kind: ErrorKind,
    /// Refused for good: not retried automatically.
    pub refused: bool,
}

/// What one account's flush did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub account: String,
    /// Accepted by the server in this flush.
    pub sent: Vec<MessageId>,
    /// Found accepted by an earlier, interrupted flush: removed, not sent again.
    pub already_sent: Vec<MessageId>,
    /// Still queued: deferred (retry later) or refused.
    pub unsent: Vec<Unsent>,
    /// Queued but not tried: refused earlier, or their backoff has not run out.
    pub waiting: usize,
    /// Due, but not tried because the run is offline (`--offline`): no attempt is counted.
    pub held_offline: usize,
    /// Sent Copy failures and other things that did not stop the flush.
    pub warnings: Vec<String>,
}

/// How long to wait before the next automatic attempt after a failed one, given the attempts
/// made before it (the failed `postie send` that queued the message counts as the first, so
/// the first failed flush waits [`FIRST_RETRY_DELAY`], the next twice that, and so on).
pub fn retry_delay(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(16);
    (FIRST_RETRY_DELAY << doublings).min(MAX_RETRY_DELAY)
}

/// The key under which an outbox message's acceptance is recorded: its outbox id plus its
/// Message-ID. Per queued message, not per Message-ID alone, so that one prepared message
/// queued twice for different recipients (a script sending a file to each person) is sent
/// twice, as asked.
pub fn accepted_key(id: MessageId, message_id: Option<&str>) -> String {
    format!("outbox:{id}:{}", message_id.unwrap_or(""))
}

/// Test hook: aborts the process at the named point when `POSTIE_FAILPOINT` names it, to
/// simulate a kill there. Compiled only into debug builds (what the integration tests run).
pub fn failpoint(name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os(FAILPOINT_VAR).is_some_and(|v| v == name) {
        eprintln!("postie: failpoint {name}: aborting");
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// Puts a message in the account's outbox: `sent_form` is what the Sent folder should get (a
/// composed message's Bcc kept: it is stripped at submission), `envelope` the SMTP sender and
/// every recipient. `error`: why it could not go now (counted as the first attempt); the next
/// sync tries it, without waiting for a backoff. Returns its id (also its id in the `Outbox`
/// folder). For `postie send --queue` and the TUI's compose view.
pub fn queue(
    store: &mut Store,
    account: &Account,
    sent_form: &[u8],
    envelope: &Envelope,
    error: Option<&str>,
) -> Result<MessageId, crate::store::StoreError> {
    sent::register(store, account)?;
    let id = store.outbox_add(
        &account.name,
        sent_form,
        &envelope.from,
        &envelope.recipients,
    )?;
    if let Some(error) = error {
        store.outbox_retry_later(id, error, None)?;
    }
    Ok(id)
}

/// What `postie sync` runs for each account: an automatic flush (backoff respected, refused
/// messages left alone), reported through `summary` (count and warnings). Only a store failure
/// is an error: a server that cannot be reached leaves the messages queued, with a warning.
pub async fn flush(
    store: &mut Store,
    account: &Account,
    progress: &dyn ProgressSink,
    summary: &mut SyncSummary,
) -> Result<(), AccountError> {
    let report = flush_account(store, account, &FlushOptions::default(), progress).await?;
    summary.outbox_sent += report.sent.len() as u64;
    summary.warnings.extend(report.warnings);
    for u in &report.unsent {
        summary.warnings.push(unsent_line(u));
    }
    Ok(())
}

/// The user-facing line for a message still queued.
pub fn unsent_line(u: &Unsent) -> String {
    if u.refused {
        format!(
            "outbox message {id} was refused and stays in the outbox: {err} (fix it and retry \
             with `postie outbox flush {id}`, or remove it with `postie outbox drop {id}`)",
            id = u.id,
            err = u.error
        )
    } else {
        format!(
            "outbox message {} could not be sent and stays queued: {} (retried by \
             `postie sync`; `postie outbox flush` tries now)",
            u.id, u.error
        )
    }
}

/// Sends the account's due outbox messages over one SMTP session (a new one after a failed
/// message). Errors other than the store's are recorded on the messages and reported in the
/// [`FlushReport`].
pub async fn flush_account(
    store: &mut Store,
    account: &Account,
    options: &FlushOptions,
    progress: &dyn ProgressSink,
) -> Result<FlushReport, AccountError> {
    let store_err = |e: crate::store::StoreError| AccountError::new(&account.name, None, e);
    let mut report = FlushReport {
        account: account.name.clone(),
        ..FlushReport::default()
    };
    let now = now_secs();
    let queued = store.outbox(Some(&account.name)).map_err(store_err)?;
    let (due, waiting): (Vec<OutboxItem>, Vec<OutboxItem>) = queued.into_iter().partition(|item| {
        if options.only.is_empty() {
            !item.refused && (options.force || item.next_try.is_none_or(|t| t <= now))
        } else {
            options.only.contains(&item.id)
        }
    });
    report.waiting = if options.only.is_empty() {
        waiting.len()
    } else {
        0
    };
    if due.is_empty() {
        return Ok(report);
    }
    // Offline, a send attempt would only fail at the connection and count as an attempt
    // (pushing the next automatic try back): leave the messages exactly as they are.
    if !crate::net::offline::connections_allowed() {
        report.held_offline = due.len();
        report.warnings.push(format!(
            "offline: {} outbox {} not sent; they stay queued for a sync or `postie outbox \
             flush` without --offline",
            due.len(),
            if due.len() == 1 {
                "message"
            } else {
                "messages"
            }
        ));
        return Ok(report);
    }
    // Two flushes at once (cron's `postie sync` and a user's `postie outbox flush`) would both
    // send every message: one flush per store at a time; the other skips this round.
    let _lock = match FlushLock::try_take(store.data_dir()) {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            report.waiting += due.len();
            report
                .warnings
                .push("another postie is sending the outbox right now; left to it".to_owned());
            return Ok(report);
        }
        Err(e) => {
            return Err(AccountError::new(
                &account.name,
                None,
                crate::store::StoreError::io("lock the outbox", store.data_dir())(e),
            ));
        }
    };
    progress.event(SyncEvent::Started {
        account: account.name.clone(),
        folder: "Outbox".into(),
        total: Some(due.len() as u64),
    });

    // First the ones an interrupted flush already got accepted: clear them out, never resend.
    let mut to_send = Vec::new();
    for item in due {
        let message_id = match store.get(item.id) {
            Ok(m) => m.message_id,
            Err(e) => {
                report.warnings.push(format!(
                    "outbox message {} cannot be read ({e}); `postie outbox drop {}` removes it",
                    item.id, item.id
                ));
                continue;
            }
        };
        let key = accepted_key(item.id, message_id.as_deref());
        if store.was_accepted(&key).map_err(store_err)? {
            store
                .outbox_sent(item.id, !sent::on_server(account))
                .map_err(store_err)?;
            report.already_sent.push(item.id);
        } else {
            to_send.push((item, key));
        }
    }

    let mut session: Option<Session> = None;
    let mut submission: Option<Submission> = None;
    let mut remaining = to_send.into_iter();
    while let Some((item, key)) = remaining.next() {
        let stored = match store.read_raw(item.id) {
            Ok(bytes) => bytes,
            Err(e) => {
                report.warnings.push(format!(
                    "outbox message {} cannot be read ({e}); `postie outbox drop {}` removes it",
                    item.id, item.id
                ));
                continue;
            }
        };
        let wire = match prepare_raw(&stored, false) {
            Ok(p) => p.bytes,
            Err(e) => {
                let error = e.to_string();
                store.outbox_refused(item.id, &error).map_err(store_err)?;
                report.unsent.push(Unsent {
                    id: item.id,
                    error,
                    kind: e.kind(),
                    refused: true,
                });
                continue;
            }
        };
        if session.is_none() {
            let connected = match &submission {
                Some(s) => s.connect().await.map_err(EngineError::from),
                None => match connect(account).await {
                    Ok((s, sess)) => {
                        submission = Some(s);
                        Ok(sess)
                    }
                    Err(e) => Err(e),
                },
            };
            match connected {
                Ok(s) => session = Some(s),
                Err(e) => {
                    // Not this message's fault: everything left waits for the next try.
                    let kind = e.kind();
                    let error = chain_line(&e);
                    for it in std::iter::once(item).chain(remaining.by_ref().map(|(i, _)| i)) {
                        defer(store, &it, &error).map_err(store_err)?;
                        report.unsent.push(Unsent {
                            id: it.id,
                            error: error.clone(),
                            kind,
                            refused: false,
                        });
                    }
                    break;
                }
            }
        }
        let Some(live) = session.as_mut() else {
            break;
        };
        let envelope = Envelope {
            from: item.sender.clone(),
            recipients: item.recipients.clone(),
        };
        match live.send(&envelope, &wire).await {
            Ok(accepted) => {
                store
                    .record_accepted(&key, &account.name)
                    .map_err(store_err)?;
                failpoint("outbox-after-accept");
                tracing::info!(id = item.id, reply = %accepted.reply, "outbox: accepted");
                report.sent.push(item.id);
                progress.event(SyncEvent::Progress {
                    account: account.name.clone(),
                    folder: "Outbox".into(),
                    done: report.sent.len() as u64,
                    total: None,
                    bytes: 0,
                });
                finish_sent(store, account, item.id, &stored, &mut report).await?;
            }
            Err(e) => {
                session = None; // closed by Session::send on any error
                let kind = e.kind();
                let error = chain_line(&e);
                let refused = !kind.is_retryable();
                if refused {
                    store.outbox_refused(item.id, &error).map_err(store_err)?;
                } else {
                    defer(store, &item, &error).map_err(store_err)?;
                }
                report.unsent.push(Unsent {
                    id: item.id,
                    error,
                    kind,
                    refused,
                });
            }
        }
    }
    if let Some(s) = session {
        s.quit().await;
    }
    let mut summary = format!("{} sent", report.sent.len());
    if !report.unsent.is_empty() {
        summary.push_str(&format!(", {} still queued", report.unsent.len()));
    }
    progress.event(SyncEvent::Finished {
        account: account.name.clone(),
        folder: "Outbox".into(),
        summary,
    });
    Ok(report)
}

/// An exclusive lock on `<data_dir>/outbox.lock`, released when dropped (or when the process
/// dies: the kernel drops the lock with the file). Kept apart from the per-account lock of
/// [`super::lock`] on purpose: a flush inside `postie sync` already runs under that one, and a
/// standalone flush (`postie outbox flush`, `postie send`) only sends, so it need not wait for
/// a long download; two flushes are what would send twice, and this lock stops that.
struct FlushLock {
    _file: std::fs::File,
}

impl FlushLock {
    /// `Ok(None)` when another process holds it.
    fn try_take(data_dir: &std::path::Path) -> std::io::Result<Option<FlushLock>> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(data_dir.join("outbox.lock"))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(FlushLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

/// The password (or token) and the first session for the account's outgoing server.
async fn connect(account: &Account) -> Result<(Submission, Session), EngineError> {
    let outgoing = account
        .outgoing
        .as_ref()
        .ok_or(EngineError::NotConfigured {
            what: "outgoing server",
        })?;
    let server = &outgoing.server;
    super::login::with_token_retry(&account.name, server, |fresh| async move {
        let secret = super::login::login_secret(&account.name, server, fresh).await?;
        let submission = super::login::submission(server, secret);
        let session = submission.connect().await?;
        Ok((submission, session))
    })
    .await
}

/// After acceptance: the Sent copy, then out of the outbox. For IMAP accounts the copy is
/// APPENDed and the local file dropped; for the others the outbox file itself moves to the
/// local Sent folder (one rename: the copy and the removal cannot part).
async fn finish_sent(
    store: &mut Store,
    account: &Account,
    id: MessageId,
    stored: &[u8],
    report: &mut FlushReport,
) -> Result<(), AccountError> {
    let store_err = |e: crate::store::StoreError| AccountError::new(&account.name, None, e);
    if sent::on_server(account) {
        match sent::save_copy(None, account, stored).await {
            Ok(SentCopy::Server { .. } | SentCopy::Local) => {}
            Err(e) => report.warnings.push(format!(
                "outbox message {id} was sent, but its Sent copy could not be saved: {}",
                chain_line(&e)
            )),
        }
        store.outbox_sent(id, false).map_err(store_err)
    } else {
        match store.outbox_sent(id, true) {
            Ok(()) => Ok(()),
            Err(e) => {
                report.warnings.push(format!(
                    "outbox message {id} was sent, but its Sent copy could not be saved: {e}"
                ));
                // Make sure it leaves the outbox even when the move failed.
                match store.outbox_item(id) {
                    Ok(Some(_)) => store.outbox_drop(id).map_err(store_err),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// Records a failure worth retrying, with the next automatic try put off by the backoff.
fn defer(
    store: &mut Store,
    item: &OutboxItem,
    error: &str,
) -> Result<(), crate::store::StoreError> {
    let next = now_secs() + retry_delay(item.attempts);
    store.outbox_retry_later(item.id, error, Some(next))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(retry_delay(0), 60);
        assert_eq!(retry_delay(1), 60);
        assert_eq!(retry_delay(2), 120);
        assert_eq!(retry_delay(3), 240);
        assert_eq!(retry_delay(7), 3600);
        assert_eq!(retry_delay(u32::MAX), 3600);
    }

    #[test]
    fn accepted_key_is_per_queued_message() {
        assert_ne!(
            accepted_key(1, Some("<a@x>")),
            accepted_key(2, Some("<a@x>"))
        );
        assert_eq!(accepted_key(3, None), "outbox:3:");
    }
}
