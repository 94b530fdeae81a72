//! `--offline` (and `POSTIE_OFFLINE=1`) through the binary: every command makes zero
//! connections and gives its documented result, and what was queued offline goes out once the
//! run is online again, against the real Dovecot and Postfix.
//!
//! The servers an offline run must not reach are a [`CountingListener`]: every IMAP, POP3 and
//! SMTP port in the config points at it, and the test asserts it was never connected to. The
//! accounts' `password_command` also touches a marker file, so a password lookup would show.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use support::counting_listener::CountingListener;
use support::seed::seed;
use support::{TestUser, servers};

/// A temp HOME with a config of three accounts: `mail` (IMAP + SMTP), `pop` (POP3) and `local`
/// (a Maildir with SMTP), and their own data dir.
struct Env {
    dir: tempfile::TempDir,
    user: TestUser,
}

/// Where the config points the servers: the real ones, or the counting listener.
#[derive(Clone, Copy)]
struct Ports {
    imap: u16,
    pop3: u16,
    smtp: u16,
}

impl Env {
    fn new(user: &TestUser) -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), format!("{}\n", user.password)).unwrap();
        std::fs::create_dir_all(dir.path().join("Maildir/cur")).unwrap();
        std::fs::create_dir_all(dir.path().join("Maildir/new")).unwrap();
        std::fs::create_dir_all(dir.path().join("Maildir/tmp")).unwrap();
        Env {
            dir,
            user: user.clone(),
        }
    }

    fn real() -> Ports {
        let s = servers();
        Ports {
            imap: s.ports.imaps,
            pop3: s.ports.pop3s,
            smtp: s.ports.submission,
        }
    }

    /// The file a `password_command` run leaves behind.
    fn marker(&self) -> PathBuf {
        self.dir.path().join("password-command-ran")
    }

    fn write_config(&self, ports: Ports) {
        let s = servers();
        let server = |port: u16, tls: &str| {
            format!(
                "host = {host:?}\nport = {port}\ntls = \"{tls}\"\nca_file = {ca:?}\n\
                 user = \"{login}\"\npassword_command = \"touch '{marker}'; cat '{pw}'\"\n",
                host = s.host,
                ca = s.ca_file.display().to_string(),
                login = self.user.login,
                marker = self.marker().display(),
                pw = self.dir.path().join("pw").display(),
            )
        };
        let config = format!(
            "data_dir = {data:?}\n\n\
             [accounts.mail]\nemail = \"{email}\"\n\n\
             [accounts.mail.incoming]\nprotocol = \"imap\"\n{imap}\n\
             [accounts.mail.outgoing]\n{smtp}\n\
             [accounts.pop]\nemail = \"{email}\"\n\n\
             [accounts.pop.incoming]\nprotocol = \"pop3\"\n{pop}\n\
             [accounts.local]\nemail = \"{email}\"\n\n\
             [accounts.local.incoming]\nprotocol = \"maildir\"\npath = {maildir:?}\n\n\
             [accounts.local.outgoing]\n{smtp}",
            data = self.dir.path().join("data").display().to_string(),
            email = self.user.email,
            imap = server(ports.imap, "implicit"),
            pop = server(ports.pop3, "implicit"),
            smtp = server(ports.smtp, "starttls"),
            maildir = self.dir.path().join("Maildir").display().to_string(),
        );
        std::fs::write(self.config(), config).unwrap();
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn postie_env(&self, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
        let home = self.dir.path();
        let mut cmd = Command::cargo_bin("postie").unwrap();
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
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    }

    fn postie(&self, args: &[&str]) -> Output {
        self.postie_env(args, b"", &[])
    }

    /// `postie --offline ARGS`: asserts the exit status, returns stdout and stderr.
    fn offline(&self, args: &[&str], stdin: &[u8], code: i32) -> (String, String) {
        let mut all = vec!["--offline"];
        all.extend_from_slice(args);
        let out = self.postie_env(&all, stdin, &[]);
        assert_exit(&out, code, &all);
        (text(&out.stdout), text(&out.stderr))
    }

    fn json(&self, args: &[&str]) -> Vec<Value> {
        let out = self.postie(args);
        assert_exit(&out, 0, args);
        match serde_json::from_slice(&out.stdout).unwrap() {
            Value::Array(items) => items,
            other => panic!("not an array: {other}"),
        }
    }

    /// The `mail` account's messages in `folder`.
    fn folder(&self, folder: &str) -> Vec<Value> {
        self.json(&[
            "list",
            "--json",
            "--account",
            "mail",
            "--folder",
            folder,
            "--limit",
            "100",
        ])
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_exit(out: &Output, code: i32, args: &[&str]) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "postie {args:?}: stderr: {}; stdout: {}",
        text(&out.stderr),
        text(&out.stdout)
    );
}

fn one_line(stderr: &str) {
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
}

#[tokio::test]
async fn offline_commands_connect_nowhere_and_their_queue_goes_out_online() {
    let s = servers();
    let alice = s.new_user("offline");
    let bob = s.new_user("offbob");
    seed(&alice, "INBOX", 3);
    seed(&alice, "Archive", 1);
    let env = Env::new(&alice);

    // Online once: the IMAP envelopes (bodies on demand, so none is downloaded).
    env.write_config(Env::real());
    let out = env.postie(&["sync", "--account", "mail"]);
    assert_exit(&out, 0, &["sync"]);
    let inbox = env.folder("INBOX");
    assert_eq!(inbox.len(), 3, "{inbox:?}");
    assert!(inbox.iter().all(|m| m["has_body"] == false), "{inbox:?}");
    let ids: Vec<String> = inbox.iter().map(|m| m["id"].to_string()).collect();

    // From here every server is the counting listener.
    let listener = CountingListener::start();
    let port = listener.port();
    env.write_config(Ports {
        imap: port,
        pop3: port,
        smtp: port,
    });
    std::fs::remove_file(env.marker()).unwrap();

    // sync: the Maildir account is indexed, the others are named, exit 0.
    let (stdout, stderr) = env.offline(&["sync"], b"", 0);
    assert!(stdout.starts_with("local: nothing new"), "{stdout}");
    assert!(
        stderr.contains("offline: 2 accounts not contacted (mail, pop)"),
        "{stderr}"
    );
    one_line(&stderr);
    // POSTIE_OFFLINE=1 is --offline too.
    let out = env.postie_env(
        &["sync", "--account", "pop"],
        b"",
        &[("POSTIE_OFFLINE", "1")],
    );
    assert_exit(&out, 0, &["POSTIE_OFFLINE=1 sync --account pop"]);
    assert!(
        text(&out.stderr).contains("offline: 1 account not contacted (pop)"),
        "{}",
        text(&out.stderr)
    );

    // read: an envelope-only message is not available offline (69), said in one line.
    let (_, stderr) = env.offline(&["read", &ids[0]], b"", 69);
    assert!(stderr.contains("not available offline"), "{stderr}");
    one_line(&stderr);

    // flag, move, delete: made in the store, queued, exit 0.
    let (_, stderr) = env.offline(&["flag", "add", "flagged", &ids[0]], b"", 0);
    assert!(
        stderr.contains("offline") && stderr.contains("queued"),
        "{stderr}"
    );
    one_line(&stderr);
    env.offline(&["move", "Archive", &ids[1]], b"", 0);
    env.offline(&["delete", &ids[2]], b"", 0);
    let inbox = env.folder("INBOX");
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert!(
        inbox[0]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "flagged"),
        "{inbox:?}"
    );
    assert_eq!(env.folder("Archive").len(), 2);

    // send: queued in the outbox, untried, exit 75, one line.
    let (_, stderr) = env.offline(
        &[
            "send",
            "--from",
            "mail",
            "--to",
            &bob.email,
            "--subject",
            "written offline",
        ],
        b"sent later\n",
        75,
    );
    assert!(
        stderr.contains("offline") && stderr.contains("queued in the outbox"),
        "{stderr}"
    );
    one_line(&stderr);
    let outbox = env.json(&["outbox", "list", "--json"]);
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0]["subject"], "written offline");
    assert_eq!(outbox[0]["attempts"], 0, "{outbox:?}");

    // outbox flush: nothing sent, nothing counted as an attempt, exit 75.
    let (_, stderr) = env.offline(&["outbox", "flush"], b"", 75);
    assert!(stderr.contains("offline: nothing sent"), "{stderr}");
    one_line(&stderr);
    // A sync of the Maildir account (the one account it may sync) holds its outbox: said
    // once, nothing tried.
    env.offline(
        &[
            "send",
            "--from",
            "local",
            "--to",
            &bob.email,
            "--subject",
            "from the maildir account",
        ],
        b"also later\n",
        75,
    );
    let (stdout, stderr) = env.offline(&["sync", "--account", "local"], b"", 0);
    assert_eq!(stdout, "local: 1 warning\n");
    assert!(
        stderr.contains("account local: offline: 1 outbox message not sent"),
        "{stderr}"
    );
    one_line(&stderr);
    let outbox = env.json(&["outbox", "list", "--json"]);
    assert_eq!(outbox.len(), 2, "{outbox:?}");
    for item in &outbox {
        assert_eq!(item["attempts"], 0, "{outbox:?}");
        assert!(item["next_try"].is_null(), "{outbox:?}");
    }

    assert_eq!(listener.connections(), 0, "an offline run connected");
    assert!(
        !env.marker().exists(),
        "an offline run ran the password_command"
    );

    // The listener does count: the same commands online reach it.
    let out = env.postie(&["sync", "--account", "pop"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(listener.connections() > 0, "the listener saw nothing");

    // Online again, against the real servers: the queued messages are delivered once each and
    // the queued changes reach the server.
    env.write_config(Env::real());
    let out = env.postie(&["outbox", "flush"]);
    assert_exit(&out, 0, &["outbox", "flush"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("mail: 1 sent") && stdout.contains("local: 1 sent"),
        "{stdout}"
    );
    bob.wait_for_messages("INBOX", 2, Duration::from_secs(15))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(bob.message_files("INBOX").len(), 2);
    assert!(env.json(&["outbox", "list", "--json"]).is_empty());
    let out = env.postie(&["sync", "--account", "mail"]);
    assert_exit(&out, 0, &["sync", "--account", "mail"]);
    assert!(
        text(&out.stdout).contains("offline actions sent"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(alice.message_files("INBOX").len(), 1);
    assert_eq!(alice.message_files("Archive").len(), 2);
}

/// Offline, a config whose accounts all need a server syncs nothing: `--json` prints an empty
/// array, stderr names the accounts skipped, the exit status is 0, and nothing is contacted.
#[test]
fn offline_with_only_server_accounts_syncs_nothing_and_exits_zero() {
    let listener = CountingListener::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n\n[accounts.only]\nemail = \"o@x.test\"\n\n\
             [accounts.only.incoming]\nprotocol = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\n\
             tls = \"implicit\"\npassword_command = \"touch '{}'; echo pw\"\n",
            dir.path().join("data").display().to_string(),
            listener.port(),
            dir.path().join("ran").display(),
        ),
    )
    .unwrap();
    let out = Command::cargo_bin("postie")
        .unwrap()
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .args(["--offline", "--config"])
        .arg(&config)
        .args(["sync", "--json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_exit(&out, 0, &["--offline", "sync", "--json"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        serde_json::json!([])
    );
    assert!(
        text(&out.stderr).contains("offline: 1 account not contacted (only)"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(listener.connections(), 0);
    assert!(!Path::new(&dir.path().join("ran")).exists());

    // POSTIE_OFFLINE=0 is online: the same sync reaches the listener (and fails there).
    let out = Command::cargo_bin("postie")
        .unwrap()
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("POSTIE_OFFLINE", "0")
        .arg("--config")
        .arg(&config)
        .args(["sync", "--json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        listener.connections() > 0,
        "POSTIE_OFFLINE=0 did not connect"
    );
}
