//! Syncing one folder: SELECT (with QRESYNC when offered), UIDVALIDITY check, expunges and
//! flag changes, new envelopes newest first, bodies per `fetch_bodies`, and the folder state
//! recorded last.
//!
//! What must hold: the folder's (UIDNEXT, HIGHESTMODSEQ) are stored only after everything
//! they vouch for is committed, so an interrupted sync is redone, never skipped; every batch
//! is committed whole (envelopes in one transaction, bodies durable before their rows), so a
//! retry after a cut connection adds no duplicates (rows are keyed by UID).

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

use super::convert;
use super::writer::{self, Committed, Job, Writer};
use super::{SyncTuning, Work};
use crate::engine::EngineError;
use crate::engine::progress::SyncEvent;
use crate::mail::Flags;
use crate::proto::imap::{ImapSession, ImapStream};
use crate::store::{FolderId, FolderState};

/// What the store knows about a folder before this sync.
#[derive(Debug, Clone, Default)]
pub(super) struct Known {
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
}

/// Bodies are delivered in groups this large (or this many bytes): one grouped fsync and one
/// index transaction per group.
const BODY_GROUP: usize = 250;
const BODY_GROUP_BYTES: usize = 16 * 1024 * 1024;

/// Syncs one folder on a connected session. `server_name` is the name on the wire.
pub(super) async fn sync_folder<S: ImapStream>(
    session: &mut ImapSession<S>,
    work: &mut Work<'_>,
    folder: FolderId,
    store_name: &str,
    server_name: &str,
    known: Known,
    tuning: &SyncTuning,
) -> Result<(), EngineError> {
    let account = work.account.name.clone();
    let qresync = session.capabilities().qresync;
    let (sel, vanished, changed) = if qresync {
        let k = match (known.uidvalidity, known.highestmodseq) {
            (Some(v), Some(m)) => Some((v, m)),
            _ => None,
        };
        let r = session.select_qresync(server_name, k).await?;
        (r.selected, Some(r.vanished), Some(r.changed))
    } else {
        (session.select(server_name).await?, None, None)
    };
    session.take_unsolicited();

    let mut known = known;
    if known.uidvalidity.is_some_and(|v| v != sel.uid_validity) {
        // The server renumbered the folder: nothing we hold for it is valid any more. Queued
        // actions stay in their queue (they name the old UIDVALIDITY and are dropped at replay).
        work.store.clear_folder(folder)?;
        work.summary.renumbered.push(store_name.to_owned());
        work.summary.warnings.push(format!(
            "folder {store_name}: UIDVALIDITY changed on the server; its cache was refetched"
        ));
        known = Known::default();
    }

    // Nothing new, nothing gone, no flag changed (QRESYNC said so, or HIGHESTMODSEQ and
    // UIDNEXT are what we stored): no need to even read the folder's rows.
    let quiet = known.uidvalidity.is_some()
        && sel.uid_next > 0
        && known.uidnext == Some(sel.uid_next)
        && match (&vanished, &changed) {
            (Some(v), Some(c)) => known.highestmodseq.is_some() && v.is_empty() && c.is_empty(),
            _ => sel.highest_modseq.is_some() && sel.highest_modseq == known.highestmodseq,
        };
    if quiet && !work.fetch_all {
        if sel.highest_modseq == known.highestmodseq {
            return Ok(());
        }
        work.store.set_folder_state(
            folder,
            &FolderState {
                highestmodseq: sel.highest_modseq,
                ..FolderState::default()
            },
        )?;
        return Ok(());
    }

    let local = work.store.uid_map(folder)?;
    let local_flags: HashMap<u32, Flags> = local.iter().map(|e| (e.uid, e.flags.clone())).collect();
    let fresh = known.uidvalidity.is_none();

    // Expunges and flag changes of messages we already have.
    if !fresh && !local.is_empty() {
        let unchanged = sel.highest_modseq.is_some()
            && sel.highest_modseq == known.highestmodseq
            && known.uidnext == Some(sel.uid_next);
        match (vanished, changed) {
            (Some(vanished), Some(changed)) if known.highestmodseq.is_some() => {
                let gone: Vec<u32> = local
                    .iter()
                    .map(|e| e.uid)
                    .filter(|u| vanished.iter().any(|r| r.contains(u)))
                    .collect();
                expunge(work, folder, &gone)?;
                apply_flags(work, folder, &local_flags, &changed_pairs(&changed))?;
            }
            _ if unchanged => {}
            _ => {
                let since = if session.capabilities().condstore {
                    known.highestmodseq
                } else {
                    None
                };
                let updates = session.fetch_flags(since).await?;
                session.take_unsolicited();
                apply_flags(work, folder, &local_flags, &changed_pairs(&updates))?;
                let present: HashSet<u32> = session.all_uids().await?.into_iter().collect();
                session.take_unsolicited();
                let gone: Vec<u32> = local
                    .iter()
                    .map(|e| e.uid)
                    .filter(|u| !present.contains(u))
                    .collect();
                expunge(work, folder, &gone)?;
            }
        }
    }

    // New messages: the UIDs above what we have, and — when an earlier first pass was cut
    // off (it runs newest first) — the ones below the oldest we have.
    let top = if sel.uid_next > 0 {
        sel.uid_next - 1
    } else {
        u32::MAX
    };
    let floor = known.uidnext.unwrap_or(1).max(1);
    let mine: Vec<u32> = local
        .iter()
        .map(|e| e.uid)
        .filter(|&u| u >= floor)
        .collect();
    let mut ranges: Vec<RangeInclusive<u32>> = Vec::new();
    match (mine.first(), mine.last()) {
        (Some(&lo), Some(&hi)) => {
            if hi < top {
                ranges.push(hi + 1..=top);
            }
            if lo > floor {
                ranges.push(floor..=lo - 1);
            }
        }
        _ => {
            if floor <= top {
                ranges.push(floor..=top);
            }
        }
    }
    if sel.exists == 0 {
        ranges.clear();
    }
    let before = work.summary.new;
    let total = u64::from(sel.exists).saturating_sub(local.len() as u64);
    work.progress.event(SyncEvent::Started {
        account: account.clone(),
        folder: store_name.to_owned(),
        total: Some(total),
    });
    // Envelope-only rows from before fetch_bodies = "all" was set.
    let missing: Vec<u32> = if work.fetch_all {
        local
            .iter()
            .filter(|e| !e.has_body)
            .map(|e| e.uid)
            .collect()
    } else {
        Vec::new()
    };
    let mut writer = Writer::start(work.store.data_dir().to_owned(), folder);
    let mut done = 0u64;
    let pumped = pump(
        session,
        work,
        &mut writer,
        &ranges,
        &missing,
        (store_name, total, &mut done),
        tuning,
    )
    .await;
    // Whatever happened on the network, what was downloaded is committed before returning.
    let (written, rest) = writer.finish().await;
    report(work, store_name, total, &mut done, rest);
    pumped?;
    written?;

    // Everything the new state vouches for is committed: record it.
    let uidnext = if sel.uid_next > 0 {
        Some(sel.uid_next)
    } else {
        work.store
            .uid_map(folder)?
            .last()
            .map(|e| e.uid.saturating_add(1))
    };
    work.store.set_folder_state(
        folder,
        &FolderState {
            uidvalidity: Some(sel.uid_validity),
            uidnext,
            highestmodseq: sel.highest_modseq,
            ..FolderState::default()
        },
    )?;
    work.progress.event(SyncEvent::Finished {
        account,
        folder: store_name.to_owned(),
        summary: format!("{} new", work.summary.new - before),
    });
    Ok(())
}

fn changed_pairs(updates: &[crate::proto::imap::FlagUpdate]) -> Vec<(u32, Flags)> {
    updates
        .iter()
        .map(|u| (u.uid, convert::flags(&u.flags)))
        .collect()
}

/// Applies the server's flags to the messages we have whose flags differ.
fn apply_flags(
    work: &mut Work<'_>,
    folder: FolderId,
    local: &HashMap<u32, Flags>,
    updates: &[(u32, Flags)],
) -> Result<(), EngineError> {
    let differ: Vec<(u32, Flags)> = updates
        .iter()
        .filter(|(uid, flags)| {
            local
                .get(uid)
                .is_some_and(|have| &have.with_other_from(&Flags::empty()) != flags)
        })
        .cloned()
        .collect();
    if !differ.is_empty() {
        let n = work.store.set_remote_flags(folder, &differ)?;
        work.summary.flags_changed += n as u64;
    }
    Ok(())
}

fn expunge(work: &mut Work<'_>, folder: FolderId, uids: &[u32]) -> Result<(), EngineError> {
    if !uids.is_empty() {
        let n = work.store.expunge_uids(folder, uids)?;
        work.summary.expunged += n as u64;
    }
    Ok(())
}

enum Source<'a> {
    Range(RangeInclusive<u32>),
    Uids(&'a [u32]),
}

/// Reads the new envelopes (or full messages with `fetch_bodies = "all"`) and hands them to
/// the writer batch by batch. Stops at the first network error, or when the writer stopped.
async fn pump<S: ImapStream>(
    session: &mut ImapSession<S>,
    work: &mut Work<'_>,
    writer: &mut Writer,
    ranges: &[RangeInclusive<u32>],
    missing: &[u32],
    (store_name, total, done): (&str, u64, &mut u64),
    tuning: &SyncTuning,
) -> Result<(), EngineError> {
    if !work.fetch_all {
        for range in ranges {
            let mut stream = session.fetch_envelopes(range.clone(), &tuning.envelopes)?;
            while let Some(batch) = stream.next_batch().await? {
                if !hand_over(work, writer, Job::Envelopes(batch), tuning).await? {
                    return Ok(());
                }
                report(work, store_name, total, done, writer.committed());
            }
            drop(stream);
            session.take_unsolicited();
        }
        return Ok(());
    }
    // New messages by range; then bodies of rows already listed (not new mail).
    let mut jobs: Vec<(Source<'_>, bool)> = ranges
        .iter()
        .map(|r| (Source::Range(r.clone()), true))
        .collect();
    if !missing.is_empty() {
        jobs.push((Source::Uids(missing), false));
    }
    for (source, new) in jobs {
        let mut stream = match source {
            Source::Range(r) => session.fetch_bodies(r, &tuning.bodies)?,
            Source::Uids(uids) => session.fetch_bodies_of(uids, &tuning.bodies)?,
        };
        let mut group = Vec::new();
        let mut group_bytes = 0usize;
        loop {
            let next = stream.next().await?;
            let end = next.is_none();
            if let Some(body) = next {
                group_bytes += body.bytes.len();
                group.push(body);
            }
            let full = group.len() >= BODY_GROUP || group_bytes >= BODY_GROUP_BYTES;
            if !group.is_empty() && (end || full) {
                let job = Job::Bodies {
                    group: std::mem::take(&mut group),
                    new,
                };
                group_bytes = 0;
                if !hand_over(work, writer, job, tuning).await? {
                    return Ok(());
                }
                report(work, store_name, total, done, writer.committed());
            }
            if end {
                break;
            }
        }
        drop(stream);
        session.take_unsolicited();
    }
    Ok(())
}

/// Gives a batch to the writer thread, or (with [`SyncTuning::sequential_writes`]) writes it
/// here. False when the writer has stopped.
async fn hand_over(
    work: &mut Work<'_>,
    writer: &mut Writer,
    job: Job,
    tuning: &SyncTuning,
) -> Result<bool, EngineError> {
    if tuning.sequential_writes {
        let c = writer::write(work.store, writer.folder(), job)?;
        writer.note(c);
        return Ok(true);
    }
    Ok(writer.send(job).await)
}

/// Counts committed batches into the summary and tells the progress sink.
fn report(
    work: &mut Work<'_>,
    store_name: &str,
    total: u64,
    done: &mut u64,
    batches: Vec<Committed>,
) {
    for c in batches {
        *done += c.messages;
        if c.new {
            work.summary.new += c.messages;
        }
        work.summary.bytes += c.bytes;
        work.progress.event(SyncEvent::Progress {
            account: work.account.name.clone(),
            folder: store_name.to_owned(),
            done: *done,
            total: Some(total),
            bytes: work.summary.bytes,
        });
    }
}
