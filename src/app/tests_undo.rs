//! Undo with a real store (the demo mailbox): each `Command::Undo` takes back the newest flag
//! change, move or delete as a new action the other way; a permanent delete is refused, not
//! pretended; marking read by opening is not a step.

use super::tests::{Rig, folder, inbox, rig};
use super::*;
use crate::ui::{Flags, FolderRef};

fn undo(r: &mut Rig) -> Result<String, BackendError> {
    r.ask(Command::Undo, |e| match e {
        Event::Undone { result } => Some(result),
        _ => None,
    })
}

/// A new list generation per page asked, so that no cached order answers.
fn generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(100);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn ids_in(r: &mut Rig, source: ListSource) -> Vec<ui::MessageId> {
    r.page(source, Sort::default(), generation(), 0)
        .rows
        .into_iter()
        .map(|r| r.id)
        .collect()
}

fn row(r: &mut Rig, source: ListSource, id: &ui::MessageId) -> ui::Row {
    r.page(source, Sort::default(), generation(), 0)
        .rows
        .into_iter()
        .find(|r| &r.id == id)
        .expect("the message is in the list")
}

fn flags(r: &mut Rig, ids: Vec<ui::MessageId>, add: Flags, remove: Flags) {
    r.ask(Command::SetFlags { ids, add, remove }, |e| match e {
        Event::FlagsSet { result, .. } => Some(result),
        _ => None,
    })
    .unwrap();
}

fn delete(r: &mut Rig, id: &ui::MessageId) {
    r.ask(
        Command::Delete {
            ids: vec![id.clone()],
        },
        |e| match e {
            Event::Deleted { result, .. } => Some(result),
            _ => None,
        },
    )
    .unwrap();
}

#[test]
fn a_delete_to_trash_is_undone_back_to_its_folder() {
    let mut r = rig(Mode::Demo);
    let id = ids_in(&mut r, inbox())[0].clone();
    delete(&mut r, &id);
    assert!(ids_in(&mut r, folder("Trash")).contains(&id));
    assert_eq!(undo(&mut r).unwrap(), "restored 1 message to INBOX");
    assert!(ids_in(&mut r, inbox()).contains(&id));
    assert!(!ids_in(&mut r, folder("Trash")).contains(&id));
}

#[test]
fn undo_goes_back_one_action_at_a_time_newest_first() {
    let mut r = rig(Mode::Demo);
    let inbox_ids = ids_in(&mut r, inbox());
    let (a, b) = (inbox_ids[0].clone(), inbox_ids[1].clone());
    let was_flagged = row(&mut r, inbox(), &a).flags.flagged;
    let (add, remove) = if was_flagged {
        (Flags::NONE, Flags::FLAGGED)
    } else {
        (Flags::FLAGGED, Flags::NONE)
    };
    flags(&mut r, vec![a.clone()], add, remove);
    r.ask(
        Command::Move {
            ids: vec![b.clone()],
            to: FolderRef::new(DEMO_ACCOUNT, "Archive"),
        },
        |e| match e {
            Event::Moved { result, .. } => Some(result),
            _ => None,
        },
    )
    .unwrap();

    assert_eq!(undo(&mut r).unwrap(), "moved 1 message back to INBOX");
    assert!(ids_in(&mut r, inbox()).contains(&b));
    assert!(!ids_in(&mut r, folder("Archive")).contains(&b));
    assert_eq!(row(&mut r, inbox(), &a).flags.flagged, !was_flagged);

    let line = undo(&mut r).unwrap();
    assert_eq!(
        line,
        if was_flagged {
            "flagged 1 message"
        } else {
            "unflagged 1 message"
        }
    );
    assert_eq!(row(&mut r, inbox(), &a).flags.flagged, was_flagged);

    let nothing = undo(&mut r).unwrap_err();
    assert_eq!(nothing.message, "Nothing to undo");
}

#[test]
fn a_flag_undo_reverses_only_what_the_action_changed() {
    let mut r = rig(Mode::Demo);
    let rows = r.page(inbox(), Sort::default(), generation(), 0).rows;
    let seen = rows
        .iter()
        .find(|r| r.flags.seen && !r.flags.flagged)
        .expect("a read, unflagged message")
        .id
        .clone();
    flags(
        &mut r,
        vec![seen.clone()],
        Flags::SEEN.apply(Flags::FLAGGED, Flags::NONE),
        Flags::NONE,
    );
    assert_eq!(undo(&mut r).unwrap(), "unflagged 1 message");
    let now = row(&mut r, inbox(), &seen).flags;
    assert!(now.seen, "it was read before: it stays read");
    assert!(!now.flagged);
}

#[test]
fn marking_read_by_opening_is_not_an_undo_step() {
    let mut r = rig(Mode::Demo);
    let rows = r.page(inbox(), Sort::default(), generation(), 0).rows;
    let unread = rows.iter().find(|r| !r.flags.seen).unwrap().id.clone();
    r.ask(
        Command::MarkRead {
            ids: vec![unread.clone()],
        },
        |e| match e {
            Event::FlagsSet { result, .. } => Some(result),
            _ => None,
        },
    )
    .unwrap();
    assert!(row(&mut r, inbox(), &unread).flags.seen);
    assert_eq!(undo(&mut r).unwrap_err().message, "Nothing to undo");
    assert!(row(&mut r, inbox(), &unread).flags.seen);
}

#[test]
fn a_permanent_delete_says_it_cannot_be_undone() {
    let mut r = rig(Mode::Demo);
    let id = ids_in(&mut r, inbox())[0].clone();
    delete(&mut r, &id);
    // Deleting from Trash removes it for good.
    delete(&mut r, &id);
    let err = undo(&mut r).unwrap_err();
    assert!(
        err.message
            .starts_with("Cannot undo: deleting 1 message was permanent"),
        "{}",
        err.message
    );
    assert!(!ids_in(&mut r, folder("Trash")).contains(&id));
    // The step before it (to Trash) has nothing left to restore.
    let gone = undo(&mut r).unwrap_err();
    assert!(
        gone.message.contains("no longer in the store"),
        "{}",
        gone.message
    );
}

/// Offline, on an IMAP account: the undo of a delete is queued as a move from Trash back to
/// INBOX, chained after the delete (no UID yet in Trash: the replay resolves it).
#[test]
fn offline_the_undo_is_queued_after_the_action_it_takes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path()).unwrap();
    s.ensure_account("imap", store::AccountKind::Imap).unwrap();
    let inbox = s.ensure_folder("imap", "INBOX").unwrap();
    s.ensure_folder("imap", "Trash").unwrap();
    s.set_folder_state(
        inbox,
        &store::FolderState {
            uidvalidity: Some(42),
            uidnext: Some(2),
            ..store::FolderState::default()
        },
    )
    .unwrap();
    let raw = b"From: a@x.test\r\nSubject: undo me\r\nMessage-ID: <u1@x.test>\r\n\r\nhi\r\n";
    let ids = s
        .deliver_batch(
            inbox,
            &[store::NewMessage {
                uid: Some(1),
                ..store::NewMessage::new(raw)
            }],
        )
        .unwrap();

    let before = undo::snapshot(&s, &ids);
    s.delete_messages(&ids).unwrap();
    let entry = undo::after_move(&s, &before, true).expect("the delete moved it to Trash");
    let (line, accounts) = undo::apply(&mut s, entry).unwrap();
    assert_eq!(line, "restored 1 message to INBOX");
    assert_eq!(accounts, vec!["imap".to_owned()]);
    assert_eq!(s.get(ids[0]).unwrap().folder, "INBOX");

    let q = s.pending_actions("imap").unwrap();
    assert_eq!(q.len(), 2, "{q:?}");
    assert_eq!(q[0].kind, store::ActionKind::Delete);
    assert_eq!((q[0].folder.as_str(), q[0].uid), ("INBOX", Some(1)));
    assert_eq!(q[1].kind, store::ActionKind::Move("INBOX".into()));
    assert_eq!((q[1].folder.as_str(), q[1].uid), ("Trash", None));
    assert_eq!(q[1].message, Some(ids[0]));
}
