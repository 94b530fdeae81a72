//! Undo in the online TUI (issue #13), end to end: the real binary in tmux against the
//! harness's Dovecot. A delete, a move and a flag change reach the server, then `z` (or
//! `:undo`) takes each back, and the server has it back a moment later (read from the user's
//! Maildir on the server side): the deleted message out of Trash into INBOX, the moved one back
//! in INBOX, the flag cleared.

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::config::{Incoming, Tls};
use support::{TestUser, servers};
use tui::Tui;

/// How long a change may take to reach the server here. The target is 1 s (the figures printed
/// show the real time); the bound is generous because the test machine is shared.
const LIVE_BOUND: Duration = Duration::from_secs(5);

/// Delivers a flagless message straight into the server's Maildir (`new/`), as the existing
/// end-to-end test does.
fn put(me: &TestUser, subject: &str, day: u32) {
    let s = servers();
    let body = format!(
        "From: Them <them@{d}>\nTo: {me}\nSubject: {subject}\n\
         Date: Mon, {day} Mar 2031 10:00:00 +0000\nMessage-ID: <{day}.undo@{d}>\n\n\
         Text of {subject}.\n",
        me = me.email,
        d = s.domain
    );
    let lines = body.matches('\n').count();
    let name = format!(
        "19000000{day:02}.M1P{}Q{day}.undo,S={},W={}",
        std::process::id(),
        body.len(),
        body.len() + lines
    );
    let tmp = me.maildir.join("tmp").join(&name);
    std::fs::write(&tmp, &body).expect("write message");
    chown(&tmp, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp, me.maildir.join("new").join(&name)).expect("rename");
}

/// The message files of a server folder ("INBOX" or e.g. "Archive").
fn server_files(me: &TestUser, folder: &str) -> Vec<PathBuf> {
    let dir = if folder == "INBOX" {
        me.maildir.clone()
    } else {
        me.maildir.join(format!(".{folder}"))
    };
    ["new", "cur"]
        .iter()
        .flat_map(|sub| {
            std::fs::read_dir(dir.join(sub))
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.path())
        .collect()
}

/// The Maildir flags of a file name (`...:2,FS` -> "FS").
fn maildir_flags(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.split_once(":2,")
        .map(|(_, f)| f.to_owned())
        .unwrap_or_default()
}

fn contains(path: &Path, text: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(text))
}

/// Waits until the server's Maildir satisfies `ok`; returns how long it took since `started`
/// (when the key was sent).
fn on_server(started: Instant, what: &str, ok: impl Fn() -> bool) -> Duration {
    loop {
        if ok() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < LIVE_BOUND,
            "not on the server after {LIVE_BOUND:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn config_for(me: &TestUser, dir: &Path) -> PathBuf {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{}",
            dir.join("data").display().to_string(),
            me.account_toml("live", Incoming::Imap, Tls::Implicit)
        ),
    )
    .expect("write config");
    config
}

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
