use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::mail::Flag;

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn deliver_is_visible_with_exact_bytes_and_private_modes() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("acc/INBOX")).unwrap();
    for sub in ["cur", "new", "tmp"] {
        assert_eq!(mode(&md.root().join(sub)), 0o700);
    }
    assert_eq!(mode(&dir.path().join("acc")), 0o700);
    let bytes = b"Subject: hi\r\n\r\n\xff body\r\n";
    let e = md
        .deliver(
            bytes,
            Sub::New,
            &Flags::empty(),
            &Tags {
                id: Some(7),
                ..Tags::default()
            },
        )
        .unwrap();
    assert!(e.file.starts_with("new/"));
    assert_eq!(embedded_id(&e.uniq), Some(7));
    assert_eq!(md.read(&e.file).unwrap(), bytes);
    assert_eq!(mode(&md.path_of(&e.file)), 0o600);
    assert_eq!(fs::read_dir(md.root().join("tmp")).unwrap().count(), 0);

    let seen = Flags::from_flags(&[Flag::Seen]);
    let e2 = md.deliver(b"x", Sub::Cur, &seen, &Tags::default()).unwrap();
    assert!(e2.file.ends_with(":2,S"), "{}", e2.file);
    let mut scanned = md.scan().unwrap();
    scanned.sort_by(|a, b| a.file.cmp(&b.file));
    assert_eq!(scanned.len(), 2);
    assert_eq!(scanned[0].file, e2.file);
    assert_eq!(scanned[0].flags, seen);
}

#[test]
fn batch_commits_all_or_leaves_nothing_visible() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("m")).unwrap();
    let mut b = md.batch();
    for i in 0..20 {
        b.add(
            format!("Subject: {i}\r\n\r\n").as_bytes(),
            Sub::New,
            &Flags::empty(),
            &Tags::default(),
        )
        .unwrap();
    }
    assert_eq!(md.scan().unwrap().len(), 0, "nothing visible before commit");
    assert_eq!(fs::read_dir(md.root().join("tmp")).unwrap().count(), 20);
    let entries = b.commit().unwrap();
    assert_eq!(entries.len(), 20);
    assert_eq!(md.scan().unwrap().len(), 20);

    // A batch dropped before commit (an error path) leaves no tmp files either.
    let mut b = md.batch();
    b.add(b"x", Sub::New, &Flags::empty(), &Tags::default())
        .unwrap();
    drop(b);
    assert_eq!(fs::read_dir(md.root().join("tmp")).unwrap().count(), 0);
    assert_eq!(md.scan().unwrap().len(), 20);
}

#[test]
fn flags_rename_move_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let a = Maildir::create(dir.path().join("a")).unwrap();
    let b = Maildir::create(dir.path().join("b")).unwrap();
    let e = a
        .deliver(
            b"m",
            Sub::New,
            &Flags::empty(),
            &Tags {
                id: Some(3),
                ..Tags::default()
            },
        )
        .unwrap();
    let mut flags = Flags::from_maildir_info("a"); // a Dovecot keyword letter survives
    flags.insert(Flag::Flagged);
    let f = a.set_flags(&e.file, &flags).unwrap();
    assert_eq!(f, format!("cur/{}:2,Fa", e.uniq));
    assert!(a.path_of(&f).exists() && !a.path_of(&e.file).exists());
    let moved = a.move_to(&f, &b).unwrap();
    assert_eq!(moved, f);
    assert!(b.path_of(&moved).exists());
    assert!(a.scan().unwrap().is_empty());
    assert_eq!(b.locate(&e.uniq).unwrap().unwrap().file, moved);
    b.remove(&moved).unwrap();
    b.remove(&moved).unwrap(); // already gone: fine
    assert!(b.scan().unwrap().is_empty());
    assert_eq!(b.locate(&e.uniq).unwrap(), None);
}

#[test]
fn stale_tmp_files_are_cleaned_fresh_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("m")).unwrap();
    let old = md.root().join("tmp/old");
    let fresh = md.root().join("tmp/fresh");
    fs::write(&old, b"partial").unwrap();
    fs::write(&fresh, b"in progress").unwrap();
    let f = File::options().write(true).open(&old).unwrap();
    f.set_modified(SystemTime::now() - STALE_TMP - Duration::from_secs(60))
        .unwrap();
    assert_eq!(md.clean_tmp(STALE_TMP).unwrap(), 1);
    assert!(!old.exists() && fresh.exists());
}

#[test]
fn mtimes_change_when_files_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path().join("m")).unwrap();
    let before = md.mtimes();
    std::thread::sleep(Duration::from_millis(20));
    md.deliver(b"x", Sub::New, &Flags::empty(), &Tags::default())
        .unwrap();
    let after = md.mtimes();
    assert_ne!(before.0, after.0);
    assert_eq!(before.1, after.1);
}
