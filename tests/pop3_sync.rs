//! `postie sync` of POP3 accounts against the real Dovecot of the harness: keep and delete
//! mode, exactly-once and byte-identical downloads, SIGKILL and connection cuts, STLS and
//! implicit TLS, a STLS-stripping proxy, errors and their exit codes, and the downloaded mail
//! read back offline.
//!
//! Runs the real `postie` binary (assert_cmd, `env_clear()`, HOME/XDG dirs and the data dir in
//! a temp dir). "Byte-identical" means the exact bytes the server sent: Dovecot stores LF and
//! serves CRLF, so every stored file must equal the seeded message with CRLF line ends.

mod support;

#[path = "support/fault_proxy.rs"]
mod fault_proxy;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt as _;
use fault_proxy::{Direction, Fault, FaultProxy};
use support::config::{Incoming, Tls};
use support::proxy::{Protocol, StripTlsProxy};
use support::wire::{Submission, submit};
use support::{Seeded, TestUser, new_user, seed, servers};

/// One postie installation: a temp HOME with XDG dirs, a data dir and a config file.
struct Env {
    dir: tempfile::TempDir,
    account: String,
}

impl Env {
    /// An installation with one POP3 account `acct` for `user`; `edit` adjusts its TOML.
    fn new(user: &TestUser, tls: Tls, edit: impl FnOnce(String) -> String) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = Env {
            dir,
            account: "acct".to_owned(),
        };
        let toml = edit(user.account_toml(&env.account, Incoming::Pop3, tls));
        env.write_config(&toml);
        env
    }

    fn write_config(&self, account_toml: &str) {
        let text = format!(
            "data_dir = \"{}\"\n\n{account_toml}",
            self.data_dir().display()
        );
        std::fs::write(self.config_path(), text).expect("write config");
        // Private, as a config whose password_command holds the password must be (postie
        // warns on stderr otherwise, and these tests count stderr lines).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.config_path(), std::fs::Permissions::from_mode(0o600))
            .expect("chmod config");
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn inbox(&self) -> PathBuf {
        self.data_dir().join(&self.account).join("INBOX")
    }

    /// `postie --config CONFIG ARGS...` with nothing of the developer's environment.
    fn command(&self, args: &[&str]) -> StdCommand {
        let home = self.dir.path();
        let mut cmd = StdCommand::cargo_bin("postie").expect("postie binary");
        cmd.env_clear()
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("POSTIE_DATA_DIR", self.data_dir())
            .env("PATH", "/usr/bin:/bin")
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs postie off the async threads (proxies in this test's runtime keep working).
    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.command(args);
        tokio::task::spawn_blocking(move || cmd.output().expect("run postie"))
            .await
            .expect("join")
    }

    /// `postie sync --json`, which must succeed; returns the account's summary.
    async fn sync_ok(&self) -> serde_json::Value {
        let out = self.run(&["sync", "--json"]).await;
        assert!(
            out.status.success(),
            "postie sync failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sync JSON");
        json[0].clone()
    }

    /// The message files of the local INBOX.
    fn stored(&self) -> Vec<PathBuf> {
        files_in(&self.inbox())
    }

    /// Stored message bytes by Message-ID; panics on a duplicate.
    fn stored_by_id(&self) -> HashMap<String, Vec<u8>> {
        let mut map = HashMap::new();
        for path in self.stored() {
            let bytes = std::fs::read(&path).expect("read stored message");
            let id = message_id(&bytes);
            assert!(
                map.insert(id.clone(), bytes).is_none(),
                "message {id} stored twice"
            );
        }
        map
    }
}

fn files_in(maildir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(maildir.join(sub)) {
            files.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    files.sort();
    files
}

/// The Message-ID (without brackets) of a message.
fn message_id(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .take_while(|l| !l.trim_end_matches('\r').is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("message-id")
                .then(|| value.trim().trim_matches(['<', '>']).to_owned())
        })
        .unwrap_or_else(|| panic!("no Message-ID in {:?}", &text[..text.len().min(300)]))
}

/// Message-IDs of what the server still holds for `user`.
fn server_ids(user: &TestUser) -> HashSet<String> {
    user.message_files("INBOX")
        .iter()
        .map(|p| message_id(&std::fs::read(p).expect("read server message")))
        .collect()
}

fn ids(seeded: &[Seeded]) -> HashSet<String> {
    seeded
        .iter()
        .map(|m| m.message.message_id.clone())
        .collect()
}

/// Every seeded message is stored once, with exactly the bytes the server sent (CRLF).
fn assert_all_stored(env: &Env, seeded: &[Seeded]) {
    let stored = env.stored_by_id();
    assert_eq!(stored.len(), seeded.len(), "stored message count");
    for m in seeded {
        let got = stored
            .get(&m.message.message_id)
            .unwrap_or_else(|| panic!("{} not stored", m.message.message_id));
        assert!(
            got == &m.crlf(),
            "{}: stored bytes differ from the server's",
            m.message.message_id
        );
    }
}

fn pop3_mode(mode: &'static str) -> impl FnOnce(String) -> String {
    move |toml| {
        toml.replacen(
            "protocol = \"pop3\"\n",
            &format!("protocol = \"pop3\"\npop3_mode = \"{mode}\"\n"),
            1,
        )
    }
}

/// Replaces the incoming port (the first `port = ` line).
fn incoming_port(toml: &str, port: u16) -> String {
    let mut done = false;
    toml.lines()
        .map(|l| {
            if !done && l.starts_with("port = ") {
                done = true;
                format!("port = {port}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The `postie: ...` lines of stderr (progress lines, printed when stderr is not a terminal,
/// are not errors).
fn error_lines(out: &Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.starts_with("postie: "))
        .map(str::to_owned)
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_mode_downloads_each_message_once_byte_identical_and_reads_offline() {
    let user = new_user("pop3sync-keep");
    let seeded = seed(&user, "INBOX", 300);
    let env = Env::new(&user, Tls::Implicit, |t| t);

    let first = env.sync_ok().await;
    assert_eq!(first["new"], 300, "{first}");
    assert_eq!(first["deleted"], 0);
    let bytes: usize = seeded.iter().map(|m| m.crlf().len()).sum();
    assert_eq!(first["bytes"], bytes as u64);
    assert_eq!(env.stored().len(), 300);
    assert_all_stored(&env, &seeded);
    assert_eq!(
        server_ids(&user),
        ids(&seeded),
        "keep mode leaves all on the server"
    );

    let second = env.sync_ok().await;
    assert_eq!(
        second["new"], 0,
        "a second sync downloads nothing: {second}"
    );
    assert_eq!(env.stored().len(), 300);

    // New mail through Postfix: only it is fetched.
    let s = servers();
    let message = format!(
        "From: {0}\r\nTo: {0}\r\nSubject: zanzibar quarterly figures\r\n\
         Message-ID: <pop3sync-new@example.test>\r\n\r\nThe new one.\r\n",
        user.email
    );
    submit(
        s,
        Submission::Implicit,
        &user,
        &user.email,
        &[&user.email],
        message.as_bytes(),
    )
    .await
    .expect("submit through Postfix");
    user.wait_for_messages("INBOX", 301, Duration::from_secs(20))
        .await;
    let third = env.sync_ok().await;
    assert_eq!(third["new"], 1, "{third}");
    let stored = env.stored_by_id();
    assert_eq!(stored.len(), 301);
    let new = &stored["pop3sync-new@example.test"];
    let server_copy = user
        .message_files("INBOX")
        .into_iter()
        .map(|p| std::fs::read(p).expect("read"))
        .find(|b| message_id(b) == "pop3sync-new@example.test")
        .expect("on the server");
    assert_eq!(
        new,
        &support::seed::to_crlf(&server_copy),
        "the Postfix-delivered message is stored as served"
    );

    // Offline: the servers are irrelevant (the config now points at a closed port).
    env.write_config(&incoming_port(
        &user.account_toml("acct", Incoming::Pop3, Tls::Implicit),
        1,
    ));
    let list = env.run(&["list", "--json", "--limit", "1000"]).await;
    assert!(list.status.success(), "{}", stderr(&list));
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).expect("list JSON");
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 301);
    assert!(list.iter().all(|m| m["has_body"] == true));
    let search = env.run(&["search", "zanzibar", "--json"]).await;
    assert!(search.status.success(), "{}", stderr(&search));
    let found: serde_json::Value = serde_json::from_slice(&search.stdout).expect("search JSON");
    let found = found.as_array().expect("array");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["subject"], "zanzibar quarterly figures");
    let id = found[0]["id"].to_string();
    let raw = env.run(&["read", &id, "--raw"]).await;
    assert!(raw.status.success(), "{}", stderr(&raw));
    assert_eq!(&raw.stdout, new, "read --raw gives the stored bytes");
    let text = env.run(&["read", &id]).await;
    assert!(text.status.success(), "{}", stderr(&text));
    assert!(String::from_utf8_lossy(&text.stdout).contains("The new one."));
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_mode_over_stls_empties_the_server_and_keeps_everything() {
    let user = new_user("pop3sync-delete");
    let seeded = seed(&user, "INBOX", 300);
    let env = Env::new(&user, Tls::StartTls, pop3_mode("delete"));
    let summary = env.sync_ok().await;
    assert_eq!(summary["new"], 300, "{summary}");
    assert_eq!(summary["deleted"], 300);
    assert_all_stored(&env, &seeded);
    assert!(server_ids(&user).is_empty(), "the server is empty");
    let again = env.sync_ok().await;
    assert_eq!(
        (again["new"].clone(), again["deleted"].clone()),
        (0.into(), 0.into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lines_starting_with_a_dot_round_trip_exactly() {
    let user = new_user("pop3sync-dots");
    let message: &[u8] = b"From: a@example.test\nTo: b@example.test\nSubject: dots\n\
        Message-ID: <dots@example.test>\n\n.\n..\n...\n.leading\n..double\n. space\n\
        middle . dot\n.\n\xe9\xff 8-bit\nlast line\n";
    let s = servers();
    let size = message.len();
    let vsize = size + message.iter().filter(|&&b| b == b'\n').count();
    let base = format!("1700000000.dots.postie-test,S={size},W={vsize}");
    let tmp = user.maildir.join("tmp").join(&base);
    std::fs::write(&tmp, message).expect("write");
    std::os::unix::fs::chown(&tmp, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp, user.maildir.join("new").join(&base)).expect("rename");

    let env = Env::new(&user, Tls::Implicit, |t| t);
    assert_eq!(env.sync_ok().await["new"], 1);
    let stored = env.stored_by_id();
    assert_eq!(
        stored["dots@example.test"],
        support::seed::to_crlf(message),
        "dot-stuffing undone exactly, 8-bit bytes kept"
    );
}

/// Kills `postie sync` with SIGKILL once some messages are stored, then syncs again.
async fn killed_then_resumed(mode: &'static str) {
    let user = new_user(&format!("pop3sync-kill-{mode}"));
    let seeded = seed(&user, "INBOX", 3000);
    let all = ids(&seeded);
    let env = Env::new(&user, Tls::Implicit, pop3_mode(mode));
    let mut child = env
        .command(&["sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn postie sync");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if !env.stored().is_empty() {
            break;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("postie sync ended ({status}) before it could be killed");
        }
        assert!(Instant::now() < deadline, "no message stored after 120 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "killed, not finished");
    let partial = env.stored_by_id();
    assert!(
        !partial.is_empty() && partial.len() < 3000,
        "killed part-way: {} stored",
        partial.len()
    );
    // Nothing is gone from the server that is not stored locally.
    let on_server = server_ids(&user);
    for id in &all {
        assert!(
            on_server.contains(id) || partial.contains_key(id),
            "{id} lost: neither on the server nor stored"
        );
    }

    let summary = env.sync_ok().await;
    assert_all_stored(&env, &seeded);
    let new = summary["new"].as_u64().expect("new");
    assert!(
        new <= 3000 - partial.len() as u64,
        "messages already stored were not downloaded again ({new} new after {} stored)",
        partial.len()
    );
    if mode == "delete" {
        assert!(
            server_ids(&user).is_empty(),
            "server emptied after the resume"
        );
    } else {
        assert_eq!(server_ids(&user), all);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_in_keep_mode_loses_nothing_and_duplicates_nothing() {
    killed_then_resumed("keep").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_in_delete_mode_loses_nothing_and_duplicates_nothing() {
    killed_then_resumed("delete").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_cut_mid_retr_deletes_nothing_and_the_next_run_completes() {
    let user = new_user("pop3sync-cut");
    let seeded = seed(&user, "INBOX", 300);
    let total: usize = seeded.iter().map(|m| m.crlf().len()).sum();
    let s = servers();
    let target = s.addr(s.ports.pop3s).parse().expect("address");
    let proxy = FaultProxy::start(
        target,
        Fault::Cut {
            dir: Direction::ServerToClient,
            after: total / 2,
        },
    )
    .await
    .expect("proxy");
    let env = Env::new(&user, Tls::Implicit, |t| {
        incoming_port(&pop3_mode("delete")(t), proxy.port())
    });

    let out = env.run(&["sync"]).await;
    assert_eq!(
        out.status.code(),
        Some(69),
        "network failure: {}",
        stderr(&out)
    );
    let err = error_lines(&out);
    assert_eq!(err.len(), 1, "one error line: {}", stderr(&out));
    assert!(err[0].contains("account acct (127.0.0.1:"), "{err:?}");
    assert_eq!(proxy.faults_fired(), 1);
    assert_eq!(server_ids(&user), ids(&seeded), "no DELE took effect");
    let partial = env.stored_by_id();
    assert!(
        !partial.is_empty() && partial.len() < 300,
        "the whole messages before the cut are kept: {}",
        partial.len()
    );

    proxy.set_fault(Fault::None);
    let summary = env.sync_ok().await;
    assert_eq!(summary["new"], 300 - partial.len() as u64, "{summary}");
    assert_eq!(summary["deleted"], 300);
    assert_all_stored(&env, &seeded);
    assert!(server_ids(&user).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn stripped_stls_is_refused_before_any_password_is_sent() {
    let user = new_user("pop3sync-strip");
    seed(&user, "INBOX", 3);
    let s = servers();
    let proxy = StripTlsProxy::start(s, s.ports.pop3, Protocol::Pop3).await;
    let env = Env::new(&user, Tls::StartTls, |t| incoming_port(&t, proxy.port));
    let out = env.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    let err = stderr(&out);
    eprintln!("stripped STLS: {err}");
    assert!(err.contains("does not offer STARTTLS"), "{err}");
    assert!(!proxy.client_sent_contains(user.password.as_bytes()));
    assert!(!proxy.client_sent_contains(b"PASS"));
    assert!(!proxy.client_sent_contains(b"AUTH"));
    assert!(env.stored().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_exits_77_with_one_line_naming_account_and_server() {
    let user = new_user("pop3sync-badpw");
    let env = Env::new(&user, Tls::Implicit, |t| {
        t.replace(&user.password_command(), "echo not-the-password")
    });
    let out = env.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    let err = stderr(&out);
    eprintln!("wrong password: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let s = servers();
    assert!(
        err.contains(&format!("account acct ({}:{})", s.host, s.ports.pop3s)),
        "{err}"
    );
    assert!(err.contains("password_command"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_server_exits_69() {
    let user = new_user("pop3sync-down");
    // A port nothing listens on: bind, note, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let env = Env::new(&user, Tls::Implicit, |t| incoming_port(&t, port));
    let out = env.run(&["sync"]).await;
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    let err = stderr(&out);
    eprintln!("unreachable: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn leave_on_server_days_deletes_only_what_was_downloaded_long_enough_ago() {
    let user = new_user("pop3sync-days");
    let seeded = seed(&user, "INBOX", 20);
    let env = Env::new(&user, Tls::Implicit, |t| {
        t.replacen(
            "protocol = \"pop3\"\n",
            "protocol = \"pop3\"\nleave_on_server_days = 0\n",
            1,
        )
    });
    let first = env.sync_ok().await;
    assert_eq!(first["new"], 20);
    assert_eq!(first["deleted"], 0, "just downloaded: not yet expired");
    assert_eq!(server_ids(&user).len(), 20);
    // Downloads are recorded with a time in seconds: let one pass.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = env.sync_ok().await;
    assert_eq!(second["new"], 0);
    assert_eq!(second["deleted"], 20, "{second}");
    assert!(server_ids(&user).is_empty());
    assert_all_stored(&env, &seeded);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_uidl_falls_back_to_header_keys_with_a_warning() {
    let user = new_user("pop3sync-nouidl");
    let seeded = seed(&user, "INBOX", 30);
    let s = servers();
    let target = s.addr(s.ports.pop3).parse().expect("address");
    let proxy = FaultProxy::start(target, Fault::StripCapability("UIDL".to_owned()))
        .await
        .expect("proxy");
    let env = Env::new(&user, Tls::StartTls, |t| {
        incoming_port(&t, proxy.port()).replacen(
            "tls = \"starttls\"\n",
            "tls = \"none\"\nallow_plaintext = true\n",
            1,
        )
    });
    let out = env.run(&["sync", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not support UIDL"),
        "{}",
        stderr(&out)
    );
    assert!(proxy.faults_fired() > 0, "UIDL was stripped from CAPA");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json[0]["new"], 30);
    assert_all_stored(&env, &seeded);
    let again = env.sync_ok().await;
    assert_eq!(again["new"], 0, "the fallback keys are stable: {again}");
}

/// Records every progress event.
#[derive(Default)]
struct Events(std::sync::Mutex<Vec<postie::engine::progress::SyncEvent>>);

impl postie::engine::progress::ProgressSink for Events {
    fn event(&self, event: postie::engine::progress::SyncEvent) {
        self.0.lock().expect("events").push(event);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn engine_skips_an_oversized_message_and_reports_progress_per_batch() {
    use postie::config::{Config, Incoming as Conf};
    use postie::engine::pop3::{Pop3Limits, sync_with};
    use postie::engine::progress::SyncEvent;
    use postie::engine::sync::SyncSummary;

    let user = new_user("pop3sync-engine");
    let seeded = seed(&user, "INBOX", 7);
    // One message far over the limit below.
    let s = servers();
    let mut big =
        b"From: a@example.test\nSubject: big\nMessage-ID: <big@example.test>\n\n".to_vec();
    big.extend(std::iter::repeat_n(b"0123456789abcdef\n".as_slice(), 20_000).flatten());
    let (size, vsize) = (
        big.len(),
        big.len() + big.iter().filter(|&&b| b == b'\n').count(),
    );
    let base = format!("1700000001.big.postie-test,S={size},W={vsize}");
    let tmp = user.maildir.join("tmp").join(&base);
    std::fs::write(&tmp, &big).expect("write");
    std::os::unix::fs::chown(&tmp, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp, user.maildir.join("new").join(&base)).expect("rename");

    let env = Env::new(&user, Tls::Implicit, pop3_mode("delete"));
    let config = Config::from_file(&env.config_path()).expect("config");
    let account = config.account("acct").expect("account").clone();
    let Conf::Pop3(pop3) = &account.incoming else {
        panic!("a pop3 account");
    };
    let mut store = postie::store::Store::open(&config.data_dir).expect("store");
    store.register_accounts(&config).expect("register");
    let limits = Pop3Limits {
        max_message_bytes: 100_000,
        batch_messages: 2,
        ..Pop3Limits::default()
    };
    let events = Events::default();
    let mut summary = SyncSummary::new(&account);
    sync_with(&mut store, &account, pop3, &limits, &events, &mut summary)
        .await
        .expect("sync");
    assert_eq!(summary.new, 7);
    assert_eq!(summary.deleted, 7, "the oversized message is not deleted");
    assert_eq!(summary.warnings.len(), 1, "{:?}", summary.warnings);
    assert!(summary.warnings[0].contains("left on the server"));
    assert_all_stored(&env, &seeded);
    assert_eq!(
        server_ids(&user),
        HashSet::from(["big@example.test".to_owned()])
    );

    let events = events.0.into_inner().expect("events");
    assert!(matches!(
        events.first(),
        Some(SyncEvent::Started { total: Some(7), .. })
    ));
    let done: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            SyncEvent::Progress { done, .. } => Some(*done),
            _ => None,
        })
        .collect();
    assert_eq!(done, [2, 4, 6, 7], "one event per durable batch");
    assert!(matches!(events.last(), Some(SyncEvent::Finished { .. })));
}
