//! Headers, raw bytes and saving whole messages in the TUI (issue #14 item 3), end to end: the
//! real binary in tmux against the harness's Dovecot. A message with a 20-address Cc shows it
//! whole; `h` shows every header (Received, Message-ID); `H` shows the raw bytes with a hostile
//! escape sequence made visible; `W` and `:save` write an mbox and an .eml whose messages are
//! the bytes the server serves (read back over raw IMAP).

mod support;
#[path = "support/tui.rs"]
mod tui;
// Only `config_for` is used here.
#[path = "support/tui_server.rs"]
mod tui_server;

use std::os::unix::fs::chown;

use support::{TestUser, servers};
use tui::Tui;
use tui_server::config_for;

/// Puts a message with Received lines, a 20-address Cc and an escape sequence in a header
/// straight into the server's INBOX.
fn put_long_cc(me: &TestUser) -> String {
    let s = servers();
    let cc: Vec<String> = (1..=20)
        .map(|i| format!("Person {i} <person{i}@{}>", s.domain))
        .collect();
    let body = format!(
        "Received: from relay.{d} by mx.{d}; Mon, 2 Mar 2031 10:00:01 +0000\n\
         Received: from laptop by relay.{d}; Mon, 2 Mar 2031 10:00:00 +0000\n\
         Message-ID: <longcc@{d}>\n\
         From: Them <them@{d}>\nTo: {me}\nCc: {cc}\n\
         Subject: Long Cc here\nDate: Mon, 2 Mar 2031 10:00:00 +0000\n\
         X-Evil: \x1b[2J\x1b]0;owned\x07gotcha\n\n\
         From the desk of Them.\nSecond line.\n",
        me = me.email,
        d = s.domain,
        cc = cc.join(",\n "),
    );
    let name = format!(
        "1900000001.M1P{}Q1.rawview,S={}",
        std::process::id(),
        body.len()
    );
    let tmp = me.maildir.join("tmp").join(&name);
    std::fs::write(&tmp, &body).expect("write message");
    chown(&tmp, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp, me.maildir.join("new").join(&name)).expect("rename");
    body
}

/// The bytes the server serves for INBOX message 1.
fn served(me: &TestUser) -> Vec<u8> {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(async {
        let mut c = servers().imaps_session(me).await;
        let (_, st) = c.imap("S", "EXAMINE INBOX").await;
        assert!(st.starts_with("OK"), "{st}");
        c.imap_fetch_body(1).await
    })
}

#[test]
fn long_cc_whole_all_headers_raw_bytes_and_saving_to_mbox_and_eml() {
    let me = support::new_user("rawview");
    put_long_cc(&me);
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Long Cc here");
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("From the desk of Them.");
    for i in 1..=20 {
        assert!(
            screen.contains(&format!("<person{i}@")),
            "Cc address {i} is not on the screen:\n{screen}"
        );
    }
    assert!(!screen.contains("Received:"), "{screen}");

    tui.keys(&["h"]);
    let screen = tui.wait_for("Received:");
    let line = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no {name} line:\n{screen}"))
            .to_string()
    };
    assert!(line("Message-ID:").contains("<longcc@"), "{screen}");
    assert!(
        line("X-Evil:").contains("^[[2J^[]0;owned^Ggotcha"),
        "the escape sequence made visible:\n{screen}"
    );

    tui.keys(&["H"]);
    let screen = tui.wait_for("Raw: Long Cc here");
    assert!(screen.contains("Cc: Person 1 <person1@"), "{screen}");
    assert!(
        screen.contains("│ Person 2 <person2@"),
        "folded as sent:\n{screen}"
    );
    // Searchable like the reader: find scrolls to the hostile header, shown safely.
    tui.keys(&["/"]);
    tui.type_text("X-Evil");
    tui.keys(&["Enter"]);
    tui.wait_for("X-Evil: ^[[2J^[]0;owned^Ggotcha");
    tui.keys(&["Escape"]);
    tui.wait_until("the reader again", |s| !s.contains("Raw: Long Cc here"));

    let mbox = tmp.path().join("saved.mbox");
    tui.keys(&["W"]);
    tui.wait_for("Save message to");
    tui.type_text(&mbox.display().to_string());
    tui.keys(&["Enter"]);
    tui.wait_for("Saved 1 message to the new mbox");

    let dir = tmp.path().join("eml");
    tui.keys(&[":"]);
    tui.type_text(&format!("save {}/", dir.display()));
    tui.keys(&["Enter"]);
    tui.wait_for("(.eml)");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());

    let server = served(&me);
    let saved = postie::mail::mbox::messages(&std::fs::read(&mbox).expect("the mbox"));
    let lf = String::from_utf8_lossy(&server).replace("\r\n", "\n");
    assert_eq!(saved.len(), 1);
    assert_eq!(String::from_utf8_lossy(&saved[0]), lf);
    let eml = dir.join("Long_Cc_here.eml");
    assert_eq!(std::fs::read(&eml).expect("the .eml"), server);
}

/// `W` on a row whose body is not stored yet (IMAP on demand): the body is downloaded first,
/// so the mbox holds the whole message as the server serves it.
#[test]
fn saving_an_envelope_only_message_from_the_list_downloads_it_first() {
    let me = support::new_user("rawsave");
    put_long_cc(&me);
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Long Cc here");
    let mbox = tmp.path().join("from-list.mbox");
    tui.keys(&["W"]);
    tui.wait_for("Save message to");
    tui.type_text(&mbox.display().to_string());
    tui.keys(&["Enter"]);
    tui.wait_for("Saved 1 message to the new mbox");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    let server = served(&me);
    let saved = postie::mail::mbox::messages(&std::fs::read(&mbox).expect("the mbox"));
    assert_eq!(saved.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&saved[0]),
        String::from_utf8_lossy(&server).replace("\r\n", "\n")
    );
}
