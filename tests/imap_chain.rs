//! Issue 12, items 8 and 7: a second action on a message changed since the last sync (moved
//! twice, deleted twice, flagged after a move) reaches the server, offline and online, and a
//! move whose queue update was lost (a kill between the server's MOVE and the queue) replays
//! without a false warning. Against the real Dovecot of the harness, through the binary; the
//! server's side is read with a raw IMAP session.
//!
//! Each case ends with: the message exactly where the last action put it, on the server and
//! locally, once, after a sync; the queue empty; a second sync with no warning.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use postie::store::{ListQuery, Store};
use support::config::{Incoming, Tls};
use support::{TestUser, new_user, seed, servers};

/// A temp HOME with a config for one IMAP account `a`, and an offline twin (a dead port).
struct Env {
    dir: tempfile::TempDir,
    user: TestUser,
    offline: PathBuf,
}

impl Env {
    fn new(user: &TestUser) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead_port = dead.local_addr().unwrap().port();
        drop(dead);
        let mut env = Env {
            dir,
            user: user.clone(),
            offline: PathBuf::new(),
        };
        env.write_config("config.toml", None);
        env.offline = env.write_config("offline.toml", Some(dead_port));
        env
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn write_config(&self, file: &str, port: Option<u16>) -> PathBuf {
        let s = servers();
        let mut account = self.user.account_toml("a", Incoming::Imap, Tls::Implicit);
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

    fn run(&self, config: &Path, args: &[&str]) -> Output {
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

    /// Runs online; must exit 0. Returns stderr.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(&self.dir.path().join("config.toml"), args);
        assert!(
            out.status.success(),
            "postie {args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Runs against a dead server (the action is queued); must exit 0.
    fn offline(&self, args: &[&str]) {
        let out = self.run(&self.offline, args);
        assert!(out.status.success(), "postie {args:?} offline: {out:?}");
    }

    /// A sync that must warn nothing.
    fn quiet_sync(&self) {
        let err = self.ok(&["sync"]);
        assert!(!err.to_lowercase().contains("warn"), "sync warned: {err}");
        assert!(!err.contains("not applied"), "sync warned: {err}");
    }

    fn store(&self) -> Store {
        let config = postie::config::load(Some(&self.dir.path().join("config.toml"))).unwrap();
        let mut store = Store::open(&config.data_dir).unwrap();
        store.register_accounts(&config).unwrap();
        store
    }

    /// Message-ID -> (id, uid, flags) of a local folder.
    fn local(&self, folder: &str) -> HashMap<String, (i64, Option<u32>, Vec<&'static str>)> {
        self.store()
            .list(&ListQuery {
                account: Some("a".into()),
                folder: Some(folder.into()),
                ..ListQuery::default()
            })
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                (
                    m.message_id.clone().unwrap_or_default(),
                    (m.id, m.uid, m.flags.names()),
                )
            })
            .collect()
    }

    fn pending(&self) -> usize {
        self.store().pending_actions("a").unwrap().len()
    }
}

/// The server's messages of `folder`: Message-ID -> FLAGS line, read by a raw session.
fn on_server(user: &TestUser, folder: &str) -> HashMap<String, String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c = servers().imaps_session(user).await;
        let (_, st) = c.imap("A", &format!("SELECT \"{folder}\"")).await;
        if !st.starts_with("OK") {
            return HashMap::new();
        }
        let (lines, st) = c
            .imap(
                "B",
                "UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
            )
            .await;
        assert!(st.starts_with("OK"), "{st}");
        let mut out = HashMap::new();
        let mut flags = String::new();
        for l in lines {
            if l.starts_with("* ") && l.contains(" FETCH ") {
                let at = l.find("FLAGS (").unwrap() + 7;
                flags = l[at..at + l[at..].find(')').unwrap()].to_owned();
            } else if l.to_ascii_lowercase().starts_with("message-id:") {
                let id = l[11..].trim().trim_start_matches('<').trim_end_matches('>');
                out.insert(id.to_owned(), flags.clone());
            }
        }
        out
    })
}

/// The one message the test acts on (the first seeded), by Message-ID and local id.
fn pick(env: &Env) -> (String, i64) {
    let inbox = env.local("INBOX");
    let mut all: Vec<(&String, i64)> = inbox.iter().map(|(m, r)| (m, r.0)).collect();
    all.sort();
    (all[0].0.clone(), all[0].1)
}

/// After a sync: `mid` is in `folder` on the server and locally (with a UID), nowhere else
/// among `folders`, and the queue is empty.
fn only_in(env: &Env, mid: &str, folder: &str, folders: &[&str]) {
    assert_eq!(env.pending(), 0, "the queue is empty");
    for f in folders {
        let server = on_server(&env.user, f);
        let local = env.local(f);
        let want = usize::from(*f == folder);
        let n = server.keys().filter(|k| *k == mid).count();
        assert_eq!(n, want, "server folder {f}: {server:?}");
        let n = local.keys().filter(|k| *k == mid).count();
        assert_eq!(n, want, "local folder {f}: {local:?}");
        if *f == folder {
            assert!(local[mid].1.is_some(), "the local copy in {f} has its UID");
        }
        assert_eq!(
            server.len(),
            local.len(),
            "folder {f}: server {server:?}, local {local:?}"
        );
    }
}

#[test]
fn a_message_moved_twice_offline_ends_where_the_second_move_put_it() {
    let user = new_user("chain-move-offline");
    seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let (mid, id) = pick(&env);
    env.offline(&["move", "Archive", &id.to_string()]);
    env.offline(&["move", "Junk", &id.to_string()]);
    assert_eq!(env.pending(), 2, "the second move is queued too");
    env.quiet_sync();
    only_in(&env, &mid, "Junk", &["INBOX", "Archive", "Junk"]);
    assert_eq!(env.local("Junk")[&mid].0, id, "the row keeps its id");
    env.quiet_sync();
    only_in(&env, &mid, "Junk", &["INBOX", "Archive", "Junk"]);
}

#[test]
fn a_message_moved_away_and_back_online_is_back_on_the_server() {
    let user = new_user("chain-move-online");
    seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let (mid, id) = pick(&env);
    env.ok(&["move", "Archive", &id.to_string()]);
    assert_eq!(env.pending(), 0);
    assert!(on_server(&user, "Archive").contains_key(&mid));
    // The second move needs the UID the first one got in Archive.
    env.ok(&["move", "INBOX", &id.to_string()]);
    assert_eq!(env.pending(), 0, "the second move was applied, not dropped");
    assert!(on_server(&user, "INBOX").contains_key(&mid));
    assert!(!on_server(&user, "Archive").contains_key(&mid));
    env.quiet_sync();
    only_in(&env, &mid, "INBOX", &["INBOX", "Archive"]);
    assert_eq!(env.local("INBOX")[&mid].0, id);
}

#[test]
fn a_message_moved_away_and_back_offline_is_back_on_the_server() {
    let user = new_user("chain-back-offline");
    seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let (mid, id) = pick(&env);
    env.offline(&["move", "Archive", &id.to_string()]);
    env.offline(&["move", "INBOX", &id.to_string()]);
    env.quiet_sync();
    only_in(&env, &mid, "INBOX", &["INBOX", "Archive"]);
    env.quiet_sync();
    only_in(&env, &mid, "INBOX", &["INBOX", "Archive"]);
}

#[test]
fn deleting_twice_online_removes_the_message_from_trash_for_good() {
    let user = new_user("chain-delete-online");
    seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let (mid, id) = pick(&env);
    env.ok(&["delete", &id.to_string()]);
    assert!(on_server(&user, "Trash").contains_key(&mid));
    env.ok(&["delete", &id.to_string()]);
    assert_eq!(env.pending(), 0);
    assert!(
        on_server(&user, "Trash").is_empty(),
        "gone from the server's Trash"
    );
    env.quiet_sync();
    only_in(&env, &mid, "-", &["INBOX", "Trash"]);
    assert!(env.store().get(id).is_err(), "it does not come back");
}

#[test]
fn deleting_twice_offline_removes_the_message_from_trash_for_good() {
    let user = new_user("chain-delete-offline");
    seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let (mid, id) = pick(&env);
    env.offline(&["delete", &id.to_string()]);
    env.offline(&["delete", &id.to_string()]);
    assert_eq!(env.pending(), 2);
    env.quiet_sync();
    only_in(&env, &mid, "-", &["INBOX", "Trash"]);
    assert_eq!(on_server(&user, "INBOX").len(), 2);
}

#[test]
fn a_flag_set_after_an_offline_move_reaches_the_moved_copy() {
    let user = new_user("chain-flag");
    seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let (mid, id) = pick(&env);
    env.offline(&["move", "Archive", &id.to_string()]);
    env.offline(&["flag", "add", "flagged", &id.to_string()]);
    assert_eq!(env.pending(), 2, "the flag is queued behind the move");
    env.quiet_sync();
    only_in(&env, &mid, "Archive", &["INBOX", "Archive"]);
    assert!(on_server(&user, "Archive")[&mid].contains("\\Flagged"));
    assert!(env.local("Archive")[&mid].2.contains(&"flagged"));
}

/// Item 7: the server did the MOVE, but the process was killed before the queue said so. The
/// state that leaves (the move still queued, the message already in the destination) is made
/// here directly: queue offline, then move on the server with a raw session.
#[test]
fn a_move_already_done_on_the_server_replays_without_a_false_warning() {
    let user = new_user("chain-killed-move");
    seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let (mid, id) = pick(&env);
    env.offline(&["move", "Archive", &id.to_string()]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c = servers().imaps_session(&user).await;
        c.imap("A", "SELECT INBOX").await;
        let (lines, _) = c
            .imap("D", &format!("UID SEARCH HEADER Message-ID \"<{mid}>\""))
            .await;
        let uid: u32 = lines
            .iter()
            .find_map(|l| l.strip_prefix("* SEARCH "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let (_, st) = c.imap("E", &format!("UID MOVE {uid} Archive")).await;
        assert!(st.starts_with("OK"), "{st}");
    });
    env.quiet_sync();
    only_in(&env, &mid, "Archive", &["INBOX", "Archive"]);
    assert_eq!(
        env.local("Archive")[&mid].0,
        id,
        "the moved row keeps its id"
    );
}

/// A change the server refuses (it will not create a folder with a `.` in its name on this
/// Maildir++ layout): a warning, and the local move is undone, so local and server agree.
#[test]
fn a_refused_move_warns_and_is_undone_here() {
    let user = new_user("chain-refused");
    seed(&user, "INBOX", 3);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let (mid, id) = pick(&env);
    env.offline(&["move", "Odd.name", &id.to_string()]);
    env.offline(&["flag", "add", "flagged", &id.to_string()]);
    let err = env.ok(&["sync"]);
    assert!(err.contains("not applied"), "a warning: {err}");
    assert!(err.contains("Odd.name") || err.contains("INBOX"), "{err}");
    assert_eq!(env.pending(), 0);
    assert!(env.local("Odd.name").is_empty(), "the local move is undone");
    only_in(&env, &mid, "INBOX", &["INBOX"]);
    assert!(!env.local("INBOX")[&mid].2.contains(&"flagged"));
    assert_eq!(env.local("INBOX")[&mid].0, id, "moved back, with its id");
    env.quiet_sync();
    only_in(&env, &mid, "INBOX", &["INBOX"]);
}
