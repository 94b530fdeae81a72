//! Replaying the offline action queue on the server: flags as STORE, moves as MOVE, deletes as
//! a move to Trash (or `\Deleted` + expunge where there is no Trash).
//!
//! What must hold: an action leaves the queue only after the server confirmed it (or refused
//! it for good: a vanished folder, a changed UIDVALIDITY, a tagged NO — the server wins, and
//! the user is told in a warning). A broken connection leaves the rest queued for next time.
//! Runs of consecutive actions of the same kind on the same folder go as one command.

use std::collections::HashMap;

use super::Work;
use super::convert;
use crate::engine::EngineError;
use crate::mail::Flag;
use crate::proto::imap::{FlagOp, Folder, FolderRole, ImapError, ImapSession, ImapStream, Moved};
use crate::store::{Action, ActionKind};

/// The server folders by store name, and which one is Trash.
pub(super) struct ServerFolders {
    pub by_store_name: HashMap<String, Folder>,
    pub trash: Option<String>,
    pub delimiter: Option<char>,
}

impl ServerFolders {
    pub fn new(folders: &[Folder]) -> ServerFolders {
        let by_store_name: HashMap<String, Folder> = folders
            .iter()
            .map(|f| (convert::store_name(f), f.clone()))
            .collect();
        let trash = folders
            .iter()
            .find(|f| f.role == Some(FolderRole::Trash) && f.selectable)
            .map(|f| f.name.clone());
        let delimiter = folders.iter().find_map(|f| f.delimiter);
        ServerFolders {
            by_store_name,
            trash,
            delimiter,
        }
    }

    /// The wire name of a store folder name (from LIST, else derived).
    pub fn server_name(&self, store_name: &str) -> String {
        match self.by_store_name.get(store_name) {
            Some(f) => f.name.clone(),
            None => {
                convert::server_name(store_name, self.delimiter.map(|d| d.to_string()).as_deref())
            }
        }
    }
}

#[derive(PartialEq, Eq)]
enum Op {
    Flag(FlagOp, Flag),
    Move(String),
    Delete,
}

fn op(kind: &ActionKind) -> Op {
    match kind {
        ActionKind::AddFlag(f) => Op::Flag(FlagOp::Add, *f),
        ActionKind::RemoveFlag(f) => Op::Flag(FlagOp::Remove, *f),
        ActionKind::Move(d) => Op::Move(d.clone()),
        ActionKind::Delete => Op::Delete,
    }
}

/// Replays every queued action of the account. Returns an error only when the session broke
/// (what was confirmed before is already out of the queue).
pub(super) async fn replay<S: ImapStream>(
    session: &mut ImapSession<S>,
    work: &mut Work<'_>,
    folders: &mut ServerFolders,
) -> Result<(), EngineError> {
    let actions = work.store.pending_actions(&work.account.name)?;
    if actions.is_empty() {
        return Ok(());
    }
    // Runs of the same (folder, uidvalidity, op), in queue order.
    let mut runs: Vec<Vec<Action>> = Vec::new();
    for a in actions {
        match runs.last_mut() {
            Some(run)
                if run[0].folder == a.folder
                    && run[0].uidvalidity == a.uidvalidity
                    && op(&run[0].kind) == op(&a.kind) =>
            {
                run.push(a)
            }
            _ => runs.push(vec![a]),
        }
    }
    let mut selected: Option<(String, u32)> = None;
    for run in runs {
        let first = &run[0];
        let Some(folder) = folders.by_store_name.get(&first.folder).cloned() else {
            warn(work, &run, "its folder no longer exists on the server");
            drop_all(work, &run)?;
            continue;
        };
        let validity = match &selected {
            Some((name, v)) if *name == folder.name => *v,
            _ => {
                let sel = match session.select(&folder.name).await {
                    Ok(sel) => sel,
                    Err(e) => {
                        refused(work, &run, e)?;
                        selected = None;
                        continue;
                    }
                };
                session.take_unsolicited();
                selected = Some((folder.name.clone(), sel.uid_validity));
                sel.uid_validity
            }
        };
        if first.uidvalidity.is_some_and(|v| v != validity) {
            warn(
                work,
                &run,
                "the folder was renumbered on the server (UIDVALIDITY changed)",
            );
            drop_all(work, &run)?;
            continue;
        }
        let uids: Vec<u32> = run.iter().filter_map(|a| a.uid).collect();
        if uids.is_empty() {
            drop_all(work, &run)?;
            continue;
        }
        // For moves with UIDPLUS: the UIDs the server actually moved (COPYUID).
        let result: Result<Option<Vec<u32>>, ImapError> = match op(&first.kind) {
            Op::Flag(fop, flag) => session
                .store_flags(&uids, fop, &[flag.imap_name().to_owned()])
                .await
                .map(|_| None),
            Op::Move(dest) => move_to(session, folders, &dest, &uids).await,
            Op::Delete => match folders.trash.clone().filter(|t| *t != folder.name) {
                Some(trash) => session
                    .move_messages(&uids, &trash)
                    .await
                    .map(|m| moved_uids(session.capabilities().uidplus, m)),
                None => {
                    let deleted = ["\\Deleted".to_owned()];
                    match session.store_flags(&uids, FlagOp::Add, &deleted).await {
                        Ok(()) => session.expunge_uids(&uids).await.map(|_| None),
                        Err(e) => Err(e),
                    }
                }
            },
        };
        session.take_unsolicited();
        match result {
            Ok(moved) => {
                if let Some(moved) = moved {
                    forget_vanished(work, &run, &moved)?;
                }
                for a in &run {
                    work.store.remove_action(a.id)?;
                }
                work.summary.actions_replayed += run.len() as u64;
            }
            Err(e) => refused(work, &run, e)?,
        }
    }
    Ok(())
}

/// MOVE to a store folder name, creating the folder on the server when it has none yet (the
/// user moved to a folder made offline).
async fn move_to<S: ImapStream>(
    session: &mut ImapSession<S>,
    folders: &mut ServerFolders,
    dest: &str,
    uids: &[u32],
) -> Result<Option<Vec<u32>>, ImapError> {
    let name = folders.server_name(dest);
    if !folders.by_store_name.contains_key(dest) {
        session.create_folder(&name).await?;
        folders.by_store_name.insert(
            dest.to_owned(),
            Folder {
                name: name.clone(),
                display_name: dest.to_owned(),
                delimiter: folders.delimiter,
                attributes: Vec::new(),
                role: None,
                selectable: true,
            },
        );
    }
    let moved = session.move_messages(uids, &name).await?;
    Ok(moved_uids(session.capabilities().uidplus, moved))
}

/// The source UIDs a MOVE reported as moved; None when the server cannot say (no UIDPLUS).
fn moved_uids(uidplus: bool, moved: Option<Moved>) -> Option<Vec<u32>> {
    if !uidplus {
        return None;
    }
    Some(
        moved
            .map(|m| m.pairs.into_iter().map(|(from, _)| from).collect())
            .unwrap_or_default(),
    )
}

/// Moved offline, but already gone from the server (expunged by another client): the server
/// wins, so the local copy in the destination goes too (it would never get a UID).
fn forget_vanished(work: &mut Work<'_>, run: &[Action], moved: &[u32]) -> Result<(), EngineError> {
    let mut gone = 0;
    for a in run {
        if let (Some(uid), Some(id)) = (a.uid, a.message)
            && !moved.contains(&uid)
            && matches!(work.store.forget_unsynced(id), Ok(true))
        {
            gone += 1;
        }
    }
    if gone > 0 {
        work.summary.warnings.push(format!(
            "{gone} message(s) moved offline had already been removed on the server; removed \
             here too"
        ));
    }
    Ok(())
}

/// A failed replay: a broken session is returned (the actions stay queued); a refusal drops
/// the actions with a warning (the server wins).
fn refused(work: &mut Work<'_>, run: &[Action], e: ImapError) -> Result<(), EngineError> {
    if e.is_fatal_to_session() || matches!(e, ImapError::Broken { .. }) {
        return Err(e.into());
    }
    if e.kind() == crate::error::ErrorKind::Temporary {
        warn(
            work,
            run,
            &format!("the server said not now ({e}); kept for the next sync"),
        );
        return Ok(());
    }
    warn(work, run, &format!("the server refused it ({e})"));
    drop_all(work, run)
}

fn warn(work: &mut Work<'_>, run: &[Action], why: &str) {
    work.summary.warnings.push(format!(
        "{} queued change(s) in folder {} not applied: {why}",
        run.len(),
        run[0].folder
    ));
}

fn drop_all(work: &mut Work<'_>, run: &[Action]) -> Result<(), EngineError> {
    for a in run {
        work.store.remove_action(a.id)?;
    }
    Ok(())
}
