//! The TUI's search asks the server for what is stored as envelopes only (issue #13, item 7),
//! end to end: the real binary in tmux against the harness's Dovecot. A word only in the
//! bodies, none of them downloaded: `S` finds every message holding it, and says so.

#![allow(clippy::unwrap_used)]

mod support;
#[path = "support/tui.rs"]
mod tui;

use support::config::{Incoming, Tls};
use support::seed::{Message, seed_messages};
use tui::Tui;

const WORD: &str = "smörgåsbord";

fn message(to: &str, n: usize, subject: &str, body: &str) -> Message {
    let date = 1_700_000_000 + n as i64 * 3600;
    let header_date = chrono::DateTime::from_timestamp(date, 0)
        .unwrap()
        .to_rfc2822();
    let message_id = format!("tui-search-{n}@postie.test");
    let bytes = format!(
        "From: Sender {n} <s{n}@postie.test>\nTo: {to}\nSubject: {subject}\nDate: {header_date}\n\
         Message-ID: <{message_id}>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\
         Content-Transfer-Encoding: 8bit\n\n{body}\n"
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
fn search_all_in_the_tui_finds_body_words_of_envelope_only_messages_on_the_server() {
    let me = support::new_user("tuisrvsearch");
    let mut messages: Vec<Message> = (0..12)
        .map(|n| {
            message(
                &me.email,
                n,
                &format!("Lunch {n:02}"),
                &format!("a {WORD} {n}"),
            )
        })
        .collect();
    messages.extend((12..15).map(|n| message(&me.email, n, &format!("Other {n}"), "Nothing.")));
    seed_messages(&me, "INBOX", messages);
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{}",
            tmp.path().join("data").display().to_string(),
            me.account_toml("live", Incoming::Imap, Tls::Implicit)
        ),
    )
    .unwrap();
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Other 14");
    tui.wait_for("Lunch 00");
    tui.keys(&["S"]);
    tui.type_text(WORD);
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("12 messages more found on the server");
    tui.wait_until("every hit listed", |s| {
        (0..12).all(|n| s.contains(&format!("Lunch {n:02}"))) && !s.contains("Other 1")
    });
    assert!(!screen.contains("Other 12"), "{screen}");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}

/// The one search syntax in `/` (issue 14, item 7): `is:unread from:alice` filters the open
/// folder live to Alice's unread messages; a bad value says what was expected; `folder:` in
/// `/` says to use `S`.
#[test]
fn the_folder_filter_takes_states_and_fields() {
    let me = support::new_user("tuiquery");
    let rows: [(&str, &str, &str); 6] = [
        ("Alice", "Alpha unread", ""),
        ("Alice", "Bravo read", "S"),
        ("Bob", "Charlie unread", ""),
        ("Alice", "Delta unread", ""),
        ("Bob", "Echo read", "S"),
        ("Carol", "Foxtrot alice mention", ""),
    ];
    let messages: Vec<Message> = rows
        .iter()
        .enumerate()
        .map(|(n, (from, subject, flags))| {
            let mut m = message(&me.email, 100 + n, subject, "text");
            let sender = format!("From: Sender {} <s{}@postie.test>", 100 + n, 100 + n);
            let who = format!("From: {from} <{}@postie.test>", from.to_lowercase());
            m.bytes = String::from_utf8(m.bytes)
                .unwrap()
                .replacen(&sender, &who, 1)
                .into_bytes();
            m.flags = (*flags).to_owned();
            m
        })
        .collect();
    seed_messages(&me, "INBOX", messages);
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{}",
            tmp.path().join("data").display().to_string(),
            me.account_toml("live", Incoming::Imap, Tls::Implicit)
        ),
    )
    .unwrap();
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Foxtrot alice mention");
    tui.wait_for("Alpha unread");
    tui.keys(&["/"]);
    tui.type_text("is:unread from:alice");
    let screen = tui.wait_until("only Alice's unread rows", |s| {
        s.contains("Alpha unread")
            && s.contains("Delta unread")
            && ["Bravo", "Charlie", "Echo", "Foxtrot"]
                .iter()
                .all(|other| !s.contains(other))
    });
    assert!(
        screen.contains("/ is:unread from:alice · 1/2 ·"),
        "{screen}"
    );
    tui.keys(&["Enter"]);
    tui.wait_until("still filtered after Enter", |s| {
        s.contains("Delta unread") && !s.contains("Bravo read") && !s.contains("Foxtrot")
    });
    // Esc clears the filter; a bad date says what was expected.
    tui.keys(&["Escape"]);
    tui.wait_for("Bravo read");
    tui.keys(&["/"]);
    tui.type_text("after:tomorow");
    tui.keys(&["Enter"]);
    tui.wait_for("after: expects YYYY-MM-DD");
    tui.keys(&["Escape"]);
    tui.keys(&["/"]);
    tui.type_text("folder:Sent");
    tui.keys(&["Enter"]);
    tui.wait_for("folder: is for S (search all folders); / filters the open folder");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}
