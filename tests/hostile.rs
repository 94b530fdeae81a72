//! Issue #9, item 4: hostile messages are delivered into the store, then listed, searched and
//! rendered by the real `postie` binary within bounded memory and time, never a panic.
//!
//! tests/store_bad_input.rs covers smaller bad input through the library (broken boundaries,
//! lying charsets, raw 8-bit headers, a 10 MB line, 100 nested multiparts, HTML nesting); this
//! file adds the big and deep cases and measures each `postie read` as a child process: its
//! peak RSS (`wait4` rusage) must stay under [`rss_bound_kib`] and it must finish within
//! [`DEADLINE`], with exit 0 and no control byte but newline and tab on stdout.

#![allow(clippy::unwrap_used)]

#[path = "support/child.rs"]
mod child;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use postie::store::{AccountKind, NewMessage, Store};
use serde_json::Value;

/// Wall time allowed to one `postie` command on the largest message (a debug build on two
/// shared cores; a release build is several times faster).
const DEADLINE: Duration = Duration::from_secs(60);

/// The stated memory bound of `postie read` on a message of `size` bytes: 64 MiB (binary,
/// runtime, SQLite) plus twice the message (the raw bytes and one decoded part). Measured:
/// 17-42 MiB for every case up to 10 MB, 135 MiB for the 68 MB message with a 50 MB
/// attachment (bound 201 MiB).
fn rss_bound_kib(size: usize) -> i64 {
    64 * 1024 + 2 * (size as i64) / 1024
}

/// A deterministic pseudo-random byte stream (xorshift), for attachments that do not compress.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

fn base64_lines(data: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = Vec::with_capacity(text.len() * 78 / 76 + 2);
    for line in text.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The hostile messages: a name, the bytes, and a word `postie read` must show (if any).
fn hostile_messages() -> Vec<(&'static str, Vec<u8>, Option<&'static str>)> {
    let mut v = Vec::new();

    // 1. Multiparts nested 2,000 deep (store_bad_input has 100), and a part that opens 5,000
    //    boundaries at one level.
    let mut raw = b"Subject: nested deep\r\nFrom: a@x.test\r\n".to_vec();
    for i in 0..2000 {
        raw.extend(
            format!("Content-Type: multipart/mixed; boundary=\"n{i}\"\r\n\r\n--n{i}\r\n")
                .as_bytes(),
        );
    }
    raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\ndeepneedle\r\n");
    for i in (0..2000).rev() {
        raw.extend(format!("--n{i}--\r\n").as_bytes());
    }
    v.push(("nested-2000", raw, Some("nested deep")));
    let mut raw =
        b"Subject: wide\r\nContent-Type: multipart/mixed; boundary=\"w\"\r\n\r\n".to_vec();
    for i in 0..5000 {
        raw.extend(format!("--w\r\nContent-Type: text/plain; name=\"p{i}.txt\"\r\nContent-Disposition: attachment\r\n\r\npart {i}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"--w--\r\n");
    v.push(("wide-5000", raw, Some("wide")));

    // 2. A 50 MB attachment (base64, about 68 MB on disk).
    let mut raw = b"Subject: big attachment\r\nFrom: a@x.test\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\n\
bigneedle see attached\r\n--big\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\n\
Content-Disposition: attachment; filename=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    raw.extend(base64_lines(&noise(50 * 1024 * 1024)));
    raw.extend_from_slice(b"--big--\r\n");
    v.push(("attachment-50mb", raw, Some("big.bin")));

    // 3. A 1 MB header: one folded Subject of 1 MB, and 20,000 small fields.
    let mut raw = b"From: a@x.test\r\nSubject: onemeg".to_vec();
    for _ in 0..(1024 * 1024 / 64) {
        raw.extend_from_slice(b"\r\n ");
        raw.extend(std::iter::repeat_n(b'h', 61));
    }
    raw.extend_from_slice(b"\r\n\r\nheaderneedle\r\n");
    v.push(("header-1mb-folded", raw, Some("headerneedle")));
    let mut raw = b"From: a@x.test\r\nSubject: many fields\r\n".to_vec();
    for i in 0..20_000 {
        raw.extend(format!("X-Junk-{i}: {}\r\n", "j".repeat(40)).as_bytes());
    }
    raw.extend_from_slice(b"\r\nfieldsneedle\r\n");
    v.push(("header-20000-fields", raw, Some("fieldsneedle")));

    // 4. Malformed encoded-words, and 10,000 of them in one Subject.
    let mut raw =
        b"From: =?utf-8?B?!!!not base64?= <a@x.test>\r\nTo: =?utf-8?Q?=ZZ=?= <b@x.test>\r\n\
Subject: =?utf-8?B?w6?= =? =?utf-8?q?a?=?= =?x-unknown?Q?b?= =?utf-8*de?Q?c?= =?==?= =?utf-8?X?d?= \
=?utf-8?Q?\x1b[31mred?= =?utf-8?B?G1sybUo=?=\r\n\r\nencodedneedle\r\n"
            .to_vec();
    v.push((
        "encoded-words-malformed",
        raw.clone(),
        Some("encodedneedle"),
    ));
    raw = b"From: a@x.test\r\nSubject:".to_vec();
    for _ in 0..10_000 {
        raw.extend_from_slice(b" =?utf-8?B?w6k=?=");
    }
    raw.extend_from_slice(b"\r\n\r\nmanywordsneedle\r\n");
    v.push(("encoded-words-10000", raw, Some("manywordsneedle")));

    // 5. NUL bytes in headers, body and a boundary.
    v.push((
        "nul-bytes",
        b"From: a\0b <a@x.test>\r\nSubject: nul\0subject\r\nContent-Type: multipart/mixed; boundary=\"a\0b\"\r\n\r\n\
--a\0b\r\nContent-Type: text/plain\r\n\r\nbody\0with\0nuls nulneedle\r\n--a\0b--\r\n"
            .to_vec(),
        Some("nulneedle"),
    ));

    // 6. Invalid UTF-8 where UTF-8 is declared (headers, body, an encoded-word).
    v.push((
        "invalid-utf8",
        b"From: \xc3\x28 <a@x.test>\r\nSubject: =?utf-8?B?wyg=?= \xff\xfe\xed\xa0\x80\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
utf8needle \xf0\x28\x8c\x28 \xc0\xaf \xed\xa0\x80\r\n"
            .to_vec(),
        Some("utf8needle"),
    ));

    // 7. A boundary that never closes, over 5 MB of parts, and a nested one inside.
    let mut raw = b"Subject: unclosed\r\nContent-Type: multipart/mixed; boundary=\"open\"\r\n\r\n\
--open\r\nContent-Type: text/plain\r\n\r\nunclosedneedle\r\n--open\r\n\
Content-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n--inner\r\n\r\n"
        .to_vec();
    for _ in 0..(5 * 1024 * 1024 / 80) {
        raw.extend_from_slice(&[b'u'; 78]);
        raw.extend_from_slice(b"\r\n");
    }
    v.push(("boundary-never-closes", raw, Some("unclosedneedle")));

    // 8. Quoted-printable "bombs": 10 MB of soft line breaks (one endless logical line), 10 MB
    //    of `=3D` escapes, 30 layers of message/rfc822 each quoted-printable, and QP-encoded
    //    HTML nested 20,000 deep.
    let mut raw = b"Subject: qp soft\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nqpneedle ".to_vec();
    for _ in 0..(10 * 1024 * 1024 / 3) {
        raw.extend_from_slice(b"=\r\n");
    }
    raw.extend_from_slice(b"end\r\n");
    v.push(("qp-soft-breaks-10mb", raw, Some("qpneedle")));
    let mut raw = b"Subject: qp escapes\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nqpescneedle\r\n".to_vec();
    for _ in 0..(10 * 1024 * 1024 / 75) {
        raw.extend_from_slice(&b"=3D".repeat(24));
        raw.extend_from_slice(b"=\r\n");
    }
    v.push(("qp-escapes-10mb", raw, Some("qpescneedle")));
    let mut inner = b"Subject: innermost\r\n\r\nlayerneedle =3D=3D=3D\r\n".to_vec();
    for i in 0..30 {
        let mut outer = format!(
            "Subject: layer {i}\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        .into_bytes();
        for &b in &inner {
            if b == b'=' {
                outer.extend_from_slice(b"=3D");
            } else {
                outer.push(b);
            }
        }
        inner = outer;
    }
    v.push(("qp-layers-30", inner, Some("layer 29")));
    let mut raw = b"Subject: qp html\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".to_vec();
    for _ in 0..20_000 {
        raw.extend_from_slice(b"<div =3D\"x\">=\r\n");
    }
    raw.extend_from_slice(b"htmlneedle");
    v.push(("qp-html-deep", raw, None));
    v
}

fn write_config(home: &Path, data_dir: &Path) -> std::path::PathBuf {
    let cfg = home.join("config.toml");
    fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\n\n[accounts.acc]\nemail = \"me@x.test\"\n\n\
[accounts.acc.incoming]\nprotocol = \"pop3\"\nhost = \"127.0.0.1\"\nport = 9\n\
tls = \"none\"\nallow_plaintext = true\npassword_command = \"echo x\"\n",
            data_dir.display()
        ),
    )
    .unwrap();
    cfg
}

fn postie(home: &Path, cfg: &Path, args: &[&str]) -> child::Finished {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postie"));
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .arg("--config")
        .arg(cfg)
        .args(args);
    child::run_measured(&mut cmd, DEADLINE)
}

fn assert_inert(name: &str, out: &[u8]) {
    let bad = out
        .iter()
        .position(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f);
    assert!(
        bad.is_none(),
        "{name}: a control byte reaches stdout at {bad:?}"
    );
}

#[test]
fn hostile_messages_are_stored_listed_searched_and_shown_within_bounds() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let cfg = write_config(home.path(), &data);
    let mut messages = Vec::new();
    let mut ids = Vec::new();
    {
        let mut store = Store::open(&data).unwrap();
        store.ensure_account("acc", AccountKind::Pop3).unwrap();
        let inbox = store.ensure_folder("acc", "INBOX").unwrap();
        for (name, raw, shown) in hostile_messages() {
            let id = store.deliver(inbox, &NewMessage::new(&raw)).unwrap();
            ids.push(id);
            assert_eq!(
                store.read_raw(id).unwrap(),
                raw,
                "{name}: stored byte for byte"
            );
            messages.push((name, raw.len(), shown));
        }
    }
    // The big buffers are gone before any child is forked (see child::run_measured).

    let listed = postie(home.path(), &cfg, &["list", "--json", "--limit", "1000"]);
    assert_eq!(listed.code, Some(0), "list: {}", listed.stderr_text());
    let rows: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), messages.len());
    assert_inert("list --json", &listed.stdout);
    let text_list = postie(home.path(), &cfg, &["list", "--limit", "1000"]);
    assert_eq!(text_list.code, Some(0), "list: {}", text_list.stderr_text());
    assert_inert("list", &text_list.stdout);
    assert_eq!(text_list.stdout_text().lines().count(), messages.len());

    for needle in ["deepneedle", "utf8needle", "unclosedneedle", "bigneedle"] {
        let found = postie(home.path(), &cfg, &["search", "--json", needle]);
        assert_eq!(
            found.code,
            Some(0),
            "search {needle}: {}",
            found.stderr_text()
        );
        let hits: Value = serde_json::from_slice(&found.stdout).unwrap();
        assert!(
            !hits.as_array().unwrap().is_empty(),
            "search finds {needle}"
        );
    }

    let mut report = String::new();
    let mut over = Vec::new();
    for ((name, size, shown), id) in messages.iter().zip(&ids) {
        let read = postie(home.path(), &cfg, &["read", &id.to_string()]);
        assert!(!read.timed_out, "{name}: postie read ran past {DEADLINE:?}");
        assert_eq!(
            read.code,
            Some(0),
            "{name}: exit {:?} signal {:?}: {}",
            read.code,
            read.signal,
            read.stderr_text()
        );
        assert!(!read.stderr_text().contains("panicked"), "{name}: panic");
        assert_inert(name, &read.stdout);
        let text = read.stdout_text();
        assert!(
            text.contains("Subject:"),
            "{name}: {}",
            &text[..text.len().min(300)]
        );
        if let Some(word) = shown {
            assert!(text.contains(word), "{name}: {word:?} not shown");
        }
        let bound = rss_bound_kib(*size);
        if read.max_rss_kib > bound {
            over.push(format!(
                "{name}: peak RSS {} KiB over the bound {bound} KiB",
                read.max_rss_kib
            ));
        }
        writeln!(
            report,
            "{name}: {size} bytes, read in {:?}, peak RSS {} KiB (bound {bound}; test process \
             {} KiB at fork)",
            read.elapsed, read.max_rss_kib, read.parent_rss_kib
        )
        .unwrap();
    }
    eprintln!("{report}");
    assert!(over.is_empty(), "{over:#?}");
}
