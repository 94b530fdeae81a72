//! POP3 download into the local store (issue #4): keep and delete modes.
//!
//! One session per sync: connect (`session`), LIST and UIDL, one key per message (`keys`: the
//! UIDL; a made key where the server repeats a UIDL; Message-ID + size + a hash of `TOP n 0`
//! without UIDL), then every message whose key the store has not recorded is retrieved with
//! pipelined RETRs, measured against its LIST size (`size_check`) and delivered into
//! `<account>/INBOX` in batches (`download`), then DELE where the mode says so, then QUIT.
//!
//! What must hold:
//! - Nothing is downloaded twice: a key is recorded in the same index transaction as its
//!   message row, after the file is durable ([`Store::deliver_batch`]); files a killed run left
//!   behind carry their key in their name and are picked up ([`Store::refresh`]) before the
//!   keys are compared.
//! - Nothing is lost: a message number is DELEd only if *that number's* bytes are stored: it
//!   was delivered whole in this session, or its key (unique in this listing, so it names this
//!   one message) was recorded by an earlier one. Never a message whose copy is suspect (cut
//!   short or far longer than LIST said), in this sync or any later one. DELE comes after the
//!   download ended, and deletion happens only at a successful QUIT: a session that breaks
//!   never reaches QUIT, so the server deletes nothing.
//! - keep mode never sends DELE, except for `leave_on_server_days`, and then only for
//!   messages recorded as downloaded more than that many days ago, by the same rule.
//!
//! Owns no protocol parsing (that is [`crate::proto::pop3`]) and no file layout (the store's).

mod download;
mod keys;
mod session;
mod size_check;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::progress::{ProgressSink, SyncEvent};
use super::sync::SyncSummary;
use super::{AccountError, EngineError};
use crate::config::{Account, Pop3Incoming, Pop3Mode};
use crate::proto::pop3::{ClientOptions, Pop3Client};
use crate::store::Store;

pub use keys::fallback_key;

/// The folder POP3 mail is delivered into.
pub const INBOX: &str = "INBOX";

/// Limits of one POP3 sync. `Default` is what `postie sync` uses; tests lower them.
#[derive(Debug, Clone)]
pub struct Pop3Limits {
    /// A message larger than this (by the server's LIST size) is left on the server with a
    /// warning instead of failing the sync.
    pub max_message_bytes: u64,
    /// A batch is delivered (fsynced and recorded) when it holds this many messages...
    pub batch_messages: usize,
    /// ... or this many bytes, or when its first message has waited this long.
    pub batch_bytes: usize,
    pub batch_age: Duration,
    /// Longest wait for the server while a reply is due.
    pub read_timeout: Duration,
    /// RETRs kept in flight when the server offers PIPELINING.
    pub pipeline_window: usize,
    /// The minimum throughput and per-reply deadline (tests use small ones).
    pub pace: crate::net::PaceLimits,
}

impl Default for Pop3Limits {
    fn default() -> Self {
        Pop3Limits {
            max_message_bytes: 256 * 1024 * 1024,
            // Each batch costs one syncfs(2): few, large batches on a fast link; the age
            // bound keeps a slow link's messages from waiting long to become durable.
            batch_messages: 2000,
            batch_bytes: 32 * 1024 * 1024,
            batch_age: Duration::from_secs(2),
            read_timeout: crate::net::IO_TIMEOUT,
            pipeline_window: 64,
            pace: crate::net::PaceLimits::default(),
        }
    }
}

impl Pop3Limits {
    fn client_options(&self) -> ClientOptions {
        ClientOptions {
            read_timeout: self.read_timeout,
            // Room for the LIST size being a little off (LF vs CRLF counts); the real cap on
            // what is downloaded is the LIST check in `plan`.
            max_message_bytes: usize::try_from(self.max_message_bytes)
                .unwrap_or(usize::MAX)
                .saturating_mul(2)
                .max(64 * 1024),
            pipeline_window: self.pipeline_window,
            pace: self.pace,
        }
    }
}

/// Downloads every message not yet in the store; in delete mode, deletes what is durable.
pub async fn sync(
    store: &mut Store,
    account: &Account,
    pop3: &Pop3Incoming,
    progress: &dyn ProgressSink,
    summary: &mut SyncSummary,
) -> Result<(), AccountError> {
    sync_with(
        store,
        account,
        pop3,
        &Pop3Limits::default(),
        progress,
        summary,
    )
    .await
}

/// [`sync`] with explicit limits.
pub async fn sync_with(
    store: &mut Store,
    account: &Account,
    pop3: &Pop3Incoming,
    limits: &Pop3Limits,
    progress: &dyn ProgressSink,
    summary: &mut SyncSummary,
) -> Result<(), AccountError> {
    let server = &pop3.server;
    let fail = |e: EngineError| AccountError::new(&account.name, Some(server), e);
    let client = session::open(account, server, limits.client_options())
        .await
        .map_err(fail)?;
    let before = summary.warnings.len();
    let result = run(store, account, pop3, client, limits, progress, summary).await;
    if result.is_err() {
        // A failed sync's summary is not shown; what it found out (a message cut short, a
        // repeated UIDL) is said now, before the error, so it is not lost with it.
        for message in summary.warnings.drain(before..) {
            progress.event(SyncEvent::Warning {
                account: account.name.clone(),
                message,
            });
        }
    }
    result.map_err(fail)
}

/// The session after login: works over any stream, so it is tested over fakes too.
pub(crate) async fn run<S>(
    store: &mut Store,
    account: &Account,
    pop3: &Pop3Incoming,
    mut client: Pop3Client<S>,
    limits: &Pop3Limits,
    progress: &dyn ProgressSink,
    summary: &mut SyncSummary,
) -> Result<(), EngineError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let name = account.name.as_str();
    // Files a killed run made durable but did not record carry their UIDL in their names:
    // pick them up first, so they are not downloaded again.
    download::blocking(|| store.refresh())?;
    let folder = download::blocking(|| store.ensure_folder(name, INBOX))?;

    let sizes: HashMap<u32, u64> = client
        .list()
        .await?
        .into_iter()
        .map(|e| (e.number, e.size))
        .collect();
    let known = download::blocking(|| store.known_uidls(name))?;
    let recorded_sizes = download::blocking(|| store.uidl_sizes(name))?;
    let recorded = keys::Recorded {
        keys: &known,
        sizes: &recorded_sizes,
    };
    let keys = keys::server_keys(&mut client, &sizes, &recorded, summary).await?;
    let suspect = download::blocking(|| store.suspect_uidls(name))?;
    // The cutoff is taken before downloading, so this run's downloads never qualify.
    let expired: HashSet<String> = match (pop3.mode, pop3.leave_on_server_days) {
        (Pop3Mode::Keep, Some(days)) => {
            let cutoff = now_secs() - i64::from(days) * 86_400;
            download::blocking(|| store.uidls_downloaded_before(name, cutoff))?
        }
        _ => HashSet::new(),
    };

    let wanted = plan(&keys, &sizes, &known, limits.max_message_bytes, summary);
    progress.event(SyncEvent::Started {
        account: name.to_owned(),
        folder: INBOX.to_owned(),
        total: Some(wanted.len() as u64),
    });
    let target = download::Target {
        account: name,
        folder,
    };
    let (mut client, delivered) =
        download::run(store, &target, client, wanted, limits, progress, summary).await?;

    let recorded = match pop3.mode {
        Pop3Mode::Delete => &known,
        Pop3Mode::Keep => &expired,
    };
    let delete = to_delete(&keys, recorded, &suspect, &delivered, pop3.mode);
    for number in &delete {
        client.dele(*number).await?;
    }
    match client.quit().await {
        Ok(()) => summary.deleted += delete.len() as u64,
        // Nothing was marked: the download is complete and durable, so a failed goodbye
        // changes nothing.
        Err(e) if delete.is_empty() => summary
            .warnings
            .push(format!("the POP3 session did not end cleanly: {e}")),
        Err(e) => return Err(e.into()),
    }
    progress.event(SyncEvent::Finished {
        account: name.to_owned(),
        folder: INBOX.to_owned(),
        summary: format!("{} new, {} deleted", summary.new, summary.deleted),
    });
    Ok(())
}

/// Which messages to retrieve, in server order: keys not recorded, each once, none larger
/// than the limit (those are named in a warning and left on the server).
fn plan(
    keys: &[(u32, String)],
    sizes: &HashMap<u32, u64>,
    known: &HashSet<String>,
    max: u64,
    summary: &mut SyncSummary,
) -> Vec<download::Wanted> {
    let mut seen = HashSet::new();
    let mut wanted = Vec::new();
    for (number, key) in keys {
        if known.contains(key) || !seen.insert(key.as_str()) {
            continue;
        }
        let size = sizes.get(number).copied().unwrap_or(0);
        if size > max {
            summary.warnings.push(format!(
                "message {number} (UIDL {}) is {size} bytes, over the {max}-byte limit: left \
                 on the server",
                keys::server_uidl(key)
            ));
            continue;
        }
        wanted.push(download::Wanted {
            number: *number,
            key: key.clone(),
            listed: size,
        });
    }
    wanted
}

/// The message numbers to DELE: those stored whole in this session (`delivered`; delete mode
/// only), and those whose key is in `recorded` (delete mode: every key downloaded before;
/// keep mode: those downloaded before the `leave_on_server_days` cutoff), when that key names
/// one message only in this listing and its copy is not suspect.
fn to_delete(
    keys: &[(u32, String)],
    recorded: &HashSet<String>,
    suspect: &HashSet<String>,
    delivered: &HashSet<u32>,
    mode: Pop3Mode,
) -> Vec<u32> {
    let mut listed: HashMap<&str, usize> = HashMap::new();
    for (_, key) in keys {
        *listed.entry(key.as_str()).or_insert(0) += 1;
    }
    keys.iter()
        .filter(|(number, key)| {
            let unique = listed.get(key.as_str()) == Some(&1);
            let stored_now = mode == Pop3Mode::Delete && delivered.contains(number);
            unique && !suspect.contains(key) && (stored_now || recorded.contains(key))
        })
        .map(|(number, _)| *number)
        .collect()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
