//! Issue #3, item 8: hostile or broken messages are stored, listed and shown as well as
//! possible; nothing panics and memory stays bounded. One test per kind of bad input; each
//! message goes in both ways a message arrives (delivered by postie, dropped into cur/ by
//! another program).

#![allow(clippy::unwrap_used)]

use std::fs;

use postie::cli::read::render;
use postie::store::{AccountKind, ListQuery, NewMessage, Store};

/// Delivers `raw` and drops a copy into cur/, then lists, reads, renders and searches both.
/// Returns the rendered text of the delivered copy.
fn store_list_show(raw: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.ensure_account("acc", AccountKind::Pop3).unwrap();
    let f = store.ensure_folder("acc", "INBOX").unwrap();
    let id = store.deliver(f, &NewMessage::new(raw)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    fs::write(
        dir.path().join("acc/INBOX/cur/1700000000.dropped.host:2,S"),
        raw,
    )
    .unwrap();
    store.refresh().unwrap();
    let listed = store.list(&ListQuery::default()).unwrap();
    assert_eq!(listed.len(), 2, "both copies are listed");
    for m in &listed {
        assert!(m.has_body);
        assert_eq!(m.size, raw.len() as u64);
        assert_eq!(store.read_raw(m.id).unwrap(), raw, "bytes are kept exactly");
        let _ = render(&store.read_raw(m.id).unwrap());
    }
    let _ = store.search("anything", None, None, None).unwrap();
    // A rebuilt index still holds both.
    drop(store);
    fs::remove_file(dir.path().join("index.sqlite3")).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.list(&ListQuery::default()).unwrap().len(), 2);
    render(&store.read_raw(id).unwrap())
}

fn max_rss_kib() -> i64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss
}

#[test]
fn broken_mime_boundaries() {
    let raw = b"Subject: broken\r\nContent-Type: multipart/mixed; boundary=\"abc\"\r\n\r\n\
--abc\r\nContent-Type: text/plain\r\n\r\nfirst part text\r\n--abd\r\nnot a part\r\n\
--abc\r\nContent-Type: text/html\r\n\r\n<p>never closed";
    let text = store_list_show(raw);
    assert!(text.contains("Subject: broken"));
    assert!(text.contains("first part text"), "{text}");
}

#[test]
fn unknown_or_lying_charset() {
    let raw = b"Subject: =?x-klingon?Q?qapla=27?= and =?utf-8?B?w6k=?=\r\n\
Content-Type: text/plain; charset=\"utf-8\"\r\n\r\nLatin-1 bytes: caf\xe9 cr\xe8me\r\n";
    let text = store_list_show(raw);
    assert!(text.contains("caf"), "{text}");
    let raw2 = b"Subject: x\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nplain ascii body\r\n";
    assert!(store_list_show(raw2).contains("plain ascii body"));
}

#[test]
fn raw_eight_bit_bytes_in_headers() {
    let raw =
        b"From: J\xf6rg \xff\xfe <j@x.test>\r\nSubject: gr\xfc\xdfe \xe6\x97\xa5\r\n\r\nbody\r\n";
    let text = store_list_show(raw);
    assert!(text.contains("Subject: gr"), "{text}");
    assert!(text.contains("body"));
}

#[test]
fn no_date_header() {
    let raw = b"From: a@x.test\r\nSubject: undated\r\n\r\nno date here\r\n";
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.ensure_account("acc", AccountKind::Local).unwrap();
    let f = store.ensure_folder("acc", "INBOX").unwrap();
    let dated = b"Subject: dated\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nx\r\n";
    store.deliver(f, &NewMessage::new(raw)).unwrap();
    store.deliver(f, &NewMessage::new(dated)).unwrap();
    let listed = store.list(&ListQuery::default()).unwrap();
    assert_eq!(listed[0].subject, "dated");
    assert_eq!(listed[1].date, None, "undated messages sort last");
    assert_eq!(listed[1].date_rfc3339(), None);
    assert!(store_list_show(raw).contains("no date here"));
}

#[test]
fn ten_megabyte_line() {
    let before = max_rss_kib();
    let mut raw = b"Subject: long line\r\n\r\n".to_vec();
    raw.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    raw.extend_from_slice(b" needle\r\n");
    let text = store_list_show(&raw);
    assert!(text.len() >= 10 * 1024 * 1024);
    // The same in a header: stored whole, but the envelope keeps a bounded subject.
    let mut raw = b"Subject: ".to_vec();
    raw.extend(std::iter::repeat_n(b'y', 10 * 1024 * 1024));
    raw.extend_from_slice(b"\r\nFrom: a@x.test\r\n\r\nshort body\r\n");
    let text = store_list_show(&raw);
    assert!(text.contains("short body"));
    let env = postie::mail::Envelope::parse(&raw);
    assert!(env.subject.len() <= postie::mail::envelope::MAX_FIELD_BYTES);
    let grown_mib = (max_rss_kib() - before) / 1024;
    assert!(grown_mib < 400, "peak RSS grew by {grown_mib} MiB");
}

#[test]
fn hundred_nested_multiparts() {
    let mut raw = b"Subject: nested\r\n".to_vec();
    for i in 0..100 {
        raw.extend(
            format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n")
                .as_bytes(),
        );
    }
    raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\ndeep inside\r\n");
    for i in (0..100).rev() {
        raw.extend(format!("--b{i}--\r\n").as_bytes());
    }
    let text = store_list_show(&raw);
    assert!(text.contains("Subject: nested"));
}

#[test]
fn zero_byte_file() {
    let text = store_list_show(b"");
    assert!(text.contains("Subject:"));
}

#[test]
fn non_message_file_in_cur() {
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"
        .iter()
        .copied()
        .chain((0..4096u32).map(|i| (i * 7 % 256) as u8))
        .collect();
    store_list_show(&png);
    let text = store_list_show(b"#!/bin/sh\necho this is a shell script, not mail\n");
    assert!(text.contains("Subject:"));
}

#[test]
fn deeply_nested_html_does_not_overflow() {
    let mut raw = b"Content-Type: text/html\r\n\r\n".to_vec();
    raw.extend("<div>".repeat(20_000).as_bytes());
    raw.extend_from_slice(b"deep");
    raw.extend("</div>".repeat(20_000).as_bytes());
    store_list_show(&raw);
}
