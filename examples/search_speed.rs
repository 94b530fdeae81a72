//! `cargo run --release --example search_speed [N]`: how fast the search syntax's filters run
//! on an index of N messages (default 100,000), for the reliability notes.
//!
//! Seeds index rows directly (no Maildir files: only the index is searched): 997 senders,
//! one message in three unread, one in twenty flagged, one in six with an attachment, one
//! message every ten minutes from 2020-09-13 on. Then times each query (open + search, median
//! of 5) with `Store::search`, as `postie search` runs it: every hit, then `--limit 50`.

use std::time::Instant;

use postie::mail::{Address, Envelope, Flags};
use postie::store::Store;
use postie::store::index::{self, NewRow};

fn main() {
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    {
        let mut store = Store::open(&data).expect("store");
        store
            .ensure_account("bench", postie::store::AccountKind::Pop3)
            .expect("account");
        store.ensure_folder("bench", "INBOX").expect("folder");
    }
    let t = Instant::now();
    let mut conn = index::open(&data.join(index::INDEX_FILE)).expect("index");
    let tx = conn.transaction().expect("transaction");
    for i in 0..n {
        let flags = match (i % 3, i % 20) {
            (0, 0) => "F",
            (0, _) => "",
            (_, 0) => "FS",
            _ => "S",
        };
        let flags = Flags::from_maildir_info(flags);
        let envelope = Envelope {
            from: vec![Address {
                name: Some(format!("Sender {}", i % 997)),
                email: format!("s{}@example.org", i % 997),
            }],
            to: vec![Address {
                name: None,
                email: "me@example.com".into(),
            }],
            subject: format!("report number {i} about topic{}", i % 50),
            date: Some(1_600_000_000 + i * 600),
            message_id: Some(format!("{i}@bench.test")),
            size: 4000,
            ..Envelope::default()
        };
        let body = format!("body text of message {i} word{} lorem ipsum", i % 1000);
        index::insert_message(
            &tx,
            &NewRow {
                id: i + 1,
                folder_id: 1,
                uid: None,
                uidl: None,
                uniq: None,
                file: None,
                flags: &flags,
                envelope: &envelope,
                body: &body,
                has_body: true,
                has_attachment: Some(i % 6 == 0),
            },
        )
        .expect("insert");
    }
    tx.commit().expect("commit");
    drop(conn);
    println!("seeded {n} rows in {:.1} s", t.elapsed().as_secs_f64());
    for query in [
        "is:unread from:s5",
        "is:unread",
        "after:2022-01-01",
        "after:2021-06-01 before:2021-07-01",
        "has:attachment is:flagged",
        "topic7 -is:read after:2021-01",
        "-word7 is:flagged",
        "word7",
    ] {
        let mut line = format!("{query:36}");
        // Every hit (as `postie search` without --limit), then the best 50.
        for limit in [None, Some(50)] {
            let mut times = Vec::new();
            let mut hits = 0;
            for _ in 0..5 {
                let t = Instant::now();
                let store = Store::open(&data).expect("store");
                hits = store
                    .search(query, None, None, limit)
                    .expect("search")
                    .len();
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            line.push_str(&format!("  {hits:6} hits {:7.1} ms", times[2]));
        }
        println!("{line}");
    }
}
