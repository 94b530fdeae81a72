//! `postie search` with the query syntax, through the binary, on a seeded Maildir account:
//! filters pick the right messages, a bad value exits 64 with a line saying what was expected,
//! and `--help` documents the syntax.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use serde_json::Value;

/// (file under the Maildir, Date, Subject, with a PDF attached)
const MESSAGES: [(&str, &str, &str, bool); 4] = [
    (
        "cur/1700000001.a.host:2,FS",
        "Mon, 5 Jan 2026 12:00:00 +0000",
        "flagged early",
        false,
    ),
    (
        "cur/1700000002.b.host:2,FS",
        "Tue, 10 Feb 2026 12:00:00 +0000",
        "flagged late",
        true,
    ),
    (
        "new/1700000003.c.host",
        "Wed, 11 Feb 2026 12:00:00 +0000",
        "unread late",
        true,
    ),
    (
        "cur/1700000004.d.host:2,S",
        "Thu, 12 Feb 2026 12:00:00 +0000",
        "read late",
        false,
    ),
];

fn fixture(root: &Path) {
    for d in ["cur", "new", "tmp"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    for (i, (file, date, subject, pdf)) in MESSAGES.iter().enumerate() {
        let head = format!(
            "From: Person {i} <p{i}@x.test>\r\nTo: me@x.test\r\nSubject: {subject}\r\n\
Date: {date}\r\nMessage-ID: <{i}@x.test>\r\nMIME-Version: 1.0\r\n"
        );
        let body = if *pdf {
            "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\
Content-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF-\r\n--XX--\r\n"
        } else {
            "Content-Type: text/plain\r\n\r\nplain text\r\n"
        };
        fs::write(root.join(file), format!("{head}{body}")).unwrap();
    }
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let mdir = dir.path().join("Maildir");
        fixture(&mdir);
        let cfg = dir.path().join("config/postie/config.toml");
        fs::create_dir_all(cfg.parent().unwrap()).unwrap();
        fs::write(
            &cfg,
            format!(
                "[accounts.local]\nemail = \"me@x.test\"\n\n[accounts.local.incoming]\n\
protocol = \"maildir\"\npath = \"{}\"\n",
                mdir.display()
            ),
        )
        .unwrap();
        Home { dir }
    }

    fn postie(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("postie");
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("PATH", "/usr/bin:/bin")
            .env("TZ", "UTC");
        cmd
    }

    /// The subjects `postie search --json QUERY` finds, sorted.
    fn subjects(&self, query: &str) -> Vec<String> {
        let out = self
            .postie()
            .args(["search", "--json", query])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let mut s: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["subject"].as_str().unwrap().to_owned())
            .collect();
        s.sort();
        s
    }
}

#[test]
fn filters_find_the_right_messages() {
    let home = Home::new();
    assert_eq!(
        home.subjects("is:flagged after:2026-02-01"),
        ["flagged late"]
    );
    assert_eq!(
        home.subjects("is:flagged"),
        ["flagged early", "flagged late"]
    );
    assert_eq!(home.subjects("is:unread"), ["unread late"]);
    assert_eq!(
        home.subjects("has:attachment"),
        ["flagged late", "unread late"]
    );
    assert_eq!(
        home.subjects("-has:attachment after:2026-02"),
        ["read late"]
    );
    assert_eq!(home.subjects("before:2026-02-11 late"), ["flagged late"]);
    assert_eq!(
        home.subjects("-is:flagged folder:inbox account:local"),
        ["read late", "unread late"]
    );
}

#[test]
fn a_bad_value_exits_64_saying_what_was_expected() {
    let home = Home::new();
    let out = home
        .postie()
        .args(["search", "is:flagged", "after:tomorow"])
        .assert()
        .code(64)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(r#"after: expects YYYY-MM-DD"#) && err.contains(r#"got "tomorow""#),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn help_documents_the_syntax() {
    let home = Home::new();
    let out = home
        .postie()
        .args(["search", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(out).unwrap();
    for key in [
        "from:",
        "to:",
        "cc:",
        "subject:",
        "body:",
        "\"exact phrase\"",
        "-WORD",
        "is:unread",
        "is:flagged",
        "is:answered",
        "has:attachment",
        "after:2026-01-15",
        "before:",
        "folder:",
        "account:",
        "inclusive",
        "exclusive",
    ] {
        assert!(help.contains(key), "search --help names {key}");
    }
}
