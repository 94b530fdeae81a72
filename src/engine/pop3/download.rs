//! The download loop: pipelined RETRs on one task, batched durable delivery on the other.
//!
//! The network task owns the session while it runs and hands each complete message over a
//! channel; this side gathers them into batches and delivers each batch with
//! [`Store::deliver_batch`] (files fsynced as a group, then one transaction recording rows and
//! UIDLs). So the socket keeps streaming while a batch is fsynced, and the messages waiting in
//! between are bounded by a byte budget, not by the mailbox.
//!
//! What must hold: a message number is reported as delivered only after its batch committed,
//! and only when its bytes fit the server's LIST size ([`size_check`]); one that does not is
//! stored, recorded as suspect, named in a warning and not reported, so it is never deleted.
//! When the connection breaks, the complete messages already received are still delivered
//! (they are whole: the client never hands over a partial message), then the error is
//! returned.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

use super::keys::server_uidl;
use super::size_check::{self, SizeCheck};
use super::{INBOX, Pop3Limits};
use crate::engine::EngineError;
use crate::engine::progress::{ProgressSink, SyncEvent};
use crate::engine::sync::SyncSummary;
use crate::proto::pop3::{Pop3Client, Pop3Error};
use crate::store::{FolderId, NewMessage, Store};

/// Bytes received but not yet delivered, at most (in KiB: the semaphore's unit).
const BUDGET_KIB: usize = 48 * 1024;

/// Where the messages go.
pub(super) struct Target<'a> {
    pub account: &'a str,
    pub folder: FolderId,
}

/// One message to retrieve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Wanted {
    pub number: u32,
    /// The key it is recorded under (see `keys`).
    pub key: String,
    /// Its size by LIST.
    pub listed: u64,
}

enum Item {
    Message {
        number: u32,
        key: String,
        data: Vec<u8>,
        listed: u64,
        size: SizeCheck,
        _budget: OwnedSemaphorePermit,
    },
    /// A message the server would not send (`-ERR` to its RETR); the session goes on.
    Skipped(String),
}

/// Retrieves `wanted` and delivers them; returns the session (for DELE and QUIT) and the
/// numbers of the messages now stored whole (those that fit their LIST size).
pub(super) async fn run<S>(
    store: &mut Store,
    target: &Target<'_>,
    client: Pop3Client<S>,
    wanted: Vec<Wanted>,
    limits: &Pop3Limits,
    progress: &dyn ProgressSink,
    summary: &mut SyncSummary,
) -> Result<(Pop3Client<S>, HashSet<u32>), EngineError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let total = wanted.len() as u64;
    let (tx, mut rx) = mpsc::channel(limits.batch_messages.max(1));
    let budget = Arc::new(Semaphore::new(BUDGET_KIB));
    let fetcher = tokio::spawn(fetch(client, wanted, tx, Arc::clone(&budget)));

    let mut batch: Vec<Item> = Vec::new();
    let mut batch_bytes = 0usize;
    // When the oldest message of the batch arrived: a slow server still gets its messages
    // made durable (and reported) within `batch_age`.
    let mut oldest: Option<Instant> = None;
    let mut delivered = HashSet::new();
    let mut failed = None;
    loop {
        let next = match oldest {
            Some(t) => tokio::time::timeout_at(t + limits.batch_age, rx.recv()).await,
            None => Ok(rx.recv().await),
        };
        let full = match next {
            Ok(None) => break,
            Ok(Some(Item::Skipped(warning))) => {
                summary.warnings.push(warning);
                false
            }
            Ok(Some(item @ Item::Message { .. })) => {
                if let Item::Message { data, .. } = &item {
                    batch_bytes += data.len();
                }
                batch.push(item);
                let t = *oldest.get_or_insert_with(Instant::now);
                batch.len() >= limits.batch_messages
                    || batch_bytes >= limits.batch_bytes
                    || t.elapsed() >= limits.batch_age
            }
            // The batch is old enough.
            Err(_) => true,
        };
        if full && !batch.is_empty() {
            let r = deliver(store, target, &mut batch, &mut delivered, summary);
            batch_bytes = 0;
            oldest = None;
            if let Err(e) = r {
                failed = Some(e);
                break;
            }
            report(progress, target, summary, total);
        }
    }
    if failed.is_none() && !batch.is_empty() {
        // The last batch; or, after a broken connection, every whole message received.
        match deliver(store, target, &mut batch, &mut delivered, summary) {
            Ok(()) => report(progress, target, summary, total),
            Err(e) => failed = Some(e),
        }
    }
    // Unblock the fetcher if it waits for room, then collect it.
    drop(batch);
    drop(rx);
    budget.close();
    let fetched = fetcher.await.map_err(EngineError::Task)?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok((fetched?, delivered))
}

/// Delivers the batch durably and records its keys; clears it.
fn deliver(
    store: &mut Store,
    target: &Target<'_>,
    batch: &mut Vec<Item>,
    delivered: &mut HashSet<u32>,
    summary: &mut SyncSummary,
) -> Result<(), EngineError> {
    let mut whole = Vec::with_capacity(batch.len());
    let mut warnings = Vec::new();
    let msgs: Vec<NewMessage<'_>> = batch
        .iter()
        .filter_map(|item| match item {
            Item::Message {
                number,
                key,
                data,
                listed,
                size,
                ..
            } => {
                match size.warning(*number, server_uidl(key)) {
                    Some(w) => warnings.push(w),
                    None => whole.push(*number),
                }
                Some(NewMessage {
                    uidl: Some(key.as_str()),
                    suspect: *size != SizeCheck::Fits,
                    listed_size: Some(*listed),
                    ..NewMessage::new(data)
                })
            }
            Item::Skipped(_) => None,
        })
        .collect();
    let started = std::time::Instant::now();
    blocking(|| store.deliver_batch(target.folder, &msgs))?;
    tracing::debug!(
        target: "postie::pop3",
        "delivered a batch of {} messages in {} ms",
        msgs.len(),
        started.elapsed().as_millis()
    );
    for m in &msgs {
        summary.new += 1;
        summary.bytes += m.bytes.len() as u64;
    }
    delivered.extend(whole);
    summary.warnings.extend(warnings);
    drop(msgs);
    batch.clear();
    Ok(())
}

fn report(progress: &dyn ProgressSink, target: &Target<'_>, summary: &SyncSummary, total: u64) {
    progress.event(SyncEvent::Progress {
        account: target.account.to_owned(),
        folder: INBOX.to_owned(),
        done: summary.new,
        total: Some(total),
        bytes: summary.bytes,
    });
}

/// The network side: RETRs in order, each message sent on as soon as it is whole. Stops
/// quietly when the receiver is gone (the store failed; its error is the one reported).
async fn fetch<S>(
    mut client: Pop3Client<S>,
    wanted: Vec<Wanted>,
    tx: mpsc::Sender<Item>,
    budget: Arc<Semaphore>,
) -> Result<Pop3Client<S>, Pop3Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let numbers: Vec<u32> = wanted.iter().map(|w| w.number).collect();
    let mut wanted: HashMap<u32, Wanted> = wanted.into_iter().map(|w| (w.number, w)).collect();
    {
        let mut run = client.retrieve(numbers);
        loop {
            let item = match run.next().await {
                Ok(None) => break,
                Ok(Some(m)) => {
                    let kib = (m.data.len() / 1024 + 1).min(BUDGET_KIB) as u32;
                    let Ok(permit) = Arc::clone(&budget).acquire_many_owned(kib).await else {
                        break;
                    };
                    let Some(w) = wanted.remove(&m.number) else {
                        // The client answers only what was asked; never store under no key.
                        return Err(Pop3Error::Broken);
                    };
                    Item::Message {
                        number: m.number,
                        size: size_check::check(&m.data, w.listed),
                        key: w.key,
                        data: m.data,
                        listed: w.listed,
                        _budget: permit,
                    }
                }
                Err(e) if !e.is_fatal() => {
                    Item::Skipped(format!("{e}; the message is left on the server"))
                }
                Err(e) => return Err(e),
            };
            if tx.send(item).await.is_err() {
                break;
            }
        }
    }
    Ok(client)
}

/// Runs blocking store work: on a multi-threaded runtime's worker, the runtime first moves
/// its other tasks away (the network task keeps running meanwhile).
pub(super) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}
