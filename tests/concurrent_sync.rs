//! Two postie processes on one data dir (issue #12, item 3), against the real Dovecot of the
//! harness: two `postie sync` runs of one account at once store every message once (POP3 in
//! delete mode, and IMAP), the loser either waits and finds nothing new or exits 75 naming the
//! winner's pid; several processes opening a fresh data dir at once never take each other's
//! migration for a damaged index.
//!
//! Runs the real `postie` binary (`env_clear()`, HOME/XDG dirs and the data dir in a temp dir)
//! and counts what ended up in the index with SQLite directly.

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt as _;
use support::config::{Incoming, Tls};
use support::seed::{Seeded, seed_with};
use support::{TestUser, new_user};

/// Messages per round, as in the reproduction.
const MESSAGES: usize = 500;

/// One postie installation: a temp HOME, a data dir and a config with one account `acct`.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(account_toml: &str) -> Env {
        let env = Env {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let text = format!(
            "data_dir = {:?}\n\n{account_toml}",
            env.data_dir().display().to_string()
        );
        std::fs::write(env.config_path(), text).expect("write config");
        env
    }

    fn pop3_delete(user: &TestUser) -> Env {
        let toml = user
            .account_toml("acct", Incoming::Pop3, Tls::Implicit)
            .replacen(
                "protocol = \"pop3\"\n",
                "protocol = \"pop3\"\npop3_mode = \"delete\"\n",
                1,
            );
        Env::new(&toml)
    }

    fn imap(user: &TestUser) -> Env {
        Env::new(&user.account_toml("acct", Incoming::Imap, Tls::Implicit))
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts `postie --config CONFIG ARGS...` with nothing of the developer's environment.
    fn spawn(&self, args: &[&str]) -> Child {
        let home = self.dir.path();
        Command::cargo_bin("postie")
            .expect("postie binary")
            .env_clear()
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("POSTIE_DATA_DIR", self.data_dir())
            .env("PATH", "/usr/bin:/bin")
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start postie")
    }

    /// Creates the index (one `postie list`), so what a test sees next comes from syncing at
    /// once, not from opening a fresh data dir at once (tested apart).
    fn init(&self) {
        let out = self
            .spawn(&["list", "--json"])
            .wait_with_output()
            .expect("wait for postie");
        assert!(out.status.success(), "postie list: {}", stderr(&out));
    }

    /// Index rows of the account's INBOX: (rows, distinct Message-IDs).
    fn inbox_rows(&self) -> (i64, i64) {
        let db = rusqlite::Connection::open(self.data_dir().join("index.sqlite3")).expect("index");
        db.query_row(
            "SELECT count(*), count(DISTINCT m.message_id) FROM messages m
             JOIN folders f ON f.id = m.folder_id WHERE f.name = 'INBOX'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count rows")
    }

    /// Message files in the local INBOX (new/ and cur/).
    fn inbox_files(&self) -> usize {
        let inbox = self.data_dir().join("acct").join("INBOX");
        ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(inbox.join(sub)).ok())
            .map(|rd| rd.count())
            .sum()
    }

    /// Files the store set aside as damaged.
    fn set_aside(&self) -> Vec<String> {
        std::fs::read_dir(self.data_dir())
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.contains(".corrupt-"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs two `postie sync` processes at once and checks how each ended: at least one succeeds;
/// the other succeeds too (it waited) or exits 75 with one line naming the first one's pid.
/// Returns how many exited 75.
fn two_syncs_at_once(env: &Env) -> usize {
    let children = [env.spawn(&["sync"]), env.spawn(&["sync"])];
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait for postie"))
        .collect();
    let codes: Vec<i32> = outs.iter().map(|o| o.status.code().unwrap_or(-1)).collect();
    assert!(
        codes.contains(&0),
        "one sync must succeed: {codes:?}\n{}\n{}",
        stderr(&outs[0]),
        stderr(&outs[1])
    );
    let mut busy = 0;
    for (i, (out, code)) in outs.iter().zip(&codes).enumerate() {
        match code {
            0 => {}
            75 => {
                busy += 1;
                let other = pids[1 - i];
                let line = format!(
                    "postie: account acct: busy: it is being synced by process {other}; try again \
                     when that sync has finished"
                );
                assert!(
                    stderr(out).lines().any(|l| l == line),
                    "exit 75 without the line {line:?}: {}",
                    stderr(out)
                );
            }
            _ => panic!("postie sync exited {code}: {}", stderr(out)),
        }
    }
    busy
}

fn ids(seeded: &[Seeded]) -> HashSet<String> {
    seeded
        .iter()
        .map(|m| m.message.message_id.clone())
        .collect()
}

#[test]
fn two_pop3_syncs_at_once_in_delete_mode_store_each_message_once() {
    let user = new_user("concurrent-pop3");
    let env = Env::pop3_delete(&user);
    env.init();
    let mut expected = HashSet::new();
    let mut busy = 0;
    for round in 1..=3u64 {
        expected.extend(ids(&seed_with(&user, "INBOX", MESSAGES, 0x5eed + round)));
        busy += two_syncs_at_once(&env);
        let (rows, distinct) = env.inbox_rows();
        eprintln!("round {round}: {rows} index rows, {distinct} distinct Message-IDs");
        assert_eq!(
            rows as usize,
            expected.len(),
            "index rows after round {round}"
        );
        assert_eq!(distinct, rows, "no message stored twice");
        assert_eq!(
            env.inbox_files(),
            expected.len(),
            "files after round {round}"
        );
        assert!(
            user.message_files("INBOX").is_empty(),
            "delete mode emptied the server"
        );
    }
    eprintln!("{busy} of 3 second syncs exited 75");
    assert!(env.set_aside().is_empty(), "{:?}", env.set_aside());
}

#[test]
fn two_imap_syncs_at_once_store_each_message_once() {
    let user = new_user("concurrent-imap");
    let env = Env::imap(&user);
    env.init();
    let mut expected = HashSet::new();
    for round in 1..=2u64 {
        expected.extend(ids(&seed_with(&user, "INBOX", MESSAGES, 0x1a4 + round)));
        two_syncs_at_once(&env);
        let (rows, distinct) = env.inbox_rows();
        eprintln!("round {round}: {rows} index rows, {distinct} distinct Message-IDs");
        assert_eq!(
            rows as usize,
            expected.len(),
            "index rows after round {round}"
        );
        assert_eq!(distinct, rows, "no message stored twice");
    }
    assert!(env.set_aside().is_empty(), "{:?}", env.set_aside());
}

#[test]
fn processes_opening_a_fresh_data_dir_at_once_never_set_the_index_aside() {
    let user = new_user("concurrent-open");
    for round in 0..5 {
        let env = Env::pop3_delete(&user);
        let children: Vec<Child> = (0..6).map(|_| env.spawn(&["list", "--json"])).collect();
        for child in children {
            let out = child.wait_with_output().expect("wait for postie");
            assert!(
                out.status.success(),
                "round {round}: postie list failed ({}): {}",
                out.status,
                stderr(&out)
            );
            assert!(
                !stderr(&out).contains("unreadable"),
                "round {round}: {}",
                stderr(&out)
            );
        }
        assert!(
            env.set_aside().is_empty(),
            "round {round}: the live index was set aside: {:?}",
            env.set_aside()
        );
        assert_eq!(env.inbox_rows(), (0, 0));
        assert!(Path::new(&env.data_dir().join("index.sqlite3")).exists());
    }
}

#[test]
fn a_sync_while_another_process_holds_the_account_exits_75_naming_it() {
    let user = new_user("concurrent-held");
    let seeded = seed_with(&user, "INBOX", 3, 0x4e1d);
    let env = Env::pop3_delete(&user);
    env.init();
    // This test process plays the other postie that is syncing the account.
    let held = postie::store::lock::AccountLock::try_acquire(&env.data_dir(), "acct")
        .expect("lock file")
        .expect("free");
    let started = std::time::Instant::now();
    let out = env
        .spawn(&["sync"])
        .wait_with_output()
        .expect("wait for postie");
    let waited = started.elapsed();
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    let line = format!(
        "postie: account acct: busy: it is being synced by process {}; try again when that \
         sync has finished",
        std::process::id()
    );
    assert_eq!(
        stderr(&out)
            .lines()
            .filter(|l| l.starts_with("postie: "))
            .collect::<Vec<_>>(),
        vec![line.as_str()]
    );
    eprintln!("gave up after {waited:?}");
    assert!(waited < std::time::Duration::from_secs(60), "{waited:?}");
    assert_eq!(env.inbox_files(), 0, "nothing downloaded while locked");
    assert_eq!(user.message_files("INBOX").len(), seeded.len());
    drop(held);
    let out = env
        .spawn(&["sync"])
        .wait_with_output()
        .expect("wait for postie");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.inbox_files(), seeded.len());
    assert_eq!(env.inbox_rows(), (3, 3));
}
