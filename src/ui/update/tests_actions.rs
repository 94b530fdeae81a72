//! `update()` with plain values: reading, message actions, panes, mouse, backend events.

use crossterm::event::{KeyCode, MouseButton, MouseEvent, MouseEventKind};
use std::collections::BTreeMap;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::keymap::Keymap;
use crate::ui::types::*;

fn inbox() -> FolderRef {
    FolderRef::new("work", "INBOX")
}

#[test]
fn opening_marks_read_and_shows_the_message() {
    let (mut m, fake) = started(10);
    let unread_before = m.folders.accounts[0].folders[0].unread;
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let id = MessageId("work-INBOX-0".into());
    assert_eq!(
        cmds,
        vec![
            Command::OpenMessage(id.clone()),
            Command::MarkRead {
                ids: vec![id.clone()]
            }
        ]
    );
    assert!(m.list.as_ref().unwrap().selected_row().unwrap().flags.seen);
    assert_eq!(m.folders.accounts[0].folders[0].unread, unread_before - 1);
    assert_eq!(m.focus, Focus::Message);
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: MessageId("other".into()),
            result: Ok(message(&id)),
        }),
    );
    assert!(
        m.message.as_ref().unwrap().message.is_none(),
        "an answer for another message is dropped"
    );
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
    assert_eq!(
        m.message
            .as_ref()
            .unwrap()
            .message
            .as_ref()
            .unwrap()
            .attachments
            .len(),
        2
    );
    // q closes the message, not the program.
    assert!(update(&mut m, Msg::Key(key(KeyCode::Char('q')))).is_empty());
    assert!(m.message.is_none());
    assert_eq!(
        update(&mut m, Msg::Key(key(KeyCode::Char('q')))),
        vec![Command::Quit]
    );
    assert!(m.quit);
}

#[test]
fn attachments_save_and_open() {
    let (mut m, fake) = started(10);
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let id = MessageId("work-INBOX-0".into());
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
    fake.keys(&mut m, "]w");
    assert_eq!(m.prompt.as_ref().unwrap().input.text(), "photo.jpg");
    fake.send(&mut m, Msg::Key(ctrl('u')));
    let cmds = fake.keys(&mut m, "~/Pictures/p.jpg");
    assert!(cmds.is_empty());
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::SaveAttachment {
            id: id.clone(),
            part: 3,
            path: "/home/alice/Pictures/p.jpg".into()
        }]
    );
    update(
        &mut m,
        Msg::Backend(Event::AttachmentSaved {
            path: "/home/alice/Pictures/p.jpg".into(),
            result: Ok(()),
        }),
    );
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Saved to /home/alice/Pictures/p.jpg"
    );
    assert_eq!(
        fake.keys(&mut m, "[v"),
        vec![Command::OpenAttachment { id, part: 2 }]
    );
}

#[test]
fn find_in_message() {
    let (mut m, fake) = started(10);
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let id = MessageId("work-INBOX-0".into());
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
    fake.keys(&mut m, "/QUOTED");
    assert_eq!(m.message.as_ref().unwrap().find_hits, vec![4, 5]);
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    fake.keys(&mut m, "n");
    assert_eq!(m.message.as_ref().unwrap().find_at, 1);
    fake.keys(&mut m, "n");
    assert_eq!(m.message.as_ref().unwrap().find_at, 0);
}

#[test]
fn flag_unread_delete_move() {
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
    assert_eq!(
        fake.keys(&mut m, "s"),
        vec![Command::SetFlags {
            ids: vec![id.clone()],
            add: Flags::NONE,
            remove: Flags::FLAGGED
        }]
    );
    assert_eq!(
        fake.keys(&mut m, "u"),
        vec![Command::SetFlags {
            ids: vec![id.clone()],
            add: Flags::SEEN,
            remove: Flags::NONE
        }]
    );
    assert_eq!(
        fake.keys(&mut m, "d"),
        vec![Command::Delete {
            ids: vec![id.clone()]
        }]
    );
    let generation0 = m.list.as_ref().unwrap().generation;
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Deleted {
            ids: vec![id.clone()],
            result: Ok(()),
        }),
    );
    assert_eq!(m.status.as_ref().unwrap().text, "Deleted 1 message");
    assert!(matches!(&cmds[0], Command::LoadPage(r) if r.generation > generation0));
    assert_eq!(
        cmds.last(),
        Some(&Command::LoadFolders {
            account: Some("work".into())
        })
    );
    for c in cmds {
        if let Command::LoadPage(r) = c {
            update(&mut m, Msg::Backend(fake.answer(&r)));
        }
    }
    fake.keys(&mut m, "mArc");
    fake.send(&mut m, Msg::Key(key(KeyCode::Tab)));
    assert_eq!(m.prompt.as_ref().unwrap().input.text(), "Archive");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::Move {
            ids: vec![id.clone()],
            to: FolderRef::new("work", "Archive")
        }]
    );
    fake.keys(&mut m, "mNowhere");
    assert!(fake.send(&mut m, Msg::Key(key(KeyCode::Enter))).is_empty());
    // A missing folder is offered for creation (tests_folders.rs); `n` moves nothing.
    assert_eq!(
        m.prompt.as_ref().unwrap().kind.label(),
        "Create folder Nowhere in work? y/n "
    );
    assert!(fake.keys(&mut m, "n").is_empty());
    assert_eq!(m.status.as_ref().unwrap().text, "Cancelled");
    // A failed flag change is shown and the list reloaded from the truth.
    let e = BackendError::new(
        crate::error::ErrorKind::Network,
        "cannot reach mail.x.test: timed out",
    );
    let cmds = update(
        &mut m,
        Msg::Backend(Event::FlagsSet {
            ids: vec![id],
            result: Err(e),
        }),
    );
    assert!(matches!(cmds[0], Command::LoadPage(_)));
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "cannot reach mail.x.test: timed out"
    );
}

#[test]
fn keymap_overrides_apply() {
    let keys = BTreeMap::from([
        ("down".to_string(), "J".to_string()),
        ("quit".to_string(), "x".to_string()),
    ]);
    let fake = Fake { total: 10 };
    let mut m = model_with(Keymap::from_config(&keys).unwrap());
    fake.send(
        &mut m,
        Msg::Backend(Event::Folders {
            account: "work".into(),
            result: Ok(folders()),
        }),
    );
    m.dirty = false;
    fake.keys(&mut m, "j");
    assert_eq!(m.list.as_ref().unwrap().selected, 0);
    assert!(!m.dirty, "an unbound key changes nothing");
    fake.keys(&mut m, "J");
    assert_eq!(m.list.as_ref().unwrap().selected, 1);
    assert!(fake.keys(&mut m, "q").is_empty());
    assert_eq!(fake.keys(&mut m, "x"), vec![Command::Quit]);
}

#[test]
fn panes_help_and_command_line() {
    let (mut m, fake) = started(10);
    fake.send(&mut m, Msg::Key(key(KeyCode::Tab)));
    assert_eq!(m.focus, Focus::Folders);
    fake.keys(&mut m, "jj");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(cmds.is_empty());
    assert_eq!(m.current, Some(FolderRef::new("work", "Sent")));
    fake.keys(&mut m, "?");
    assert_eq!(m.help, Some(0));
    fake.keys(&mut m, "jq");
    assert_eq!(m.help, None);
    assert!(!m.quit);
    fake.keys(&mut m, ":cd home/archive");
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(m.current, Some(FolderRef::new("home", "Archive")));
    fake.keys(&mut m, ":so");
    update(&mut m, Msg::Key(key(KeyCode::Tab)));
    assert_eq!(m.prompt.as_ref().unwrap().input.text(), "sort ");
    update(&mut m, Msg::Key(key(KeyCode::Esc)));
    fake.keys(&mut m, ":frobnicate");
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Unknown command: frobnicate (see :help)"
    );
    assert_eq!(update(&mut m, Msg::Key(ctrl('z'))), vec![Command::Suspend]);
    assert_eq!(
        update(&mut m, Msg::Key(key(KeyCode::Char('$')))),
        vec![Command::Sync { account: None }]
    );
}

#[test]
fn mouse_selects_opens_and_scrolls() {
    let (mut m, fake) = started(500);
    let list = layout::areas(&m).list;
    let click = |row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: list.x + 5,
            row,
            modifiers: crossterm::event::KeyModifiers::NONE,
        })
    };
    fake.send(&mut m, click(list.y + 4));
    assert_eq!(m.list.as_ref().unwrap().selected, 3);
    let cmds = fake.send(&mut m, click(list.y + 4));
    assert_eq!(
        cmds[0],
        Command::OpenMessage(MessageId("work-INBOX-3".into()))
    );
    m.dirty = false;
    fake.send(
        &mut m,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Moved,
            column: 1,
            row: 1,
            modifiers: crossterm::event::KeyModifiers::NONE,
        }),
    );
    assert!(!m.dirty, "pointer motion does not redraw");
    let list = layout::areas(&m).list;
    let wheel = Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: list.x + 3,
        row: list.y + 2,
        modifiers: crossterm::event::KeyModifiers::NONE,
    });
    fake.send(&mut m, wheel.clone());
    fake.send(&mut m, wheel);
    assert_eq!(m.list.as_ref().unwrap().scroll, 6);
    // A click on a folder opens it.
    let folders = layout::areas(&m).folders;
    fake.send(
        &mut m,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 3,
            row: folders.y + 3,
            modifiers: crossterm::event::KeyModifiers::NONE,
        }),
    );
    assert_eq!(m.current, Some(FolderRef::new("work", "Drafts")));
}

#[test]
fn backend_state_and_errors_reach_the_status_line() {
    let (mut m, _) = started(10);
    update(
        &mut m,
        Msg::Backend(Event::AccountState {
            account: "work".into(),
            state: AccountState::Syncing {
                done: 3,
                total: Some(10),
            },
        }),
    );
    assert_eq!(
        m.folders.accounts[0].state,
        AccountState::Syncing {
            done: 3,
            total: Some(10)
        }
    );
    update(
        &mut m,
        Msg::Backend(Event::AccountState {
            account: "home".into(),
            state: AccountState::Failed("cannot log in: authentication failed".into()),
        }),
    );
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "home: cannot log in: authentication failed"
    );
    let cmds = update(&mut m, Msg::Backend(Event::FolderChanged(inbox())));
    assert_eq!(
        cmds[0],
        Command::LoadFolders {
            account: Some("work".into())
        }
    );
    assert!(matches!(cmds[1], Command::LoadPage(_)));
    let cmds = update(
        &mut m,
        Msg::Backend(Event::FolderChanged(FolderRef::new("home", "INBOX"))),
    );
    assert_eq!(
        cmds,
        vec![Command::LoadFolders {
            account: Some("home".into())
        }]
    );
    // The next key clears the message.
    update(&mut m, Msg::Key(key(KeyCode::Char('j'))));
    assert!(m.status.is_none());
}

#[test]
fn resize_and_tick() {
    let (mut m, _) = started(1000);
    m.dirty = false;
    update(&mut m, Msg::Tick(NOW + 60));
    assert!(!m.dirty, "the same day needs no redraw");
    // Local midnight, not UTC's, makes "today" change: 12:01 UTC is 23:59:30 here...
    m.utc_offset = 12 * 3600 - 90;
    update(&mut m, Msg::Tick(NOW + 80));
    assert!(!m.dirty);
    // ...and a minute later it is tomorrow.
    update(&mut m, Msg::Tick(NOW + 150));
    assert!(m.dirty);
    let cmds = update(&mut m, Msg::Resize(200, 300));
    assert_eq!(m.size, (200, 300));
    assert!(cmds.iter().all(|c| matches!(c, Command::LoadPage(_))));
    assert!(!cmds.is_empty(), "a taller list needs more rows");
}

#[test]
fn a_no_op_never_cancels_a_pending_redraw() {
    let (mut m, _) = started(10);
    m.dirty = true;
    update(&mut m, Msg::Key(key(KeyCode::Char('Y'))));
    assert!(m.dirty);
    m.dirty = false;
    update(&mut m, Msg::Key(key(KeyCode::Char('Y'))));
    assert!(!m.dirty, "an unbound key alone draws nothing");
}

#[test]
fn ctrl_c_asks_then_quits_and_any_other_key_forgets() {
    let (mut m, fake) = started(10);
    assert!(fake.send(&mut m, Msg::Key(ctrl('c'))).is_empty());
    assert!(!m.quit);
    let status = m.status.as_ref().expect("Ctrl-C says something");
    assert!(status.text.contains("Ctrl-C again"), "{status:?}");
    // Another key in between: the next Ctrl-C asks again.
    fake.keys(&mut m, "j");
    assert!(fake.send(&mut m, Msg::Key(ctrl('c'))).is_empty());
    assert!(!m.quit);
    assert_eq!(fake.send(&mut m, Msg::Key(ctrl('c'))), vec![Command::Quit]);
    assert!(m.quit);
}

#[test]
fn ctrl_c_closes_an_open_prompt_and_in_the_editor_asks_before_discarding() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, ":sor");
    fake.send(&mut m, Msg::Key(ctrl('c')));
    assert!(m.prompt.is_none());
    assert!(!m.quit);
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "cbob");
    fake.send(&mut m, Msg::Key(ctrl('c')));
    let c = m.compose.as_ref().expect("still composing");
    assert!(c.confirm_discard, "asks before discarding");
    assert!(!m.quit);
}

#[test]
fn ctrl_c_bound_by_the_user_is_their_action() {
    let keys = std::collections::BTreeMap::from([("sync".to_string(), "C-c".to_string())]);
    let mut m = model_with(crate::ui::Keymap::from_config(&keys).expect("valid"));
    assert_eq!(
        update(&mut m, Msg::Key(ctrl('c'))),
        vec![Command::Sync { account: None }]
    );
}

#[test]
fn errors_are_logged_for_messages_and_the_log_is_bounded() {
    let mut m = model();
    for i in 0..crate::ui::model::LOG_LEN + 5 {
        m.set_error(format!("error {i}"));
    }
    assert_eq!(m.log.len(), crate::ui::model::LOG_LEN);
    assert_eq!(m.log.front().map(String::as_str), Some("error 5"));
    assert_eq!(
        m.log.back().map(String::as_str),
        Some(format!("error {}", crate::ui::model::LOG_LEN + 4).as_str())
    );
}

#[test]
fn new_mail_into_an_empty_open_folder_reloads_the_list() {
    let (mut m, _) = started(0);
    assert_eq!(m.list.as_ref().and_then(|l| l.total), Some(0));
    let cmds = update(&mut m, Msg::Backend(Event::FolderChanged(inbox())));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::LoadPage(r) if r.offset == 0)),
        "the empty folder's first page is asked for again: {cmds:?}"
    );
}
