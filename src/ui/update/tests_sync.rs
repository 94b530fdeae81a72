//! `update()` with plain values: what a sync's end, a renumbered folder and an offline open
//! of an envelope-only message do to the screen.

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::types::*;

fn inbox() -> FolderRef {
    FolderRef::new("work", "INBOX")
}

fn state(m: &mut Model, account: &str, state: AccountState) -> Vec<Command> {
    update(
        m,
        Msg::Backend(Event::AccountState {
            account: account.into(),
            state,
        }),
    )
}

#[test]
fn the_syncing_line_clears_when_every_account_has_synced() {
    let (mut m, fake) = started(10);
    let cmds = fake.keys(&mut m, "$");
    assert_eq!(cmds, vec![Command::Sync { account: None }]);
    assert_eq!(m.status.as_ref().unwrap().text, "Syncing…");
    state(&mut m, "work", AccountState::Connecting);
    state(&mut m, "home", AccountState::Connecting);
    state(
        &mut m,
        "work",
        AccountState::Syncing {
            done: 1,
            total: Some(2),
        },
    );
    state(&mut m, "work", AccountState::Online);
    // "home" still runs: the line stays.
    assert_eq!(m.status.as_ref().unwrap().text, "Syncing…");
    m.dirty = false;
    state(&mut m, "home", AccountState::Online);
    assert_eq!(m.status, None, "no key was pressed, yet the line cleared");
    assert!(m.dirty, "the cleared line is drawn");
}

#[test]
fn a_sync_ending_leaves_errors_and_other_news_alone() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "$");
    state(
        &mut m,
        "home",
        AccountState::Failed("cannot log in: authentication failed".into()),
    );
    state(&mut m, "work", AccountState::Online);
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "home: cannot log in: authentication failed"
    );
    m.set_status("Saved to /tmp/x");
    state(&mut m, "work", AccountState::Online);
    assert_eq!(m.status.as_ref().unwrap().text, "Saved to /tmp/x");
}

#[test]
fn a_busy_line_clears_when_that_account_has_synced() {
    let (mut m, _) = started(10);
    state(
        &mut m,
        "work",
        AccountState::Busy("busy: being synced by postie (pid 7); trying again in 30s".into()),
    );
    assert!(m.status.as_ref().unwrap().text.starts_with("work: busy"));
    state(&mut m, "work", AccountState::Online);
    assert_eq!(m.status, None);
}

#[test]
fn a_renumbered_folder_is_shown_afresh_and_its_open_message_closed() {
    let (mut m, fake) = started(200);
    fake.keys(&mut m, "jjjjj");
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(m.message.is_some());
    let before = m.list.as_ref().unwrap().generation;
    let cmds = update(&mut m, Msg::Backend(Event::FolderReset(inbox())));
    assert_eq!(m.message, None, "the open message's id is stale");
    assert_eq!(m.focus, Focus::List);
    let list = m.list.as_ref().unwrap();
    assert!(
        list.generation > before,
        "answers for the old numbering are dropped"
    );
    assert_eq!(list.selected, 0);
    assert_eq!(list.selected_row(), None, "no stale row is kept");
    assert_eq!(
        cmds[0],
        Command::LoadFolders {
            account: Some("work".into())
        }
    );
    assert!(
        cmds[1..].iter().any(|c| matches!(
            c,
            Command::LoadPage(r) if r.offset == 0 && r.source == ListSource::Folder(inbox())
        )),
        "{cmds:?}"
    );
}

#[test]
fn another_folder_renumbered_leaves_the_screen_alone() {
    let (mut m, fake) = started(200);
    fake.keys(&mut m, "jj");
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let before = m.list.as_ref().unwrap().generation;
    let cmds = update(
        &mut m,
        Msg::Backend(Event::FolderReset(FolderRef::new("work", "Archive"))),
    );
    assert_eq!(
        cmds,
        vec![Command::LoadFolders {
            account: Some("work".into())
        }]
    );
    assert!(m.message.is_some());
    assert_eq!(m.list.as_ref().unwrap().generation, before);
}

/// Row 0 of the fixtures is unread; here only its envelope is stored.
fn envelope_only_first_row(m: &mut Model) -> MessageId {
    let list = m.list.as_mut().unwrap();
    let row = list.rows_mut().next().unwrap();
    assert!(!row.flags.seen);
    row.has_body = false;
    row.id.clone()
}

#[test]
fn opening_an_envelope_only_message_offline_leaves_it_unread() {
    let (mut m, fake) = started(10);
    let id = envelope_only_first_row(&mut m);
    let unread = m.folders.accounts[0].folders[0].unread;
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(cmds, vec![Command::OpenMessage(id.clone())]);
    let answer = Message {
        body: "body not downloaded yet: offline (started with --offline)".into(),
        downloaded: false,
        ..message(&id)
    };
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(answer),
        }),
    );
    assert_eq!(cmds, vec![], "no SetFlags");
    assert!(!m.list.as_ref().unwrap().selected_row().unwrap().flags.seen);
    assert_eq!(m.folders.accounts[0].folders[0].unread, unread);
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Body not downloaded: the message stays unread"
    );
}

#[test]
fn an_envelope_only_message_is_marked_read_once_its_body_came_down() {
    let (mut m, fake) = started(10);
    let id = envelope_only_first_row(&mut m);
    let unread = m.folders.accounts[0].folders[0].unread;
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
    assert_eq!(
        cmds,
        vec![Command::SetFlags {
            ids: vec![id],
            add: Flags::SEEN,
            remove: Flags::NONE
        }]
    );
    assert!(m.list.as_ref().unwrap().selected_row().unwrap().flags.seen);
    assert_eq!(m.folders.accounts[0].folders[0].unread, unread - 1);
}
