//! `update()` with plain values: navigation, paging, threads, sorting, filtering.

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
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
    // Another account answering first does not open its folder.
    let home = Event::Folders {
        account: "home".into(),
        result: Ok(folders()),
    };
    assert!(update(&mut m, Msg::Backend(home)).is_empty());
    assert_eq!(m.current, None);
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
fn a_failed_page_is_asked_again_on_the_next_move_only() {
    let mut m = model();
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Folders {
            account: "work".into(),
            result: Ok(folders()),
        }),
    );
    let Command::LoadPage(req) = cmds[0].clone() else {
        panic!()
    };
    let e = BackendError::new(
        crate::error::ErrorKind::Io,
        "cannot read the index: disk I/O error",
    );
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Page {
            request: req.clone(),
            result: Err(e),
        }),
    );
    assert!(cmds.is_empty(), "no retry loop");
    assert_eq!(
        m.list.as_ref().unwrap().error.as_deref(),
        Some("cannot read the index: disk I/O error")
    );
    assert_eq!(
        update(&mut m, Msg::Key(key(KeyCode::Char('j')))),
        vec![Command::LoadPage(req)]
    );
}
