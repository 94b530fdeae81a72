//! Bulk actions on the live connection (issue #14, tagging): a flag change, move or delete of
//! 200 messages at once (what `d`/`m`/`s` on 200 tagged messages does in the store) reaches
//! the real Dovecot as one `UID STORE` / `UID MOVE` over the UID set, after one SELECT, not
//! one command (and SELECT) per message. Counted from the session's own command trace.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Instant;

use postie::config::{Config, ImapIncoming, Incoming as CfgIncoming};
use postie::engine::imap::live::{self, LiveOptions};
use postie::engine::imap::sync;
use postie::engine::progress::NoProgress;
use postie::engine::sync::{SyncOptions, SyncSummary};
use postie::mail::Flag;
use postie::proto::imap::Trace;
use postie::store::{ListQuery, MessageId, Store};
use support::config::{Incoming, Tls};
use support::seed::seed;
use support::{TestUser, new_user};

const N: usize = 200;

struct Env {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    config: Config,
}

impl Env {
    fn new(user: &TestUser) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            format!(
                "data_dir = {:?}\n\n{}",
                data.display().to_string(),
                user.account_toml("a", Incoming::Imap, Tls::Implicit)
            ),
        )
        .unwrap();
        let config = postie::config::load(Some(&path)).unwrap();
        Env {
            _dir: dir,
            data,
            config,
        }
    }

    fn store(&self) -> Store {
        let mut store = Store::open(&self.data).unwrap();
        store.register_accounts(&self.config).unwrap();
        store
    }

    fn imap(&self) -> ImapIncoming {
        let CfgIncoming::Imap(imap) = self.config.accounts[0].incoming.clone() else {
            panic!("not an IMAP account")
        };
        imap
    }

    async fn sync(&self) {
        let account = &self.config.accounts[0];
        let mut summary = SyncSummary::new(account);
        sync(
            &mut self.store(),
            account,
            &self.imap(),
            &SyncOptions::default(),
            &NoProgress,
            &mut summary,
        )
        .await
        .unwrap_or_else(|e| panic!("sync: {}", postie::error::chain_line(&e)));
    }

    fn ids(&self, folder: &str) -> Vec<MessageId> {
        self.store()
            .list(&ListQuery {
                account: Some("a".into()),
                folder: Some(folder.into()),
                ..ListQuery::default()
            })
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect()
    }
}

/// The commands of `trace` starting with `verb` (after the tag-less command text).
fn count(trace: &Trace, verb: &str) -> usize {
    trace
        .commands()
        .iter()
        .filter(|c| c.to_ascii_uppercase().starts_with(verb))
        .count()
}

/// How many messages a server folder holds, from a second, raw session.
async fn on_server(user: &TestUser, folder: &str) -> usize {
    let mut c = support::servers().imaps_session(user).await;
    let (lines, status) = c
        .imap("S", &format!("STATUS \"{folder}\" (MESSAGES)"))
        .await;
    assert!(status.starts_with("OK"), "{status}");
    let line = lines.join(" ");
    let n = line
        .split("MESSAGES ")
        .nth(1)
        .and_then(|r| r.trim_end_matches(')').split(')').next())
        .and_then(|n| n.trim().parse().ok());
    n.unwrap_or_else(|| panic!("no count in {line}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_tagged_messages_go_as_one_command_each_action() {
    let user = new_user("bulk");
    seed(&user, "INBOX", N);
    let env = Env::new(&user);
    env.sync().await;
    let ids = env.ids("INBOX");
    assert_eq!(ids.len(), N);

    let trace = Trace::new();
    let mut options = LiveOptions::default();
    options.connect.trace = Some(trace.clone());
    let (tx, _events) = tokio::sync::mpsc::unbounded_channel();
    let conn = live::spawn(
        env.config.accounts[0].clone(),
        env.imap(),
        env.store(),
        tx,
        options,
    );
    let handle = conn.handle();
    let mut store = env.store();
    // Start from a connection that is up, every message unflagged on both sides.
    store.set_flag(&ids, Flag::Flagged, false).unwrap();
    assert_eq!(handle.flush().await, Some(0));

    // Flag all 200.
    trace.clear();
    let started = Instant::now();
    store.set_flag(&ids, Flag::Flagged, true).unwrap();
    let queued = started.elapsed();
    assert_eq!(handle.flush().await, Some(0), "nothing left queued");
    let flagged = started.elapsed() - queued;
    assert_eq!(count(&trace, "UID STORE"), 1, "{:?}", trace.commands());
    assert!(count(&trace, "SELECT") <= 1, "{:?}", trace.commands());

    // Move 100, delete the other 100 (to Trash): one UID MOVE each.
    let (to_archive, to_trash) = ids.split_at(N / 2);
    trace.clear();
    let started = Instant::now();
    store.move_messages(to_archive, "Archive").unwrap();
    store.delete_messages(to_trash).unwrap();
    let moves_queued = started.elapsed();
    assert_eq!(handle.flush().await, Some(0), "nothing left queued");
    let moved = started.elapsed() - moves_queued;
    assert_eq!(count(&trace, "UID MOVE"), 2, "{:?}", trace.commands());
    assert!(count(&trace, "SELECT") <= 1, "{:?}", trace.commands());
    assert_eq!(count(&trace, "UID STORE"), 0, "{:?}", trace.commands());

    // The server agrees.
    assert_eq!(on_server(&user, "INBOX").await, 0);
    assert_eq!(on_server(&user, "Archive").await, N / 2);
    assert_eq!(on_server(&user, "Trash").await, N / 2);
    conn.stop().await;
    eprintln!(
        "FIGURE {N} tagged messages on loopback IMAPS: flag all: in the store {queued:?}, then \
         to the server {flagged:?} (1 UID STORE); move 100 + delete 100: in the store \
         {moves_queued:?}, then to the server {moved:?} (2 UID MOVE, {} SELECT)",
        count(&trace, "SELECT")
    );
}
