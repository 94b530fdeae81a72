//! Undo in the online TUI (issue #13), end to end: the real binary in tmux against the
//! harness's Dovecot. A delete, a move and a flag change reach the server, then `z` (or
//! `:undo`) takes each back, and the server has it back a moment later (read from the user's
//! Maildir on the server side): the deleted message out of Trash into INBOX, the moved one back
//! in INBOX, the flag cleared.

mod support;
#[path = "support/tui.rs"]
mod tui;
#[path = "support/tui_server.rs"]
mod tui_server;

use std::time::Instant;

use support::TestUser;
use tui::Tui;
use tui_server::{config_for, contains, maildir_flags, on_server, put, server_files};

fn in_folder(me: &TestUser, folder: &str, subject: &str) -> bool {
    server_files(me, folder)
        .iter()
        .any(|p| contains(p, &format!("Subject: {subject}")))
}

#[test]
fn delete_move_and_flag_are_undone_on_the_server() {
    let me = support::new_user("tuiundo");
    put(&me, "Charlie undo", 1);
    put(&me, "Bravo undo", 2);
    put(&me, "Alpha undo", 3);
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    for s in ["Alpha undo", "Bravo undo", "Charlie undo"] {
        tui.wait_for(s);
    }

    // Delete (newest first: the cursor is on Alpha), then undo: back from Trash to INBOX.
    let key = Instant::now();
    tui.keys(&["d"]);
    on_server(key, "Alpha in Trash", || {
        in_folder(&me, "Trash", "Alpha undo")
    });
    tui.wait_until("Alpha to leave the list", |s| !s.contains("Alpha undo"));
    let key = Instant::now();
    tui.keys(&["z"]);
    let restored = on_server(key, "Alpha back in INBOX, out of Trash", || {
        in_folder(&me, "INBOX", "Alpha undo") && !in_folder(&me, "Trash", "Alpha undo")
    });
    tui.wait_for("Undone: restored 1 message to INBOX");
    tui.wait_for("Alpha undo");
    assert_eq!(server_files(&me, "INBOX").len(), 3, "no duplicate");

    // Move, then undo: back from Archive to INBOX.
    tui.keys(&["m"]);
    tui.type_text("Archive");
    let key = Instant::now();
    tui.keys(&["Enter"]);
    on_server(key, "a message in Archive", || {
        server_files(&me, "Archive").len() == 1
    });
    tui.wait_for("Moved 1 message");
    let key = Instant::now();
    tui.keys(&["z"]);
    let moved_back = on_server(key, "Archive empty, three in INBOX", || {
        server_files(&me, "Archive").is_empty() && server_files(&me, "INBOX").len() == 3
    });
    tui.wait_for("Undone: moved 1 message back to INBOX");

    // Flag, then `:undo`: the flag is cleared on the server.
    let key = Instant::now();
    tui.keys(&["s"]);
    on_server(key, "a message flagged in INBOX", || {
        server_files(&me, "INBOX")
            .iter()
            .any(|p| maildir_flags(p).contains('F'))
    });
    tui.keys(&[":"]);
    tui.type_text("undo");
    let key = Instant::now();
    tui.keys(&["Enter"]);
    let unflagged = on_server(key, "no message flagged in INBOX", || {
        let files = server_files(&me, "INBOX");
        files.len() == 3 && files.iter().all(|p| !maildir_flags(p).contains('F'))
    });
    tui.wait_for("Undone: unflagged 1 message");

    // Everything undone: the next undo says so.
    tui.keys(&["z"]);
    tui.wait_for("Nothing to undo");
    eprintln!(
        "FIGURE TUI undo to the server's Maildir: restore from Trash {restored:?}, move back \
         {moved_back:?}, unflag {unflagged:?}"
    );
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}
