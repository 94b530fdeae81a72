//! `update()` in the Outbox pseudo-folder: shown in the pane, retry, drop with a question,
//! and the answers.

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::model::{Focus, PromptKind};
use crate::ui::types::*;

fn outbox() -> FolderRef {
    FolderRef::new("work", "Outbox")
}

/// The fixture's folders plus a non-empty Outbox for "work", with the Outbox list open.
fn in_outbox() -> (Model, Fake) {
    let (mut m, fake) = started(2);
    let mut folders = folders();
    folders.push(FolderInfo {
        name: "Outbox".into(),
        special: Some(SpecialUse::Outbox),
        total: 2,
        unread: 0,
    });
    fake.send(
        &mut m,
        Msg::Backend(Event::Folders {
            account: "work".into(),
            result: Ok(folders),
        }),
    );
    fake.send(&mut m, Msg::Backend(Event::FolderChanged(outbox())));
    open(&mut m, &fake, outbox());
    (m, fake)
}

/// Opens `folder` with its first page answered.
fn open(m: &mut Model, fake: &Fake, folder: FolderRef) {
    for c in super::open_folder(m, folder) {
        if let Command::LoadPage(req) = c {
            fake.send(m, Msg::Backend(fake.answer(&req)));
        }
    }
}

#[test]
fn the_outbox_sits_right_after_the_inbox() {
    let (m, _fake) = in_outbox();
    let names: Vec<String> = m.folders.accounts[0]
        .folders
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let inbox = names.iter().position(|n| n == "INBOX").unwrap();
    assert_eq!(names[inbox + 1], "Outbox", "{names:?}");
}

#[test]
fn f_in_the_outbox_retries_the_selected_message() {
    let (mut m, fake) = in_outbox();
    let id = m.list.as_ref().unwrap().selected_row().unwrap().id.clone();
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Char('F'))));
    assert_eq!(
        cmds,
        vec![Command::RetryOutbox {
            ids: vec![id.clone()]
        }]
    );
    update(
        &mut m,
        Msg::Backend(Event::OutboxRetried {
            ids: vec![id.clone()],
            result: Ok(1),
        }),
    );
    assert_eq!(m.status.as_ref().unwrap().text, "Sent from the outbox");
    // Sent from the message view: the view closes (the message left the outbox).
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(m.message.is_some());
    update(
        &mut m,
        Msg::Backend(Event::OutboxRetried {
            ids: vec![id.clone()],
            result: Ok(1),
        }),
    );
    assert!(m.message.is_none() && m.focus == Focus::List);
    update(
        &mut m,
        Msg::Backend(Event::OutboxRetried {
            ids: vec![id],
            result: Err(BackendError::new(
                crate::error::ErrorKind::Network,
                "cannot connect to smtp.x.test:587",
            )),
        }),
    );
    let status = m.status.as_ref().unwrap();
    assert!(status.error && status.text.contains("Still in the outbox: cannot connect"));
}

#[test]
fn f_outside_the_outbox_sends_nothing() {
    let (mut m, fake) = started(5);
    super::open_folder(&mut m, FolderRef::new("work", "INBOX"));
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Char('F'))));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(m.status.as_ref().unwrap().error);
}

#[test]
fn d_in_the_outbox_asks_and_only_y_drops() {
    let (mut m, fake) = in_outbox();
    let id = m.list.as_ref().unwrap().selected_row().unwrap().id.clone();
    // Any other key keeps it.
    assert!(fake.keys(&mut m, "d").is_empty(), "d alone only asks");
    assert!(matches!(
        m.prompt.as_ref().map(|p| &p.kind),
        Some(PromptKind::DropOutbox { .. })
    ));
    assert!(fake.keys(&mut m, "n").is_empty());
    assert!(m.prompt.is_none());
    assert_eq!(m.status.as_ref().unwrap().text, "Kept in the outbox");
    // y drops, not a Delete (the queue is not a folder with a Trash).
    let cmds = fake.keys(&mut m, "dy");
    assert_eq!(
        cmds,
        vec![Command::DropOutbox {
            ids: vec![id.clone()]
        }]
    );
    update(
        &mut m,
        Msg::Backend(Event::OutboxDropped {
            ids: vec![id],
            result: Ok(()),
        }),
    );
    assert!(m.status.as_ref().unwrap().text.contains("Dropped"));
}

#[test]
fn an_open_queued_message_is_closed_when_dropped() {
    let (mut m, fake) = in_outbox();
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let id = m.message.as_ref().unwrap().id.clone();
    let cmds = fake.keys(&mut m, "dy");
    assert_eq!(
        cmds,
        vec![Command::DropOutbox {
            ids: vec![id.clone()]
        }]
    );
    update(
        &mut m,
        Msg::Backend(Event::OutboxDropped {
            ids: vec![id],
            result: Ok(()),
        }),
    );
    assert!(m.message.is_none());
    assert_eq!(m.focus, Focus::List);
}

#[test]
fn move_in_the_outbox_is_refused() {
    let (mut m, fake) = in_outbox();
    let cmds = fake.keys(&mut m, "m");
    assert!(cmds.is_empty() && m.prompt.is_none());
    assert!(m.status.as_ref().unwrap().error);
}

#[test]
fn a_change_to_the_outbox_reloads_its_list() {
    let (mut m, _fake) = in_outbox();
    let cmds = update(&mut m, Msg::Backend(Event::FolderChanged(outbox())));
    assert_eq!(
        cmds[0],
        Command::LoadFolders {
            account: Some("work".into())
        }
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::LoadPage(r) if r.source == ListSource::Folder(outbox()))),
        "{cmds:?}"
    );
}

#[test]
fn nothing_is_moved_into_the_outbox() {
    let (mut m, fake) = in_outbox();
    open(&mut m, &fake, FolderRef::new("work", "INBOX"));
    fake.keys(&mut m, "m");
    assert!(m.prompt.is_some());
    let cmds = fake.keys(&mut m, "Outbox");
    assert!(cmds.is_empty());
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(m.status.as_ref().unwrap().error);
}

#[test]
fn tagged_queued_messages_are_dropped_together_and_the_tags_go() {
    let (mut m, fake) = in_outbox();
    fake.keys(&mut m, "TT");
    assert_eq!(m.tags.len(), 2);
    fake.keys(&mut m, "d");
    let ids = match &m.prompt.as_ref().unwrap().kind {
        PromptKind::DropOutbox { ids } => ids.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(ids.len(), 2, "both tagged messages");
    assert_eq!(fake.keys(&mut m, "y"), vec![Command::DropOutbox { ids }]);
    assert!(m.tags.is_empty());
}
