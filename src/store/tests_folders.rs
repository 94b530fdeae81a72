//! Folder management in the store (`folder_admin.rs`): renames keep ids and carry subfolders,
//! bindings and queued actions along; deletes refuse INBOX, subfolders and (unforced) mail;
//! a Maildir++ account keeps its layout.

use super::*;

fn msg(n: u32) -> Vec<u8> {
    format!("From: a@x.test\r\nSubject: m{n}\r\nMessage-ID: <f{n}@x.test>\r\n\r\nbody {n}\r\n")
        .into_bytes()
}

fn ids_in(store: &Store, account: &str, folder: &str) -> Vec<MessageId> {
    let mut ids: Vec<MessageId> = store
        .list(&ListQuery {
            account: Some(account.into()),
            folder: Some(folder.into()),
            ..ListQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_rename_keeps_ids_and_moves_subfolders_bindings_and_queued_actions() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.ensure_account("a", AccountKind::Imap).unwrap();
    let inbox = store.ensure_folder("a", "INBOX").unwrap();
    let lists = store.ensure_folder("a", "Lists").unwrap();
    let rust = store.ensure_folder("a", "Lists/rust").unwrap();
    for (id, wire) in [(lists, "Lists"), (rust, "Lists/rust")] {
        store
            .set_folder_state(
                id,
                &FolderState {
                    server_name: Some(wire.into()),
                    delimiter: Some("/".into()),
                    uidvalidity: Some(7),
                    ..FolderState::default()
                },
            )
            .unwrap();
    }
    let bytes: Vec<Vec<u8>> = (0..3).map(msg).collect();
    let new: Vec<NewMessage<'_>> = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| NewMessage {
            uid: Some(i as u32 + 1),
            ..NewMessage::new(b)
        })
        .collect();
    store.deliver_batch(rust, &new[..2]).unwrap();
    let in_inbox = store.deliver_batch(inbox, &new[2..]).unwrap();
    // Queued: a move into the subfolder, not yet on the server.
    store.move_messages(&in_inbox, "Lists/rust").unwrap();
    let before = ids_in(&store, "a", "Lists/rust");
    assert_eq!(before.len(), 3);

    store
        .rename_folder("a", "Lists", "Mail/Lists", Some(("Lists", "Mail/Lists")))
        .unwrap();
    assert_eq!(ids_in(&store, "a", "Mail/Lists/rust"), before);
    assert!(!dir.path().join("a/Lists").exists());
    assert!(dir.path().join("a/Mail/Lists/rust/cur").is_dir());
    let states = store.folder_states("a").unwrap();
    let server_of = |name: &str| {
        states
            .iter()
            .find(|(_, n, _)| n == name)
            .and_then(|(_, _, s)| s.server_name.clone())
    };
    assert_eq!(server_of("Mail/Lists").as_deref(), Some("Mail/Lists"));
    assert_eq!(
        server_of("Mail/Lists/rust").as_deref(),
        Some("Mail/Lists/rust")
    );
    let actions = store.pending_actions("a").unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].kind, ActionKind::Move("Mail/Lists/rust".into()));
    // The bodies are readable where they are now, and a reopened store agrees.
    for id in &before {
        store.read_raw(*id).unwrap();
    }
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    store.refresh().unwrap();
    assert_eq!(ids_in(&store, "a", "Mail/Lists/rust"), before);

    // Refusals: INBOX, an existing name, into itself.
    for (from, to) in [
        ("INBOX", "Old"),
        ("Mail/Lists", "Mail/Lists/rust"),
        ("Mail", "Mail/Lists/x"),
    ] {
        assert!(
            store.rename_folder("a", from, to, None).is_err(),
            "{from} -> {to}"
        );
    }
}

#[test]
fn a_delete_refuses_inbox_subfolders_and_unforced_mail() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.ensure_account("p", AccountKind::Pop3).unwrap();
    store.create_folder("p", "INBOX").unwrap();
    let sub = store.create_folder("p", "Box/Sub").unwrap();
    store.create_folder("p", "Box").unwrap();
    let b = msg(1);
    store.deliver_batch(sub, &[NewMessage::new(&b)]).unwrap();
    assert!(matches!(
        store.delete_folder("p", "INBOX", true),
        Err(StoreError::InboxFixed { .. })
    ));
    assert!(matches!(
        store.delete_folder("p", "Box", true),
        Err(StoreError::FolderHasSubfolders { .. })
    ));
    assert!(matches!(
        store.delete_folder("p", "Box/Sub", false),
        Err(StoreError::FolderNotEmpty { messages: 1, .. })
    ));
    assert_eq!(ids_in(&store, "p", "Box/Sub").len(), 1);
    store.delete_folder("p", "Box/Sub", true).unwrap();
    assert!(!dir.path().join("p/Box/Sub").exists());
    store.delete_folder("p", "Box", false).unwrap();
    assert!(!dir.path().join("p/Box").exists());
    // A nested folder's empty parent directories go with it; the account's stay.
    store.create_folder("p", "Work/New").unwrap();
    store.delete_folder("p", "Work/New", false).unwrap();
    assert!(!dir.path().join("p/Work").exists());
    assert!(dir.path().join("p/INBOX/cur").is_dir());
    assert!(store.list(&ListQuery::default()).unwrap().is_empty());
}

#[test]
fn a_maildirpp_account_keeps_its_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Mail");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
        std::fs::create_dir_all(root.join(".Sub").join(sub)).unwrap();
    }
    std::fs::write(root.join(".Sub/cur/1.x:2,S"), msg(1)).unwrap();
    let mut store = Store::open(&dir.path().join("data")).unwrap();
    store.attach_maildir_account("m", &root).unwrap();
    store.refresh().unwrap();
    let before = ids_in(&store, "m", "Sub");
    store.create_folder("m", "New/Deep").unwrap();
    assert!(root.join(".New.Deep/cur").is_dir());
    store.rename_folder("m", "Sub", "Other", None).unwrap();
    assert!(root.join(".Other/cur/1.x:2,S").is_file());
    assert!(!root.join(".Sub").exists());
    assert_eq!(ids_in(&store, "m", "Other"), before);
    // Picked up the same way afresh.
    store.attach_maildir_account("m", &root).unwrap();
    store.refresh().unwrap();
    assert_eq!(ids_in(&store, "m", "Other"), before);
    assert!(matches!(
        store.create_folder("m", "v1.2"),
        Err(StoreError::BadFolderName(_))
    ));
}

/// An IMAP folder whose server delimiter is `.` (Cyrus, Courier) is stored nested; its rename
/// used to take the Maildir++ path (`.Work`) and fail on the subfolder the parent had carried
/// along ("cannot rename the folder directory .../Projects/Sub").
#[test]
fn an_imap_folder_with_dot_delimiter_and_a_subfolder_is_renamed_nested() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.ensure_account("c", AccountKind::Imap).unwrap();
    store.ensure_folder("c", "INBOX").unwrap();
    for (name, wire) in [
        ("Projects", "INBOX.Projects"),
        ("Projects/Sub", "INBOX.Projects.Sub"),
    ] {
        let id = store.ensure_folder("c", name).unwrap();
        let state = FolderState {
            server_name: Some(wire.into()),
            delimiter: Some(".".into()),
            ..FolderState::default()
        };
        store.set_folder_state(id, &state).unwrap();
    }
    let sub = store.folder_id("c", "Projects/Sub").unwrap();
    store
        .deliver_batch(sub, &[NewMessage::new(&msg(1))])
        .unwrap();
    let before = ids_in(&store, "c", "Projects/Sub");
    store
        .rename_folder(
            "c",
            "Projects",
            "Work",
            Some(("INBOX.Projects", "INBOX.Work")),
        )
        .unwrap();
    assert!(dir.path().join("c/Work/Sub/cur").is_dir());
    assert!(!dir.path().join("c/Projects").exists());
    assert!(!dir.path().join("c/.Work").exists());
    assert_eq!(ids_in(&store, "c", "Work/Sub"), before);
}
