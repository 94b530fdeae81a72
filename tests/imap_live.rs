//! The live command connection (src/engine/imap/live.rs) against the real Dovecot of the
//! harness: bodies on demand over one login, the action queue applied as it fills, a cut
//! connection replaced transparently, an unreachable server leaving the queue intact.
//!
//! Logins are counted with a forwarding proxy in front of Dovecot (every connection through it
//! is one login), so "one login for twenty bodies" is measured, not assumed.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use postie::config::{Account, Config, ImapIncoming, Incoming as CfgIncoming};
use postie::engine::imap::live::{self, LiveConnection, LiveEvent, LiveOptions};
use postie::engine::imap::{ConnectOptions, fetch_body, sync};
use postie::engine::progress::NoProgress;
use postie::engine::sync::{SyncOptions, SyncSummary};
use postie::mail::Flag;
use postie::store::{ListQuery, MessageId, Store};
use support::config::{Incoming, Tls};
use support::cut_proxy::CutProxy;
use support::seed::seed;
use support::{TestUser, new_user, servers};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(20);

/// One IMAP account `a` for `user`, its IMAP port replaced by `port`, in a temp dir.
struct Env {
    dir: tempfile::TempDir,
    config: Config,
}

impl Env {
    fn new(user: &TestUser, port: u16) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let s = servers();
        let account = user
            .account_toml("a", Incoming::Imap, Tls::Implicit)
            .replacen(
                &format!("port = {}\n", s.ports.imaps),
                &format!("port = {port}\n"),
                1,
            );
        let data = dir.path().join("data");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            format!("data_dir = {:?}\n\n{account}", data.display().to_string()),
        )
        .unwrap();
        let config = postie::config::load(Some(&path)).unwrap();
        Env { dir, config }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn store(&self) -> Store {
        let mut store = Store::open(&self.data_dir()).unwrap();
        store.register_accounts(&self.config).unwrap();
        store
    }

    fn account(&self) -> (Account, ImapIncoming) {
        let account = self.config.accounts[0].clone();
        let CfgIncoming::Imap(imap) = account.incoming.clone() else {
            panic!("not an IMAP account")
        };
        (account, imap)
    }

    async fn sync(&self) -> SyncSummary {
        let (account, imap) = self.account();
        let mut store = self.store();
        let mut summary = SyncSummary::new(&account);
        sync(
            &mut store,
            &account,
            &imap,
            &SyncOptions::default(),
            &NoProgress,
            &mut summary,
        )
        .await
        .unwrap_or_else(|e| panic!("sync: {}", postie::error::chain_line(&e)));
        summary
    }

    fn live(&self, options: LiveOptions) -> (LiveConnection, mpsc::UnboundedReceiver<LiveEvent>) {
        let (account, imap) = self.account();
        let (tx, rx) = mpsc::unbounded_channel();
        (live::spawn(account, imap, self.store(), tx, options), rx)
    }

    /// Message-ID -> (id, uid) of a folder's stored messages.
    fn rows(&self, folder: &str) -> HashMap<String, (MessageId, u32)> {
        self.store()
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
                    (m.id, m.uid.unwrap()),
                )
            })
            .collect()
    }
}

async fn next_event(rx: &mut mpsc::UnboundedReceiver<LiveEvent>) -> LiveEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("no live event in 20 s")
        .unwrap()
}

/// The flags of `uid` in `folder`, from a second, raw session.
async fn server_flags(user: &TestUser, folder: &str, uid: u32) -> String {
    let mut c = servers().imaps_session(user).await;
    let (_, status) = c.imap("S", &format!("SELECT \"{folder}\"")).await;
    assert!(status.starts_with("OK"), "{status}");
    let (lines, status) = c.imap("F", &format!("UID FETCH {uid} (FLAGS)")).await;
    assert!(status.starts_with("OK"), "{status}");
    lines.join("\n")
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_opened_on_demand_share_one_login() {
    const OPENS: usize = 50;
    let user = new_user("live-bodies");
    let seeded = seed(&user, "INBOX", 2 * OPENS);
    let want: HashMap<String, Vec<u8>> = seeded
        .iter()
        .map(|s| (s.message.message_id.clone(), s.crlf()))
        .collect();
    let s = servers();
    let proxy = CutProxy::start(format!("{}:{}", s.host, s.ports.imaps)).await;
    let env = Env::new(&user, proxy.port);
    env.sync().await;
    let mut rows: Vec<(String, (MessageId, u32))> = env.rows("INBOX").into_iter().collect();
    rows.sort();
    assert_eq!(rows.len(), 2 * OPENS);
    let (live_rows, old_rows) = rows.split_at(OPENS);

    let (conn, _events) = env.live(LiveOptions::default());
    let handle = conn.handle();
    let before = proxy.connections();
    let mut live_times = Vec::new();
    for (_, (id, _)) in live_rows {
        let started = Instant::now();
        handle
            .fetch_body(*id)
            .await
            .unwrap_or_else(|e| panic!("fetch: {}", postie::error::chain_line(&e)));
        live_times.push(started.elapsed());
    }
    assert_eq!(
        proxy.connections() - before,
        1,
        "{OPENS} bodies opened over the live connection must cost exactly one login"
    );
    let store = env.store();
    for (mid, (id, _)) in live_rows {
        assert_eq!(store.read_raw(*id).unwrap(), want[mid], "body of {mid}");
    }
    conn.stop().await;

    // The previous behaviour, for the figures: a login per body.
    let (account, imap) = env.account();
    let mut store = env.store();
    let before = proxy.connections();
    let mut old_times = Vec::new();
    for (_, (id, _)) in old_rows {
        let started = Instant::now();
        fetch_body(&mut store, &account, &imap, *id, &ConnectOptions::default())
            .await
            .unwrap();
        old_times.push(started.elapsed());
    }
    assert_eq!(proxy.connections() - before, OPENS);
    live_times.sort();
    old_times.sort();
    eprintln!(
        "FIGURE opening an envelope-only message on loopback (IMAPS), {OPENS} opens: live \
         connection p50 {:?} p95 {:?} (slowest, the one that logs in: {:?}); a login per \
         body p50 {:?} p95 {:?}",
        percentile(&live_times, 50),
        percentile(&live_times, 95),
        live_times.last().unwrap(),
        percentile(&old_times, 50),
        percentile(&old_times, 95),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_reach_the_server_at_once_and_after_a_cut_connection() {
    let user = new_user("live-cut");
    seed(&user, "INBOX", 3);
    let s = servers();
    let proxy = CutProxy::start(format!("{}:{}", s.host, s.ports.imaps)).await;
    let env = Env::new(&user, proxy.port);
    env.sync().await;
    let mut rows: Vec<(String, (MessageId, u32))> = env.rows("INBOX").into_iter().collect();
    rows.sort();
    let (_, (first, first_uid)) = rows[0].clone();
    let (_, (second, second_uid)) = rows[1].clone();
    let (second_mid, _) = rows[1].clone();

    let (conn, mut events) = env.live(LiveOptions::default());
    let handle = conn.handle();
    let mut store = env.store();

    // Flag one (seeded flags are random: start from unflagged): on the server as soon as the
    // replay reports.
    store.set_flag(&[first], Flag::Flagged, false).unwrap();
    store.set_flag(&[second], Flag::Seen, false).unwrap();
    assert_eq!(handle.flush().await, Some(0));
    while events.try_recv().is_ok() {}
    let started = Instant::now();
    store.set_flag(&[first], Flag::Flagged, true).unwrap();
    handle.replay();
    let LiveEvent::Replayed { result, queued, .. } = next_event(&mut events).await;
    let took = started.elapsed();
    let summary = result.unwrap();
    assert_eq!((summary.actions_replayed, queued), (1, 0));
    assert!(
        server_flags(&user, "INBOX", first_uid)
            .await
            .contains("\\Flagged"),
        "the flag is not on the server"
    );
    eprintln!("FIGURE a flag change from the store to the server's OK: {took:?}");

    // Cut the connection under it; the next action still goes, over a new login.
    let before = proxy.connections();
    proxy.cut_all();
    store.set_flag(&[second], Flag::Seen, true).unwrap();
    store.move_messages(&[second], "Archive").unwrap();
    handle.replay();
    let LiveEvent::Replayed { result, queued, .. } = next_event(&mut events).await;
    let summary = result.unwrap_or_else(|e| panic!("replay after the cut: {e}"));
    assert_eq!((summary.actions_replayed, queued), (2, 0), "{summary:?}");
    assert_eq!(proxy.connections() - before, 1, "one reconnect");
    assert!(store.pending_actions("a").unwrap().is_empty());
    // In Archive on the server, seen; gone from INBOX.
    let mut c = servers().imaps_session(&user).await;
    let (_, status) = c.imap("S", "SELECT Archive").await;
    assert!(status.starts_with("OK"), "{status}");
    let (lines, _) = c
        .imap(
            "F",
            "FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
        )
        .await;
    let text = lines.join("\n");
    assert!(text.contains(&second_mid), "not in Archive: {text}");
    assert!(text.contains("\\Seen"), "not seen: {text}");
    let inbox = server_flags(&user, "INBOX", second_uid).await;
    assert!(!inbox.contains("FETCH"), "still in INBOX: {inbox}");
    conn.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_keeps_the_action_queued_and_says_when_it_retries() {
    let user = new_user("live-down");
    seed(&user, "INBOX", 1);
    let s = servers();
    let proxy = CutProxy::start(format!("{}:{}", s.host, s.ports.imaps)).await;
    let env = Env::new(&user, proxy.port);
    env.sync().await;
    let (_, (id, _)) = env.rows("INBOX").into_iter().next().unwrap();

    // The same account on a port where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let mut config = env.config.clone();
    let CfgIncoming::Imap(imap) = &mut config.accounts[0].incoming else {
        panic!("not IMAP")
    };
    imap.server.port = dead_port;
    let imap = imap.clone();
    let account = config.accounts[0].clone();
    let (tx, mut events) = mpsc::unbounded_channel();
    let options = LiveOptions {
        backoff: Duration::from_secs(60),
        ..LiveOptions::default()
    };
    let conn = live::spawn(account, imap, env.store(), tx, options);
    let mut store = env.store();
    store.set_flag(&[id], Flag::Flagged, true).unwrap();
    conn.handle().replay();
    let LiveEvent::Replayed {
        result,
        queued,
        retry_in,
        ..
    } = next_event(&mut events).await;
    let why = result.unwrap_err();
    assert!(why.contains("account a"), "{why}");
    assert_eq!(queued, 1);
    assert!(
        retry_in.is_some_and(|d| d > Duration::from_secs(30)),
        "{retry_in:?}"
    );
    assert_eq!(store.pending_actions("a").unwrap().len(), 1, "still queued");
    // A flush at quit answers at once with what remains.
    assert_eq!(conn.handle().flush().await, Some(1));
    conn.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sent_copy_goes_over_the_live_connection_once() {
    let user = new_user("live-sent");
    seed(&user, "INBOX", 1);
    let s = servers();
    let proxy = CutProxy::start(format!("{}:{}", s.host, s.ports.imaps)).await;
    let env = Env::new(&user, proxy.port);
    env.sync().await;
    let (_, (id, _)) = env.rows("INBOX").into_iter().next().unwrap();
    let (conn, _events) = env.live(LiveOptions::default());
    let handle = conn.handle();
    handle.fetch_body(id).await.unwrap();
    let before = proxy.connections();
    let copy = b"From: me@example.test\nTo: you@example.test\nSubject: live sent copy\n\nHello.\n";
    let folder = handle.append_sent(copy.to_vec()).await.unwrap();
    assert_eq!(folder, "Sent");
    assert_eq!(
        proxy.connections(),
        before,
        "no new login for the Sent copy"
    );
    // After a cut, the next copy still goes (the dead session is found before the APPEND).
    proxy.cut_all();
    let second = b"From: me@example.test\nTo: you@example.test\nSubject: after the cut\n\nHi.\n";
    handle.append_sent(second.to_vec()).await.unwrap();
    assert_eq!(proxy.connections(), before + 1, "one reconnect");
    let files = user.wait_for_messages("Sent", 2, WAIT).await;
    let texts: Vec<String> = files
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect();
    for subject in ["Subject: live sent copy", "Subject: after the cut"] {
        assert_eq!(
            texts.iter().filter(|t| t.contains(subject)).count(),
            1,
            "{subject} once in Sent"
        );
    }
    conn.stop().await;
}
