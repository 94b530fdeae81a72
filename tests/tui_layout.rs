//! The TUI on a 60x20 terminal, end to end: the real binary in tmux against the harness's
//! Dovecot. The list gives the subject at least 30 columns (the folder pane is hidden, the
//! title names the account and folder with the cursor's place), opening a message takes the
//! whole screen, `q` goes back to the list, and `B` brings the folders back.

mod support;
#[path = "support/tui.rs"]
mod tui;
#[path = "support/tui_server.rs"]
mod tui_server;

use tui::Tui;
use tui_server::{config_for, put};

const LONG: &str = "Quarterly planning for the platform team offsite";

#[test]
fn at_60x20_subjects_get_30_columns_and_a_message_takes_the_screen() {
    let me = support::new_user("tuilayout");
    put(&me, LONG, 1);
    put(&me, "Lunch", 2);
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let tui = Tui::start_sized(&["--config", &config.display().to_string()], &[], (60, 20));
    let s = tui.wait_until("the list at 60 columns", |s| {
        s.contains("live: INBOX · 1/2") && s.contains("Lunch")
    });
    assert!(
        s.lines().all(|l| l.chars().count() <= 60),
        "the screen is 60 wide:\n{s}"
    );
    assert!(!s.contains("Folders"), "the folder pane is hidden:\n{s}");
    // Newest first: the cursor is on Lunch; the long subject gets 30 columns (its end cut
    // with `…`).
    let row = s
        .lines()
        .find(|l| l.contains("Quarterly"))
        .expect("the row");
    let at = row.find("Quarterly").expect("subject");
    let shown = row[at..].trim_end_matches(['│', ' ']).chars().count();
    assert!(shown >= 30, "{shown} columns of subject:\n{s}");
    assert!(s.contains(&LONG[..29]), "{s}");
    tui.keys(&["j"]);
    tui.wait_for("live: INBOX · 2/2");
    tui.keys(&["Enter"]);
    let s = tui.wait_for(&format!("Text of {LONG}."));
    assert!(
        !s.contains("live: INBOX"),
        "the message takes the screen, no list beside it:\n{s}"
    );
    assert!(s.lines().next().unwrap_or("").contains("Quarterly"), "{s}");
    assert!(s.contains("From:"), "{s}");
    tui.keys(&["q"]);
    let s = tui.wait_for("live: INBOX · 2/2");
    assert!(!s.contains("Text of"), "back to the list:\n{s}");
    tui.keys(&["B"]);
    tui.wait_for("Folders");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}
