//! Helpers of the online TUI's end-to-end tests (tests/tui_live.rs, tests/tui_undo.rs): messages
//! put straight into the server's Maildir, the server's folders read back, and a wait until the
//! server shows a change. Included with `#[path]` beside `mod support;` (the harness), like
//! support/tui.rs. Each test file uses some of them.
#![allow(dead_code)]

use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::config::{Incoming, Tls};
use crate::support::{TestUser, servers};

/// How long a change may take to reach the server here. The target is 1 s (the figures printed
/// show the real time); the bound is generous because the test machine is shared.
pub const LIVE_BOUND: Duration = Duration::from_secs(5);

/// Delivers a flagless message straight into the server's Maildir (`new/`), as the existing
/// end-to-end test does.
pub fn put(me: &TestUser, subject: &str, day: u32) {
    let s = servers();
    let body = format!(
        "From: Them <them@{d}>\nTo: {me}\nSubject: {subject}\n\
         Date: Mon, {day} Mar 2031 10:00:00 +0000\nMessage-ID: <{day}.tui@{d}>\n\n\
         Text of {subject}.\n",
        me = me.email,
        d = s.domain
    );
    let lines = body.matches('\n').count();
    let name = format!(
        "19000000{day:02}.M1P{}Q{day}.tui,S={},W={}",
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
pub fn server_files(me: &TestUser, folder: &str) -> Vec<PathBuf> {
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
pub fn maildir_flags(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.split_once(":2,")
        .map(|(_, f)| f.to_owned())
        .unwrap_or_default()
}

pub fn contains(path: &Path, text: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(text))
}

/// Waits until the server's Maildir satisfies `ok`; returns how long it took since `started`
/// (when the key was sent).
pub fn on_server(started: Instant, what: &str, ok: impl Fn() -> bool) -> Duration {
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

/// A config with one IMAP account `live` for `me`, its store in `dir`.
pub fn config_for(me: &TestUser, dir: &Path) -> PathBuf {
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
