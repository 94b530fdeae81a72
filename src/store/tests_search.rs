//! The search syntax against a real index: each filter returns the right set of seeded
//! messages (flags, dates at the local-midnight boundary, attachments known and unknown,
//! folders and accounts), and stores from before `has_attachment` are backfilled.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::deliver::RemoteEnvelope;
use super::index::search_sql::local_midnight;
use super::*;
use crate::mail::{Envelope, Flags};

struct Seed {
    _dir: tempfile::TempDir,
    store: Store,
    /// Ids by a short name.
    ids: Vec<(&'static str, MessageId)>,
}

fn date_at(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc2822()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Noon (local) of a day, as a Date header: no time zone can move it to another day.
fn noon(y: i32, m: u32, d: u32) -> String {
    date_at(local_midnight(day(y, m, d)) + 12 * 3600)
}

fn plain(from: &str, subject: &str, date: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: Bob <bob@x.test>\r\nSubject: {subject}\r\nDate: {date}\r\n\
Message-ID: <{subject}@x.test>\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn with_pdf(from: &str, subject: &str, date: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: Bob <bob@x.test>\r\nSubject: {subject}\r\nDate: {date}\r\n\
Message-ID: <{subject}@x.test>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n\
{body}\r\n--XX\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0=\r\n--XX--\r\n"
    )
    .into_bytes()
}

fn seed() -> Seed {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut ids = Vec::new();
    store.ensure_account("home", AccountKind::Pop3).unwrap();
    let inbox = store.ensure_folder("home", "INBOX").unwrap();
    let feb1 = local_midnight(day(2026, 2, 1));
    let home: [(&str, Vec<u8>, &str); 4] = [
        (
            "lunch",
            plain("Alice <alice@x.test>", "lunch", &noon(2026, 1, 10), "pizza"),
            "",
        ),
        (
            "report",
            with_pdf("Bob <bob@y.test>", "report", &date_at(feb1), "numbers"),
            "FS",
        ),
        (
            "rereport",
            with_pdf(
                "Alice <alice@x.test>",
                "rereport",
                &noon(2026, 3, 5),
                "pizza",
            ),
            "RS",
        ),
        (
            "draft",
            plain("Carol <carol@x.test>", "draft", &date_at(feb1 - 1), "later"),
            "DS",
        ),
    ];
    for (name, bytes, flags) in &home {
        let m = NewMessage {
            flags: Flags::from_maildir_info(flags),
            ..NewMessage::new(bytes)
        };
        let id = store
            .deliver_batch(inbox, std::slice::from_ref(&m))
            .unwrap()[0];
        ids.push((*name, id));
    }
    store.ensure_account("work", AccountKind::Pop3).unwrap();
    let list = store.ensure_folder("work", "Lists/rust list").unwrap();
    let bytes = plain("Alice <alice@x.test>", "rust", &noon(2026, 2, 15), "pizza");
    let id = store
        .deliver_batch(list, &[NewMessage::new(&bytes)])
        .unwrap()[0];
    ids.push(("rust", id));
    // An envelope only: its attachments are not known.
    store.ensure_account("imap", AccountKind::Imap).unwrap();
    let remote = store.ensure_folder("imap", "INBOX").unwrap();
    let env_bytes = plain("Alice <alice@x.test>", "remote", &noon(2026, 2, 20), "");
    let envelope = Envelope::parse(&env_bytes);
    let id = store
        .upsert_envelopes(
            remote,
            &[RemoteEnvelope {
                uid: 1,
                flags: Flags::empty(),
                modseq: None,
                envelope: &envelope,
            }],
        )
        .unwrap()[0];
    ids.push(("remote", id));
    Seed {
        _dir: dir,
        store,
        ids,
    }
}

impl Seed {
    fn find(&self, query: &str) -> BTreeSet<&'static str> {
        self.find_in(query, None, None)
    }

    fn find_in(
        &self,
        query: &str,
        account: Option<&str>,
        folder: Option<&str>,
    ) -> BTreeSet<&'static str> {
        self.store
            .search(query, account, folder, None)
            .unwrap()
            .iter()
            .map(|m| {
                self.ids
                    .iter()
                    .find(|(_, id)| *id == m.id)
                    .map(|(name, _)| *name)
                    .expect("a seeded message")
            })
            .collect()
    }
}

fn set(names: &[&'static str]) -> BTreeSet<&'static str> {
    names.iter().copied().collect()
}

#[test]
fn each_state_filter_returns_its_messages() {
    let s = seed();
    assert_eq!(s.find("is:unread"), set(&["lunch", "rust", "remote"]));
    assert_eq!(s.find("is:read"), set(&["report", "rereport", "draft"]));
    assert_eq!(s.find("-is:unread"), s.find("is:read"));
    assert_eq!(s.find("is:flagged"), set(&["report"]));
    assert_eq!(s.find("is:answered"), set(&["rereport"]));
    assert_eq!(s.find("is:draft"), set(&["draft"]));
    assert_eq!(
        s.find("-is:flagged -is:draft"),
        set(&["lunch", "rereport", "rust", "remote"])
    );
    // Combined with words and fields.
    assert_eq!(
        s.find("is:unread from:alice"),
        set(&["lunch", "rust", "remote"])
    );
    assert_eq!(s.find("is:unread pizza"), set(&["lunch", "rust"]));
    assert_eq!(s.find("-is:unread pizza"), set(&["rereport"]));
    assert_eq!(s.find("-pizza is:unread"), set(&["remote"]));
}

#[test]
fn dates_are_local_days_after_inclusive_before_exclusive() {
    let s = seed();
    // "report" is dated exactly local midnight starting 2026-02-01, "draft" one second before.
    assert_eq!(
        s.find("after:2026-02-01"),
        set(&["report", "rereport", "rust", "remote"])
    );
    assert_eq!(s.find("before:2026-02-01"), set(&["lunch", "draft"]));
    assert_eq!(s.find("before:2026-02"), s.find("before:2026-02-01"));
    assert_eq!(
        s.find("after:2026-02-01 before:2026-02-16"),
        set(&["report", "rust"])
    );
    assert_eq!(s.find("-after:2026-02-01"), set(&["lunch", "draft"]));
    assert_eq!(s.find("after:2026-03 from:alice"), set(&["rereport"]));
}

#[test]
fn attachments_known_from_bodies_unknown_for_envelopes() {
    let s = seed();
    assert_eq!(s.find("has:attachment"), set(&["report", "rereport"]));
    // The envelope-only message matches neither way.
    assert_eq!(s.find("-has:attachment"), set(&["lunch", "draft", "rust"]));
    assert_eq!(s.find("has:attachment pizza"), set(&["rereport"]));
}

#[test]
fn folders_and_accounts_by_name_any_case() {
    let s = seed();
    assert_eq!(
        s.find("folder:inbox"),
        set(&["lunch", "report", "rereport", "draft", "remote"])
    );
    assert_eq!(s.find(r#"folder:"lists/RUST list""#), set(&["rust"]));
    assert_eq!(s.find("account:work"), set(&["rust"]));
    assert_eq!(s.find("pizza -account:Work"), set(&["lunch", "rereport"]));
    assert_eq!(s.find("folder:inbox account:imap"), set(&["remote"]));
    assert_eq!(s.find("folder:nowhere"), set(&[]));
    // With the CLI's --account too: both hold.
    assert_eq!(
        s.find_in("from:alice folder:inbox", Some("home"), None),
        set(&["lunch", "rereport"])
    );
}

#[test]
fn words_only_excluded_and_empty_queries() {
    let s = seed();
    assert_eq!(s.find("-pizza"), set(&["report", "draft", "remote"]));
    assert_eq!(s.find(""), set(&[]));
    assert_eq!(s.find("  -  "), set(&[]));
    // Hostile input is words, not SQL or FTS5 syntax.
    assert_eq!(s.find(r#"folder:"x' OR 1=1 --""#), set(&[]));
    assert_eq!(s.find("pizza OR NOT *"), set(&[]));
}

#[test]
fn a_bad_query_is_a_usage_error_naming_the_value() {
    let s = seed();
    let e = s
        .store
        .search("after:tomorow", None, None, None)
        .unwrap_err();
    assert!(matches!(e, StoreError::Query(_)));
    assert_eq!(e.kind(), crate::error::ErrorKind::Usage);
    assert!(e.to_string().contains(r#"got "tomorow""#), "{e}");
}

#[test]
fn results_without_words_come_newest_first() {
    let s = seed();
    let names: Vec<MessageId> = s
        .store
        .search("is:unread", None, None, None)
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    let id = |n: &str| s.ids.iter().find(|(name, _)| *name == n).unwrap().1;
    assert_eq!(names, [id("remote"), id("rust"), id("lunch")]);
}

/// A store from before the column: reopening fills it in from the stored files.
#[test]
fn stores_from_before_the_column_are_backfilled_at_open() {
    let Seed { _dir, store, ids } = seed();
    store
        .conn
        .execute("UPDATE messages SET has_attachment = NULL", [])
        .unwrap();
    drop(store);
    let store = Store::open(_dir.path()).unwrap();
    let s = Seed { _dir, store, ids };
    assert_eq!(s.find("has:attachment"), set(&["report", "rereport"]));
    assert_eq!(s.find("-has:attachment"), set(&["lunch", "draft", "rust"]));
    let unknown: i64 = s
        .store
        .conn
        .query_row(
            "SELECT count(*) FROM messages WHERE has_attachment IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unknown, 1, "only the envelope stays unknown");
}
