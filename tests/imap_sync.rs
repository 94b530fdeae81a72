//! IMAP sync (src/engine/imap, src/engine/idle) and the IMAP side of the store commands,
//! against the real Dovecot and Postfix of the test harness: through the binary (clean
//! environment, temp HOME/XDG/data dir) and through the engine directly where a protocol trace
//! or an event channel is needed.

#![allow(clippy::unwrap_used)]

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
mod support;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use fault_proxy::{Direction, Fault, FaultProxy};
use postie::config::{Config, Incoming as CfgIncoming};
use postie::engine::idle::{WatchEvent, WatchOptions};
use postie::engine::imap::{SyncTuning, sync_with};
use postie::engine::progress::NoProgress;
use postie::engine::sync::{SyncOptions, SyncSummary};
use postie::proto::imap::Trace;
use postie::store::{ListQuery, Store};
use serde_json::Value;
use support::config::{Incoming, Tls};
use support::seed::{Seeded, seed, seed_with};
use support::{TestUser, new_user, servers};

/// A temp HOME with a config for one IMAP account `a` and its own data dir.
struct Env {
    dir: tempfile::TempDir,
    user: TestUser,
}

impl Env {
    fn new(user: &TestUser) -> Env {
        Env::with(user, "")
    }

    /// `extra` goes into the incoming table (e.g. `fetch_bodies = "all"`).
    fn with(user: &TestUser, extra: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let env = Env {
            dir,
            user: user.clone(),
        };
        env.write_config("config.toml", extra, None);
        env
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Writes a config; `port` replaces the IMAP port (a dead port for offline runs).
    fn write_config(&self, file: &str, extra: &str, port: Option<u16>) -> PathBuf {
        let s = servers();
        let mut account = self.user.account_toml("a", Incoming::Imap, Tls::Implicit);
        account = account.replace(
            "protocol = \"imap\"\n",
            &format!("protocol = \"imap\"\n{extra}\n"),
        );
        if let Some(p) = port {
            account = account.replacen(
                &format!("port = {}\n", s.ports.imaps),
                &format!("port = {p}\n"),
                1,
            );
        }
        let text = format!(
            "data_dir = {:?}\n\n{account}",
            self.data_dir().display().to_string()
        );
        let path = self.dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn postie_with(&self, config: &Path, args: &[&str]) -> Output {
        let home = self.dir.path();
        Command::cargo_bin("postie")
            .unwrap()
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("POSTIE_DATA_DIR", self.data_dir())
            .arg("--config")
            .arg(config)
            .args(args)
            .timeout(Duration::from_secs(300))
            .output()
            .unwrap()
    }

    fn postie(&self, args: &[&str]) -> Output {
        self.postie_with(&self.config(), args)
    }

    fn ok(&self, args: &[&str]) -> Vec<u8> {
        let out = self.postie(args);
        assert!(
            out.status.success(),
            "postie {args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn json(&self, args: &[&str]) -> Vec<Value> {
        serde_json::from_slice::<Value>(&self.ok(args))
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    fn load(&self) -> Config {
        postie::config::load(Some(&self.config())).unwrap()
    }

    fn store(&self) -> Store {
        let config = self.load();
        let mut store = Store::open(&config.data_dir).unwrap();
        store.register_accounts(&config).unwrap();
        store
    }

    /// Runs the engine's sync of account `a` with a trace.
    async fn sync(&self, trace: &Trace, folder: Option<&str>) -> SyncSummary {
        self.sync_tuned(&SyncTuning::traced(trace.clone()), folder)
            .await
    }

    async fn sync_tuned(&self, tuning: &SyncTuning, folder: Option<&str>) -> SyncSummary {
        let config = self.load();
        let mut store = Store::open(&config.data_dir).unwrap();
        store.register_accounts(&config).unwrap();
        let account = config.accounts[0].clone();
        let CfgIncoming::Imap(imap) = &account.incoming else {
            panic!("not an IMAP account")
        };
        let mut summary = SyncSummary::new(&account);
        sync_with(
            &mut store,
            &account,
            imap,
            &SyncOptions {
                folder: folder.map(str::to_owned),
            },
            &NoProgress,
            &mut summary,
            tuning,
        )
        .await
        .unwrap_or_else(|e| panic!("sync: {}", postie::error::chain_line(&e)));
        summary
    }
}

/// Every stored message of a folder: Message-ID -> (id, has_body, flags).
fn by_message_id(store: &Store, folder: &str) -> HashMap<String, (i64, bool, Vec<&'static str>)> {
    store
        .list(&ListQuery {
            account: Some("a".into()),
            folder: Some(folder.into()),
            ..ListQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|m| {
            (
                m.message_id.clone().unwrap_or_default(),
                (m.id, m.has_body, m.flags.names()),
            )
        })
        .collect()
}

/// `STATUS name (MESSAGES UNSEEN)` from a second, raw session.
async fn server_status(user: &TestUser, folder: &str) -> (u64, u64) {
    let mut c = servers().imaps_session(user).await;
    let (lines, status) = c
        .imap("S", &format!("STATUS \"{folder}\" (MESSAGES UNSEEN)"))
        .await;
    assert!(status.starts_with("OK"), "{status}");
    let line = lines.iter().find(|l| l.starts_with("* STATUS")).unwrap();
    let num = |key: &str| -> u64 {
        let at = line.find(key).unwrap() + key.len() + 1;
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (num("MESSAGES"), num("UNSEEN"))
}

/// Sequence number -> Message-ID from the lines of a raw `FETCH ... (BODY.PEEK[HEADER.FIELDS
/// (MESSAGE-ID)])` (the literal's lines follow their `* N FETCH` line).
fn seq_to_mid(lines: &[String]) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    let mut seq = 0;
    for l in lines {
        if let Some(rest) = l.strip_prefix("* ")
            && let Some((n, tail)) = rest.split_once(' ')
            && tail.starts_with("FETCH")
        {
            seq = n.parse().unwrap();
        } else if l.to_ascii_lowercase().starts_with("message-id:") {
            let id = l[11..].trim().trim_start_matches('<').trim_end_matches('>');
            out.insert(seq, id.to_owned());
        }
    }
    out
}

fn crlf_by_id(seeded: &[Seeded]) -> HashMap<String, Vec<u8>> {
    seeded
        .iter()
        .map(|s| (s.message.message_id.clone(), s.crlf()))
        .collect()
}

#[test]
fn folders_roles_and_counts_equal_the_servers() {
    let user = new_user("imapsync-counts");
    seed(&user, "INBOX", 500);
    seed(&user, "Archive", 300);
    seed(&user, "Lists/rust", 200);
    let env = Env::new(&user);
    let out = env.ok(&["sync"]);
    assert!(String::from_utf8_lossy(&out).contains("a"), "{out:?}");

    let folders = env.json(&["folders", "--json", "--account", "a"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (name, n) in [
        ("INBOX", 500),
        ("Archive", 300),
        ("Lists/rust", 200),
        ("Sent", 0),
    ] {
        let f = folders
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no folder {name} in {folders:?}"));
        let (messages, unseen) = rt.block_on(server_status(&user, name));
        assert_eq!(messages, n);
        assert_eq!(f["total"].as_u64(), Some(messages), "{name}: {f}");
        assert_eq!(f["unread"].as_u64(), Some(unseen), "{name}: {f}");
    }
    let listed = env.json(&["list", "--json", "--account", "a", "--folder", "Lists/rust"]);
    assert_eq!(listed.len(), 200);
    assert!(listed.iter().all(|m| m["has_body"] == false));
    let all: usize = ["INBOX", "Archive", "Lists/rust"]
        .iter()
        .map(|f| {
            env.json(&["list", "--json", "--account", "a", "--folder", f])
                .len()
        })
        .sum();
    assert_eq!(all, 1000);

    // Special-use roles from the server, and `/` names as nested directories.
    let store = env.store();
    let roles: HashMap<String, Option<String>> = store
        .folders(Some("a"))
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.role))
        .collect();
    for (name, role) in [
        ("INBOX", "inbox"),
        ("Sent", "sent"),
        ("Drafts", "drafts"),
        ("Trash", "trash"),
        ("Junk", "junk"),
        ("Archive", "archive"),
    ] {
        assert_eq!(roles[name].as_deref(), Some(role), "{name}: {roles:?}");
    }
    assert!(env.data_dir().join("a/Lists/rust/cur").is_dir());
}

#[test]
fn read_fetches_the_body_on_demand_with_the_servers_exact_bytes() {
    let user = new_user("imapsync-read");
    let seeded = seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let listed = env.json(&["list", "--json", "--account", "a"]);
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|m| m["has_body"] == false));
    let store = env.store();
    let rows = by_message_id(&store, "INBOX");
    drop(store);
    let want = crlf_by_id(&seeded);

    // Offline (dead port): a clear message and EX_TEMPFAIL.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let offline = env.write_config("offline.toml", "", Some(dead_port));
    let (mid, (id, _, _)) = rows.iter().next().unwrap();
    let out = env.postie_with(&offline, &["read", "--raw", &id.to_string()]);
    assert_eq!(out.status.code(), Some(75), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("body was never fetched"), "{err}");
    assert!(out.stdout.is_empty());

    // Online: fetched, stored, printed byte for byte (CRLF as served).
    let raw = env.ok(&["read", "--raw", &id.to_string()]);
    assert_eq!(raw, want[mid]);
    let store = env.store();
    assert_eq!(store.read_raw(*id).unwrap(), want[mid]);
    // Now readable offline too, rendered.
    let text = env.postie_with(&offline, &["read", &id.to_string()]);
    assert!(text.status.success(), "{text:?}");
    assert!(String::from_utf8_lossy(&text.stdout).contains("Subject:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_bodies_all_keeps_every_message_byte_identical() {
    let user = new_user("imapsync-all");
    let seeded = seed(&user, "INBOX", 400);
    let env = Env::with(&user, "fetch_bodies = \"all\"");
    let trace = Trace::new();
    let started = Instant::now();
    let summary = env.sync(&trace, None).await;
    eprintln!("fetch_bodies=all, 400 messages: {:?}", started.elapsed());
    assert_eq!(summary.new, 400);
    let store = env.store();
    let rows = by_message_id(&store, "INBOX");
    let want = crlf_by_id(&seeded);
    assert_eq!(rows.len(), 400);
    for (mid, (id, has_body, _)) in &rows {
        assert!(has_body, "{mid}");
        assert_eq!(&store.read_raw(*id).unwrap(), &want[mid], "{mid}");
    }
    // The Maildir holds exactly those files.
    let dir = env.data_dir().join("a/INBOX");
    let files: usize = ["cur", "new"]
        .iter()
        .map(|d| std::fs::read_dir(dir.join(d)).unwrap().count())
        .sum();
    assert_eq!(files, 400);
    // A resync downloads nothing again.
    trace.clear();
    let again = env.sync(&trace, None).await;
    assert_eq!(again.new, 0);
    assert!(!trace.contains("BODY.PEEK[]"), "{:?}", trace.commands());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_by_another_client_show_after_sync() {
    let user = new_user("imapsync-changes");
    let seeded = seed(&user, "INBOX", 20);
    let env = Env::new(&user);
    let trace = Trace::new();
    env.sync(&trace, None).await;
    let before = by_message_id(&env.store(), "INBOX");
    assert_eq!(before.len(), 20);

    // Another client: flag message 1, expunge message 2, a new message arrives.
    let mut c = servers().imaps_session(&user).await;
    let (_, st) = c.imap("A", "SELECT INBOX").await;
    assert!(st.starts_with("OK"), "{st}");
    let (lines, st) = c
        .imap("B", "FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        .await;
    assert!(st.starts_with("OK"), "{st}");
    let mids = seq_to_mid(&lines);
    let (first, second) = (mids[&1].clone(), mids[&2].clone());
    assert!(seeded.iter().any(|s| s.message.message_id == first));
    let (_, st) = c.imap("C", "STORE 1 +FLAGS (\\Flagged)").await;
    assert!(st.starts_with("OK"), "{st}");
    let (_, st) = c.imap("D", "STORE 2 +FLAGS (\\Deleted)").await;
    assert!(st.starts_with("OK"), "{st}");
    let (_, st) = c.imap("E", "EXPUNGE").await;
    assert!(st.starts_with("OK"), "{st}");
    c.imap("F", "LOGOUT").await;
    let new_msg = b"From: x@example.test\r\nTo: y@example.test\r\nSubject: late arrival\r\n\
Message-ID: <late-1@example.test>\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\n\r\nhello\r\n";
    support::wire::deliver_lmtp(servers(), &user.email, new_msg)
        .await
        .unwrap();

    trace.clear();
    let summary = env.sync(&trace, None).await;
    let after = by_message_id(&env.store(), "INBOX");
    assert_eq!(after.len(), 20, "{summary:?}");
    assert!(after[&first].2.contains(&"flagged"), "{:?}", after[&first]);
    assert!(!after.contains_key(&second));
    assert!(after.contains_key("late-1@example.test"));
    assert_eq!(summary.new, 1);
    assert_eq!(summary.expunged, 1);
    assert_eq!(summary.flags_changed, 1);
    // Ids of unchanged messages are stable.
    assert_eq!(after[&first].0, before[&first].0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_change_resync_of_10000_sends_no_fetch() {
    let user = new_user("imapsync-10k");
    seed(&user, "INBOX", 10_000);
    let env = Env::new(&user);
    let trace = Trace::new();
    let started = Instant::now();
    let first = env.sync(&trace, Some("INBOX")).await;
    let first_time = started.elapsed();
    assert_eq!(first.new, 10_000);
    trace.clear();
    let started = Instant::now();
    let again = env.sync(&trace, Some("INBOX")).await;
    let resync = started.elapsed();
    eprintln!(
        "FIGURE envelope-only first sync of 10,000: {first_time:?}; no-change resync: {resync:?}"
    );
    assert_eq!(again.new, 0);
    let commands = trace.commands();
    assert!(
        commands.iter().any(|c| c.contains("QRESYNC")),
        "QRESYNC not used: {commands:?}"
    );
    assert!(
        !commands.iter().any(|c| c.contains("FETCH")),
        "a no-change resync sent a FETCH: {commands:?}"
    );
    assert_eq!(
        env.store()
            .folders(Some("a"))
            .unwrap()
            .iter()
            .find(|f| f.name == "INBOX")
            .unwrap()
            .total,
        10_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_uidvalidity_refetches_the_folder() {
    let user = new_user("imapsync-validity");
    seed(&user, "Box", 10);
    let env = Env::new(&user);
    let trace = Trace::new();
    env.sync(&trace, None).await;
    let v1 = env
        .store()
        .folders(Some("a"))
        .unwrap()
        .into_iter()
        .find(|f| f.name == "Box")
        .unwrap();
    assert_eq!(v1.total, 10);
    // Recreate the folder with no client connected: Dovecot gives it a new UIDVALIDITY.
    std::fs::remove_dir_all(user.folder_dir("Box")).unwrap();
    let fresh = seed_with(&user, "Box", 4, 99);
    let summary = env.sync(&trace, None).await;
    let v2 = env
        .store()
        .folders(Some("a"))
        .unwrap()
        .into_iter()
        .find(|f| f.name == "Box")
        .unwrap();
    assert_ne!(v1.uidvalidity, v2.uidvalidity);
    assert_eq!(v2.total, 4);
    let ids: HashSet<String> = by_message_id(&env.store(), "Box").into_keys().collect();
    let want: HashSet<String> = fresh.iter().map(|s| s.message.message_id.clone()).collect();
    assert_eq!(ids, want);
    assert!(
        summary.warnings.iter().any(|w| w.contains("UIDVALIDITY")),
        "{summary:?}"
    );
    // What tells the TUI to drop the rows it holds for the folder and show it afresh.
    assert_eq!(summary.renumbered, vec!["Box".to_owned()]);
}

#[test]
fn flag_and_move_made_offline_reach_the_server_on_the_next_sync() {
    let user = new_user("imapsync-offline");
    seed(&user, "INBOX", 5);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let rows = by_message_id(&env.store(), "INBOX");
    let mut ids: Vec<(String, i64)> = rows.iter().map(|(m, r)| (m.clone(), r.0)).collect();
    ids.sort();
    let (flag_mid, flag_id) = ids[0].clone();
    let (move_mid, move_id) = ids[1].clone();

    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let offline = env.write_config("offline.toml", "", Some(dead_port));
    let out = env.postie_with(&offline, &["flag", "add", "flagged", &flag_id.to_string()]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("queued"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = env.postie_with(&offline, &["move", "Archive", &move_id.to_string()]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(env.store().pending_actions("a").unwrap().len(), 2);

    let rt = tokio::runtime::Runtime::new().unwrap();
    // Nothing reached the server yet.
    assert_eq!(rt.block_on(server_status(&user, "Archive")).0, 0);
    env.ok(&["sync"]);
    assert!(env.store().pending_actions("a").unwrap().is_empty());
    assert_eq!(rt.block_on(server_status(&user, "INBOX")).0, 4);
    assert_eq!(rt.block_on(server_status(&user, "Archive")).0, 1);
    let flagged = rt.block_on(async {
        let mut c = servers().imaps_session(&user).await;
        c.imap("A", "SELECT INBOX").await;
        let (lines, _) = c.imap("B", "SEARCH FLAGGED").await;
        let (env_lines, _) = c
            .imap("C", "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            .await;
        (lines, env_lines)
    });
    let search = flagged
        .0
        .iter()
        .find(|l| l.starts_with("* SEARCH"))
        .unwrap();
    let n: u32 = search
        .trim_start_matches("* SEARCH")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(seq_to_mid(&flagged.1)[&n], flag_mid);

    // The local copy: same ids, no duplicates, the moved one holds its new UID in Archive.
    let store = env.store();
    let inbox = by_message_id(&store, "INBOX");
    let archive = by_message_id(&store, "Archive");
    assert_eq!(inbox.len(), 4);
    assert_eq!(archive.len(), 1);
    assert_eq!(archive[&move_mid].0, move_id);
    assert!(store.get(move_id).unwrap().uid.is_some());
    assert!(inbox[&flag_mid].2.contains(&"flagged"));

    // Reachable: a flag change is on the server at once, without a sync.
    let out = env.postie(&["flag", "add", "seen", &flag_id.to_string()]);
    assert!(out.status.success(), "{out:?}");
    assert!(env.store().pending_actions("a").unwrap().is_empty());
    let unseen_after = rt.block_on(server_status(&user, "INBOX")).1;
    let local_unseen = by_message_id(&env.store(), "INBOX")
        .values()
        .filter(|r| !r.2.contains(&"seen"))
        .count() as u64;
    assert_eq!(unseen_after, local_unseen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postfix_delivery_reaches_a_running_idle_watcher_within_2_seconds() {
    let user = new_user("imapsync-idle");
    let env = Env::new(&user);
    let config = env.load();
    let account = config.accounts[0].clone();
    let CfgIncoming::Imap(imap) = account.incoming.clone() else {
        panic!("not IMAP")
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = postie::engine::idle::spawn(account, imap, tx, WatchOptions::default());
    let ev = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ev,
        WatchEvent::Watching {
            account: "a".into(),
            folder: "INBOX".into()
        }
    );
    let msg = b"From: sender@example.test\r\nSubject: idle test\r\n\r\nhi\r\n";
    let sent = Instant::now();
    support::wire::submit(
        servers(),
        support::wire::Submission::Implicit,
        &user,
        &user.email,
        &[&user.email],
        msg,
    )
    .await
    .unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .expect("no IDLE report within 2 s of the submission")
        .unwrap();
    eprintln!("FIGURE submission to IDLE report: {:?}", sent.elapsed());
    assert_eq!(
        ev,
        WatchEvent::Changed {
            account: "a".into(),
            folder: "INBOX".into()
        }
    );
    watcher.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_mid_fetch_then_the_next_sync_completes_without_duplicates() {
    let user = new_user("imapsync-cut");
    let seeded = seed(&user, "INBOX", 1500);
    let s = servers();
    let target = format!("{}:{}", s.host, s.ports.imaps).parse().unwrap();
    let proxy = FaultProxy::start(
        target,
        Fault::Cut {
            dir: Direction::ServerToClient,
            after: 300_000,
        },
    )
    .await
    .unwrap();
    let env = Env::with(&user, "fetch_bodies = \"all\"");
    let config_path = env.write_config("config.toml", "fetch_bodies = \"all\"", Some(proxy.port()));
    assert_eq!(config_path, env.config());

    let config = env.load();
    let account = config.accounts[0].clone();
    let CfgIncoming::Imap(imap) = &account.incoming else {
        panic!("not IMAP")
    };
    let mut store = Store::open(&config.data_dir).unwrap();
    store.register_accounts(&config).unwrap();
    let mut summary = SyncSummary::new(&account);
    let err = sync_with(
        &mut store,
        &account,
        imap,
        &SyncOptions::default(),
        &NoProgress,
        &mut summary,
        &SyncTuning::default(),
    )
    .await
    .expect_err("the cut connection must fail the sync");
    assert_eq!(err.kind(), postie::error::ErrorKind::Network, "{err:?}");
    let partial = store.list(&ListQuery::default()).unwrap().len();
    assert!(partial < 1500, "{partial}");
    drop(store);

    proxy.set_fault(Fault::None);
    let trace = Trace::new();
    env.sync(&trace, None).await;
    let store = env.store();
    let rows = store
        .list(&ListQuery {
            account: Some("a".into()),
            folder: Some("INBOX".into()),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 1500);
    let mids: HashSet<String> = rows.iter().filter_map(|m| m.message_id.clone()).collect();
    assert_eq!(mids.len(), 1500, "duplicates");
    let want = crlf_by_id(&seeded);
    for m in &rows {
        assert!(m.has_body);
        assert_eq!(
            store.read_raw(m.id).unwrap(),
            want[m.message_id.as_ref().unwrap()]
        );
    }
}

/// The figures (not a pass/fail test: run with `--ignored --nocapture`):
/// envelope-only first sync, no-change resync, and `fetch_bodies = "all"` first sync, of
/// `POSTIE_BENCH_SIZES` messages (comma-separated, default 10000) in INBOX over IMAPS
/// (`POSTIE_BENCH_BODIES=0`: without the body download).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: cargo test --test imap_sync -- --ignored --nocapture"]
async fn figures() {
    let sizes = std::env::var("POSTIE_BENCH_SIZES").unwrap_or_else(|_| "10000".into());
    for n in sizes.split(',').map(|n| n.trim().parse::<usize>().unwrap()) {
        let user = new_user("imapsync-bench");
        let started = Instant::now();
        seed(&user, "INBOX", n);
        // Let Dovecot index the new files before timing (a STATUS does it).
        server_status(&user, "INBOX").await;
        eprintln!("seeded {n} in {:?}", started.elapsed());
        let trace = Trace::new();

        let env = Env::new(&user);
        let started = Instant::now();
        let s = env.sync(&trace, None).await;
        let first = started.elapsed();
        assert_eq!(s.new as usize, n);
        let mut resyncs = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            env.sync(&trace, None).await;
            resyncs.push(started.elapsed());
        }
        resyncs.sort();

        if std::env::var("POSTIE_BENCH_BODIES").is_ok_and(|v| v == "0") {
            eprintln!(
                "FIGURE n={n}: envelope-only first sync {first:.2?}; no-change resync (median \
                 of 3, whole account, connect+login included) {:.2?}",
                resyncs[1]
            );
            continue;
        }
        let all = Env::with(&user, "fetch_bodies = \"all\"");
        let started = Instant::now();
        let s = all.sync(&trace, None).await;
        let bodies = started.elapsed();
        assert_eq!(s.new as usize, n);
        let seq = Env::with(&user, "fetch_bodies = \"all\"");
        let started = Instant::now();
        let tuning = SyncTuning {
            sequential_writes: true,
            ..SyncTuning::default()
        };
        seq.sync_tuned(&tuning, None).await;
        let sequential = started.elapsed();
        eprintln!(
            "FIGURE n={n}: envelope-only first sync {first:.2?}; no-change resync (median of 3, \
             whole account, connect+login included) {:.2?}; fetch_bodies=all first sync \
             {bodies:.2?} ({} MB; with writes on the download task: {sequential:.2?})",
            resyncs[1],
            s.bytes / 1_000_000
        );
    }
}

#[test]
fn delete_moves_to_the_servers_trash_at_once_and_sync_keeps_the_same_id() {
    let user = new_user("imapsync-delete");
    seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let rows = by_message_id(&env.store(), "INBOX");
    let (mid, (id, _, _)) = rows.iter().next().unwrap();
    let out = env.postie(&["delete", &id.to_string()]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(env.store().pending_actions("a").unwrap().is_empty());
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(rt.block_on(server_status(&user, "INBOX")).0, 2);
    assert_eq!(rt.block_on(server_status(&user, "Trash")).0, 1);
    env.ok(&["sync"]);
    let store = env.store();
    let trash = by_message_id(&store, "Trash");
    assert_eq!(trash.len(), 1);
    assert_eq!(trash[mid].0, *id, "the moved row keeps its id");
    assert!(store.get(*id).unwrap().uid.is_some());
    assert_eq!(by_message_id(&store, "INBOX").len(), 2);
}

#[test]
fn a_message_moved_offline_but_expunged_on_the_server_is_gone_after_sync() {
    let user = new_user("imapsync-serverwins");
    seed(&user, "INBOX", 2);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let rows = by_message_id(&env.store(), "INBOX");
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let offline = env.write_config("offline.toml", "", Some(dead_port));
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Another client expunges message 1 while we move it offline.
    let mid = rt.block_on(async {
        let mut c = servers().imaps_session(&user).await;
        c.imap("A", "SELECT INBOX").await;
        let (lines, _) = c
            .imap("B", "FETCH 1 (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            .await;
        c.imap("C", "STORE 1 +FLAGS (\\Deleted)").await;
        c.imap("D", "EXPUNGE").await;
        seq_to_mid(&lines)[&1].clone()
    });
    let id = rows[&mid].0;
    let out = env.postie_with(&offline, &["move", "Archive", &id.to_string()]);
    assert!(out.status.success(), "{out:?}");
    let out = env.ok(&["sync"]);
    let _ = out;
    let store = env.store();
    assert!(store.get(id).is_err(), "the local copy should be gone");
    assert!(by_message_id(&store, "Archive").is_empty());
    assert_eq!(by_message_id(&store, "INBOX").len(), 1);
    assert!(store.pending_actions("a").unwrap().is_empty());
}

/// A TCP forwarder whose live connections can be cut while it keeps listening.
struct CuttableProxy {
    port: u16,
    cut: tokio::sync::watch::Sender<u64>,
}

impl CuttableProxy {
    async fn start(target: String) -> CuttableProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, cut_rx) = tokio::sync::watch::channel(0u64);
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let target = target.clone();
                let mut cut_rx = cut_rx.clone();
                cut_rx.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        CuttableProxy { port, cut }
    }

    fn cut_all(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_watcher_reconnects_after_a_drop_and_still_reports_new_mail() {
    let user = new_user("imapsync-idle-drop");
    let s = servers();
    let proxy = CuttableProxy::start(format!("{}:{}", s.host, s.ports.imaps)).await;
    let env = Env::new(&user);
    env.write_config("config.toml", "", Some(proxy.port));
    let config = env.load();
    let account = config.accounts[0].clone();
    let CfgIncoming::Imap(imap) = account.incoming.clone() else {
        panic!("not IMAP")
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = WatchOptions {
        backoff: Duration::from_millis(100),
        ..WatchOptions::default()
    };
    let watcher = postie::engine::idle::spawn(account, imap, tx, options);
    assert!(matches!(
        next_event(&mut rx).await,
        WatchEvent::Watching { .. }
    ));
    proxy.cut_all();
    let ev = next_event(&mut rx).await;
    assert!(matches!(ev, WatchEvent::Disconnected { .. }), "{ev:?}");
    let ev = next_event(&mut rx).await;
    assert!(matches!(ev, WatchEvent::Watching { .. }), "{ev:?}");
    let msg = b"From: x@example.test\r\nSubject: after the drop\r\n\r\nhi\r\n";
    support::wire::deliver_lmtp(servers(), &user.email, msg)
        .await
        .unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .expect("no report within 2 s after reconnecting")
        .unwrap();
    assert!(matches!(ev, WatchEvent::Changed { .. }), "{ev:?}");
    watcher.stop().await;
}

async fn next_event(rx: &mut tokio::sync::mpsc::UnboundedReceiver<WatchEvent>) -> WatchEvent {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("no watcher event in 20 s")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_qresync_and_condstore_the_flag_diff_finds_every_change() {
    let user = new_user("imapsync-plain");
    seed(&user, "INBOX", 20);
    let s = servers();
    // Two proxies on the plaintext port (loopback; allow_plaintext) hide both extensions.
    let target = format!("{}:{}", s.host, s.ports.imap).parse().unwrap();
    let inner = FaultProxy::start(target, Fault::StripCapability("CONDSTORE".into()))
        .await
        .unwrap();
    let outer = FaultProxy::start(inner.addr(), Fault::StripCapability("QRESYNC".into()))
        .await
        .unwrap();
    let env = Env::new(&user);
    let path = env.write_config("config.toml", "allow_plaintext = true", Some(outer.port()));
    let text =
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen("tls = \"implicit\"", "tls = \"none\"", 1);
    std::fs::write(&path, text).unwrap();

    let trace = Trace::new();
    env.sync(&trace, Some("INBOX")).await;
    assert_eq!(by_message_id(&env.store(), "INBOX").len(), 20);

    let mut c = servers().imaps_session(&user).await;
    c.imap("A", "SELECT INBOX").await;
    let (lines, _) = c
        .imap("B", "FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        .await;
    let mids = seq_to_mid(&lines);
    c.imap("C", "STORE 1 +FLAGS (\\Flagged)").await;
    c.imap("D", "STORE 2 +FLAGS (\\Deleted)").await;
    c.imap("E", "EXPUNGE").await;
    c.imap("F", "LOGOUT").await;
    let msg = b"From: x@example.test\r\nSubject: plain\r\nMessage-ID: <plain-1@example.test>\r\n\r\nhi\r\n";
    support::wire::deliver_lmtp(servers(), &user.email, msg)
        .await
        .unwrap();

    trace.clear();
    let summary = env.sync(&trace, Some("INBOX")).await;
    let after = by_message_id(&env.store(), "INBOX");
    assert_eq!(after.len(), 20, "{summary:?}");
    assert!(after[&mids[&1]].2.contains(&"flagged"));
    assert!(!after.contains_key(&mids[&2]));
    assert!(after.contains_key("plain-1@example.test"));
    let commands = trace.commands();
    assert!(
        commands
            .iter()
            .any(|c| c.contains("UID FETCH 1:* (UID FLAGS)")),
        "{commands:?}"
    );
    assert!(
        commands.iter().any(|c| c.contains("UID SEARCH ALL")),
        "{commands:?}"
    );
    assert!(
        !commands
            .iter()
            .any(|c| c.contains("QRESYNC") || c.contains("CHANGEDSINCE")),
        "{commands:?}"
    );
}
