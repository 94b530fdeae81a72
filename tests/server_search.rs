//! `postie search` on an IMAP account synced envelope-only, against the real Dovecot: the
//! query also runs on the server (UID SEARCH), so a word only in the bodies finds every
//! message, not only the downloaded ones; offline, a note says how many bodies were not
//! searched.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use support::config::{Incoming, Tls};
use support::seed::{Message, seed_messages};
use support::{TestUser, new_user};

const WORD: &str = "smörgåsbord";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(user: &TestUser) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let account = user.account_toml("a", Incoming::Imap, Tls::Implicit);
        let data = dir.path().join("data");
        let text = format!("data_dir = {:?}\n\n{account}", data.display().to_string());
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
        Env { dir }
    }

    fn postie(&self, args: &[&str]) -> Output {
        let home = self.dir.path();
        Command::cargo_bin("postie")
            .unwrap()
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("POSTIE_DATA_DIR", home.join("data"))
            .env("TZ", "UTC")
            .arg("--config")
            .arg(self.config())
            .args(args)
            .timeout(Duration::from_secs(300))
            .output()
            .unwrap()
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.postie(args);
        assert!(
            out.status.success(),
            "postie {args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn json(&self, args: &[&str]) -> Vec<Value> {
        serde_json::from_slice::<Value>(&self.ok(args).stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

/// A plain UTF-8 message; `body` is the only place its words appear.
fn message(user: &TestUser, n: usize, subject: &str, body: &str) -> Message {
    message_at(user, n, 1_700_000_000 + n as i64 * 60, subject, body)
}

/// [`message`] dated `date` (Unix time, written as +0000).
fn message_at(user: &TestUser, n: usize, date: i64, subject: &str, body: &str) -> Message {
    let message_id = format!("search-{n}@postie.test");
    let header_date = chrono::DateTime::from_timestamp(date, 0)
        .unwrap()
        .to_rfc2822();
    let bytes = format!(
        "From: Sender {n} <sender{n}@postie.test>\nTo: {to}\nSubject: {subject}\n\
         Date: {header_date}\nMessage-ID: <{message_id}>\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\
         {body}\n",
        to = user.email
    )
    .into_bytes();
    Message {
        bytes,
        message_id,
        subject: subject.to_owned(),
        date,
        flags: "S".into(),
        recent: false,
    }
}

#[test]
fn search_finds_body_words_of_envelope_only_messages_on_the_server() {
    let user = new_user("srvsearch");
    let mut messages: Vec<Message> = (0..200)
        .map(|n| {
            let body = format!("Lunch plan {n}: a {WORD} on Friday, bring plates.");
            message(&user, n, &format!("lunch {n}"), &body)
        })
        .collect();
    messages.extend((200..220).map(|n| message(&user, n, &format!("other {n}"), "Nothing here.")));
    seed_messages(&user, "INBOX", messages);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let listed = env.json(&["list", "--json", "--account", "a"]);
    assert_eq!(listed.len(), 220);
    assert!(listed.iter().all(|m| m["has_body"] == false));
    let hit_ids: HashSet<i64> = listed
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().starts_with("lunch "))
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(hit_ids.len(), 200);
    // One body downloaded: the local index finds that one by itself.
    let local = *hit_ids.iter().min().unwrap();
    env.ok(&["read", &local.to_string()]);

    // Online: every message with the word, each once; the server-only ones marked.
    let found = env.json(&["search", "--json", WORD]);
    let found_ids: Vec<i64> = found.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(found_ids.len(), 200, "{found_ids:?}");
    assert_eq!(found_ids.iter().copied().collect::<HashSet<_>>(), hit_ids);
    assert_eq!(found_ids[0], local, "the local hit ranks first");
    let text = String::from_utf8(env.ok(&["search", WORD]).stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 200, "{text}");
    let marked = lines.iter().filter(|l| l.ends_with("[on server]")).count();
    assert_eq!(marked, 199, "{text}");
    assert!(!lines[0].ends_with("[on server]"), "{}", lines[0]);
    // A field and an exclusion go to the server too.
    let field = format!("body:{WORD}");
    let narrowed = env.json(&["search", "--json", "--", &field, "-subject:\"lunch 199\""]);
    assert_eq!(narrowed.len(), 199);

    // Offline: the local hit only, and a note on stderr; exit 0.
    let out = env.ok(&["--offline", "search", WORD]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "1 result; 219 messages' bodies are not downloaded — search may miss them (run \
             without --offline to search the server too)"
        ),
        "{err}"
    );
}

/// The query syntax's filters go to the server with the body words (issue 14, item 7): the
/// envelope-only messages are found by a body word only the server sees, narrowed by state
/// (UNSEEN/SEEN) and by date (SENTSINCE/SENTBEFORE) as the local search would.
#[test]
fn states_and_dates_narrow_a_server_search() {
    let user = new_user("srvsearch-filters");
    // 2026-01-01 12:00 UTC, one message a day; even days unread; a word in 10 of 12 bodies.
    let messages: Vec<Message> = (0..12)
        .map(|n| {
            let body = if n < 10 {
                format!("the {WORD} plan {n}")
            } else {
                "Nothing here.".to_owned()
            };
            let mut m = message_at(
                &user,
                n,
                1_767_268_800 + n as i64 * 86_400,
                &format!("day {n}"),
                &body,
            );
            m.flags = if n % 2 == 0 {
                String::new()
            } else {
                "S".into()
            };
            m
        })
        .collect();
    seed_messages(&user, "INBOX", messages);
    let env = Env::new(&user);
    env.ok(&["sync"]);
    let subjects = |query: &[&str]| {
        let mut args = vec!["search", "--json"];
        args.extend_from_slice(query);
        let found = env.json(&args);
        assert!(
            found.iter().all(|m| m["has_body"] == false),
            "from the server"
        );
        let mut s: Vec<String> = found
            .iter()
            .map(|m| m["subject"].as_str().unwrap().to_owned())
            .collect();
        s.sort();
        s
    };
    let field = format!("body:{WORD}");
    assert_eq!(
        subjects(&[&field, "is:unread"]),
        ["day 0", "day 2", "day 4", "day 6", "day 8"]
    );
    // Jan 5 (day 4) inclusive to Jan 9 (day 8) exclusive, read only.
    assert_eq!(
        subjects(&[WORD, "-is:unread", "after:2026-01-05", "before:2026-01-09"]),
        ["day 5", "day 7"]
    );
    // has:attachment has no IMAP key and envelope-only messages match it neither way.
    assert!(subjects(&[WORD, "has:attachment"]).is_empty());
}

/// The TUI's path: the search goes over the account's live connection (one login for several
/// searches), and a connection cut between two searches is replaced without the caller seeing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_connection_searches_and_survives_a_cut() {
    use postie::config::Incoming as CfgIncoming;
    use postie::engine::imap::live::{self, LiveOptions};
    use postie::engine::progress::NoProgress;
    use postie::engine::sync::{SyncOptions, SyncSummary};
    use postie::store::{ListQuery, Store};
    use support::cut_proxy::CutProxy;

    let user = new_user("srvsearch-live");
    let mut messages: Vec<Message> = (0..12)
        .map(|n| {
            message(
                &user,
                n,
                &format!("lunch {n}"),
                &format!("a {WORD} for {n}"),
            )
        })
        .collect();
    messages.extend((12..17).map(|n| message(&user, n, &format!("other {n}"), "Nothing.")));
    seed_messages(&user, "INBOX", messages);
    let s = support::servers();
    let proxy = CutProxy::start(format!("{}:{}", s.host, s.ports.imaps)).await;
    let env = Env::new(&user);
    let text = std::fs::read_to_string(env.config()).unwrap().replacen(
        &format!("port = {}\n", s.ports.imaps),
        &format!("port = {}\n", proxy.port),
        1,
    );
    std::fs::write(env.config(), text).unwrap();
    let config = postie::config::load(Some(&env.config())).unwrap();
    let account = config.accounts[0].clone();
    let CfgIncoming::Imap(imap) = account.incoming.clone() else {
        panic!("not IMAP")
    };
    let store = || {
        let mut store = Store::open(&env.dir.path().join("data")).unwrap();
        store.register_accounts(&config).unwrap();
        store
    };
    let mut summary = SyncSummary::new(&account);
    postie::engine::imap::sync(
        &mut store(),
        &account,
        &imap,
        &SyncOptions::default(),
        &NoProgress,
        &mut summary,
    )
    .await
    .unwrap();
    let want: HashSet<_> = store()
        .list(&ListQuery::default())
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.starts_with("lunch "))
        .map(|m| m.id)
        .collect();
    assert_eq!(want.len(), 12);

    let (tx, _events) = tokio::sync::mpsc::unbounded_channel();
    let conn = live::spawn(account, imap, store(), tx, LiveOptions::default());
    let handle = conn.handle();
    let before = proxy.connections();
    for query in [WORD.to_owned(), format!("body:{WORD}")] {
        let found = handle.search(query, None).await.unwrap();
        assert_eq!(found.into_iter().collect::<HashSet<_>>(), want);
    }
    let only = handle
        .search(format!("{WORD} subject:\"lunch 11\""), Some("INBOX".into()))
        .await
        .unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(proxy.connections() - before, 1, "three searches, one login");

    proxy.cut_all();
    let found = handle.search(WORD.to_owned(), None).await.unwrap();
    assert_eq!(found.into_iter().collect::<HashSet<_>>(), want);
    conn.stop().await;
}
