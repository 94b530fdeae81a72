//! Replaying the offline action queue on the server: flags as STORE, moves as MOVE, deletes as
//! a move to Trash (or `\Deleted` + expunge where there is no Trash).
//!
//! What must hold: an action leaves the queue only after the server confirmed it, or with a
//! warning when it cannot be applied (a vanished folder, a changed UIDVALIDITY, a tagged NO, a
//! message no longer where it was put): then the server wins, the local change is undone (the
//! local copy of a moved message goes, and the folder is read again at the next sync, see
//! [`Store::resync_after_refusal`](crate::store::Store::resync_after_refusal)) and the later
//! actions on that message go with the same warning. Never silently. A broken connection
//! leaves the rest queued for next time.
//!
//! Chains (issue 12, item 8): an action queued after a move of the same message has no UID;
//! it waits for the move and takes the UID the move reported (COPYUID), else finds the
//! message by Message-ID in the folder (`UID SEARCH HEADER Message-ID`). A MOVE that reports
//! no new UID for a message (no UIDPLUS, or the move was already done by a run killed before
//! it updated the queue) is followed the same way: the message is missing from the server
//! only when the destination has no message of that Message-ID either.
//!
//! Runs of consecutive actions of the same kind on the same folder go as one command (a bulk
//! action on 200 tagged messages is one `UID STORE` or `UID MOVE`), up to [`RUN_MAX`] messages
//! a command, so that its line stays within what servers accept whatever the UIDs.

use std::collections::{HashMap, HashSet};

use super::Work;
use super::mapping::ServerFolders;
use crate::engine::EngineError;
use crate::mail::Flag;
use crate::proto::imap::{FlagOp, Folder, ImapError, ImapSession, ImapStream, Moved};
use crate::store::{Action, ActionKind, FolderState, MessageId};

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

/// Where a message is on the server now, as learned during this replay.
#[derive(Clone)]
struct Location {
    folder: String,
    uidvalidity: u32,
    uid: u32,
}

/// What one replay has learned so far.
#[derive(Default)]
struct Chains {
    /// The selected folder (wire name) and its UIDVALIDITY.
    selected: Option<(String, u32)>,
    /// Messages whose last applied action put them here.
    at: HashMap<MessageId, Location>,
    /// Messages with an action kept for the next sync: their later actions wait too.
    waiting: HashSet<MessageId>,
    /// Messages with an action that was not applied (and undone): their later actions go.
    failed: HashSet<MessageId>,
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
    let mut chains = Chains::default();
    for run in runs(actions) {
        replay_run(session, work, folders, &mut chains, run).await?;
    }
    Ok(())
}

/// The most messages one replayed command names. Non-contiguous UIDs of up to 10 digits make
/// a set of at most ~5.5 KB: under the 8,192-octet line RFC 7162 (section 4) asks clients to
/// stay within, and far under Dovecot's 64 KB, so `:tag` + `d` over thousands of messages is a
/// few commands, never one the server refuses as too long.
const RUN_MAX: usize = 500;

/// Runs of the same (folder, uidvalidity, op), in queue order, of at most [`RUN_MAX`] actions.
fn runs(actions: Vec<Action>) -> Vec<Vec<Action>> {
    let mut runs: Vec<Vec<Action>> = Vec::new();
    for a in actions {
        match runs.last_mut() {
            Some(run)
                if run.len() < RUN_MAX
                    && run[0].folder == a.folder
                    && run[0].uidvalidity == a.uidvalidity
                    && op(&run[0].kind) == op(&a.kind) =>
            {
                run.push(a)
            }
            _ => runs.push(vec![a]),
        }
    }
    runs
}

async fn replay_run<S: ImapStream>(
    session: &mut ImapSession<S>,
    work: &mut Work<'_>,
    folders: &mut ServerFolders,
    chains: &mut Chains,
    run: Vec<Action>,
) -> Result<(), EngineError> {
    // Later actions on a message whose earlier one failed go; on one that waits, wait.
    let (gone, run): (Vec<Action>, Vec<Action>) = run
        .into_iter()
        .partition(|a| a.message.is_some_and(|m| chains.failed.contains(&m)));
    if !gone.is_empty() {
        warn(
            work,
            &gone,
            "an earlier change to the same message was not applied",
        );
        drop_all(work, &gone)?;
    }
    let mut run: Vec<Action> = run
        .into_iter()
        .filter(|a| !a.message.is_some_and(|m| chains.waiting.contains(&m)))
        .collect();
    if run.is_empty() {
        return Ok(());
    }
    let Some(folder) = folders.get(&run[0].folder).cloned() else {
        return not_applied(
            work,
            chains,
            &run,
            "its folder no longer exists on the server",
        );
    };
    let validity = match select(session, chains, &folder.name).await {
        Ok(v) => v,
        Err(e) => return refused(work, chains, &run, e),
    };
    // UIDs: as queued, else learned from the earlier action, else by Message-ID.
    let mut lost = Vec::new();
    let mut ready = Vec::new();
    for mut a in std::mem::take(&mut run) {
        if a.uid.is_none()
            && let Some(at) = a.message.and_then(|m| chains.at.get(&m))
            && at.folder == a.folder
        {
            a.uid = Some(at.uid);
            a.uidvalidity = Some(at.uidvalidity);
        }
        if a.uid.is_none() {
            a.uid = find(session, &a).await?;
            a.uidvalidity = Some(validity);
        }
        if a.uid.is_none() || a.uidvalidity.is_some_and(|v| v != validity) {
            lost.push(a);
        } else {
            ready.push(a);
        }
    }
    let (renumbered, lost): (Vec<Action>, Vec<Action>) =
        lost.into_iter().partition(|a| a.uid.is_some());
    if !renumbered.is_empty() {
        let why = "the folder was renumbered on the server (UIDVALIDITY changed)";
        not_applied(work, chains, &renumbered, why)?;
    }
    if !lost.is_empty() {
        let why = "the message is no longer where it was moved to on the server";
        not_applied(work, chains, &lost, why)?;
    }
    if ready.is_empty() {
        return Ok(());
    }
    let run = ready;
    let uids: Vec<u32> = run.iter().filter_map(|a| a.uid).collect();
    let result: Result<Option<(String, Option<Moved>)>, ImapError> = match op(&run[0].kind) {
        Op::Flag(fop, flag) => session
            .store_flags(&uids, fop, &[flag.imap_name().to_owned()])
            .await
            .map(|_| None),
        Op::Move(dest) => move_to(session, work, folders, &dest, &uids)
            .await
            .map(|m| Some((dest, m))),
        Op::Delete => match folders
            .trash
            .clone()
            .filter(|(wire, _)| *wire != folder.name)
        {
            // A Trash with no local folder (its name cannot be one): moved all the same; the
            // chained actions after it then cannot find the message and are undone.
            Some((wire, local)) => session
                .move_messages(&uids, &wire)
                .await
                .map(|m| Some((local.unwrap_or_default(), m))),
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
            let done: Vec<i64> = run.iter().map(|a| a.id).collect();
            work.store.remove_actions(&done)?;
            work.summary.actions_replayed += run.len() as u64;
            match moved {
                Some((dest, report)) => {
                    follow(session, work, folders, chains, &run, &dest, report).await?
                }
                None => {
                    for a in &run {
                        if let (Some(m), Some(uid), Some(v)) = (a.message, a.uid, a.uidvalidity)
                            && !matches!(a.kind, ActionKind::Delete)
                        {
                            let folder = a.folder.clone();
                            chains.at.insert(
                                m,
                                Location {
                                    folder,
                                    uidvalidity: v,
                                    uid,
                                },
                            );
                        }
                    }
                }
            }
            Ok(())
        }
        Err(e) => {
            refused(work, chains, &run, e)?;
            match op(&run[0].kind) {
                Op::Move(dest) => drop_orphan_destination(work, folders, &dest),
                _ => Ok(()),
            }
        }
    }
}

/// After a move that was not applied: its destination goes too when the move made it here and
/// nothing else holds it (no server folder, none bound, no message left after the undo).
/// Otherwise a refused `CREATE` (Courier: "Invalid mailbox name") left an empty local-only
/// folder that no sync heals (issue 15). A move kept for the next sync keeps its message
/// there, so its folder stays.
fn drop_orphan_destination(
    work: &mut Work<'_>,
    folders: &ServerFolders,
    dest: &str,
) -> Result<(), EngineError> {
    if folders.contains_local(dest) {
        return Ok(());
    }
    let Some((id, _, state)) = work
        .store
        .folder_states(&work.account.name)?
        .into_iter()
        .find(|(_, name, _)| name == dest)
    else {
        return Ok(());
    };
    if state.server_name.is_some() || work.store.folder_message_count(id)? > 0 {
        return Ok(());
    }
    work.store.remove_folder(id)?;
    Ok(())
}

/// SELECT unless already selected; returns the UIDVALIDITY.
async fn select<S: ImapStream>(
    session: &mut ImapSession<S>,
    chains: &mut Chains,
    wire: &str,
) -> Result<u32, ImapError> {
    if let Some((name, v)) = &chains.selected
        && name == wire
    {
        return Ok(*v);
    }
    chains.selected = None;
    let sel = session.select(wire).await?;
    session.take_unsolicited();
    chains.selected = Some((wire.to_owned(), sel.uid_validity));
    Ok(sel.uid_validity)
}

/// The UID of the action's message in the selected folder, by Message-ID (the highest, the
/// newest copy, when there are several). None when it has none or the server has no match.
/// Errors only when the session broke.
async fn find<S: ImapStream>(
    session: &mut ImapSession<S>,
    a: &Action,
) -> Result<Option<u32>, EngineError> {
    let Some(mid) = a
        .message_id
        .as_deref()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_graphic()))
    else {
        return Ok(None);
    };
    match session.uids_by_message_id(mid).await {
        Ok(uids) => Ok(uids.last().copied()),
        Err(e) if e.is_fatal_to_session() || matches!(e, ImapError::Broken { .. }) => Err(e.into()),
        Err(_) => Ok(None),
    }
}

/// After a MOVE of `run` to local folder `dest`: where each message is now. From COPYUID when
/// the server said it, else by Message-ID in the destination. A message found in neither way
/// was already gone from the source (expunged by another client): the server wins, and its
/// moved local copy goes too, with a warning.
async fn follow<S: ImapStream>(
    session: &mut ImapSession<S>,
    work: &mut Work<'_>,
    folders: &ServerFolders,
    chains: &mut Chains,
    run: &[Action],
    dest: &str,
    report: Option<Moved>,
) -> Result<(), EngineError> {
    let pairs: HashMap<u32, u32> = report
        .as_ref()
        .map(|m| m.pairs.iter().copied().collect())
        .unwrap_or_default();
    let mut validity = report.as_ref().map(|m| m.uid_validity);
    let mut gone = 0;
    // Where each message is now, recorded in one transaction after the loop.
    let mut located: Vec<(i64, MessageId, u32)> = Vec::new();
    let mut located_validity = None;
    for a in run {
        let Some(m) = a.message else { continue };
        let mut uid = a.uid.and_then(|u| pairs.get(&u).copied());
        if uid.is_none() {
            let Some(wire) = folders.get(dest).map(|f| f.name.clone()) else {
                continue;
            };
            let v = match select(session, chains, &wire).await {
                Ok(v) => v,
                Err(e) if e.is_fatal_to_session() || matches!(e, ImapError::Broken { .. }) => {
                    return Err(e.into());
                }
                Err(_) => continue,
            };
            validity = Some(v);
            uid = find(session, a).await?;
            if uid.is_none() && a.message_id.is_some() {
                // Not in the destination either: it had been removed on the server.
                if matches!(work.store.forget_unsynced(m), Ok(true)) {
                    gone += 1;
                }
                chains.failed.insert(m);
                continue;
            }
        }
        match (uid, validity) {
            (Some(uid), Some(v)) => {
                if located_validity.is_some_and(|lv| lv != v) {
                    // (Never with one destination folder; kept exact all the same.)
                    work.store.record_locations(dest, v, &[(a.id, m, uid)])?;
                } else {
                    located_validity = Some(v);
                    located.push((a.id, m, uid));
                }
                let folder = dest.to_owned();
                chains.at.insert(
                    m,
                    Location {
                        folder,
                        uidvalidity: v,
                        uid,
                    },
                );
            }
            // No Message-ID to find it by: the local copy goes, the sync brings the
            // server's.
            _ => {
                let _ = work.store.forget_unsynced(m);
                chains.failed.insert(m);
            }
        }
    }
    if let Some(v) = located_validity {
        work.store.record_locations(dest, v, &located)?;
    }
    if gone > 0 {
        work.summary.warnings.push(format!(
            "{gone} {} moved offline had already been removed on the server; removed here too",
            if gone == 1 { "message" } else { "messages" }
        ));
    }
    Ok(())
}

/// MOVE to a local folder name, creating the folder on the server when it has none yet (the
/// user moved to a folder made offline).
async fn move_to<S: ImapStream>(
    session: &mut ImapSession<S>,
    work: &mut Work<'_>,
    folders: &mut ServerFolders,
    dest: &str,
    uids: &[u32],
) -> Result<Option<Moved>, ImapError> {
    let wire = match folders.get(dest) {
        Some(f) => f.name.clone(),
        None => {
            // A folder bound before (its server folder deleted since) is made again under its
            // own server name; a local-only one under the derived name.
            let bound = work
                .store
                .folder_states(&work.account.name)
                .ok()
                .and_then(|all| all.into_iter().find(|(_, name, _)| name == dest))
                .and_then(|(_, _, st)| st.server_name);
            let Some(wire) = bound.or_else(|| folders.new_server_name(dest)) else {
                return Err(ImapError::InvalidArgument {
                    reason: format!(
                        "folder {dest} would be created on the server under a name another \
                         local folder already mirrors"
                    ),
                });
            };
            let wire =
                super::create::create_where_allowed(session, &wire, folders.delimiter).await?;
            // Bind the local folder to its new server folder (it exists here: the move made it).
            if let Ok(id) = work.store.folder_id(&work.account.name, dest) {
                let state = FolderState {
                    server_name: Some(wire.clone()),
                    ..FolderState::default()
                };
                if let Err(e) = work.store.set_folder_state(id, &state) {
                    tracing::warn!("could not record folder {dest}'s server name: {e}");
                }
            }
            let folder = Folder {
                name: wire.clone(),
                display_name: dest.to_owned(),
                delimiter: folders.delimiter,
                attributes: Vec::new(),
                role: None,
                selectable: true,
            };
            folders.insert(dest, folder);
            wire
        }
    };
    session.move_messages(uids, &wire).await
}

/// A failed command: a broken session is returned (the actions stay queued); "not now" keeps
/// them (and the later actions on their messages) for the next sync; a refusal undoes them.
fn refused(
    work: &mut Work<'_>,
    chains: &mut Chains,
    run: &[Action],
    e: ImapError,
) -> Result<(), EngineError> {
    if e.is_fatal_to_session() || matches!(e, ImapError::Broken { .. }) {
        return Err(e.into());
    }
    if e.kind() == crate::error::ErrorKind::Temporary {
        warn(
            work,
            run,
            &format!("the server said not now ({e}); kept for the next sync"),
        );
        chains.waiting.extend(run.iter().filter_map(|a| a.message));
        return Ok(());
    }
    not_applied(
        work,
        chains,
        run,
        &format!(
            "the server refused it ({}); undone here",
            crate::error::chain_line(&e)
        ),
    )
}

/// Actions that will not be applied: warned about, out of the queue, and undone here. A moved
/// message goes back to the folder and UID it has on the server (or, when that cannot be
/// done, its local copy goes); the folder is read again at the next sync, which restores
/// its flags, and a message deleted here for good, as the server has them.
fn not_applied(
    work: &mut Work<'_>,
    chains: &mut Chains,
    run: &[Action],
    why: &str,
) -> Result<(), EngineError> {
    warn(work, run, why);
    for a in run {
        work.store.remove_action(a.id)?;
        if let Some(m) = a.message {
            let back = match a.uid {
                Some(uid) => {
                    let account = &work.account.name;
                    work.store
                        .undo_move(m, account, &a.folder, a.uidvalidity, uid)?
                }
                None => false,
            };
            if !back {
                let _ = work.store.forget_unsynced(m);
            }
            chains.failed.insert(m);
        }
        work.store
            .resync_after_refusal(&work.account.name, &a.folder, a.uidvalidity, a.uid)?;
    }
    Ok(())
}

fn warn(work: &mut Work<'_>, run: &[Action], why: &str) {
    work.summary.warnings.push(format!(
        "{} queued {} in folder {} not applied: {why}",
        run.len(),
        if run.len() == 1 { "change" } else { "changes" },
        run[0].folder
    ));
}

fn drop_all(work: &mut Work<'_>, run: &[Action]) -> Result<(), EngineError> {
    for a in run {
        work.store.remove_action(a.id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(id: i64, folder: &str, kind: ActionKind) -> Action {
        Action {
            id,
            account: "a".into(),
            kind,
            message: Some(id),
            folder: folder.into(),
            uidvalidity: Some(7),
            uid: Some(u32::try_from(id * 2).unwrap_or(1)),
            message_id: None,
            created: 0,
        }
    }

    #[test]
    fn a_bulk_action_goes_in_runs_of_at_most_run_max() {
        let flag = ActionKind::AddFlag(Flag::Flagged);
        // 1,200 flags in INBOX, then 3 deletes there, then 2 flags in Archive.
        let mut queue: Vec<Action> = (1..=1200)
            .map(|i| action(i, "INBOX", flag.clone()))
            .collect();
        queue.extend((1201..=1203).map(|i| action(i, "INBOX", ActionKind::Delete)));
        queue.extend((1204..=1205).map(|i| action(i, "Archive", flag.clone())));
        let sizes: Vec<usize> = runs(queue).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![RUN_MAX, RUN_MAX, 200, 3, 2]);
        // The longest set a run makes fits a line servers accept.
        let uids: Vec<u32> = (0..RUN_MAX as u32).map(|i| 4_000_000_000 - 2 * i).collect();
        let set = crate::proto::imap::codec::uid_set(&uids).unwrap();
        assert!(set.len() < 6_000, "{} octets", set.len());
    }
}
