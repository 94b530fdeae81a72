//! The online TUI is live (issue #13), end to end: the real binary in tmux against the
//! harness's Dovecot. What the user does reaches the server while postie still runs (read back
//! from the user's Maildir on the server side), and opening envelope-only messages goes over one
//! command connection (read back from Dovecot's per-session statistics in its log).

mod support;
#[path = "support/tui.rs"]
mod tui;
#[path = "support/tui_server.rs"]
mod tui_server;

use std::time::{Duration, Instant};

use support::cut_proxy::CutProxy;
use support::servers;
use tui::{Tui, WAIT};
use tui_server::{config_for, contains, maildir_flags, on_server, put, server_files};

#[test]
fn delete_move_flag_and_read_in_the_tui_reach_the_server_before_quitting() {
    let me = support::new_user("tuilive");
    put(&me, "Charlie live", 1);
    put(&me, "Bravo live", 2);
    put(&me, "Alpha live", 3);
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    for s in ["Alpha live", "Bravo live", "Charlie live"] {
        tui.wait_for(s);
    }
    // Newest first: the cursor is on Alpha.
    let key = Instant::now();
    tui.keys(&["d"]);
    let deleted = on_server(key, "Alpha in Trash", || {
        server_files(&me, "Trash")
            .iter()
            .any(|p| contains(p, "Subject: Alpha live"))
    });
    tui.wait_until("Alpha to leave the list", |s| !s.contains("Alpha live"));
    tui.keys(&["m"]);
    tui.type_text("Archive");
    let key = Instant::now();
    tui.keys(&["Enter"]);
    let moved = on_server(key, "a message in Archive", || {
        server_files(&me, "Archive").len() == 1
    });
    let archived = server_files(&me, "Archive")[0].clone();
    let left = if contains(&archived, "Subject: Bravo live") {
        "Charlie live"
    } else {
        "Bravo live"
    };
    tui.wait_until("one message left in the list", |s| {
        s.contains(left) && !s.contains("Alpha live")
    });
    let key = Instant::now();
    tui.keys(&["s"]);
    let flagged = on_server(key, "the last one flagged in INBOX", || {
        let files = server_files(&me, "INBOX");
        files.len() == 1 && maildir_flags(&files[0]).contains('F')
    });
    assert!(
        !maildir_flags(&server_files(&me, "INBOX")[0]).contains('S'),
        "not read yet"
    );
    // Reading it marks it \Seen on the server too.
    let key = Instant::now();
    tui.keys(&["Enter"]);
    tui.wait_for(&format!("Text of {left}."));
    let seen = on_server(key, "the message read is \\Seen", || {
        let files = server_files(&me, "INBOX");
        files.len() == 1 && maildir_flags(&files[0]).contains('S')
    });
    eprintln!(
        "FIGURE TUI action to the server's Maildir: delete {deleted:?}, move {moved:?}, flag \
         {flagged:?}, read {seen:?}"
    );
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    // Nothing was left queued, so nothing is said.
    tui.assert_restored();
}

/// Sessions of `login` in Dovecot's log that fetched bodies, with their `body_count`.
fn body_fetching_sessions(login: &str) -> Vec<u64> {
    let log = std::fs::read_to_string(&servers().dovecot_log).unwrap_or_default();
    log.lines()
        .filter(|l| l.contains(&format!("imap({login})")) && l.contains("body_count="))
        .filter_map(|l| {
            l.split("body_count=")
                .nth(1)?
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .filter(|n| *n > 0)
        .collect()
}

#[test]
fn opening_twenty_envelope_only_messages_in_the_tui_uses_one_login() {
    const OPENS: usize = 20;
    let me = support::new_user("tuilogins");
    for day in 1..=OPENS as u32 {
        put(&me, &format!("Opened {day:02}"), day);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for(&format!("Opened {OPENS:02}"));
    tui.wait_for("Opened 01");
    for n in 0..OPENS {
        let subject = format!("Opened {:02}", OPENS - n);
        tui.keys(&["Enter"]);
        let screen = tui.wait_for(&format!("Text of {subject}."));
        assert!(!screen.contains("body not downloaded yet"), "{screen}");
        tui.keys(&["q"]);
        tui.wait_until("the message view to close", |s| {
            !s.contains(&format!("Text of {subject}."))
        });
        tui.keys(&["j"]);
    }
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
    // Dovecot logs a session's statistics when it ends; the command connection logged out at
    // quit.
    let deadline = Instant::now() + WAIT;
    let sessions = loop {
        let sessions = body_fetching_sessions(&me.login);
        if !sessions.is_empty() || Instant::now() > deadline {
            break sessions;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        sessions,
        vec![OPENS as u64],
        "the {OPENS} bodies must come over one session (one login)"
    );
}

#[test]
fn quitting_with_the_server_gone_says_what_stays_queued() {
    let me = support::new_user("tuiqueued");
    put(&me, "Kept for later", 1);
    let s = servers();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let proxy = rt.block_on(CutProxy::start(format!("{}:{}", s.host, s.ports.imaps)));
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let text = std::fs::read_to_string(&config).expect("read config");
    std::fs::write(
        &config,
        text.replacen(
            &format!("port = {}\n", s.ports.imaps),
            &format!("port = {}\n", proxy.port),
            1,
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Kept for later");
    proxy.close();
    tui.keys(&["s"]);
    // The failure shows in the status line; the action stays queued.
    tui.wait_for("kept queued");
    let started = Instant::now();
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    let quit = started.elapsed();
    assert_eq!(
        tui.stderr(),
        "postie: 1 action queued for live; they go at the next start or `postie sync`\n"
    );
    eprintln!("FIGURE quitting with the server gone and an action queued: {quit:?}");
    assert!(
        server_files(&me, "INBOX")
            .iter()
            .all(|p| !maildir_flags(p).contains('F')),
        "the server never saw it"
    );
}
