//! Issue #12, items 1 and 2: `postie sync` against POP3 servers that break RFC 1939 in ways
//! that used to lose mail, played by the scripted fake in `support/fake_pop3.rs`.
//!
//! - Two messages under one UIDL: both are stored, only numbers whose bytes were stored are
//!   deleted, one warning per sync, and nothing is downloaded again (delete mode, keep mode,
//!   `leave_on_server_days`, and one of the two deleted by another client).
//! - A message shorter than LIST said (cut, or ended by an unstuffed "." line), or far longer:
//!   stored with a warning, and its server copy never deleted, in that sync or later ones.
//! - Issue #15: a server with neither UIDL nor TOP (GNU Mailutils can be set up so; old
//!   servers are): the sync goes on, in delete and keep mode, and stores nothing twice.
//!
//! Runs the real `postie` binary with `env_clear()`, a temp HOME and data dir, plain TCP on
//! 127.0.0.1 (`allow_plaintext = true`).

#[path = "support/fake_pop3.rs"]
mod fake_pop3;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use fake_pop3::{FakeMessage, FakePop3, Send};
use serde_json::Value;

/// One postie installation pointed at a fake server.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// `extra` goes into the incoming table (e.g. `pop3_mode = "delete"`).
    fn new(server: &FakePop3, extra: &str) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = Env { dir };
        let text = format!(
            "data_dir = \"{data}\"\n\n[accounts.acct]\nemail = \"user@example.test\"\n\n\
             [accounts.acct.incoming]\nprotocol = \"pop3\"\nhost = \"127.0.0.1\"\nport = {port}\n\
             tls = \"none\"\nallow_plaintext = true\nuser = \"user\"\n\
             password_command = \"echo x\"\n{extra}\n",
            data = env.data_dir().display(),
            port = server.port(),
        );
        std::fs::write(env.dir.path().join("config.toml"), text).expect("write config");
        env
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, args: &[&str]) -> Output {
        let home = self.dir.path();
        Command::new(env!("CARGO_BIN_EXE_postie"))
            .env_clear()
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("PATH", "/usr/bin:/bin")
            .arg("--config")
            .arg(home.join("config.toml"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run postie")
    }

    /// `postie sync --json`, which must succeed: the account's summary.
    fn sync_ok(&self) -> Value {
        let out = self.run(&["sync", "--json"]);
        assert!(
            out.status.success(),
            "postie sync failed ({}): {}",
            out.status,
            stderr(&out)
        );
        let json: Value = serde_json::from_slice(&out.stdout).expect("sync JSON");
        json[0].clone()
    }

    /// The stored messages' bytes, sorted.
    fn stored(&self) -> Vec<Vec<u8>> {
        let inbox = self.data_dir().join("acct").join("INBOX");
        let mut all = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(inbox.join(sub)) {
                for e in rd.filter_map(Result::ok) {
                    all.push(std::fs::read(e.path()).expect("read a stored message"));
                }
            }
        }
        all.sort();
        all
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn warnings(summary: &Value) -> Vec<String> {
    summary["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("text").to_owned())
        .collect()
}

/// Four messages, the 2nd and 3rd (ids 1 and 2) under one UIDL, with different content.
fn with_a_repeated_uidl() -> Vec<FakeMessage> {
    vec![
        FakeMessage::new("u-a", "first"),
        FakeMessage::new("u-dup", "second"),
        FakeMessage::new("u-dup", "third"),
        FakeMessage::new("u-d", "fourth"),
    ]
}

fn sorted(messages: &[FakeMessage]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = messages.iter().map(|m| m.bytes.clone()).collect();
    v.sort();
    v
}

fn assert_one_duplicate_warning(summary: &Value) {
    let w = warnings(summary);
    assert_eq!(w.len(), 1, "one warning per sync: {w:?}");
    assert!(w[0].contains("shared between messages"), "{w:?}");
}

#[test]
fn a_repeated_uidl_in_delete_mode_stores_both_and_deletes_only_what_was_stored() {
    let messages = with_a_repeated_uidl();
    let server = FakePop3::start(messages.clone());
    let env = Env::new(&server, "pop3_mode = \"delete\"");
    let out = env.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("summary line: {line}");
    assert!(
        line.contains("4 new") && line.contains("4 deleted") && line.contains("1 warning"),
        "{line}"
    );
    assert_eq!(env.stored(), sorted(&messages), "every message stored once");
    assert_eq!(server.removed(), [0, 1, 2, 3]);
    assert_eq!(server.dele_received(), [0, 1, 2, 3], "one DELE each");

    // Nothing is left, nothing is downloaded again.
    let again = env.sync_ok();
    assert_eq!(
        (again["new"].clone(), again["deleted"].clone()),
        (0.into(), 0.into())
    );
    assert_eq!(env.stored().len(), 4);
}

#[test]
fn a_repeated_uidl_whose_second_message_is_left_on_the_server_is_not_deleted() {
    // The one that was not stored (over the size limit) must stay; before, the delete filter
    // matched the UIDL the first one recorded and deleted both.
    let mut messages = with_a_repeated_uidl();
    messages[2] = messages[2].clone().listed_as(u64::MAX / 4);
    let server = FakePop3::start(messages.clone());
    let env = Env::new(&server, "pop3_mode = \"delete\"");
    let first = env.sync_ok();
    assert_eq!(first["new"], 3, "{first}");
    assert_eq!(server.removed(), [0, 1, 3], "{first}");
    assert_eq!(server.remaining(), [2]);
}

#[test]
fn a_repeated_uidl_in_keep_mode_downloads_both_once() {
    let messages = with_a_repeated_uidl();
    let server = FakePop3::start(messages.clone());
    let env = Env::new(&server, "");
    let first = env.sync_ok();
    assert_eq!(first["new"], 4, "{first}");
    assert_one_duplicate_warning(&first);
    assert_eq!(env.stored(), sorted(&messages));
    let second = env.sync_ok();
    assert_eq!(second["new"], 0, "the keys are stable: {second}");
    assert_one_duplicate_warning(&second);
    assert!(server.dele_received().is_empty());

    // Another client deletes one of the two: the survivor is still known, nothing comes again.
    server.remove_by_other_client(1);
    let third = env.sync_ok();
    assert_eq!(third["new"], 0, "{third}");
    assert!(warnings(&third).is_empty(), "{third}");
    assert_eq!(env.stored(), sorted(&messages));
    assert!(server.dele_received().is_empty());
}

#[test]
fn leave_on_server_days_with_a_repeated_uidl_deletes_only_stored_numbers() {
    let messages = with_a_repeated_uidl();
    let server = FakePop3::start(messages.clone());
    let env = Env::new(&server, "leave_on_server_days = 0");
    let first = env.sync_ok();
    assert_eq!(first["new"], 4, "{first}");
    assert_eq!(first["deleted"], 0, "just downloaded: not yet expired");
    // Downloads are recorded in whole seconds: let one pass, then the new arrival (a third
    // message under the same UIDL) must stay while the expired ones go.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let late = FakeMessage::new("u-dup", "late");
    assert_eq!(server.arrive(late.clone()), 4);
    let second = env.sync_ok();
    assert_eq!(second["new"], 1, "only the late one: {second}");
    assert_eq!(second["deleted"], 4, "{second}");
    assert_eq!(server.removed(), [0, 1, 2, 3]);
    assert_eq!(
        server.remaining(),
        [4],
        "the late one was downloaded just now"
    );
    let mut all = messages.clone();
    all.push(late);
    assert_eq!(env.stored(), sorted(&all));
}

fn long_message(uidl: &str) -> FakeMessage {
    let mut body = String::new();
    for i in 0..200 {
        body.push_str(&format!("line {i} of a message that will be cut short\r\n"));
    }
    FakeMessage::new(uidl, "long").with_body(&body)
}

#[test]
fn a_message_cut_short_is_stored_with_a_warning_and_never_deleted() {
    let whole = FakeMessage::new("u-1", "whole");
    let cut = long_message("u-cut");
    let half = cut.bytes.len() / 2;
    let server = FakePop3::start(vec![whole.clone(), cut.clone().sent(Send::CutAfter(half))]);
    let env = Env::new(&server, "pop3_mode = \"delete\"");
    let first = env.sync_ok();
    assert_eq!(first["new"], 2, "what came is stored: {first}");
    assert_eq!(first["deleted"], 1, "{first}");
    let w = warnings(&first);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("UIDL u-cut") && w[0].contains("cut short"),
        "{w:?}"
    );
    assert_eq!(server.removed(), [0]);
    assert_eq!(server.remaining(), [1]);
    let stored = env.stored();
    assert!(stored.contains(&whole.bytes));
    assert!(
        stored
            .iter()
            .any(|m| m.len() < cut.bytes.len() && cut.bytes.starts_with(m)),
        "the part received is stored"
    );

    // Later syncs: not downloaded again, not deleted.
    for _ in 0..2 {
        let again = env.sync_ok();
        assert_eq!(
            (again["new"].clone(), again["deleted"].clone()),
            (0.into(), 0.into())
        );
    }
    assert_eq!(server.remaining(), [1]);
    assert_eq!(server.dele_received(), [0]);
}

#[test]
fn a_message_ended_by_an_unstuffed_dot_line_is_never_deleted() {
    // The server does not dot-stuff: the "." line ends the message early and the rest arrives
    // where the next reply should be, which breaks the session.
    let dotted = FakeMessage::new("u-dot", "dotted")
        .with_body("before the dot\r\n.\r\nafter the dot\r\n")
        .sent(Send::Unstuffed);
    let server = FakePop3::start(vec![FakeMessage::new("u-1", "plain"), dotted]);
    let env = Env::new(&server, "pop3_mode = \"delete\"");
    let out = env.run(&["sync"]);
    let err = stderr(&out);
    eprintln!("first sync: {err}");
    // The session broke, but the warning is not lost with the summary.
    assert!(
        err.contains("warning: account acct: message 2 (UIDL u-dot)") && err.contains("cut short"),
        "{err}"
    );
    assert!(
        env.stored()
            .iter()
            .any(|m| m.ends_with(b"before the dot\r\n"))
    );
    // However the first run ended, the next ones never delete the cut message.
    for _ in 0..2 {
        let out = env.run(&["sync", "--json"]);
        eprintln!("next sync: {}", stderr(&out));
    }
    assert!(server.remaining().contains(&1), "{:?}", server.remaining());
    assert!(!server.dele_received().contains(&1));
}

#[test]
fn a_message_far_longer_than_listed_is_stored_with_a_warning_and_kept() {
    let big = long_message("u-big").listed_as(100);
    let server = FakePop3::start(vec![big.clone(), FakeMessage::new("u-2", "normal")]);
    let env = Env::new(&server, "pop3_mode = \"delete\"");
    let first = env.sync_ok();
    assert_eq!(first["new"], 2, "{first}");
    assert_eq!(first["deleted"], 1, "{first}");
    let w = warnings(&first);
    assert!(w.len() == 1 && w[0].contains("UIDL u-big"), "{w:?}");
    assert!(env.stored().contains(&big.bytes));
    let again = env.sync_ok();
    assert_eq!(again["deleted"], 0, "{again}");
    assert_eq!(server.remaining(), [0]);
}

#[test]
fn a_reused_uidl_in_delete_mode_is_downloaded_not_deleted_unseen() {
    let first = FakeMessage::new("u-1", "first");
    let server = FakePop3::start(vec![first.clone()]);
    let env = Env::new(&server, "pop3_mode = \"delete\"");
    let one = env.sync_ok();
    assert_eq!(
        (one["new"].clone(), one["deleted"].clone()),
        (1.into(), 1.into())
    );
    // The server hands the deleted message's UIDL to a new one.
    let reused = FakeMessage::new("u-1", "a new message under a reused uidl");
    assert_eq!(server.arrive(reused.clone()), 1);
    let two = env.sync_ok();
    assert_eq!(two["new"], 1, "downloaded, not taken for the first: {two}");
    assert_eq!(two["deleted"], 1, "{two}");
    let w = warnings(&two);
    assert!(w.len() == 1 && w[0].contains("reuses UIDLs"), "{w:?}");
    assert_eq!(env.stored(), sorted(&[first, reused]));
    assert_eq!(server.removed(), [0, 1]);
}

#[test]
fn a_twin_arriving_later_in_keep_mode_is_downloaded_once_and_the_original_not_again() {
    let original = FakeMessage::new("u-x", "original");
    let server = FakePop3::start(vec![original.clone()]);
    let env = Env::new(&server, "");
    assert_eq!(env.sync_ok()["new"], 1);
    let twin = FakeMessage::new("u-x", "a twin under the same uidl");
    server.arrive(twin.clone());
    for expected_new in [1, 0] {
        let summary = env.sync_ok();
        assert_eq!(summary["new"], expected_new, "{summary}");
        assert_one_duplicate_warning(&summary);
        assert_eq!(env.stored(), sorted(&[original.clone(), twin.clone()]));
    }
    assert!(server.dele_received().is_empty());
}

/// Three messages; the server lacks UIDL and TOP.
fn minimal_server() -> FakePop3 {
    FakePop3::start(vec![
        FakeMessage::new("u-1", "one"),
        FakeMessage::new("u-2", "two"),
        FakeMessage::new("u-3", "three"),
    ])
    .lacking(&["UIDL", "TOP"])
}

fn assert_minimal_server_warning(summary: &Value) {
    let w = warnings(summary);
    assert!(
        w.iter().any(|w| w.contains("neither UIDL nor TOP")),
        "the cost is said: {w:?}"
    );
}

#[test]
fn without_uidl_and_top_delete_mode_downloads_everything_once_and_deletes_it() {
    let server = minimal_server();
    let env = Env::new(&server, "pop3_mode = \"delete\"");
    let summary = env.sync_ok();
    assert_eq!(summary["new"], 3, "{summary}");
    assert_minimal_server_warning(&summary);
    assert_eq!(env.stored().len(), 3);
    assert_eq!(
        server.removed(),
        vec![0, 1, 2],
        "each stored message deleted"
    );
    // New mail arrives: only it is downloaded.
    server.arrive(FakeMessage::new("u-4", "four"));
    let summary = env.sync_ok();
    assert_eq!(summary["new"], 1, "{summary}");
    assert_eq!(env.stored().len(), 4);
    assert!(server.remaining().is_empty());
}

#[test]
fn without_uidl_and_top_delete_mode_never_stores_a_left_over_message_twice() {
    // A first run in keep mode stands in for a delete-mode run killed before its QUIT: the
    // messages are stored, and still on the server.
    let server = minimal_server();
    let keep = Env::new(&server, "pop3_mode = \"keep\"");
    assert_eq!(keep.sync_ok()["new"], 3);
    let text = std::fs::read_to_string(keep.dir.path().join("config.toml")).expect("config");
    std::fs::write(
        keep.dir.path().join("config.toml"),
        text.replace("pop3_mode = \"keep\"", "pop3_mode = \"delete\""),
    )
    .expect("config");
    let summary = keep.sync_ok();
    assert_eq!(summary["new"], 0, "nothing stored twice: {summary}");
    assert_eq!(keep.stored().len(), 3);
    assert_eq!(server.removed(), vec![0, 1, 2], "known copies deleted");
}

#[test]
fn without_uidl_and_top_keep_mode_stores_nothing_twice() {
    let server = minimal_server();
    let env = Env::new(&server, "pop3_mode = \"keep\"");
    assert_eq!(env.sync_ok()["new"], 3);
    server.arrive(FakeMessage::new("u-4", "four"));
    let summary = env.sync_ok();
    assert_eq!(summary["new"], 1, "only the new message: {summary}");
    assert_minimal_server_warning(&summary);
    assert_eq!(env.stored().len(), 4);
    assert!(
        server.dele_received().is_empty(),
        "keep mode deletes nothing"
    );
}
