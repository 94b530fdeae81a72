//! End-to-end tests of the terminal UI: the real binary in a tmux pane, driven with
//! `send-keys` and read with `capture-pane`.
//!
//! What they check is what a user sees: the demo opens, a message reads, `/` filters, a reply
//! is composed and "sent", quitting gives the terminal back exactly as it was (same `stty`
//! settings, alternate screen left, nothing written to the terminal by logging). Against the
//! harness servers, a reply typed in the UI arrives in the recipient's Dovecot Maildir.
//!
//! tmux is required: if it is missing these tests fail saying so, they never skip.

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::process::Command;
use std::time::Instant;

use tui::{Tui, WAIT, walk};

#[test]
fn demo_read_search_reply_and_quit_restores_the_terminal() {
    let tui = Tui::start(&["demo"], &[]);
    let s = tui.wait_for("INBOX ·");
    assert!(s.contains("Lists/Rust"), "the folder pane: {s}");
    assert!(tui.alternate_screen());

    // Move around and read a message.
    tui.keys(&["j", "j", "k", "Enter"]);
    let s = tui.wait_for("Subject:");
    assert!(s.contains("From:") && s.contains("Date:"), "{s}");
    tui.keys(&["q"]);
    tui.wait_until("the message view to close", |s| !s.contains("Subject:"));

    // Other folders: Tab to the folder pane, down to Archive... and back to INBOX.
    tui.keys(&["Tab", "G", "Enter"]);
    tui.wait_until("another folder", |s| !s.contains("INBOX ·"));
    tui.keys(&["Tab", "g", "Enter"]);
    tui.wait_for("INBOX ·");

    // `/` filters the folder live from the index.
    tui.keys(&["/"]);
    tui.type_text("offsite");
    let s = tui.wait_until("the filtered list", |s| {
        s.contains("Planning the summer offsite") && !s.contains("Invoice 2025")
    });
    assert!(!s.contains("Lunch on Friday"), "{s}");
    tui.keys(&["Enter"]);

    // Open the first match, reply, type, send.
    tui.keys(&["Enter"]);
    tui.wait_for("Subject: ");
    tui.keys(&["r"]);
    tui.wait_for("Subject: Re: Planning the summer offsite");
    tui.type_text("Count me in.");
    tui.keys(&["C-x"]);
    tui.wait_for("Demo: not really sent");

    // The reply is in Sent (the demo's Sent holds two messages to begin with). After the
    // send the list has the focus and the message is closed: no `q` to close it.
    tui.keys(&["Tab", "g", "j", "j", "Enter"]);
    tui.wait_for("demo: Sent · 1/3 ·");
    let code = tui.quit();
    assert_eq!(code, 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}

#[test]
fn without_a_config_the_screen_says_how_to_make_one() {
    let tui = Tui::start(&[], &[]);
    let s = tui.wait_for("postie init");
    assert!(s.contains("postie demo"), "{s}");
    // Ctrl-C asks first, and a second one quits.
    tui.keys(&["C-c"]);
    tui.wait_for("Ctrl-C again");
    assert!(
        !tui.screen().contains("POSTIE-EXIT="),
        "one Ctrl-C only asks"
    );
    tui.keys(&["C-c"]);
    tui.wait_for("POSTIE-EXIT=0");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}

#[test]
fn offline_with_a_maildir_account_reads_and_never_connects() {
    // A Maildir account with one message, and an outgoing server that does not exist: with
    // --offline nothing connects, sync says so, and a sent message waits in the outbox.
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = tmp.path().join("Mail");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).expect("mkdir");
    }
    std::fs::write(
        md.join("new/1.1.host"),
        "From: Robin <robin@example.org>\r\nTo: me@example.org\r\nSubject: Offline hello\r\n\
         Date: Mon, 3 Mar 2025 10:00:00 +0000\r\nMessage-ID: <off1@example.org>\r\n\r\nHi there.\r\n",
    )
    .expect("write message");
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[accounts.home]\nemail = \"me@example.org\"\n\
             [accounts.home.incoming]\nprotocol = \"maildir\"\npath = {:?}\n\
             [accounts.home.outgoing]\nhost = \"smtp.invalid\"\nuser = \"me\"\n\
             password_command = \"echo x\"\n",
            tmp.path().join("data").display().to_string(),
            md.display().to_string()
        ),
    )
    .expect("write config");
    let tui = Tui::start(
        &["--offline", "--config", &config.display().to_string()],
        &[],
    );
    tui.wait_for("Offline hello");
    tui.keys(&["Enter"]);
    tui.wait_for("Hi there.");
    tui.keys(&["r"]);
    tui.wait_for("Subject: Re: Offline hello");
    tui.type_text("Later.");
    tui.keys(&["C-x"]);
    tui.wait_for("waits in the outbox");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}

#[test]
fn demo_needs_a_terminal_and_print_still_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_postie"))
        .arg("demo")
        .env("TMPDIR", std::env::temp_dir())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run postie");
    assert_eq!(out.status.code(), Some(64));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs a terminal"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_postie"))
        .args(["demo", "--print"])
        .env("TMPDIR", tmp.path())
        .output()
        .expect("run postie");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("demo data dir:"));
}

/// A reply written in the UI is submitted to the harness Postfix and arrives in the
/// recipient's Dovecot INBOX. The account reads a local Maildir (so this does not depend on
/// IMAP sync); the original's sender is a second harness user.
#[test]
fn a_reply_sent_from_the_ui_arrives_in_dovecot() {
    let s = support::servers();
    let me = support::new_user("tuime");
    let them = support::new_user("tuithem");
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = tmp.path().join("Mail");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).expect("mkdir");
    }
    std::fs::write(
        md.join("new/1.1.host"),
        format!(
            "From: Them <{them}>\r\nTo: {me}\r\nSubject: Question for the UI\r\n\
             Date: Mon, 3 Mar 2025 10:00:00 +0000\r\nMessage-ID: <q1@{d}>\r\n\r\nAre you there?\r\n",
            them = them.email,
            me = me.email,
            d = s.domain
        ),
    )
    .expect("write message");
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, format!("{}\n", me.password)).expect("write pw");
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {data:?}\n[accounts.me]\nemail = {email:?}\n\
             [accounts.me.incoming]\nprotocol = \"maildir\"\npath = {md:?}\n\
             [accounts.me.outgoing]\nhost = {host:?}\nport = {port}\ntls = \"implicit\"\n\
             ca_file = {ca:?}\nuser = {login:?}\npassword_command = {cmd:?}\n",
            data = tmp.path().join("data").display().to_string(),
            email = me.email,
            md = md.display().to_string(),
            host = s.host,
            port = s.ports.submissions,
            ca = s.ca_file.display().to_string(),
            login = me.login,
            cmd = format!("cat {}", pw.display()),
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Question for the UI");
    tui.keys(&["Enter"]);
    tui.wait_for("Are you there?");
    tui.keys(&["r"]);
    tui.wait_for("Subject: Re: Question for the UI");
    tui.type_text("Yes, from the terminal UI.");
    tui.keys(&["C-x"]);
    tui.wait_for("Message sent");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let files = rt.block_on(them.wait_for_messages("INBOX", 1, WAIT));
    let bytes = std::fs::read(&files[0]).expect("read delivered");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("Subject: Re: Question for the UI"), "{text}");
    assert!(text.contains("In-Reply-To: <q1@"), "{text}");
    assert!(text.contains("Yes, from the terminal UI."), "{text}");
}

/// The whole loop on a POP3 account of the harness: the UI's first sync downloads a message
/// from Dovecot, it reads, and the reply goes out through Postfix to the sender's INBOX.
#[test]
fn pop3_account_syncs_reads_and_replies_through_the_servers() {
    use std::os::unix::fs::chown;
    use support::config::{Incoming, Tls};
    let s = support::servers();
    let me = support::new_user("tuipop");
    let them = support::new_user("tuipopthem");
    // One message from `them` in my Dovecot INBOX (LF line ends and exact sizes in the name,
    // as Dovecot expects of files it did not write).
    let body = format!(
        "From: Them <{them}>\nTo: {me}\nSubject: Question over POP3\n\
         Date: Mon, 3 Mar 2025 10:00:00 +0000\nMessage-ID: <p1@{d}>\n\nStill there?\n",
        them = them.email,
        me = me.email,
        d = s.domain
    );
    let lines = body.matches('\n').count();
    let name = format!(
        "1600000000.M1P{}Q1.tui,S={},W={}",
        std::process::id(),
        body.len(),
        body.len() + lines
    );
    for sub in ["cur", "new", "tmp"] {
        let d = me.maildir.join(sub);
        std::fs::create_dir_all(&d).expect("mkdir");
        chown(&d, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    }
    let tmp_file = me.maildir.join("tmp").join(&name);
    std::fs::write(&tmp_file, &body).expect("write message");
    chown(&tmp_file, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp_file, me.maildir.join("new").join(&name)).expect("rename");

    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{}",
            tmp.path().join("data").display().to_string(),
            me.account_toml("pop", Incoming::Pop3, Tls::Implicit)
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Question over POP3");
    tui.keys(&["Enter"]);
    tui.wait_for("Still there?");
    tui.keys(&["r"]);
    tui.wait_for("Subject: Re: Question over POP3");
    tui.type_text("Yes, over POP3 and SMTP.");
    tui.keys(&["C-x"]);
    tui.wait_for("Message sent");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let files = rt.block_on(them.wait_for_messages("INBOX", 1, WAIT));
    let text = String::from_utf8_lossy(&std::fs::read(&files[0]).expect("read")).into_owned();
    assert!(text.contains("Subject: Re: Question over POP3"), "{text}");
    assert!(text.contains("Yes, over POP3 and SMTP."), "{text}");
}

/// The whole loop on an IMAP account of the harness: the first sync lists the seeded messages
/// (envelopes only), opening one downloads its body on demand, the reply goes out through
/// Postfix to the sender's INBOX (its copy APPENDed to my Sent), and mail delivered while the UI runs shows up through IDLE
/// without a key press.
#[test]
fn imap_account_syncs_reads_on_demand_replies_and_sees_new_mail_through_idle() {
    use std::os::unix::fs::chown;
    use support::config::{Incoming, Tls};
    let s = support::servers();
    let me = support::new_user("tuiimap");
    let them = support::new_user("tuiimapthem");
    let seeded = support::seed(&me, "INBOX", 3);
    // One message with a known text, newer than the seeded ones so it is on screen.
    let body = format!(
        "From: Them <{them}>\nTo: {me}\nSubject: Question over IMAP\n\
         Date: Mon, 3 Mar 2031 10:00:00 +0000\nMessage-ID: <i1@{d}>\n\n\
         Is the body fetched on demand?\n",
        them = them.email,
        me = me.email,
        d = s.domain
    );
    let lines = body.matches('\n').count();
    let name = format!(
        "1900000000.M1P{}Q1.tui,S={},W={}",
        std::process::id(),
        body.len(),
        body.len() + lines
    );
    let tmp_file = me.maildir.join("tmp").join(&name);
    std::fs::write(&tmp_file, &body).expect("write message");
    chown(&tmp_file, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp_file, me.maildir.join("new").join(&name)).expect("rename");

    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{}",
            data.display().to_string(),
            me.account_toml("imap", Incoming::Imap, Tls::Implicit)
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Question over IMAP");
    for m in &seeded {
        // The list column may cut a long subject: its first 20 characters are enough.
        let start: String = m.message.subject.chars().take(20).collect();
        tui.wait_for(&start);
    }
    // The first sync stored envelopes only (fetch_bodies defaults to on-demand).
    let stored_text = || {
        walk(&data)
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .any(|b| String::from_utf8_lossy(&b).contains("Is the body fetched on demand?"))
    };
    assert!(
        !stored_text(),
        "the body was downloaded before it was opened"
    );
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("Is the body fetched on demand?");
    assert!(!screen.contains("body not downloaded yet"), "{screen}");
    assert!(
        stored_text(),
        "the body fetched on demand is not in the store"
    );
    tui.keys(&["r"]);
    tui.wait_for("Subject: Re: Question over IMAP");
    tui.type_text("Yes, over IMAP and SMTP.");
    tui.keys(&["C-x"]);
    tui.wait_for("Message sent");
    // The send closed the message view (the list has the focus).
    tui.wait_until("the message view to close", |s| {
        !s.contains("Is the body fetched on demand?") && s.contains("Question over IMAP")
    });

    // Mail delivered while the UI runs appears without a key press (IDLE, then a sync).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let msg = format!(
        "From: Them <{them}>\r\nTo: {me}\r\nSubject: Pushed by IDLE\r\n\
         Date: Tue, 4 Mar 2031 10:00:00 +0000\r\nMessage-ID: <i2@{d}>\r\n\r\nNew mail.\r\n",
        them = them.email,
        me = me.email,
        d = s.domain
    );
    rt.block_on(support::wire::submit(
        s,
        support::wire::Submission::Implicit,
        &them,
        &them.email,
        &[&me.email],
        msg.as_bytes(),
    ))
    .expect("submit through Postfix");
    let submitted = Instant::now();
    tui.wait_for("Pushed by IDLE");
    eprintln!(
        "FIGURE delivery to the list through IDLE: {:?}",
        submitted.elapsed()
    );
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();

    let files = rt.block_on(them.wait_for_messages("INBOX", 1, WAIT));
    let text = String::from_utf8_lossy(&std::fs::read(&files[0]).expect("read")).into_owned();
    assert!(text.contains("Subject: Re: Question over IMAP"), "{text}");
    assert!(text.contains("In-Reply-To: <i1@"), "{text}");
    assert!(text.contains("Yes, over IMAP and SMTP."), "{text}");
    // The Sent copy was APPENDed to my server's Sent folder.
    let sent = rt.block_on(me.wait_for_messages("Sent", 1, WAIT));
    let copy = String::from_utf8_lossy(&std::fs::read(&sent[0]).expect("read")).into_owned();
    assert!(copy.contains("Subject: Re: Question over IMAP"), "{copy}");
}
