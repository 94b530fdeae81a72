//! Issue 15, Deliver 6: folders on a real Cyrus IMAP 3.6, whose personal folders are all
//! `INBOX.Name` with separator `.` (see tests/interop_cyrus.rs for the instance): their local
//! names (without the prefix), nested and non-ASCII names, folder create/rename/delete, and the
//! TUI's IDLE watcher on such a folder. Checked on the server over raw IMAP.

#![allow(clippy::unwrap_used)]

mod support;

use support::cyrus::{
    Account, Postie, cyrus, id_of, imap_account, local_folder_of, message, subjects,
    user_with_three,
};

#[test]
fn nested_and_non_ascii_folders_map_both_ways() {
    let c = cyrus();
    let user = user_with_three("nested");
    let mut other = c.session(c.imaps, &user);
    // "INBOX.Café" in modified UTF-7.
    other.ok("CREATE \"INBOX.Caf&AOk-\"");
    other.append(
        "INBOX.Caf&AOk-",
        "",
        &message("cafe@cyrus.test", "in the cafe", "coffee"),
    );
    let postie = imap_account(&user, c.imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let cafe = local_folder_of(&postie, "INBOX.Café");
    assert_eq!(subjects(&postie.list(&cafe)), ["in the cafe"]);
    let id = id_of(&postie.list("INBOX"), "third");
    postie.quiet(&["move", "Lists/rust", &id]);
    let folders = other.folders();
    assert!(
        folders.contains(&"INBOX.Lists.rust".to_owned()),
        "{folders:?}"
    );
    assert_eq!(other.message_ids("INBOX.Lists.rust"), ["three@cyrus.test"]);
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(subjects(&postie.list("Lists/rust")), ["third"]);
    // And back into the non-ASCII folder.
    let id = id_of(&postie.list("Lists/rust"), "third");
    postie.quiet(&["move", &cafe, &id]);
    assert_eq!(
        other.message_ids("INBOX.Caf&AOk-"),
        ["cafe@cyrus.test", "three@cyrus.test"]
    );
}

/// Cyrus users often have `INBOX.Archive` already (made by another client). postie named it
/// `INBOX/Archive` locally, and `postie move Archive ID` was refused ("would be created on the
/// server under a name another local folder already mirrors") and left an empty local-only
/// `Archive`. Folders under the personal prefix are now named as other clients show them.
#[test]
fn a_move_to_archive_reaches_the_inbox_archive_another_client_made() {
    let c = cyrus();
    let user = user_with_three("hasarchive");
    let mut other = c.session(c.imaps, &user);
    other.ok("CREATE \"INBOX.Archive\"");
    other.ok("CREATE \"INBOX.Work.Proj\"");
    let postie = imap_account(&user, c.imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let id = id_of(&postie.list("INBOX"), "first");
    postie.quiet(&["move", "Archive", &id]);
    assert_eq!(other.message_ids("INBOX.Archive"), ["one@cyrus.test"]);
    let id = id_of(&postie.list("INBOX"), "second");
    postie.quiet(&["move", "Work/Proj", &id]);
    assert_eq!(other.message_ids("INBOX.Work.Proj"), ["two@cyrus.test"]);
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(subjects(&postie.list("Archive")), ["first"]);
    assert_eq!(subjects(&postie.list("Work/Proj")), ["second"]);
    assert_eq!(subjects(&postie.list("INBOX")), ["third"]);
    assert_eq!(
        postie.folders(),
        [
            "Archive",
            "Drafts",
            "INBOX",
            "Junk",
            "Sent",
            "Trash",
            "Work",
            "Work/Proj"
        ],
        "named as other clients show them; no second, local-only folder"
    );
}

/// `postie folder create|rename|delete` on Cyrus: made under `INBOX.`, renamed with the
/// subfolder both on the server and here (the local rename of a `.`-delimited folder with a
/// subfolder used to fail with exit 74 after the server had renamed it), deleted on both.
#[test]
fn folders_are_created_renamed_with_subfolders_and_deleted_on_cyrus() {
    let c = cyrus();
    let user = c.new_user("folders");
    let postie = imap_account(&user, c.imaps);
    postie.quiet(&["sync", "--account", "c"]);
    postie.quiet(&["folder", "create", "c", "Projects"]);
    postie.quiet(&["folder", "create", "c", "Projects/Sub"]);
    let mut other = c.session(c.imaps, &user);
    other.append(
        "INBOX.Projects.Sub",
        "",
        &message("sub@cyrus.test", "in sub", "x"),
    );
    postie.quiet(&["sync", "--account", "c"]);
    let id = id_of(&postie.list("Projects/Sub"), "in sub");
    postie.quiet(&["folder", "rename", "c", "Projects", "Work"]);
    let folders = other.folders();
    assert!(
        folders.contains(&"INBOX.Work.Sub".to_owned())
            && !folders.iter().any(|f| f.contains("Projects")),
        "{folders:?}"
    );
    let moved = postie.list("Work/Sub");
    assert_eq!(id_of(&moved, "in sub"), id, "same message, same id");
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(
        postie.folders(),
        [
            "Drafts", "INBOX", "Junk", "Sent", "Trash", "Work", "Work/Sub"
        ]
    );
    postie.quiet(&["folder", "delete", "c", "Work/Sub", "--force"]);
    assert!(!other.folders().contains(&"INBOX.Work.Sub".to_owned()));
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(
        postie.folders(),
        ["Drafts", "INBOX", "Junk", "Sent", "Trash", "Work"]
    );
}

/// The TUI's IDLE watcher on a folder named as the sync names it (`Lists`, Cyrus's
/// `INBOX.Lists`): it idles there and reports another client's new mail. It used to look for
/// the full derived name, SELECT a non-existent `Lists` and retry forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_on_a_folder_under_the_personal_prefix_reports_new_mail() {
    use postie::engine::idle::{WatchEvent, WatchOptions};
    use std::time::Duration;
    let c = cyrus();
    let user = c.new_user("idle");
    let mut other = c.session(c.imaps, &user);
    other.ok("CREATE \"INBOX.Lists\"");
    let postie = Postie::new(Account {
        user: &user,
        protocol: "imap",
        port: c.imaps,
        incoming_extra: "idle_folders = [\"Lists\"]\n",
        tail: "",
    });
    postie.quiet(&["sync", "--account", "c"]);
    assert!(postie.folders().contains(&"Lists".to_owned()));
    let config = postie::config::load(Some(&postie.config())).unwrap();
    let account = config.accounts[0].clone();
    let postie::config::Incoming::Imap(imap) = account.incoming.clone() else {
        panic!("not IMAP")
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = postie::engine::idle::spawn(account, imap, tx, WatchOptions::default());
    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let watching = WatchEvent::Watching {
        account: "c".into(),
        folder: "Lists".into(),
    };
    assert_eq!(first, watching);
    other.append(
        "INBOX.Lists",
        "",
        &message("list@cyrus.test", "list mail", "x"),
    );
    let ev = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no IDLE report within 10 s of the APPEND")
        .unwrap();
    let changed = WatchEvent::Changed {
        account: "c".into(),
        folder: "Lists".into(),
    };
    assert_eq!(ev, changed);
    watcher.stop().await;
}
