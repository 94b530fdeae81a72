//! Issue #3, item 9: crash safety of deliveries.
//!
//! - A delivery interrupted between writing tmp/ and the rename leaves nothing visible and
//!   nothing indexed.
//! - A process SIGKILLed at an arbitrary point of a stream of batch deliveries (this test binary
//!   re-run as a child in a delivering loop) leaves a store whose index and Maildir agree after
//!   the next pick-up, with every message's bytes intact and every UIDL recorded exactly once.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use postie::mail::Flags;
use postie::store::maildir::{Maildir, STALE_TMP, Sub, Tags};
use postie::store::{AccountKind, ListQuery, NewMessage, Store};

const CHILD_ENV: &str = "POSTIE_CRASH_TEST_DIR";

fn message(n: u64) -> Vec<u8> {
    format!(
        "From: pop@x.test\r\nSubject: message {n}\r\nMessage-ID: <{n}@crash.test>\r\n\r\n{}\r\n",
        format!("line {n} of the body\r\n").repeat((n % 50) as usize + 1)
    )
    .into_bytes()
}

#[test]
fn interrupted_before_rename_leaves_nothing_visible_or_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.ensure_account("acc", AccountKind::Pop3).unwrap();
    store.ensure_folder("acc", "INBOX").unwrap();
    let md = Maildir::new(dir.path().join("acc/INBOX"));
    let mut batch = md.batch();
    for n in 0..5 {
        batch
            .add(&message(n), Sub::New, &Flags::empty(), &Tags::default())
            .unwrap();
    }
    // The process "dies" here: no commit, no destructor.
    std::mem::forget(batch);
    assert_eq!(fs::read_dir(md.root().join("tmp")).unwrap().count(), 5);
    assert!(md.scan().unwrap().is_empty(), "nothing in new/ or cur/");
    store.rescan().unwrap();
    assert!(
        store.list(&ListQuery::default()).unwrap().is_empty(),
        "nothing indexed"
    );
    drop(store);
    fs::remove_file(dir.path().join("index.sqlite3")).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(
        store.list(&ListQuery::default()).unwrap().is_empty(),
        "not even after a rebuild"
    );
    // Stale leftovers are cleaned by the Maildir rule (36 hours).
    for e in fs::read_dir(md.root().join("tmp")).unwrap() {
        let f = fs::File::options()
            .write(true)
            .open(e.unwrap().path())
            .unwrap();
        f.set_modified(std::time::SystemTime::now() - STALE_TMP - Duration::from_secs(1))
            .unwrap();
    }
    assert_eq!(md.clean_tmp(STALE_TMP).unwrap(), 5);
}

/// The child side: delivers batches of POP3-like messages until killed. Does nothing (and
/// passes) when not started by `killed_mid_delivery_leaves_index_and_maildir_agreeing`.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut store = Store::open(Path::new(&dir)).unwrap();
    store.ensure_account("pop", AccountKind::Pop3).unwrap();
    let f = store.ensure_folder("pop", "INBOX").unwrap();
    let known = store.known_uidls("pop").unwrap();
    let mut next = known
        .iter()
        .filter_map(|u| u.strip_prefix('u')?.parse::<u64>().ok())
        .max()
        .map(|m| m + 1)
        .unwrap_or(0);
    loop {
        let bodies: Vec<(String, Vec<u8>)> = (next..next + 7)
            .map(|n| (format!("u{n}"), message(n)))
            .collect();
        let msgs: Vec<NewMessage<'_>> = bodies
            .iter()
            .map(|(u, b)| NewMessage {
                uidl: Some(u),
                ..NewMessage::new(b)
            })
            .collect();
        store.deliver_batch(f, &msgs).unwrap();
        next += 7;
    }
}

#[test]
fn killed_mid_delivery_leaves_index_and_maildir_agreeing() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut total_seen = 0;
    for (round, delay_ms) in [150u64, 230, 90, 310, 170, 60].iter().enumerate() {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*delay_ms));
        // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        child.wait().unwrap();

        let mut store = Store::open(dir.path()).unwrap();
        store.refresh().unwrap();
        let md = Maildir::new(dir.path().join("pop/INBOX"));
        let files: HashSet<String> = md.scan().unwrap().into_iter().map(|e| e.file).collect();
        let listed = store.list(&ListQuery::default()).unwrap();
        let indexed: HashSet<String> = listed.iter().filter_map(|m| m.file.clone()).collect();
        assert_eq!(files, indexed, "round {round}: index and Maildir agree");
        let uidls = store.known_uidls("pop").unwrap();
        assert_eq!(
            uidls.len(),
            listed.len(),
            "round {round}: one UIDL per message"
        );
        for m in &listed {
            let n: u64 = m.uidl.as_deref().unwrap()[1..].parse().unwrap();
            assert_eq!(
                store.read_raw(m.id).unwrap(),
                message(n),
                "round {round}: intact bytes"
            );
        }
        let ids: HashSet<i64> = listed.iter().map(|m| m.id).collect();
        assert_eq!(ids.len(), listed.len());
        assert!(
            listed.len() >= total_seen,
            "nothing delivered before is lost"
        );
        total_seen = listed.len();
    }
    eprintln!("{total_seen} messages delivered across the killed children");
    assert!(total_seen > 0, "the child delivered something");
}
