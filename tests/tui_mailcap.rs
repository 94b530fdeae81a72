//! Mailcap and pipes in the TUI (issue #14), end to end: the real binary in tmux against the
//! harness's Dovecot, with a `~/.mailcap` of small scripts.
//! - `[ui] auto_view = ["text/html"]`: an HTML-only message is shown in the reader through its
//!   `copiousoutput` entry, not the built-in conversion;
//! - `| wc -l` on a message shows the line count of its exact bytes; `| !CMD` hands the
//!   command the terminal and waits for a key;
//! - `v` on an attachment whose entry says `needsterminal` hands the terminal over (the
//!   viewer reads a line typed on it), and the UI comes back.

mod support;
#[path = "support/tui.rs"]
mod tui;
#[path = "support/tui_server.rs"]
mod tui_server;

use std::os::unix::fs::chown;

use support::{TestUser, servers};
use tui::Tui;
use tui_server::{config_for, contains, server_files};

/// Delivers `body` (headers and all, `\n` line ends) straight into the server's INBOX.
fn put_raw(me: &TestUser, day: u32, body: &str) {
    let s = servers();
    let name = format!(
        "19000000{day:02}.M1P{}Q{day}.mailcap,S={}",
        std::process::id(),
        body.len()
    );
    let tmp = me.maildir.join("tmp").join(&name);
    std::fs::write(&tmp, body).expect("write message");
    chown(&tmp, Some(s.mail_uid), Some(s.mail_gid)).expect("chown");
    std::fs::rename(&tmp, me.maildir.join("new").join(&name)).expect("rename");
}

fn headers(me: &TestUser, subject: &str, day: u32) -> String {
    let d = &servers().domain;
    format!(
        "From: Them <them@{d}>\nTo: {me}\nSubject: {subject}\n\
         Date: Mon, {day} Mar 2031 10:00:00 +0000\nMessage-ID: <{day}.mailcap@{d}>\n\
         MIME-Version: 1.0\n",
        me = me.email
    )
}

#[test]
fn auto_view_pipe_and_a_terminal_viewer() {
    let me = support::new_user("tuimailcap");
    put_raw(
        &me,
        3,
        &format!(
            "{}Content-Type: text/html; charset=utf-8\n\n\
             <html><body><h1>Big Heading</h1><p>First <b>bold</b> paragraph.</p></body></html>\n",
            headers(&me, "Html only", 3)
        ),
    );
    let patch = "From 1234 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] fix\n\n---\n a | 1 +\n\
                 diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -0,0 +1 @@\n+x\n";
    put_raw(
        &me,
        2,
        &format!(
            "{}Content-Type: text/plain\n\n{patch}",
            headers(&me, "Patch mail", 2)
        ),
    );
    put_raw(
        &me,
        1,
        &format!(
            "{}Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n\
             See the attachment.\n--b\nContent-Type: application/x-postie-test\n\
             Content-Disposition: attachment; filename=\"evil'$(touch pwned).bin\"\n\n\
             ATTACHMENT-BYTES\n--b--\n",
            headers(&me, "With attachment", 1)
        ),
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let config = config_for(&me, tmp.path());
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("\n[ui]\nauto_view = [\"text/html\"]\n");
    std::fs::write(&config, text).expect("config");
    let scripts = tmp.path().join("scripts");
    std::fs::create_dir(&scripts).expect("mkdir");
    // The HTML "renderer": the heading, marked, so the built-in conversion cannot pass for it.
    std::fs::write(
        scripts.join("render.sh"),
        "sed -n 's/.*<h1>\\(.*\\)<\\/h1>.*/MAILCAP-RENDERED \\1/p' \"$1\"\n",
    )
    .expect("script");
    let seen = tmp.path().join("seen");
    std::fs::write(
        scripts.join("viewer.sh"),
        format!(
            "cp \"$1\" {seen}.bytes\nprintf 'TERMINAL-VIEWER type a line: '\nread line\n\
             echo \"$line\" > {seen}.typed\n",
            seen = seen.display()
        ),
    )
    .expect("script");

    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    std::fs::write(
        tui.path("home").join(".mailcap"),
        format!(
            "# test mailcap\ntext/html; sh {s}/render.sh %s; \\\n  copiousoutput\n\
             application/x-postie-test; sh {s}/viewer.sh %s; needsterminal\n",
            s = scripts.display()
        ),
    )
    .expect("mailcap");
    for s in ["Html only", "Patch mail", "With attachment"] {
        tui.wait_for(s);
    }

    // auto_view: the reader shows the script's output.
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("MAILCAP-RENDERED Big Heading");
    assert!(
        !screen.contains("First bold paragraph"),
        "the built-in conversion is not shown:\n{screen}"
    );
    tui.keys(&["q"]);

    // | wc -l: the line count of the message's exact bytes (the body is downloaded on open).
    tui.keys(&["j", "Enter"]);
    tui.wait_for("+++ b/a");
    let file = server_files(&me, "INBOX")
        .into_iter()
        .find(|p| contains(p, "Subject: Patch mail"))
        .expect("the patch on the server");
    let lines = std::fs::read(&file)
        .expect("read")
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    tui.keys(&["|"]);
    tui.wait_for("Pipe message to");
    tui.type_text("wc -l");
    tui.keys(&["Enter"]);
    tui.wait_for(&format!("| wc -l: {lines} (exit 0)"));

    // Longer output opens the pager overlay, titled with the command and its exit status.
    tui.keys(&["|"]);
    tui.type_text("grep '^[-+@]' ; exit 1");
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("| grep '^[-+@]' ; exit 1 — exit 1");
    for line in ["--- a/a", "+++ b/a", "@@ -0,0 +1 @@", "+x"] {
        assert!(screen.contains(line), "{line:?} in the overlay:\n{screen}");
    }
    tui.keys(&["Escape"]);
    tui.wait_until("the overlay to close", |s| !s.contains("— exit 1"));

    // | !CMD: the command gets the terminal, its output stays until a key is pressed.
    tui.keys(&["|"]);
    tui.type_text(&format!(
        "!grep -c '^+' ; echo PIPED-IN-TERMINAL > {}.pipe",
        seen.display()
    ));
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("Press any key to return to postie");
    assert!(
        !tui.alternate_screen(),
        "the UI gave the terminal up:\n{screen}"
    );
    assert!(
        screen.lines().any(|l| l.trim() == "2"),
        "grep's count of added lines is on the screen:\n{screen}"
    );
    tui.keys(&["x"]);
    tui.wait_for("| grep -c '^+'");
    assert!(tui.alternate_screen());
    assert!(contains(&tmp.path().join("seen.pipe"), "PIPED-IN-TERMINAL"));
    tui.keys(&["q"]);

    // v with a needsterminal entry: the viewer gets the terminal and reads a line typed there.
    tui.keys(&["j", "Enter"]);
    tui.wait_for("See the attachment.");
    tui.keys(&["v"]);
    let screen = tui.wait_for("TERMINAL-VIEWER type a line:");
    assert!(
        !tui.alternate_screen(),
        "the UI gave the terminal up:\n{screen}"
    );
    tui.type_text("hello viewer");
    tui.keys(&["Enter"]);
    tui.wait_for("sh for application/x-postie-test: exit 0");
    assert!(tui.alternate_screen(), "the UI is back");
    tui.wait_for("See the attachment.");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("seen.typed")).expect("typed"),
        "hello viewer\n"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("seen.bytes")).expect("bytes"),
        "ATTACHMENT-BYTES",
        "the decoded part (its last line break belongs to the MIME boundary)"
    );
    assert!(
        !tui.path("home").join("pwned").exists() && !tmp.path().join("pwned").exists(),
        "the attachment's name never reached a shell"
    );

    assert_eq!(tui.quit(), 0);
    tui.assert_restored();
}
