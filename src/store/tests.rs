use std::fs;

use super::deliver::RemoteEnvelope;
use super::*;
use crate::mail::{Envelope, Flag, Flags};

fn msg(n: u32, subject: &str, from: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: Bob <bob@x.test>\r\nSubject: {subject}\r\n\
Date: Mon, {day} Jan 2024 10:00:00 +0000\r\nMessage-ID: <m{n}@x.test>\r\n\r\n{body}\r\n",
        day = 1 + n % 28
    )
    .into_bytes()
}

pub(super) fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

pub(super) fn deliver_n(store: &mut Store, account: &str, folder: &str, n: u32) -> Vec<MessageId> {
    store.ensure_account(account, AccountKind::Pop3).unwrap();
    let f = store.ensure_folder(account, folder).unwrap();
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|i| msg(i, &format!("message {i}"), "Alice <alice@x.test>", "hello"))
        .collect();
    let new: Vec<NewMessage<'_>> = bodies.iter().map(|b| NewMessage::new(b)).collect();
    store.deliver_batch(f, &new).unwrap()
}

fn list_all(store: &Store) -> Vec<MessageSummary> {
    store.list(&ListQuery::default()).unwrap()
}

#[test]
fn delivered_messages_are_listed_newest_first_and_read_back_exactly() {
    let (dir, mut store) = store();
    let ids = deliver_n(&mut store, "acc", "INBOX", 5);
    assert_eq!(ids.len(), 5);
    let listed = store
        .list(&ListQuery {
            account: Some("acc".into()),
            folder: Some("inbox".into()),
            limit: Some(3),
            offset: 0,
        })
        .unwrap();
    let subjects: Vec<&str> = listed.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, vec!["message 4", "message 3", "message 2"]);
    let m = &listed[0];
    assert_eq!(m.account, "acc");
    assert_eq!(m.folder, "INBOX");
    assert_eq!(m.from, vec!["Alice <alice@x.test>"]);
    assert_eq!(m.to, vec!["Bob <bob@x.test>"]);
    assert_eq!(
        m.date_rfc3339().as_deref(),
        Some("2024-01-05T10:00:00+00:00")
    );
    assert!(m.has_body);
    assert_eq!(
        store.read_raw(m.id).unwrap(),
        msg(4, "message 4", "Alice <alice@x.test>", "hello")
    );
    let page2 = store
        .list(&ListQuery {
            limit: Some(3),
            offset: 3,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(page2.len(), 2);
    let folders = store.folders(None).unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!((folders[0].total, folders[0].unread), (5, 5));
    assert_eq!(folders[0].role.as_deref(), Some("inbox"));
    assert!(dir.path().join("acc/INBOX/new").is_dir());
    assert!(matches!(
        store.get(999),
        Err(StoreError::NoSuchMessage(999))
    ));
    assert!(matches!(
        store.list(&ListQuery {
            folder: Some("Nope".into()),
            ..ListQuery::default()
        }),
        Err(StoreError::NoSuchFolder { .. })
    ));
}

#[test]
fn search_words_phrases_fields_diacritics_and_ranking() {
    let (_dir, mut store) = store();
    store.ensure_account("a", AccountKind::Local).unwrap();
    let f = store.ensure_folder("a", "INBOX").unwrap();
    let raws = [
        msg(
            1,
            "Quarterly report",
            "Carol <carol@x.test>",
            "numbers attached",
        ),
        msg(
            2,
            "Lunch",
            "Dave <dave@y.test>",
            "the quarterly report is late",
        ),
        msg(
            3,
            "Café meeting",
            "=?UTF-8?Q?Ren=C3=A9e?= <renee@x.test>",
            "see you there",
        ),
        msg(4, "report", "Eve <eve@x.test>", "report report"),
        msg(5, "Other", "Frank <frank@x.test>", "nothing to see"),
        msg(6, "Other", "Frank <frank@x.test>", "nothing to see"),
    ];
    let new: Vec<NewMessage<'_>> = raws.iter().map(|b| NewMessage::new(b)).collect();
    let ids = store.deliver_batch(f, &new).unwrap();
    let find = |q: &str| -> Vec<MessageId> {
        store
            .search(q, None, None, None)
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect()
    };
    let mut r = find("quarterly report");
    r.sort();
    assert_eq!(r, vec![ids[0], ids[1]]);
    assert_eq!(find("\"quarterly report\"").len(), 2);
    assert_eq!(find("\"report quarterly\""), Vec::<MessageId>::new());
    assert_eq!(find("from:carol"), vec![ids[0]]);
    assert_eq!(find("from:carol@x.test"), vec![ids[0]]);
    assert_eq!(find("to:bob").len(), 6);
    assert_eq!(find("subject:lunch"), vec![ids[1]]);
    assert_eq!(find("subject:report").len(), 2);
    assert_eq!(find("cafe"), vec![ids[2]], "diacritics are folded");
    assert_eq!(find("renee"), vec![ids[2]]);
    assert_eq!(find("quarter*").len(), 2);
    assert_eq!(find("report -quarterly"), vec![ids[3]]);
    // A subject hit outranks a body-only hit.
    assert_eq!(find("lunch OR"), Vec::<MessageId>::new());
    let report = find("report");
    assert_eq!(report[0], ids[3]);
    // Equal ranks: newest first.
    assert_eq!(find("frank"), vec![ids[5], ids[4]]);
    assert!(find("").is_empty());
    assert!(find("\"((").is_empty());
    assert_eq!(
        store
            .search("report", Some("a"), Some("INBOX"), Some(1))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn flags_round_trip_through_file_names_and_external_renames() {
    let (_dir, mut store) = store();
    let ids = deliver_n(&mut store, "acc", "INBOX", 2);
    store.set_flag(&ids[..1], Flag::Seen, true).unwrap();
    store.set_flag(&ids[..1], Flag::Flagged, true).unwrap();
    let m = store.get(ids[0]).unwrap();
    assert_eq!(m.flags.names(), vec!["seen", "flagged"]);
    let file = m.file.clone().unwrap();
    assert!(
        file.starts_with("cur/") && file.ends_with(":2,FS"),
        "{file}"
    );
    let md = store.folder_row_by_id(m.folder_id).unwrap().maildir();
    assert!(md.path_of(&file).exists());
    store.set_flag(&ids[..1], Flag::Flagged, false).unwrap();
    let m = store.get(ids[0]).unwrap();
    assert!(m.file.as_deref().unwrap().ends_with(":2,S"));
    assert_eq!(store.folders(None).unwrap()[0].unread, 1);

    // Another program (mutt) marks it answered and trashed: picked up by refresh.
    let old = md.path_of(m.file.as_deref().unwrap());
    let renamed = old.to_string_lossy().replace(":2,S", ":2,RST");
    std::thread::sleep(std::time::Duration::from_millis(10));
    fs::rename(&old, &renamed).unwrap();
    let stats = store.refresh().unwrap();
    assert_eq!(stats.renamed, 1);
    let m = store.get(ids[0]).unwrap();
    assert_eq!(m.flags.names(), vec!["seen", "answered", "deleted"]);
    assert!(store.read_raw(ids[0]).is_ok());
    // A bad id changes nothing.
    assert!(store.set_flag(&[ids[1], 12345], Flag::Seen, true).is_err());
    assert!(!store.get(ids[1]).unwrap().flags.contains(Flag::Seen));
}

#[test]
fn move_keeps_the_id_and_delete_uses_trash() {
    let (_dir, mut store) = store();
    let ids = deliver_n(&mut store, "acc", "INBOX", 3);
    store.move_messages(&ids[..1], "Archive/2024").unwrap();
    let m = store.get(ids[0]).unwrap();
    assert_eq!(m.folder, "Archive/2024");
    assert_eq!(
        store.read_raw(ids[0]).unwrap(),
        msg(0, "message 0", "Alice <alice@x.test>", "hello")
    );
    // No Trash: deleted for good.
    store.delete_messages(&ids[1..2]).unwrap();
    assert!(store.get(ids[1]).is_err());
    // With a Trash: moved there, then deleted from there for good.
    store.ensure_folder("acc", "Trash").unwrap();
    store.delete_messages(&ids[2..3]).unwrap();
    assert_eq!(store.get(ids[2]).unwrap().folder, "Trash");
    store.delete_messages(&ids[2..3]).unwrap();
    assert!(store.get(ids[2]).is_err());
    let total: u64 = store.folders(None).unwrap().iter().map(|f| f.total).sum();
    assert_eq!(total, 1);
    assert!(store.move_messages(&ids[..1], "../escape").is_err());
    // POP3 accounts queue nothing.
    assert!(store.pending_actions("acc").unwrap().is_empty());
}

#[test]
fn rebuild_restores_ids_and_uidls_and_corrupt_index_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (ids, seen_id) = {
        let mut store = Store::open(dir.path()).unwrap();
        store.ensure_account("pop", AccountKind::Pop3).unwrap();
        let f = store.ensure_folder("pop", "INBOX").unwrap();
        let raws: Vec<Vec<u8>> = (0..4).map(|i| msg(i, "s", "a@x.test", "b")).collect();
        let uidls = ["u0", "u1", "u/2:x", "u3"];
        let new: Vec<NewMessage<'_>> = raws
            .iter()
            .zip(uidls)
            .map(|(b, u)| NewMessage {
                uidl: Some(u),
                ..NewMessage::new(b)
            })
            .collect();
        let ids = store.deliver_batch(f, &new).unwrap();
        store.set_flag(&ids[1..2], Flag::Seen, true).unwrap();
        let seen = ids[1];
        (ids, seen)
    };
    fs::remove_file(dir.path().join(index::INDEX_FILE)).unwrap();
    let _ = fs::remove_file(dir.path().join("index.sqlite3-wal"));
    let _ = fs::remove_file(dir.path().join("index.sqlite3-shm"));
    let mut progress = Vec::new();
    let mut store = Store::open_with_progress(dir.path(), &mut |p| progress.push(p)).unwrap();
    assert_eq!(progress.last().map(|p| (p.done, p.total)), Some((4, 4)));
    let mut got: Vec<MessageId> = list_all(&store).iter().map(|m| m.id).collect();
    got.sort();
    assert_eq!(got, ids);
    assert!(store.get(seen_id).unwrap().flags.contains(Flag::Seen));
    let uidls = store.known_uidls("pop").unwrap();
    assert_eq!(uidls.len(), 4);
    assert!(uidls.contains("u/2:x"));
    // New ids continue after the restored ones.
    let more = deliver_n(&mut store, "pop", "INBOX", 1);
    assert!(more[0] > *ids.iter().max().unwrap());
    drop(store);

    // Garbage instead of a database: moved aside and rebuilt.
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(dir.path().join(format!("index.sqlite3{suffix}")));
    }
    fs::write(
        dir.path().join(index::INDEX_FILE),
        b"this is not a database at all",
    )
    .unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(list_all(&store).len(), 5);
    assert!(fs::read_dir(dir.path()).unwrap().flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("index.sqlite3.corrupt-")
    }));
}

/// Regression (tests/soak.rs kill trials): an index emptied to 0 bytes, or cut short with no
/// WAL, opened "fine" and forgot every recorded UIDL, so the next POP3 sync downloaded
/// everything again. Both must be rebuilt from the Maildir with the UIDLs restored.
#[test]
fn emptied_or_truncated_index_is_rebuilt_with_its_uidls() {
    for damage in ["emptied", "cut in half"] {
        let (dir, mut store) = store();
        store.ensure_account("pop", AccountKind::Pop3).unwrap();
        let f = store.ensure_folder("pop", "INBOX").unwrap();
        let bodies: Vec<Vec<u8>> = (0..40).map(|n| msg(n, "s", "a@x.test", "body")).collect();
        let uidls: Vec<String> = (0..40).map(|n| format!("uidl-{n}")).collect();
        let new: Vec<NewMessage<'_>> = bodies
            .iter()
            .zip(&uidls)
            .map(|(b, u)| NewMessage {
                uidl: Some(u.as_str()),
                ..NewMessage::new(b)
            })
            .collect();
        store.deliver_batch(f, &new).unwrap();
        drop(store);
        let index = dir.path().join(index::INDEX_FILE);
        for suffix in ["-wal", "-shm"] {
            let _ = fs::remove_file(dir.path().join(format!("index.sqlite3{suffix}")));
        }
        let bytes = fs::read(&index).unwrap();
        let kept = if damage == "emptied" {
            0
        } else {
            bytes.len() / 2
        };
        fs::write(&index, &bytes[..kept]).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.known_uidls("pop").unwrap().len(), 40, "{damage}");
        assert_eq!(list_all(&store).len(), 40, "{damage}");
    }
}

#[test]
fn pick_up_of_files_added_and_removed_by_other_programs() {
    let (dir, mut store) = store();
    let ids = deliver_n(&mut store, "acc", "INBOX", 3);
    assert_eq!(
        store.refresh().unwrap(),
        RefreshStats::default(),
        "own changes need no rescan"
    );
    let inbox = dir.path().join("acc/INBOX");
    std::thread::sleep(std::time::Duration::from_millis(10));
    fs::write(
        inbox.join("new/1700000000.procmail.host"),
        msg(50, "external", "x@y.test", "zebra"),
    )
    .unwrap();
    fs::write(
        inbox.join("cur/1700000001.mutt.host:2,S"),
        msg(51, "external 2", "x@y.test", "b"),
    )
    .unwrap();
    let m0 = store.get(ids[0]).unwrap();
    fs::remove_file(inbox.join(m0.file.unwrap())).unwrap();
    let stats = store.refresh().unwrap();
    assert_eq!((stats.added, stats.removed), (2, 1));
    assert!(store.get(ids[0]).is_err());
    let hits = store.search("zebra", None, None, None).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].subject, "external");
    let seen = store
        .search("subject:\"external 2\"", None, None, None)
        .unwrap();
    assert!(seen[0].flags.contains(Flag::Seen));
    let again = store.refresh().unwrap();
    assert_eq!((again.added, again.removed, again.renamed), (0, 0, 0));
    // A folder deleted by hand disappears from the index.
    fs::remove_dir_all(&inbox).unwrap();
    store.refresh().unwrap();
    assert!(store.folders(None).unwrap().is_empty());
}

#[test]
fn imap_envelopes_bodies_flags_expunge_and_queue() {
    let (_dir, mut store) = store();
    store.ensure_account("imap", AccountKind::Imap).unwrap();
    let f = store.ensure_folder("imap", "INBOX").unwrap();
    store
        .set_folder_state(
            f,
            &FolderState {
                uidvalidity: Some(42),
                uidnext: Some(3),
                ..FolderState::default()
            },
        )
        .unwrap();
    let raw1 = msg(1, "first", "a@x.test", "body one");
    let raw2 = msg(2, "second", "a@x.test", "body two");
    let e1 = Envelope::parse(&raw1);
    let e2 = Envelope::parse(&raw2);
    let ids = store
        .upsert_envelopes(
            f,
            &[
                RemoteEnvelope {
                    uid: 1,
                    flags: Flags::from_flags(&[Flag::Seen]),
                    modseq: Some(7),
                    envelope: &e1,
                },
                RemoteEnvelope {
                    uid: 2,
                    flags: Flags::empty(),
                    modseq: None,
                    envelope: &e2,
                },
            ],
        )
        .unwrap();
    let m = store.get(ids[0]).unwrap();
    assert!(!m.has_body);
    assert_eq!(m.uid, Some(1));
    assert!(matches!(store.read_raw(ids[0]), Err(StoreError::NoBody(_))));
    assert_eq!(store.search("first", None, None, None).unwrap().len(), 1);
    assert!(store.search("one", None, None, None).unwrap().is_empty());
    // attach_body by id works for the second one.
    store.attach_body(ids[1], &raw2).unwrap();
    assert_eq!(store.read_raw(ids[1]).unwrap(), raw2);
    // The body arrives: same id, now searchable.
    let got = store
        .deliver_batch(
            f,
            &[NewMessage {
                uid: Some(1),
                flags: Flags::from_flags(&[Flag::Seen]),
                ..NewMessage::new(&raw1)
            }],
        )
        .unwrap();
    assert_eq!(got, vec![ids[0]]);
    assert_eq!(store.read_raw(ids[0]).unwrap(), raw1);
    assert_eq!(store.search("one", None, None, None).unwrap()[0].id, ids[0]);
    // Fetching it again writes nothing new.
    let again = store
        .deliver_batch(
            f,
            &[NewMessage {
                uid: Some(1),
                ..NewMessage::new(&raw1)
            }],
        )
        .unwrap();
    assert_eq!(again, vec![ids[0]]);
    assert_eq!(store.folders(None).unwrap()[0].total, 2);
    // Server flags replace known flags; the file follows.
    assert_eq!(
        store
            .set_remote_flags(f, &[(1, Flags::from_flags(&[Flag::Flagged]))])
            .unwrap(),
        1
    );
    let m = store.get(ids[0]).unwrap();
    assert_eq!(m.flags.names(), vec!["flagged"]);
    assert!(m.file.unwrap().ends_with(":2,F"));
    // User actions are queued with the remote identity.
    store.set_flag(&ids[1..], Flag::Seen, true).unwrap();
    store.move_messages(&ids[1..], "Archive").unwrap();
    let q = store.pending_actions("imap").unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].kind, ActionKind::AddFlag(Flag::Seen));
    assert_eq!(
        (q[0].folder.as_str(), q[0].uid, q[0].uidvalidity),
        ("INBOX", Some(2), Some(42))
    );
    assert_eq!(q[1].kind, ActionKind::Move("Archive".into()));
    store.remove_action(q[0].id).unwrap();
    assert_eq!(store.pending_actions("imap").unwrap().len(), 1);
    // The offline move reaches the server: the new UID in Archive claims the moved row.
    let archive = store.folder_id("imap", "Archive").unwrap();
    assert_eq!(store.get(ids[1]).unwrap().uid, None);
    let claimed = store
        .upsert_envelopes(
            archive,
            &[RemoteEnvelope {
                uid: 900,
                flags: Flags::from_flags(&[Flag::Seen]),
                modseq: None,
                envelope: &e2,
            }],
        )
        .unwrap();
    assert_eq!(claimed, vec![ids[1]]);
    assert_eq!(store.get(ids[1]).unwrap().uid, Some(900));
    store.remove_folder(archive).unwrap();
    assert!(store.get(ids[1]).is_err());
    assert!(store.folder_id("imap", "Archive").is_err());
    let map = store.uid_map(f).unwrap();
    assert_eq!(map.len(), 1);
    assert_eq!(store.expunge_uids(f, &[1, 99]).unwrap(), 1);
    assert!(store.get(ids[0]).is_err());
    assert!(store.search("one", None, None, None).unwrap().is_empty());
    store.clear_folder(f).unwrap();
    assert_eq!(store.folders(Some("imap")).unwrap()[0].uidvalidity, None);
}

#[test]
fn outbox_and_accepted_ids() {
    let (_dir, mut store) = store();
    store.ensure_account("acc", AccountKind::Pop3).unwrap();
    let raw = msg(1, "to send", "me@x.test", "hi");
    let id = store
        .outbox_add(
            "acc",
            &raw,
            "me@x.test",
            &["a@x.test".into(), "bcc@x.test".into()],
        )
        .unwrap();
    let items = store.outbox(None).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].recipients, vec!["a@x.test", "bcc@x.test"]);
    store.outbox_failed(id, "connection refused").unwrap();
    assert_eq!(store.outbox(Some("acc")).unwrap()[0].attempts, 1);
    assert!(!store.was_accepted("m1@x.test").unwrap());
    store.outbox_sent(id, true).unwrap();
    assert!(store.outbox(None).unwrap().is_empty());
    assert!(store.was_accepted("m1@x.test").unwrap());
    let m = store.get(id).unwrap();
    assert_eq!(m.folder, "Sent");
    assert_eq!(store.read_raw(id).unwrap(), raw);
    let copy = store
        .save_sent("acc", b"Subject: direct\r\n\r\nx\r\n")
        .unwrap();
    let c = store.get(copy).unwrap();
    assert_eq!((c.folder.as_str(), c.flags.names()), ("Sent", vec!["seen"]));
}

#[test]
fn maildir_accounts_in_place_with_maildir_plus_plus_and_nested_folders() {
    let (_dir, mut store) = store();
    let ext = tempfile::tempdir().unwrap();
    let root = ext.path();
    for (folder, n) in [("", 2), (".Lists.Rust", 1), ("Work/Projects", 1)] {
        let md = maildir::Maildir::create(root.join(folder)).unwrap();
        for i in 0..n {
            fs::write(
                md.root().join(format!("cur/17000000{i}.x.host:2,S")),
                msg(i, &format!("in {folder}"), "a@x.test", "b"),
            )
            .unwrap();
        }
    }
    store.attach_maildir_account("local", root).unwrap();
    store.refresh().unwrap();
    let folders: Vec<(String, u64)> = store
        .folders(Some("local"))
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.total))
        .collect();
    assert_eq!(
        folders,
        vec![
            ("INBOX".into(), 2),
            ("Lists/Rust".into(), 1),
            ("Work/Projects".into(), 1)
        ]
    );
    let m = &store
        .list(&ListQuery {
            account: Some("local".into()),
            folder: Some("Lists/Rust".into()),
            ..ListQuery::default()
        })
        .unwrap()[0];
    // Read-write in place: a flag change renames the file there.
    store.set_flag(&[m.id], Flag::Flagged, true).unwrap();
    let files: Vec<String> = fs::read_dir(root.join(".Lists.Rust/cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, vec!["170000000.x.host:2,FS"]);
    let again = store.refresh().unwrap();
    assert_eq!((again.added, again.removed, again.renamed), (0, 0, 0));
    // Moving within the account keeps the file in the account's tree.
    store.move_messages(&[m.id], "Work/Projects").unwrap();
    assert!(
        root.join("Work/Projects/cur/170000000.x.host:2,FS")
            .exists()
    );
    assert!(store.move_messages(&[m.id], "NoSuchFolder").is_err());
}

#[test]
fn two_stores_picking_up_the_same_files_index_each_once() {
    let (dir, mut store) = store();
    deliver_n(&mut store, "acc", "INBOX", 1);
    std::thread::sleep(std::time::Duration::from_millis(10));
    for i in 0..300 {
        fs::write(
            dir.path()
                .join(format!("acc/INBOX/new/17000{i:05}.ext.host")),
            msg(i, "ext", "x@y.test", "b"),
        )
        .unwrap();
    }
    let path = dir.path().to_owned();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let path = path.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut s = Store::open(&path).unwrap();
                barrier.wait();
                s.refresh().unwrap()
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(list_all(&store).len(), 301);
}

#[test]
fn store_can_move_to_a_blocking_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
}
