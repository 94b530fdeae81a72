//! IMAP sync into the local store (issue #6): the folder list, the offline action queue,
//! per-folder envelopes, flags and expunges, and bodies per `fetch_bodies`; plus the two
//! single-shot operations the CLI needs: a body on demand and "apply queued actions now".
//!
//! Owns: the order of work on one IMAP session and what becomes durable when. May not touch:
//! the terminal (progress goes through [`ProgressSink`]), other accounts.
//!
//! Order of a sync: connect; LIST (roles, delimiters), each server folder bound to its own
//! local folder (`mapping.rs`); replay the queued actions (before any
//! folder is read, so the server already has the user's offline changes when its state is
//! pulled); then each folder (`folder.rs`): SELECT with QRESYNC when offered, UIDVALIDITY
//! check, expunges and flag changes, new messages, bodies, and the folder state last.
//!
//! - [`sync`] / [`sync_with`]: `postie sync` (the second takes a [`SyncTuning`] with a
//!   protocol [`Trace`] for tests and benchmarks).
//! - [`fetch_body`]: `postie read` of an envelope-only message.
//! - [`replay_now`]: `postie flag|move|delete` applying the queue at once.
//! - [`live`]: the TUI's long-lived command connection (bodies on demand, the queue applied as
//!   the user acts).

mod append;
mod connect;
pub mod convert;
pub(crate) mod create;
mod folder;
mod link;
pub mod live;
pub(crate) mod manage;
pub(crate) mod mapping;
mod replay;
pub mod search;
mod writer;

use std::time::Duration;

pub use connect::{ConnectOptions, open};

use super::progress::{NoProgress, ProgressSink};
use super::sync::{SyncOptions, SyncSummary};
use super::{AccountError, EngineError};
use crate::config::{Account, FetchBodies, ImapIncoming};
use crate::proto::imap::{BodyOptions, EnvelopeOptions, ImapSession, ImapStream, Trace};
use crate::store::{MessageId, Store};

/// Knobs of a sync beyond what the user configures: tests pass a [`Trace`], benchmarks may
/// change batch sizes.
#[derive(Debug, Clone, Default)]
pub struct SyncTuning {
    pub connect: ConnectOptions,
    pub envelopes: EnvelopeOptions,
    pub bodies: BodyOptions,
    /// Write batches on the download task instead of a writer thread (for comparison in
    /// benchmarks; the default overlaps writing with downloading).
    pub sequential_writes: bool,
}

impl SyncTuning {
    /// The defaults, recording every command into `trace`.
    pub fn traced(trace: Trace) -> SyncTuning {
        SyncTuning {
            connect: ConnectOptions {
                trace: Some(trace),
                ..ConnectOptions::default()
            },
            ..SyncTuning::default()
        }
    }
}

/// What one run of work on a session shares.
pub(crate) struct Work<'a> {
    pub store: &'a mut Store,
    pub account: &'a Account,
    pub progress: &'a dyn ProgressSink,
    pub summary: &'a mut SyncSummary,
    pub fetch_all: bool,
}

/// Folder list, queued actions, envelopes, flags, expunges, bodies per `fetch_bodies`.
pub async fn sync(
    store: &mut Store,
    account: &Account,
    imap: &ImapIncoming,
    options: &SyncOptions,
    progress: &dyn ProgressSink,
    summary: &mut SyncSummary,
) -> Result<(), AccountError> {
    sync_with(
        store,
        account,
        imap,
        options,
        progress,
        summary,
        &SyncTuning::default(),
    )
    .await
}

/// [`sync`] with explicit [`SyncTuning`].
pub async fn sync_with(
    store: &mut Store,
    account: &Account,
    imap: &ImapIncoming,
    options: &SyncOptions,
    progress: &dyn ProgressSink,
    summary: &mut SyncSummary,
    tuning: &SyncTuning,
) -> Result<(), AccountError> {
    let mut session = open(account, imap, &tuning.connect).await?;
    let mut work = Work {
        store,
        account,
        progress,
        summary,
        fetch_all: imap.fetch_bodies == FetchBodies::All,
    };
    let result = run(&mut session, &mut work, options, tuning).await;
    if session.is_usable() {
        session.logout().await;
    }
    result.map_err(|e| AccountError::new(&account.name, Some(&imap.server), e))
}

async fn run<S: ImapStream>(
    session: &mut ImapSession<S>,
    work: &mut Work<'_>,
    options: &SyncOptions,
    tuning: &SyncTuning,
) -> Result<(), EngineError> {
    let account = work.account.name.clone();
    // ENABLE is valid only before a folder is selected (RFC 5161), and the replay selects.
    if session.capabilities().qresync {
        session.enable_qresync().await?;
    }
    let listed = session.list_folders().await?;
    session.take_unsolicited();
    // Every server folder bound to its own local folder before anything is sent or read.
    let (mut folders, mut targets) = mapping::map_folders(work, &listed)?;
    replay::replay(session, work, &mut folders).await?;

    let states = work.store.folder_states(&account)?;
    // Folders the server no longer has (only ones a sync made: local-only folders stay).
    for (id, name, state) in &states {
        if state.uidvalidity.is_some() && !folders.contains_local(name) {
            work.store.remove_folder(*id)?;
        }
    }
    // Gmail's "All Mail" (special-use \All) holds every message of every label again: not
    // downloaded unless asked for by name or by `sync_all_mail`. Its local folder exists, so a
    // move to it (archiving, in Gmail's terms) still has a target.
    let all_mail = match &work.account.incoming {
        crate::config::Incoming::Imap(imap) => imap.sync_all_mail,
        _ => false,
    };
    if !all_mail && options.folder.is_none() {
        targets.retain(|(_, name, _)| {
            folders
                .get(name)
                .is_none_or(|f| f.role != Some(crate::proto::imap::FolderRole::All))
        });
    }
    if let Some(only) = &options.folder {
        targets.retain(|(_, name, server)| {
            name == only
                || server == only
                || (name == "INBOX" && only.eq_ignore_ascii_case("inbox"))
        });
        if targets.is_empty() {
            work.summary
                .warnings
                .push(format!("the server has no folder {only:?}"));
        }
    }
    for (id, name, server) in targets {
        let known = states
            .iter()
            .find(|(i, _, _)| *i == id)
            .map(|(_, _, st)| folder::Known {
                uidvalidity: st.uidvalidity,
                uidnext: st.uidnext,
                highestmodseq: st.highestmodseq,
            })
            .unwrap_or_default();
        match folder::sync_folder(session, work, id, &name, &server, known, tuning).await {
            Ok(()) => {}
            Err(EngineError::Imap(e)) if !e.is_fatal_to_session() && session.is_usable() => {
                work.summary
                    .warnings
                    .push(format!("folder {name}: {}", crate::error::chain_line(&e)));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Downloads the body of an envelope-only message into the store (`postie read`, opening a
/// message in the TUI). A message whose body is already stored is left alone.
pub async fn fetch_body(
    store: &mut Store,
    account: &Account,
    imap: &ImapIncoming,
    id: MessageId,
    options: &ConnectOptions,
) -> Result<(), AccountError> {
    let err = |e: EngineError| AccountError::new(&account.name, Some(&imap.server), e);
    let m = store.get(id).map_err(|e| err(e.into()))?;
    if m.has_body {
        return Ok(());
    }
    let info = store
        .folder_states(&account.name)
        .map_err(|e| err(e.into()))?
        .into_iter()
        .find(|(fid, _, _)| *fid == m.folder_id);
    let (Some(uid), Some(info)) = (m.uid, info) else {
        return Err(err(EngineError::NotOnServer { id }));
    };
    let mut session = open(account, imap, options).await?;
    let (_, folder_name, state) = info;
    // The bound server folder; derived only for a folder synced before the mapping existed.
    let name = state
        .server_name
        .clone()
        .unwrap_or_else(|| convert::server_name(&folder_name, state.delimiter.as_deref()));
    let result = async {
        let sel = session.select(&name).await?;
        if state.uidvalidity.is_some_and(|v| v != sel.uid_validity) {
            return Ok(None);
        }
        Ok::<_, EngineError>(session.fetch_body(uid).await?)
    }
    .await;
    if session.is_usable() {
        session.logout().await;
    }
    match result.map_err(err)? {
        Some(bytes) => store.attach_body(id, &bytes).map_err(|e| err(e.into())),
        None => Err(err(EngineError::NotOnServer { id })),
    }
}

/// Applies the account's queued actions to the server now (`postie flag|move|delete`), with a
/// short connect timeout. Returns what was done (actions replayed, warnings). Holds the
/// account's lock ([`super::lock`]); while another process syncs the account it fails with
/// [`EngineError::AccountBusy`] after a short wait, and the actions stay queued.
pub async fn replay_now(
    store: &mut Store,
    account: &Account,
    imap: &ImapIncoming,
    connect_timeout: Duration,
) -> Result<SyncSummary, AccountError> {
    let mut summary = SyncSummary::new(account);
    if store
        .pending_actions(&account.name)
        .map_err(|e| AccountError::new(&account.name, None, EngineError::from(e)))?
        .is_empty()
    {
        return Ok(summary);
    }
    let _replaying = super::lock::lock_account(
        store.data_dir(),
        &account.name,
        super::lock::WAIT_FOR_OTHER_SYNC,
    )
    .await?;
    let options = ConnectOptions {
        connect_timeout: Some(connect_timeout),
        ..ConnectOptions::default()
    };
    let mut session = open(account, imap, &options).await?;
    let mut work = Work {
        store,
        account,
        progress: &NoProgress,
        summary: &mut summary,
        fetch_all: false,
    };
    let result = async {
        let listed = session.list_folders().await?;
        session.take_unsolicited();
        let (mut folders, _) = mapping::map_folders(&mut work, &listed)?;
        replay::replay(&mut session, &mut work, &mut folders).await
    }
    .await;
    if session.is_usable() {
        session.logout().await;
    }
    result.map_err(|e| AccountError::new(&account.name, Some(&imap.server), e))?;
    Ok(summary)
}
