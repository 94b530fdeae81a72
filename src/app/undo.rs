//! Undo (issue #13): the session's flag changes, moves and deletes, kept newest last, so that
//! `z` / `:undo` takes back the newest one, then the one before, and so on.
//!
//! An undo is not a rollback: it is a new action the other way, done in the store like any
//! other (which queues it for the server), so it reaches the server over the live connection
//! at once, or at the next sync offline. A message moved since the last sync has no UID yet;
//! the queue's chained actions (`store/chain.rs`, `engine/imap/replay.rs`) find it on the
//! server. The message id survives a move (the Maildir name is kept), which is what lets an
//! entry name the messages it moved.
//!
//! What must hold:
//! - an entry records what the action *did* (looked up in the store before and after), not
//!   what was asked: a flag already set is not cleared by the undo, a message that stayed put
//!   is not moved;
//! - a delete that removed messages for good (no Trash, or deleted from Trash) cannot be
//!   undone, and the undo says so instead of pretending;
//! - messages gone since (expunged by another client, deleted for good later) are skipped and
//!   counted, never an error for the others.

use crate::mail::Flag;
use crate::store::{self, MessageSummary, Store, StoreError};

/// How many actions the session remembers.
const UNDO_KEPT: usize = 100;

/// One user action, as what it takes to take it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Undo {
    /// Messages moved, or deleted to Trash (`deleted`): each goes back to the folder it was in.
    /// `lost` counts those the same action removed for good.
    MoveBack {
        back: Vec<(store::MessageId, String)>,
        deleted: bool,
        lost: usize,
    },
    /// Flags changed: per message, each flag the action changed and the state it set.
    Flags(Vec<(store::MessageId, Vec<(Flag, bool)>)>),
    /// A delete that removed this many messages for good.
    Permanent(usize),
}

/// The session's undoable actions, oldest first.
#[derive(Debug, Default)]
pub(super) struct UndoStack {
    entries: Vec<Undo>,
}

impl UndoStack {
    pub(super) fn push(&mut self, entry: Undo) {
        if self.entries.len() == UNDO_KEPT {
            self.entries.remove(0);
        }
        self.entries.push(entry);
    }

    pub(super) fn pop(&mut self) -> Option<Undo> {
        self.entries.pop()
    }
}

/// The messages as they are now (those the store does not know are left out).
pub(super) fn snapshot(store: &Store, ids: &[store::MessageId]) -> Vec<MessageSummary> {
    ids.iter().filter_map(|&id| store.get(id).ok()).collect()
}

/// What a move or delete did, from the messages before it and the store after it; `None` when
/// it changed nothing.
pub(super) fn after_move(store: &Store, before: &[MessageSummary], deleted: bool) -> Option<Undo> {
    let mut back = Vec::new();
    let mut lost = 0;
    for b in before {
        match store.get(b.id) {
            Ok(now) if now.folder_id != b.folder_id => back.push((b.id, b.folder.clone())),
            Ok(_) => {}
            Err(_) => lost += 1,
        }
    }
    match (back.is_empty(), lost) {
        (true, 0) => None,
        (true, n) => Some(Undo::Permanent(n)),
        (false, _) => Some(Undo::MoveBack {
            back,
            deleted,
            lost,
        }),
    }
}

/// What a flag change did; `None` when no flag changed.
pub(super) fn after_flags(store: &Store, before: &[MessageSummary]) -> Option<Undo> {
    let mut changes = Vec::new();
    for b in before {
        let Ok(now) = store.get(b.id) else { continue };
        let changed: Vec<(Flag, bool)> = Flag::ALL
            .into_iter()
            .filter(|&f| now.flags.contains(f) != b.flags.contains(f))
            .map(|f| (f, now.flags.contains(f)))
            .collect();
        if !changed.is_empty() {
            changes.push((b.id, changed));
        }
    }
    (!changes.is_empty()).then_some(Undo::Flags(changes))
}

/// Why an undo did nothing.
#[derive(Debug, thiserror::Error)]
pub(super) enum UndoError {
    #[error("Nothing to undo")]
    Nothing,
    #[error(
        "Cannot undo: deleting {} was permanent (no Trash, or deleted from Trash)",
        messages(*.0)
    )]
    Permanent(usize),
    #[error("Cannot undo: the {} no longer in the store (expunged since?)", gone(*.0))]
    Gone(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Does the action the other way in the store (which queues it for the server). Returns what
/// was done, for the status line ("moved 3 messages back to INBOX"), and the accounts touched.
pub(super) fn apply(store: &mut Store, entry: Undo) -> Result<(String, Vec<String>), UndoError> {
    match entry {
        Undo::Permanent(n) => Err(UndoError::Permanent(n)),
        Undo::MoveBack {
            back,
            deleted,
            lost,
        } => {
            let mut accounts = Vec::new();
            let mut folders: Vec<(String, Vec<store::MessageId>)> = Vec::new();
            let mut gone = 0;
            for (id, folder) in back {
                let Ok(now) = store.get(id) else {
                    gone += 1;
                    continue;
                };
                accounts.push(now.account);
                match folders.iter_mut().find(|(f, _)| *f == folder) {
                    Some((_, ids)) => ids.push(id),
                    None => folders.push((folder, vec![id])),
                }
            }
            if folders.is_empty() {
                return Err(UndoError::Gone(gone));
            }
            let mut n = 0;
            for (folder, ids) in &folders {
                store.move_messages(ids, folder)?;
                n += ids.len();
            }
            let names: Vec<&str> = folders.iter().map(|(f, _)| f.as_str()).collect();
            let mut line = if deleted {
                format!("restored {} to {}", messages(n), names.join(", "))
            } else {
                format!("moved {} back to {}", messages(n), names.join(", "))
            };
            if lost > 0 {
                line.push_str(&format!("; {} deleted for good", messages(lost)));
            }
            if gone > 0 {
                line.push_str(&format!("; {}", gone_line(gone)));
            }
            Ok((line, dedup(accounts)))
        }
        Undo::Flags(changes) => {
            let mut accounts = Vec::new();
            let mut words: Vec<&str> = Vec::new();
            let (mut n, mut gone) = (0, 0);
            for (id, changed) in changes {
                let Ok(now) = store.get(id) else {
                    gone += 1;
                    continue;
                };
                for &(flag, set) in &changed {
                    store.set_flag(&[id], flag, !set)?;
                    let word = flag_word(flag, !set);
                    if !words.contains(&word) {
                        words.push(word);
                    }
                }
                accounts.push(now.account);
                n += 1;
            }
            if n == 0 {
                return Err(UndoError::Gone(gone));
            }
            let mut line = match words.as_slice() {
                [one] => format!("{one} {}", messages(n)),
                _ => format!("restored the flags of {}", messages(n)),
            };
            if gone > 0 {
                line.push_str(&format!("; {}", gone_line(gone)));
            }
            Ok((line, dedup(accounts)))
        }
    }
}

fn flag_word(flag: Flag, on: bool) -> &'static str {
    match (flag, on) {
        (Flag::Seen, true) => "marked read",
        (Flag::Seen, false) => "marked unread",
        (Flag::Flagged, true) => "flagged",
        (Flag::Flagged, false) => "unflagged",
        (Flag::Answered, true) => "marked answered",
        (Flag::Answered, false) => "marked unanswered",
        (Flag::Deleted, true) => "marked deleted",
        (Flag::Deleted, false) => "marked not deleted",
        (Flag::Draft, true) => "marked draft",
        (Flag::Draft, false) => "marked not draft",
    }
}

fn messages(n: usize) -> String {
    format!("{n} message{}", if n == 1 { "" } else { "s" })
}

fn gone(n: usize) -> String {
    if n == 1 {
        "message is".to_owned()
    } else {
        format!("{n} messages are")
    }
}

fn gone_line(n: usize) -> String {
    format!("{} gone since", messages(n))
}

fn dedup(mut accounts: Vec<String>) -> Vec<String> {
    accounts.sort();
    accounts.dedup();
    accounts
}
