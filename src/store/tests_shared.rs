//! One store shared by several openers at once (issue #12, item 3): a fresh data dir opened by
//! many at once, and an index kept busy by another connection, are never taken for damage.

use std::time::{Duration, Instant};

use super::*;

fn set_aside(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".corrupt-"))
        .collect()
}

#[test]
fn many_openers_of_a_fresh_data_dir_all_succeed_and_nothing_is_set_aside() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let openers: Vec<_> = (0..8)
            .map(|_| {
                let data = data.clone();
                std::thread::spawn(move || {
                    let mut store = Store::open(&data)?;
                    store.ensure_account("acct", AccountKind::Pop3)?;
                    store.ensure_folder("acct", "INBOX").map(|_| ())
                })
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().unwrap();
        }
        assert!(set_aside(&data).is_empty(), "round {round}");
        let store = Store::open(&data).unwrap();
        assert_eq!(store.accounts().unwrap().len(), 1);
    }
}

#[test]
fn an_index_kept_busy_by_another_connection_is_an_error_not_damage() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.ensure_account("acct", AccountKind::Pop3).unwrap();
    drop(store);
    // Another process holding the index exclusively (readers included) past the busy timeout.
    let other = Connection::open(dir.path().join(index::INDEX_FILE)).unwrap();
    other
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    other
        .execute("INSERT INTO meta (key, value) VALUES ('held', 1)", [])
        .unwrap();
    let started = Instant::now();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::IndexBusy { .. }),
        "{}",
        crate::error::chain_line(&err)
    );
    assert_eq!(err.kind(), crate::error::ErrorKind::Temporary);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(
        set_aside(dir.path()).is_empty(),
        "{:?}",
        set_aside(dir.path())
    );
    other.execute_batch("ROLLBACK").unwrap();
    drop(other);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.accounts().unwrap().len(), 1, "the same index, kept");
}

#[test]
fn only_errors_about_the_file_count_as_damage() {
    use rusqlite::ffi;
    let sqlite = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
    for code in [ffi::SQLITE_BUSY, ffi::SQLITE_LOCKED] {
        let e = StoreError::db("read")(sqlite(code));
        assert!(matches!(e, StoreError::IndexBusy { .. }), "{code}");
        assert!(!e.is_damage());
    }
    for code in [ffi::SQLITE_PERM, ffi::SQLITE_READONLY, ffi::SQLITE_FULL] {
        assert!(!StoreError::db("read")(sqlite(code)).is_damage(), "{code}");
    }
    for code in [ffi::SQLITE_CORRUPT, ffi::SQLITE_NOTADB] {
        assert!(StoreError::db("read")(sqlite(code)).is_damage(), "{code}");
    }
}
