//! The start-up sync waits for the first page (issue #16: on 2 cores, a Maildir account's
//! forced rescan beside the first page doubled the time to the first screen), and still starts
//! when no page is ever asked for.

use std::time::Duration;

use super::*;
use crate::ui::{FolderRef, SortKey};

/// An online backend on the demo store whose account is a Maildir one (its directory empty),
/// with the start-up sync on.
fn starting() -> (tokio::runtime::Runtime, Handles, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = store::demo::generate(&data).unwrap();
    std::fs::create_dir_all(data.join("md/cur")).unwrap();
    let text = format!(
        "data_dir = \"{d}\"\n[accounts.demo]\nemail = \"alex@demo.test\"\n\
         [accounts.demo.incoming]\nprotocol = \"maildir\"\npath = \"{d}/md\"\n",
        d = data.display()
    );
    let config = Config::parse(
        &text,
        std::path::Path::new("/nonexistent/config.toml"),
        &crate::config::Env::default(),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = Options {
        mode: Mode::Online,
        config,
        accounts: vec![DEMO_ACCOUNT.to_owned()],
        initial_sync: true,
    };
    let h = start(store, options, rt.handle().clone()).unwrap();
    (rt, h, dir)
}

fn next(rt: &tokio::runtime::Runtime, h: &mut Handles) -> Event {
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), h.events.recv()).await })
        .expect("an event within 10 s")
        .expect("backend alive")
}

#[test]
fn the_start_up_sync_starts_after_the_first_page_is_answered() {
    let (rt, mut h, _dir) = starting();
    let req = PageRequest {
        source: ListSource::Folder(FolderRef::new(DEMO_ACCOUNT, "INBOX")),
        offset: 0,
        limit: 100,
        sort: Sort {
            key: SortKey::Date,
            reverse: false,
            threaded: true,
        },
        generation: 1,
    };
    h.commands
        .blocking_send(Command::LoadFolders { account: None })
        .unwrap();
    h.commands
        .blocking_send(Command::LoadPage(req.clone()))
        .unwrap();
    let mut seen = Vec::new();
    loop {
        match next(&rt, &mut h) {
            Event::Page { request, result } if request == req => {
                result.unwrap();
                break;
            }
            Event::AccountState { state, .. } => seen.push(state),
            _ => {}
        }
    }
    assert!(
        seen.is_empty(),
        "the sync started before the first page: {seen:?}"
    );
    // Then it starts.
    let state = (0..50)
        .find_map(|_| match next(&rt, &mut h) {
            Event::AccountState { state, .. } => Some(state),
            _ => None,
        })
        .expect("the start-up sync after the first page");
    assert_eq!(state, ui::AccountState::Connecting, "the sync started");
}

#[test]
fn the_start_up_sync_starts_without_a_page_too() {
    let (rt, mut h, _dir) = starting();
    // No command at all: the sync still starts (after its wait).
    let state = (0..50)
        .find_map(|_| match next(&rt, &mut h) {
            Event::AccountState { state, .. } => Some(state),
            _ => None,
        })
        .expect("the start-up sync without a page");
    assert_eq!(state, ui::AccountState::Connecting, "the sync started");
}
