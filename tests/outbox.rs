//! The outbox against the real Postfix -> Dovecot: `postie send --queue` (or
//! `queue_on_failure`) while the server is down exits 75 and keeps the message; `postie outbox
//! flush` or `postie sync` delivers it exactly once when the server is back; a flush killed
//! between acceptance and removal does not send it again; a refusal is kept, not retried.
//!
//! "Server down" is a closed port on the test host; "back" is the config pointing at the real
//! submission port. The binary runs with a clean environment and a config in a temp dir.

mod support;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use support::{TestUser, servers};

const WAIT: Duration = Duration::from_secs(15);

/// A temp dir with a config for `user` (a Maildir account, like a POP3 user's local store).
struct Env {
    dir: tempfile::TempDir,
    user: TestUser,
}

fn closed_port() -> u16 {
    let s = servers();
    let listener = std::net::TcpListener::bind((s.host.as_str(), 0)).expect("bind");
    listener.local_addr().expect("addr").port()
}

impl Env {
    fn new(user: &TestUser) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("pw"), format!("{}\n", user.password)).expect("pw");
        let env = Env {
            dir,
            user: user.clone(),
        };
        env.point_at(closed_port(), "");
        env
    }

    /// Rewrites the config: outgoing server on `port` (STARTTLS), `extra` lines in [outgoing].
    fn point_at(&self, port: u16, extra: &str) {
        let s = servers();
        let config = format!(
            r#"[accounts.main]
email = "{email}"
name = "Queue Tester"

[accounts.main.incoming]
protocol = "maildir"
path = {maildir:?}

[accounts.main.outgoing]
host = {host:?}
port = {port}
tls = "starttls"
ca_file = {ca:?}
user = "{login}"
password_command = "cat {pw}"
{extra}
"#,
            email = self.user.email,
            maildir = self.dir.path().join("Maildir").display().to_string(),
            host = s.host,
            ca = s.ca_file.display().to_string(),
            login = self.user.login,
            pw = self.dir.path().join("pw").display(),
        );
        std::fs::write(self.config(), config).expect("write config");
    }

    fn server_back(&self) {
        self.point_at(servers().ports.submission, "");
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn postie(&self, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
        let home = self.dir.path();
        let mut cmd = Command::cargo_bin("postie").expect("binary");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.arg("--config")
            .arg(self.config())
            .args(args)
            .write_stdin(stdin.to_vec())
            .timeout(Duration::from_secs(90))
            .output()
            .expect("runs")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.postie(args, b"", &[])
    }

    fn outbox(&self) -> Vec<Value> {
        let out = self.run(&["outbox", "list", "--json"]);
        assert_exit(&out, 0);
        match serde_json::from_slice(&out.stdout).expect("outbox list --json is JSON") {
            Value::Array(items) => items,
            other => panic!("not an array: {other}"),
        }
    }

    fn folder(&self, folder: &str) -> Vec<Value> {
        let out = self.run(&["list", "--folder", folder, "--json"]);
        if !out.status.success() {
            return Vec::new(); // no such folder yet
        }
        match serde_json::from_slice(&out.stdout).expect("list --json is JSON") {
            Value::Array(items) => items,
            other => panic!("not an array: {other}"),
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit status; stderr: {}; stdout: {}",
        text(&out.stderr),
        text(&out.stdout)
    );
}

/// Waits for exactly `n` messages, then makes sure no more arrive.
async fn assert_delivered(user: &TestUser, n: usize) {
    user.wait_for_messages("INBOX", n, WAIT).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let files = user.message_files("INBOX");
    assert_eq!(files.len(), n, "{}: {files:?}", user.email);
}

/// Queues one message while the server is down; returns its outbox id.
fn queue_one(env: &Env, to: &TestUser, subject: &str, extra_args: &[&str]) -> i64 {
    let mut args = vec!["send", "--to", &to.email, "--subject", subject];
    args.extend_from_slice(extra_args);
    let out = env.postie(&args, b"queued body\n", &[]);
    assert_exit(&out, 75);
    let err = text(&out.stderr);
    assert!(
        err.contains("queued in the outbox") && err.contains("postie outbox flush"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    let items = env.outbox();
    let item = items
        .iter()
        .find(|i| i["subject"] == subject)
        .unwrap_or_else(|| panic!("{subject} not in the outbox: {items:?}"));
    assert_eq!(item["attempts"], 1);
    assert_eq!(item["refused"], false);
    assert!(
        item["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot connect")),
        "{item}"
    );
    item["id"].as_i64().expect("id")
}

#[tokio::test]
async fn queued_while_down_then_flush_delivers_exactly_once() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let env = Env::new(&alice);
    queue_one(&env, &bob, "queued while down", &["--queue"]);
    // The TUI sees it as a folder.
    assert_eq!(env.folder("Outbox").len(), 1);
    let text_list = env.run(&["outbox"]);
    assert_exit(&text_list, 0);
    assert!(
        text(&text_list.stdout).contains("queued while down"),
        "{}",
        text(&text_list.stdout)
    );
    // Still down: the flush keeps it, says so, and exits 75.
    let out = env.run(&["outbox", "flush"]);
    assert_exit(&out, 75);
    assert_eq!(env.outbox()[0]["attempts"], 2);
    assert!(env.outbox()[0]["next_try"].is_string());
    assert!(env.folder("Sent").is_empty(), "no Sent copy of a failure");

    env.server_back();
    let out = env.run(&["outbox", "flush"]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("1 sent"),
        "{}",
        text(&out.stdout)
    );
    assert_delivered(&bob, 1).await;
    assert!(env.outbox().is_empty());
    let sent = env.folder("Sent");
    assert_eq!(sent.len(), 1, "Sent copy after acceptance: {sent:?}");
    assert_eq!(sent[0]["subject"], "queued while down");

    let again = env.run(&["outbox", "flush"]);
    assert_exit(&again, 0);
    assert!(
        text(&again.stdout).contains("the outbox is empty"),
        "{}",
        text(&again.stdout)
    );
    assert_delivered(&bob, 1).await;
}

#[tokio::test]
async fn sync_sends_the_outbox() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let env = Env::new(&alice);
    queue_one(&env, &bob, "sent by sync", &["--queue"]);
    env.server_back();
    let out = env.run(&["sync"]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("1 sent from the outbox"),
        "{}",
        text(&out.stdout)
    );
    assert_delivered(&bob, 1).await;
    assert!(env.outbox().is_empty());
    assert_exit(&env.run(&["sync"]), 0);
    assert_delivered(&bob, 1).await;
}

#[tokio::test]
async fn sync_respects_the_backoff_and_flush_ignores_it() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let env = Env::new(&alice);
    queue_one(&env, &bob, "backoff", &["--queue"]);
    // A sync that fails puts the next automatic try off.
    let out = env.run(&["sync"]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stderr).contains("stays queued"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(env.outbox()[0]["attempts"], 2);
    env.server_back();
    assert_exit(&env.run(&["sync"]), 0);
    assert_eq!(env.outbox().len(), 1, "not due yet: the sync left it");
    assert_eq!(env.outbox()[0]["attempts"], 2, "and did not try");
    assert_exit(&env.run(&["outbox", "flush"]), 0);
    assert_delivered(&bob, 1).await;
    assert!(env.outbox().is_empty());
}

#[tokio::test]
async fn queue_on_failure_in_config_works_like_dash_dash_queue() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let env = Env::new(&alice);
    // Without it: 69 and nothing kept.
    let out = env.postie(&["send", "--to", &bob.email, "--subject", "x"], b"b\n", &[]);
    assert_exit(&out, 69);
    assert!(env.outbox().is_empty());
    env.point_at(closed_port(), "queue_on_failure = true");
    queue_one(&env, &bob, "queued by config", &[]);
    env.server_back();
    assert_exit(&env.run(&["outbox", "flush"]), 0);
    assert_delivered(&bob, 1).await;
}

#[tokio::test]
async fn flush_killed_after_acceptance_does_not_send_twice() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let env = Env::new(&alice);
    let id = queue_one(&env, &bob, "killed mid-flush", &["--queue"]);
    env.server_back();
    // Killed right after the server's 250 and the record of it, before the outbox row goes.
    let out = env.postie(
        &["outbox", "flush"],
        b"",
        &[("POSTIE_FAILPOINT", "outbox-after-accept")],
    );
    assert!(!out.status.success(), "the failpoint aborts the process");
    assert!(
        text(&out.stderr).contains("failpoint"),
        "{}",
        text(&out.stderr)
    );
    assert_delivered(&bob, 1).await;
    let left = env.outbox();
    assert_eq!(left.len(), 1, "still listed after the kill");
    assert_eq!(left[0]["id"], id);

    let out = env.run(&["outbox", "flush"]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("0 sent, 1 already accepted earlier"),
        "{}",
        text(&out.stdout)
    );
    assert!(env.outbox().is_empty());
    assert_delivered(&bob, 1).await;
    assert_eq!(env.folder("Sent").len(), 1, "the Sent copy is kept");
}

#[tokio::test]
async fn the_same_message_queued_for_two_recipients_reaches_both() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let carol = s.new_user("carol");
    let env = Env::new(&alice);
    let msg = format!(
        "From: {}\nSubject: one file, two sends\nMessage-ID: <same-{}@{}>\n\nhello\n",
        alice.email, alice.login, s.domain
    );
    for to in [&bob, &carol] {
        let out = env.postie(&["send", "--queue", &to.email], msg.as_bytes(), &[]);
        assert_exit(&out, 75);
    }
    assert_eq!(env.outbox().len(), 2);
    env.server_back();
    assert_exit(&env.run(&["outbox", "flush"]), 0);
    assert_delivered(&bob, 1).await;
    assert_delivered(&carol, 1).await;
}

#[tokio::test]
async fn relay_refusal_with_queue_is_not_queued_as_retryable() {
    let s = servers();
    let alice = s.new_user("alice");
    let env = Env::new(&alice);
    env.server_back();
    let out = env.postie(
        &[
            "send",
            "--queue",
            "--to",
            "someone@elsewhere.example",
            "--subject",
            "x",
        ],
        b"body\n",
        &[],
    );
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(75), "a refusal is not 'queued'");
    let err = text(&out.stderr);
    assert!(err.contains("Relay access denied"), "{err}");
    assert!(env.outbox().is_empty());
    assert!(env.folder("Sent").is_empty(), "no Sent copy of a refusal");
}

#[tokio::test]
async fn refused_at_flush_is_kept_marked_and_not_retried_automatically() {
    let s = servers();
    let alice = s.new_user("alice");
    let env = Env::new(&alice);
    let out = env.postie(
        &[
            "send",
            "--queue",
            "--to",
            "someone@elsewhere.example",
            "--subject",
            "to be refused",
        ],
        b"body\n",
        &[],
    );
    assert_exit(&out, 75);
    env.server_back();
    let out = env.run(&["outbox", "flush"]);
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(75));
    let err = text(&out.stderr);
    assert!(
        err.contains("Relay access denied") && err.contains("postie outbox drop"),
        "{err}"
    );
    let items = env.outbox();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["refused"], true);
    assert_eq!(items[0]["attempts"], 2);
    let id = items[0]["id"].as_i64().expect("id").to_string();
    // Neither sync nor a plain flush tries it again.
    assert_exit(&env.run(&["sync"]), 0);
    let out = env.run(&["outbox", "flush"]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("refused"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(env.outbox()[0]["attempts"], 2);
    // Named by id it is tried (and refused) again; drop removes it.
    assert_ne!(env.run(&["outbox", "flush", &id]).status.code(), Some(0));
    assert_eq!(env.outbox()[0]["attempts"], 3);
    let out = env.run(&["outbox", "drop", &id]);
    assert_exit(&out, 0);
    assert!(env.outbox().is_empty());
    assert!(env.folder("Outbox").is_empty());
    assert!(env.folder("Sent").is_empty());
}

/// An IMAP account whose outgoing server is down (closed port) or back.
fn imap_config(dir: &std::path::Path, user: &TestUser, smtp_port: u16) {
    use support::config::{Incoming, Tls};
    let s = servers();
    let toml = user.account_toml("main", Incoming::Imap, Tls::StartTls);
    let (head, tail) = toml
        .split_once("[accounts.main.outgoing]")
        .expect("outgoing table");
    let tail = tail.replace(
        &format!("port = {}\n", s.ports.submission),
        &format!("port = {smtp_port}\n"),
    );
    std::fs::write(
        dir.join("config.toml"),
        format!("{head}[accounts.main.outgoing]{tail}"),
    )
    .expect("write config");
}

#[tokio::test]
async fn imap_account_flush_appends_the_sent_copy_to_the_server() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let env = Env::new(&alice);
    imap_config(env.dir.path(), &alice, closed_port());
    queue_one(&env, &bob, "imap outbox", &["--queue"]);
    imap_config(env.dir.path(), &alice, s.ports.submission);
    let out = env.run(&["outbox", "flush"]);
    assert_exit(&out, 0);
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    assert_delivered(&bob, 1).await;
    assert!(env.outbox().is_empty());
    // The copy is on the server (sync brings it down), flagged seen; none is left locally.
    let files = alice.message_files("Sent");
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].display().to_string();
    assert!(
        name.rsplit_once(":2,")
            .is_some_and(|(_, f)| f.contains('S')),
        "{name}"
    );
    let raw = std::fs::read(&files[0]).expect("read");
    assert!(text(&raw).contains("Subject: imap outbox"));
    assert!(env.folder("Outbox").is_empty());
}

#[tokio::test]
async fn a_flush_running_elsewhere_is_left_alone() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let env = Env::new(&alice);
    queue_one(&env, &bob, "one flush at a time", &["--queue"]);
    env.server_back();
    // Another process is flushing: it holds the store's outbox lock.
    let lock_path = env.dir.path().join("xdg-data/postie/outbox.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .expect("open lock");
    lock.lock().expect("lock");
    let out = env.run(&["outbox", "flush"]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stderr).contains("another postie is sending the outbox"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(env.outbox().len(), 1);
    assert_eq!(env.outbox()[0]["attempts"], 1, "not tried");
    drop(lock);
    assert_exit(&env.run(&["outbox", "flush"]), 0);
    assert_delivered(&bob, 1).await;
}
