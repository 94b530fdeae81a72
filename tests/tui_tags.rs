//! Tagging in the online TUI (issue #14 item 1), end to end: the real binary in tmux against
//! the harness's Dovecot. Three messages tagged with `T` (not next to each other) and deleted
//! with one `d` end up in Trash on the server (read back over a raw IMAP session), the list
//! shows the other two, and the live connection moved them with one `UID MOVE` (read from
//! postie's own debug log of the commands it sent). Then `:tag PATTERN` (matched by the
//! backend's index), a bulk move to Archive, and one `z` that moves both back on the server.

mod support;
#[path = "support/tui.rs"]
mod tui;
// (Not every helper of the shared file is used here.)
#[path = "support/tui_server.rs"]
mod tui_server;

use std::time::Instant;

use support::TestUser;
use tui::Tui;
use tui_server::{config_for, on_server, put, server_files};

/// The subjects of a server folder, over a raw IMAPS session.
fn subjects_on_server(me: &TestUser, folder: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut c = support::servers().imaps_session(me).await;
        let (_, status) = c.imap("S", &format!("SELECT \"{folder}\"")).await;
        assert!(status.starts_with("OK"), "{status}");
        let (lines, status) = c
            .imap("F", "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            .await;
        assert!(status.starts_with("OK"), "{status}");
        let mut subjects: Vec<String> = lines
            .iter()
            .filter_map(|l| l.trim().strip_prefix("Subject: ").map(str::to_owned))
            .collect();
        subjects.sort();
        subjects
    })
}

#[test]
fn tag_three_messages_and_delete_them() {
    let me = support::new_user("tuitags");
    // Newest first in the list: Alpha, Bravo, Charlie, Delta, Echo.
    for (day, s) in [
        (5, "Alpha"),
        (4, "Bravo"),
        (3, "Charlie"),
        (2, "Delta"),
        (1, "Echo"),
    ] {
        put(&me, &format!("{s} tags"), day);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let tui = Tui::start(
        &["--config", &config.display().to_string()],
        &[("POSTIE_LOG", "postie::proto::imap=debug".to_owned())],
    );
    for s in ["Alpha", "Bravo", "Charlie", "Delta", "Echo"] {
        tui.wait_for(&format!("{s} tags"));
    }

    // Alpha (T moves on to Bravo), skip to Charlie, T, skip to Echo, T.
    tui.keys(&["T", "j", "T", "j", "T"]);
    let screen = tui.wait_for("3 tagged");
    let marked: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(" tags") && l.contains("│*"))
        .collect();
    assert_eq!(marked.len(), 3, "three rows show the tag mark:\n{screen}");
    for s in ["Alpha", "Charlie", "Echo"] {
        assert!(
            marked.iter().any(|l| l.contains(s)),
            "{s} is marked:\n{screen}"
        );
    }

    let key = Instant::now();
    tui.keys(&["d"]);
    let took = on_server(key, "three messages in Trash, two in INBOX", || {
        server_files(&me, "Trash").len() == 3 && server_files(&me, "INBOX").len() == 2
    });
    assert_eq!(
        subjects_on_server(&me, "Trash"),
        ["Alpha tags", "Charlie tags", "Echo tags"]
    );
    assert_eq!(
        subjects_on_server(&me, "INBOX"),
        ["Bravo tags", "Delta tags"]
    );
    let screen = tui.wait_until("the list to show the other two", |s| {
        s.contains("Bravo tags")
            && s.contains("Delta tags")
            && !s.contains("Alpha tags")
            && !s.contains("Charlie tags")
            && !s.contains("Echo tags")
    });
    assert!(screen.contains("Deleted 3 messages"), "{screen}");
    assert!(
        !screen.contains("tagged"),
        "the tags went with the delete:\n{screen}"
    );

    // One UID MOVE for the three, as postie logged the commands it sent.
    let log = std::fs::read_to_string(tui.path("data/postie/postie.log")).unwrap_or_default();
    let moves: Vec<&str> = log.lines().filter(|l| l.contains("C: UID MOVE")).collect();
    assert_eq!(
        moves.len(),
        1,
        "one UID MOVE for three messages: {moves:#?}"
    );
    eprintln!("FIGURE TUI: 3 tagged messages deleted, in Trash on the server after {took:?}");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}

#[test]
fn tag_by_pattern_move_them_and_undo_the_move_in_one_step() {
    let me = support::new_user("tuitagpat");
    for (day, s) in [
        (4, "Invoice March"),
        (3, "Lunch plans"),
        (2, "Invoice April"),
        (1, "Weekend photos"),
    ] {
        put(&me, s, day);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Weekend photos");

    tui.keys(&[":"]);
    tui.type_text("tag subject:invoice");
    tui.keys(&["Enter"]);
    tui.wait_for("Tagged 2 messages matching; 2 tagged");

    tui.keys(&["m"]);
    tui.type_text("Archive");
    let key = Instant::now();
    tui.keys(&["Enter"]);
    let moved = on_server(key, "the two invoices in Archive", || {
        server_files(&me, "Archive").len() == 2 && server_files(&me, "INBOX").len() == 2
    });
    assert_eq!(
        subjects_on_server(&me, "Archive"),
        ["Invoice April", "Invoice March"]
    );
    tui.wait_for("Moved 2 messages");

    // One z takes the whole bulk move back.
    let key = Instant::now();
    tui.keys(&["z"]);
    let undone = on_server(key, "both back in INBOX", || {
        server_files(&me, "Archive").is_empty() && server_files(&me, "INBOX").len() == 4
    });
    tui.wait_for("Undone: moved 2 messages back to INBOX");
    eprintln!(
        "FIGURE TUI: 2 messages tagged by pattern moved on the server in {moved:?}, undone in {undone:?}"
    );
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}
