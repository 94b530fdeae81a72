//! Every account checked, and stale rows dropped (issue #13): the real binary in tmux against
//! the harness's Dovecot. A POP3 account with a `check_interval` of a few seconds shows mail
//! delivered while postie runs with no key pressed, and its `notify_command` gets the news in
//! its environment (a hostile subject stays data). An IMAP folder the server renumbered
//! (UIDVALIDITY changed) is shown afresh as soon as one of its stale rows is opened.

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::os::unix::fs::chown;
use std::path::Path;
use std::time::{Duration, Instant};

use support::config::{Incoming, Tls};
use support::{TestUser, servers};
use tui::{Tui, WAIT};

/// Delivers a message straight into the server's INBOX (`new/`), as a local delivery would.
fn put(me: &TestUser, subject: &str, day: u32) {
    put_in(me, "INBOX", subject, day);
}

/// Delivers a message into a server folder (made by `support::seed` when missing).
fn put_in(me: &TestUser, folder: &str, subject: &str, day: u32) {
    let dir = me.folder_dir(folder);
    if !dir.join("new").exists() {
        support::seed::seed_with(me, folder, 0, 1);
    }
    let s = servers();
    let body = format!(
        "From: Them <them@{d}>\nTo: {me}\nSubject: {subject}\n\
         Date: Mon, {day} Mar 2031 10:00:00 +0000\nMessage-ID: <{day}.check@{d}>\n\n\
         Text of message {day}.\n",
        me = me.email,
        d = s.domain
    );
    let lines = body.matches('\n').count();
    let name = format!(
        "19000000{day:02}.M1P{}Q{day}.check,S={},W={}",
        std::process::id(),
        body.len(),
        body.len() + lines
    );
    let tmp = dir.join("tmp").join(&name);
    std::fs::write(&tmp, &body).expect("write message");
    chown(&tmp, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp, dir.join("new").join(&name)).expect("rename");
}

/// A POP3 account checked every `interval`, whose notify command writes its environment to
/// `news`.
fn config_for(me: &TestUser, dir: &Path, interval: &str, news: &Path) -> std::path::PathBuf {
    let account = me
        .account_toml("check", Incoming::Pop3, Tls::Implicit)
        .replacen(
            "protocol = \"pop3\"",
            &format!("protocol = \"pop3\"\ncheck_interval = \"{interval}\""),
            1,
        )
        .replacen(
            "\n\n[accounts.check.incoming]",
            &format!(
                "\nnotify_command = '''printf '%s|%s|%s' \"$POSTIE_ACCOUNT\" \"$POSTIE_COUNT\" \
                 \"$POSTIE_SUBJECT\" > {n}.tmp && mv {n}.tmp {n}'''\n\n[accounts.check.incoming]",
                n = news.display()
            ),
            1,
        );
    assert!(account.contains("check_interval") && account.contains("notify_command"));
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{account}",
            dir.join("data").display().to_string()
        ),
    )
    .expect("write config");
    config
}

#[test]
fn new_mail_to_a_pop3_account_appears_within_its_check_interval_without_a_key() {
    let me = support::new_user("tuicheck");
    put(&me, "Here before start", 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let news = tmp.path().join("news");
    let pwned = tmp.path().join("pwned");
    let config = config_for(&me, tmp.path(), "2s", &news);
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Here before start");
    // What came with the start-up sync is not news.
    assert!(!news.exists(), "notified of the start-up sync");
    let subject = format!("Arrived later $(touch {})", pwned.display());
    let delivered = Instant::now();
    put(&me, &subject, 2);
    tui.wait_for("Arrived later");
    let shown = delivered.elapsed();
    eprintln!("FIGURE POP3 mail delivered to shown in the TUI (check_interval 2s): {shown:?}");
    // The notify command runs in the background: give it a moment.
    let started = Instant::now();
    while !news.exists() && started.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
    }
    let told = std::fs::read_to_string(&news).expect("the notify command ran");
    assert_eq!(told, format!("check|1|{subject}"));
    assert!(!pwned.exists(), "the subject ran as shell code");
    // No key was pressed, and no sync line is left behind.
    assert!(!tui.screen().contains("Syncing…"));
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}

#[test]
fn opening_a_stale_row_of_a_renumbered_folder_shows_the_folder_afresh() {
    let me = support::new_user("tuirenumber");
    for day in 1..=3 {
        put_in(&me, "Box", &format!("Stale {day}"), day);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("config.toml");
    // No clock: only opening a stale row may notice the change.
    let account = me
        .account_toml("imap", Incoming::Imap, Tls::Implicit)
        .replacen(
            "protocol = \"imap\"",
            "protocol = \"imap\"\ncheck_interval = \"off\"",
            1,
        );
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{account}",
            tmp.path().join("data").display().to_string()
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("INBOX");
    tui.keys(&[":"]);
    tui.type_text("folder Box");
    tui.keys(&["Enter"]);
    tui.wait_for("Stale 3");
    // The folder is made anew on the server: Dovecot gives it a new UIDVALIDITY.
    std::fs::remove_dir_all(me.folder_dir("Box")).expect("remove Box");
    for day in 4..=5 {
        put_in(&me, "Box", &format!("Fresh {day}"), day);
    }
    tui.keys(&["Enter"]);
    let screen = tui.wait_until("the renumbered folder shown afresh", |s| {
        s.contains("Fresh 5") && s.contains("Fresh 4") && !s.contains("Stale")
    });
    assert!(!screen.contains("Syncing"), "{screen}");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}
