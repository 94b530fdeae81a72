//! `update()` for undo: `z` and `:undo` ask the backend, its answer shows in the status line
//! and the list and folder counts are reloaded; opening a message is not an undo step.

use crossterm::event::KeyCode;

use super::*;
use crate::error::ErrorKind;
use crate::ui::fixtures::*;
use crate::ui::types::*;

#[test]
fn z_and_colon_undo_ask_the_backend_to_undo() {
    let (mut m, fake) = started(10);
    assert_eq!(fake.keys(&mut m, "z"), vec![Command::Undo]);
    assert_eq!(m.status.as_ref().unwrap().text, "Undoing…");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Char(':'))));
    assert!(cmds.is_empty());
    fake.keys(&mut m, "undo");
    assert_eq!(
        fake.send(&mut m, Msg::Key(key(KeyCode::Enter))),
        vec![Command::Undo]
    );
}

#[test]
fn an_undo_done_says_what_and_reloads_the_list_and_counts() {
    let (mut m, _fake) = started(10);
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Undone {
            result: Ok("moved 3 messages back to INBOX".into()),
        }),
    );
    let status = m.status.as_ref().unwrap();
    assert_eq!(status.text, "Undone: moved 3 messages back to INBOX");
    assert!(!status.error);
    assert!(
        cmds.iter().any(|c| matches!(c, Command::LoadPage(_))),
        "the list is reloaded: {cmds:?}"
    );
    assert!(cmds.contains(&Command::LoadFolders {
        account: Some("work".into())
    }));
}

#[test]
fn an_undo_refused_shows_why_as_an_error() {
    let (mut m, _fake) = started(10);
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Undone {
            result: Err(BackendError::new(
                ErrorKind::Usage,
                "Cannot undo: deleting 1 message was permanent (no Trash, or deleted from Trash)",
            )),
        }),
    );
    assert!(cmds.is_empty());
    let status = m.status.as_ref().unwrap();
    assert!(status.error);
    assert!(status.text.contains("permanent"), "{}", status.text);
}

#[test]
fn flag_keys_are_undoable_but_opening_only_marks_read() {
    let (mut m, fake) = started(10);
    let id = MessageId("work-INBOX-0".into());
    assert_eq!(
        fake.keys(&mut m, "s"),
        vec![Command::SetFlags {
            ids: vec![id.clone()],
            add: Flags::FLAGGED,
            remove: Flags::NONE
        }]
    );
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(cmds.contains(&Command::MarkRead {
        ids: vec![id.clone()]
    }));
    assert!(
        !cmds.iter().any(|c| matches!(c, Command::SetFlags { .. })),
        "opening is not an undo step: {cmds:?}"
    );
}
