//! A write into the store that fails half-way (a full disk; issue #12, item 7) leaves no partial
//! file in the Maildir's `tmp/`, nothing half-written visible, no index row, and no DELE.
//!
//! The failure is real: `postie sync` runs with `RLIMIT_FSIZE` below the size of the message it
//! downloads (and SIGXFSZ ignored), so the kernel cuts the write of the message file at the limit
//! with EFBIG, the way a full disk cuts it with ENOSPC. That works without root; a tiny tmpfs
//! would need it. POP3 in delete mode against the real Dovecot of the harness.

mod support;

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt as _;
use support::config::{Incoming, Tls};
use support::{new_user, servers};

/// The largest file the limited postie may write: above the index's and its WAL's size here,
/// below the message's.
const FILE_SIZE_LIMIT: u64 = 1024 * 1024;

fn big_message() -> Vec<u8> {
    let mut m = b"From: a@example.test\nTo: b@example.test\nSubject: big\n\
        Message-ID: <big@example.test>\n\n"
        .to_vec();
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n";
    while m.len() < 3 * FILE_SIZE_LIMIT as usize {
        m.extend_from_slice(line);
    }
    m
}

fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_write_cut_by_the_file_size_limit_leaves_nothing_in_tmp_and_deletes_nothing() {
    let user = new_user("full-disk");
    let s = servers();
    let message = big_message();
    let size = message.len();
    let vsize = size + message.iter().filter(|&&b| b == b'\n').count();
    let base = format!("1700000000.big.postie-test,S={size},W={vsize}");
    let tmp = user.maildir.join("tmp").join(&base);
    std::fs::write(&tmp, &message).expect("write");
    std::os::unix::fs::chown(&tmp, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp, user.maildir.join("new").join(&base)).expect("rename");

    let home = tempfile::tempdir().expect("temp dir");
    let data = home.path().join("data");
    let account = user
        .account_toml("acct", Incoming::Pop3, Tls::Implicit)
        .replacen(
            "protocol = \"pop3\"\n",
            "protocol = \"pop3\"\npop3_mode = \"delete\"\n",
            1,
        );
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n\n{account}", data.display().to_string()),
    )
    .expect("write config");
    let postie = |args: &[&str], limit: Option<u64>| -> Output {
        let mut cmd = Command::cargo_bin("postie").expect("postie binary");
        cmd.env_clear()
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("xdg-data"))
            .env("POSTIE_DATA_DIR", &data)
            .env("PATH", "/usr/bin:/bin")
            .arg("--config")
            .arg(&config)
            .args(args)
            .stdin(Stdio::null());
        if let Some(limit) = limit {
            // SAFETY: only async-signal-safe calls (setrlimit, signal) between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    let rl = libc::rlimit {
                        rlim_cur: limit,
                        rlim_max: limit,
                    };
                    if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    Ok(())
                });
            }
        }
        cmd.output().expect("run postie")
    };
    let listed = postie(&["list", "--json"], None);
    assert!(listed.status.success(), "{}", stderr(&listed));

    let cut = postie(&["sync"], Some(FILE_SIZE_LIMIT));
    assert_eq!(cut.status.code(), Some(74), "{}", stderr(&cut));
    assert!(
        stderr(&cut)
            .lines()
            .any(|l| l.starts_with("postie: account acct (") && l.contains(": cannot write ")),
        "{}",
        stderr(&cut)
    );
    let inbox = data.join("acct").join("INBOX");
    assert_eq!(
        files(&inbox.join("tmp")),
        Vec::<PathBuf>::new(),
        "tmp/ empty"
    );
    assert!(files(&inbox.join("new")).is_empty() && files(&inbox.join("cur")).is_empty());
    let db = rusqlite::Connection::open(data.join("index.sqlite3")).expect("index");
    let rows: i64 = db
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 0, "no row for a message that was not stored");
    assert_eq!(
        user.message_files("INBOX").len(),
        1,
        "not deleted on the server"
    );

    // With room again, the next sync stores it whole and only then deletes it.
    let synced = postie(&["sync"], None);
    assert!(synced.status.success(), "{}", stderr(&synced));
    let stored = files(&inbox.join("new"))
        .into_iter()
        .chain(files(&inbox.join("cur")))
        .collect::<Vec<_>>();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        std::fs::read(&stored[0]).expect("read"),
        support::seed::to_crlf(&message)
    );
    assert!(user.message_files("INBOX").is_empty());
}
