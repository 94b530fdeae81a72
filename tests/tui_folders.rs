//! Folders managed from the online TUI (issue 13, item 5), end to end: the real binary in tmux
//! against the harness's Dovecot. `:mkdir`, a move to a missing folder (after "Create folder
//! X? y/n"), `:rename` and `:rmdir` (each after y/n) are on the server while postie still runs,
//! read back from the user's Maildir on the server side.

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::config::{Incoming, Tls};
use support::{TestUser, servers};
use tui::Tui;

/// Generous: the target is "at once"; the machine running the tests is shared.
const LIVE_BOUND: Duration = Duration::from_secs(10);

fn put(me: &TestUser, subject: &str) {
    let s = servers();
    let body = format!(
        "From: Them <them@{d}>\nTo: {me}\nSubject: {subject}\n\
         Date: Mon, 1 Mar 2031 10:00:00 +0000\nMessage-ID: <folders.tui@{d}>\n\n\
         Text of {subject}.\n",
        me = me.email,
        d = s.domain
    );
    let name = format!("1900000001.M1P{}Q1.folders", std::process::id());
    let tmp = me.maildir.join("tmp").join(&name);
    std::fs::write(&tmp, &body).expect("write message");
    chown(&tmp, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp, me.maildir.join("new").join(&name)).expect("rename");
}

/// The server-side Maildir of a folder (Dovecot's Maildir++ layout).
fn server_dir(me: &TestUser, folder: &str) -> PathBuf {
    me.maildir.join(format!(".{}", folder.replace('/', ".")))
}

fn files(dir: &Path) -> usize {
    ["new", "cur"]
        .iter()
        .flat_map(|sub| {
            std::fs::read_dir(dir.join(sub))
                .into_iter()
                .flatten()
                .flatten()
        })
        .count()
}

/// Waits until the server's side satisfies `ok`; returns the time since `started` (just before
/// the key that made the change was sent).
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

#[test]
fn folders_are_created_renamed_and_deleted_from_the_tui_on_the_server() {
    let me = support::new_user("tuifolders");
    put(&me, "Folder mover");
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{}",
            tmp.path().join("data").display().to_string(),
            me.account_toml("live", Incoming::Imap, Tls::Implicit)
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Folder mover");

    tui.keys(&[":"]);
    tui.type_text("mkdir Projects");
    let key = Instant::now();
    tui.keys(&["Enter"]);
    let created = on_server(key, "Projects created", || {
        server_dir(&me, "Projects").is_dir()
    });
    tui.wait_for("Folder Projects created");

    // A move to a folder the account lacks offers to create it, then moves.
    tui.keys(&["m"]);
    tui.type_text("Clients");
    tui.keys(&["Enter"]);
    tui.wait_for("Create folder Clients in live? y/n");
    let key = Instant::now();
    tui.keys(&["y"]);
    on_server(key, "the message moved into the new Clients", || {
        files(&server_dir(&me, "Clients")) == 1 && files(&me.maildir) == 0
    });

    tui.keys(&[":"]);
    tui.type_text("folder Projects");
    tui.keys(&["Enter"]);
    tui.keys(&[":"]);
    tui.type_text("rename Work");
    tui.keys(&["Enter"]);
    tui.wait_for("Rename folder Projects to Work? y/n");
    let key = Instant::now();
    tui.keys(&["y"]);
    let renamed = on_server(key, "Projects renamed to Work", || {
        server_dir(&me, "Work").is_dir() && !server_dir(&me, "Projects").exists()
    });
    tui.wait_for("Folder Projects renamed to Work");

    tui.keys(&[":"]);
    tui.type_text("rmdir");
    tui.keys(&["Enter"]);
    tui.wait_for("Delete folder Work");
    let key = Instant::now();
    tui.keys(&["y"]);
    let deleted = on_server(key, "Work deleted", || !server_dir(&me, "Work").exists());
    tui.wait_for("Folder Work deleted");
    eprintln!(
        "FIGURE TUI folder change to the server: create {created:?}, rename {renamed:?}, \
         delete {deleted:?}"
    );
    assert_eq!(
        files(&server_dir(&me, "Clients")),
        1,
        "the moved message stays"
    );
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
}
