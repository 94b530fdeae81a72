//! Store writes of a folder transfer on a blocking thread of their own, so that turning
//! records into rows, parsing bodies, the grouped fsyncs and the index transactions overlap
//! with reading the next batch from the server (on 2 cores this is most of the gain).
//!
//! The thread opens its own [`Store`] handle on the same data dir (SQLite WAL allows it; the
//! main handle does not write while a transfer runs). Each job is committed whole before the
//! next is taken, so a transfer cut anywhere leaves whole batches, never half of one. The
//! channel is bounded: a slow disk slows the download instead of filling memory.

use std::path::PathBuf;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::convert;
use crate::engine::EngineError;
use crate::mail::Envelope;
use crate::proto::imap::{EnvelopeRecord, FetchedBody};
use crate::store::{FolderId, NewMessage, RemoteEnvelope, Store, StoreError};

/// One batch to commit.
pub(super) enum Job {
    /// Envelope-only rows (new UIDs) or flag updates (known UIDs).
    Envelopes(Vec<EnvelopeRecord>),
    /// Full messages; `new` is false for bodies of rows that were already listed.
    Bodies { group: Vec<FetchedBody>, new: bool },
}

/// What one job committed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Committed {
    pub messages: u64,
    pub bytes: u64,
    pub new: bool,
}

pub(super) struct Writer {
    folder: FolderId,
    /// Batches written on the caller's thread (sequential mode), reported like the others.
    local: Vec<Committed>,
    tx: mpsc::Sender<Job>,
    done: mpsc::UnboundedReceiver<Committed>,
    handle: JoinHandle<Result<(), StoreError>>,
}

impl Writer {
    pub fn start(data_dir: PathBuf, folder: FolderId) -> Writer {
        let (tx, mut rx) = mpsc::channel::<Job>(2);
        let (done_tx, done) = mpsc::unbounded_channel();
        let handle = tokio::task::spawn_blocking(move || {
            let mut store = Store::open(&data_dir)?;
            while let Some(job) = rx.blocking_recv() {
                let committed = write(&mut store, folder, job)?;
                // The receiver may be gone after a failed download: the data is committed
                // all the same.
                let _ = done_tx.send(committed);
            }
            Ok(())
        });
        Writer {
            folder,
            local: Vec::new(),
            tx,
            done,
            handle,
        }
    }

    pub fn folder(&self) -> FolderId {
        self.folder
    }

    /// Records a batch the caller wrote itself.
    pub fn note(&mut self, c: Committed) {
        self.local.push(c);
    }

    /// Queues a job (waits while two are queued). False when the writer has stopped (after a
    /// store error: [`Writer::finish`] returns it).
    pub async fn send(&mut self, job: Job) -> bool {
        self.tx.send(job).await.is_ok()
    }

    /// Jobs committed since the last call.
    pub fn committed(&mut self) -> Vec<Committed> {
        let mut out = std::mem::take(&mut self.local);
        while let Ok(c) = self.done.try_recv() {
            out.push(c);
        }
        out
    }

    /// Waits until every queued job is committed; returns the writer's result and the jobs
    /// committed since the last [`Writer::committed`].
    pub async fn finish(self) -> (Result<(), EngineError>, Vec<Committed>) {
        let Writer {
            tx,
            mut done,
            handle,
            local,
            ..
        } = self;
        drop(tx);
        let result = match handle.await {
            Ok(r) => r.map_err(EngineError::from),
            Err(e) => Err(EngineError::Task(e)),
        };
        let mut rest = local;
        while let Ok(c) = done.try_recv() {
            rest.push(c);
        }
        (result, rest)
    }
}

/// Commits one job.
pub(super) fn write(
    store: &mut Store,
    folder: FolderId,
    job: Job,
) -> Result<Committed, StoreError> {
    match job {
        Job::Envelopes(batch) => {
            let envs: Vec<Envelope> = batch.iter().map(convert::envelope).collect();
            let items: Vec<RemoteEnvelope<'_>> = batch
                .iter()
                .zip(&envs)
                .map(|(r, e)| RemoteEnvelope {
                    uid: r.uid,
                    flags: convert::flags(&r.flags),
                    modseq: r.modseq,
                    envelope: e,
                })
                .collect();
            store.upsert_envelopes(folder, &items)?;
            Ok(Committed {
                messages: items.len() as u64,
                bytes: 0,
                new: true,
            })
        }
        Job::Bodies { group, new } => {
            let msgs: Vec<NewMessage<'_>> = group
                .iter()
                .map(|b| NewMessage {
                    flags: convert::flags(&b.flags),
                    uid: Some(b.uid),
                    ..NewMessage::new(&b.bytes)
                })
                .collect();
            store.deliver_batch(folder, &msgs)?;
            Ok(Committed {
                messages: msgs.len() as u64,
                bytes: group.iter().map(|b| b.bytes.len() as u64).sum(),
                new,
            })
        }
    }
}
