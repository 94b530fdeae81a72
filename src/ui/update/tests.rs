//! `update()` with plain values: navigation, paging, threads, sorting, filtering, actions.

use crossterm::event::{KeyCode, MouseButton, MouseEvent, MouseEventKind};
use std::collections::BTreeMap;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::keymap::Keymap;
use crate::ui::list::PAGE_SIZE;
use crate::ui::model::PromptKind;
use crate::ui::protocol::{Page, PageRequest, SearchScope};
use crate::ui::types::*;

fn inbox() -> FolderRef {
    FolderRef::new("work", "INBOX")
}

fn selected_id(m: &Model) -> String {
    m.list
        .as_ref()
        .unwrap()
        .selected_row()
        .unwrap()
        .id
        .0
        .clone()
}

#[test]
fn startup_sorts_folders_and_opens_the_first_inbox() {
    let mut m = model();
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Folders {
            account: "work".into(),
            result: Ok(folders()),
        }),
    );
    let names: Vec<&str> = m.folders.accounts[0]
        .folders
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["INBOX", "Drafts", "Sent", "Archive", "Trash", "Projects"]
    );
    assert_eq!(m.current, Some(inbox()));
    assert_eq!(m.focus, Focus::List);
    let generation0 = m.list.as_ref().unwrap().generation;
    assert_eq!(
        cmds,
        vec![Command::LoadPage(PageRequest {
            source: ListSource::Folder(inbox()),
            offset: 0,
            limit: PAGE_SIZE,
            sort: Sort::default(),
            generation: generation0,
        })]
    );
    // The second account's folders do not steal the open folder.
    update(
        &mut m,
        Msg::Backend(Event::Folders {
            account: "home".into(),
            result: Ok(folders()),
        }),
    );
    assert_eq!(m.current, Some(inbox()));
}

#[test]
fn moves_through_a_big_folder_holding_few_pages() {
    let (mut m, fake) = started(100_000);
    let list = m.list.as_ref().unwrap();
    assert_eq!((list.total, list.selected), (Some(100_000), 0));
    fake.keys(&mut m, "jjj");
    assert_eq!(m.list.as_ref().unwrap().selected, 3);
    fake.keys(&mut m, "k");
    assert_eq!(selected_id(&m), "work-INBOX-2");
    fake.keys(&mut m, "G");
    assert_eq!(m.list.as_ref().unwrap().selected, 99_999);
    assert_eq!(selected_id(&m), "work-INBOX-99999");
    assert!(
        m.list.as_ref().unwrap().cached_pages() <= 4,
        "only pages near the viewport are kept"
    );
    fake.send(&mut m, Msg::Key(ctrl('b')));
    let h = layout::list_height(&m);
    assert_eq!(m.list.as_ref().unwrap().selected, 99_999 - h);
    fake.keys(&mut m, "g");
    assert_eq!(selected_id(&m), "work-INBOX-0");
}

#[test]
fn stale_pages_are_dropped() {
    let (mut m, _) = started(10);
    let old = m.list.as_ref().unwrap().generation;
    fake_sort(&mut m);
    let req = PageRequest {
        source: ListSource::Folder(inbox()),
        offset: 0,
        limit: PAGE_SIZE,
        sort: Sort::default(),
        generation: old,
    };
    let page = Page {
        offset: 0,
        total: 1,
        rows: vec![row(&inbox(), 99, false)],
    };
    m.dirty = false;
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Page {
            request: req,
            result: Ok(page),
        }),
    );
    assert!(cmds.is_empty());
    assert!(!m.dirty, "a dropped page does not redraw");
    assert_eq!(m.list.as_ref().unwrap().total, None);
}

fn fake_sort(m: &mut Model) {
    let cmds = update(m, Msg::Key(fixtures_key('o')));
    assert_eq!(cmds.len(), 1);
}

fn fixtures_key(c: char) -> crossterm::event::KeyEvent {
    key(KeyCode::Char(c))
}

#[test]
fn collapses_and_expands_threads() {
    let (mut m, fake) = started(8);
    assert_eq!(m.list.as_ref().unwrap().visible_len(), 8);
    fake.keys(&mut m, "jj");
    fake.send(&mut m, Msg::Key(key(KeyCode::Char(' '))));
    let l = m.list.as_ref().unwrap();
    assert_eq!((l.visible_len(), l.selected), (6, 0));
    assert!(l.is_collapsed(0));
    fake.keys(&mut m, "j");
    assert_eq!(selected_id(&m), "work-INBOX-3", "the replies are skipped");
    fake.keys(&mut m, "k ");
    assert_eq!(m.list.as_ref().unwrap().visible_len(), 8);
}

#[test]
fn sorting_asks_for_a_new_list() {
    let (mut m, _) = started(10);
    let cmds = update(&mut m, Msg::Key(key(KeyCode::Char('o'))));
    let Command::LoadPage(req) = &cmds[0] else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        req.sort,
        Sort {
            key: SortKey::Sender,
            reverse: false,
            threaded: true
        }
    );
    assert_eq!(req.offset, 0);
    let cmds = update(&mut m, Msg::Key(key(KeyCode::Char('O'))));
    let Command::LoadPage(req) = &cmds[0] else {
        panic!()
    };
    assert!(req.sort.reverse);
    let cmds = update(&mut m, Msg::Key(key(KeyCode::Char('t'))));
    let Command::LoadPage(req) = &cmds[0] else {
        panic!()
    };
    assert!(!req.sort.threaded);
    let fake = Fake { total: 10 };
    fake.keys(&mut m, ":sort size");
    let cmds = update(&mut m, Msg::Key(key(KeyCode::Enter)));
    let Command::LoadPage(req) = &cmds[0] else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        req.sort,
        Sort {
            key: SortKey::Size,
            reverse: false,
            threaded: false
        }
    );
    fake.keys(&mut m, ":sort colour");
    update(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "usage: :sort date|sender|subject|size [reverse]"
    );
}

#[test]
fn slash_filters_the_folder_live() {
    let (mut m, fake) = started(1000);
    fake.keys(&mut m, "jj");
    let cmds = update(&mut m, Msg::Key(key(KeyCode::Char('/'))));
    assert!(cmds.is_empty());
    assert_eq!(m.prompt.as_ref().unwrap().kind, PromptKind::Filter);
    let cmds = update(&mut m, Msg::Key(key(KeyCode::Char('a'))));
    let Command::LoadPage(req) = &cmds[0] else {
        panic!()
    };
    assert_eq!(
        req.source,
        ListSource::Search {
            scope: SearchScope::Folder(inbox()),
            query: "a".into()
        }
    );
    fake.keys(&mut m, "b");
    let l = m.list.as_ref().unwrap();
    assert_eq!(
        l.source,
        ListSource::Search {
            scope: SearchScope::Folder(inbox()),
            query: "ab".into()
        }
    );
    assert_eq!(l.total, Some(333));
    // Enter keeps the filter; Esc (in the list) leaves it.
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(m.prompt.is_none());
    assert!(matches!(
        m.list.as_ref().unwrap().source,
        ListSource::Search { .. }
    ));
    fake.send(&mut m, Msg::Key(key(KeyCode::Esc)));
    assert_eq!(m.list.as_ref().unwrap().source, ListSource::Folder(inbox()));
    // Esc in the prompt also cancels the filter.
    fake.keys(&mut m, "/x");
    fake.send(&mut m, Msg::Key(key(KeyCode::Esc)));
    assert_eq!(m.list.as_ref().unwrap().source, ListSource::Folder(inbox()));
}

#[test]
fn search_all_accounts() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "Sinvoice");
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let l = m.list.as_ref().unwrap();
    assert_eq!(
        l.source,
        ListSource::Search {
            scope: SearchScope::AllAccounts,
            query: "invoice".into()
        }
    );
    assert_eq!(l.total, Some(3));
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
            Command::SetFlags {
                ids: vec![id.clone()],
                add: Flags::SEEN,
                remove: Flags::NONE
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
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "No folder \"Nowhere\" in work"
    );
    assert!(m.status.as_ref().unwrap().error);
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
    update(&mut m, Msg::Tick(NOW + 86_400));
    assert!(m.dirty);
    let cmds = update(&mut m, Msg::Resize(200, 300));
    assert_eq!(m.size, (200, 300));
    assert!(cmds.iter().all(|c| matches!(c, Command::LoadPage(_))));
    assert!(!cmds.is_empty(), "a taller list needs more rows");
}
