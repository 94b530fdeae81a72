//! The search syntax through the backend (the demo mailbox): `/` (one folder) and `S` (all
//! accounts) run the same query; `folder:`/`account:` in `/` is an error that says to use `S`.

use super::tests::{folder, rig};
use super::*;
use crate::ui::{FolderRef, SearchScope};

fn ask(r: &mut super::tests::Rig, scope: SearchScope, query: &str) -> Result<Page, BackendError> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(500);
    let req = PageRequest {
        source: ListSource::Search {
            scope,
            query: query.into(),
        },
        offset: 0,
        limit: 100,
        sort: Sort::default(),
        generation: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    };
    r.ask(Command::LoadPage(req.clone()), |e| match e {
        Event::Page { request, result } if request == req => Some(result),
        _ => None,
    })
}

#[test]
fn filters_run_in_a_folder_and_across_accounts() {
    let mut r = rig(Mode::Demo);
    let inbox = SearchScope::Folder(FolderRef::new(DEMO_ACCOUNT, "INBOX"));
    let all_inbox = r.page(folder("INBOX"), Sort::default(), 400, 0);
    let unread: Vec<_> = all_inbox.rows.iter().filter(|r| !r.flags.seen).collect();
    assert!(!unread.is_empty() && unread.len() < all_inbox.rows.len());
    let found = ask(&mut r, inbox.clone(), "is:unread").unwrap();
    assert_eq!(found.total, unread.len());
    assert!(found.rows.iter().all(|r| !r.flags.seen));
    let read = ask(&mut r, inbox.clone(), "-is:unread").unwrap();
    assert_eq!(read.total, all_inbox.rows.len() - unread.len());
    // S: folder: picks the folder.
    let sent = ask(&mut r, SearchScope::AllAccounts, "folder:sent offsite").unwrap();
    assert!(sent.total > 0);
    assert!(sent.rows.iter().all(|r| r.folder.folder == "Sent"));
}

#[test]
fn folder_or_account_in_a_folder_filter_says_to_use_s() {
    let mut r = rig(Mode::Demo);
    let inbox = SearchScope::Folder(FolderRef::new(DEMO_ACCOUNT, "INBOX"));
    let e = ask(&mut r, inbox.clone(), "folder:Sent offsite").unwrap_err();
    assert!(
        e.message.contains("folder: is for S (search all folders)"),
        "{}",
        e.message
    );
    let e = ask(&mut r, inbox, "after:tomorow").unwrap_err();
    assert!(e.message.contains(r#"got "tomorow""#), "{}", e.message);
}
