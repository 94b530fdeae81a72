//! The Outbox in the TUI (issue #13, item 9), end to end: the real binary in tmux, sending
//! through the harness's Postfix to a Dovecot user. While the submission port in the config
//! has nothing listening, replies wait in the Outbox; the Outbox shows them, drops one after a
//! `y`, and, once a forwarder to the real Postfix listens on that port, `F` sends the other:
//! delivered once, and gone from the Outbox.

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tui::{Tui, WAIT};

/// A port on 127.0.0.1 nothing listens on (for now).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Forwards every connection to `port` on to `target` until the flag drops (the server
/// "comes back" on the port the config names).
fn forward(port: u16, target: String, run: Arc<AtomicBool>) {
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the forwarder");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        while run.load(Ordering::SeqCst) {
            let Ok((client, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            client.set_nonblocking(false).expect("blocking");
            let Ok(server) = TcpStream::connect(&target) else {
                continue;
            };
            let pipe = |mut from: TcpStream, mut to: TcpStream| {
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(std::net::Shutdown::Write);
                });
            };
            pipe(
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            pipe(server, client);
        }
    });
}

#[test]
fn replies_wait_in_the_outbox_which_drops_one_and_sends_the_other_when_the_server_is_back() {
    let s = support::servers();
    let me = support::new_user("tuiob");
    let them = support::new_user("tuiobthem");
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = tmp.path().join("Mail");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).expect("mkdir");
    }
    std::fs::write(
        md.join("new/1.1.host"),
        format!(
            "From: Them <{them}>\r\nTo: {me}\r\nSubject: Pending question\r\n\
             Date: Mon, 3 Mar 2025 10:00:00 +0000\r\nMessage-ID: <ob1@{d}>\r\n\r\nStill there?\r\n",
            them = them.email,
            me = me.email,
            d = s.domain
        ),
    )
    .expect("write message");
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, format!("{}\n", me.password)).expect("write pw");
    let port = free_port();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {data:?}\n[accounts.me]\nemail = {email:?}\n\
             [accounts.me.incoming]\nprotocol = \"maildir\"\npath = {md:?}\n\
             [accounts.me.outgoing]\nhost = {host:?}\nport = {port}\ntls = \"implicit\"\n\
             ca_file = {ca:?}\nuser = {login:?}\npassword_command = {cmd:?}\n",
            data = tmp.path().join("data").display().to_string(),
            email = me.email,
            md = md.display().to_string(),
            host = s.host,
            ca = s.ca_file.display().to_string(),
            login = me.login,
            cmd = format!("cat {}", pw.display()),
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for("Pending question");
    let s0 = tui.screen();
    assert!(
        !s0.contains("Outbox"),
        "no Outbox while nothing waits:\n{s0}"
    );

    // Two replies while the server cannot be reached: both wait in the outbox.
    for text in ["First try, dropped.", "Second try, sent."] {
        tui.keys(&["Enter"]);
        tui.wait_for("Still there?");
        tui.keys(&["r"]);
        tui.wait_for("Subject: Re: Pending question");
        tui.type_text(text);
        tui.keys(&["C-x"]);
        tui.wait_for("the message waits in the outbox");
        // The send closed the message view: the list has the focus.
        tui.wait_until("the message view to close", |s| !s.contains("Still there?"));
    }
    // The Outbox is under INBOX in the folder pane; open it.
    tui.keys(&["Tab", "g", "j", "Enter"]);
    let list = tui.wait_until("the two queued replies", |s| {
        s.matches("To: tuiobthem").count() == 2
    });
    assert!(list.contains("1 attempt"), "{list}");

    // d asks; n keeps; d y drops the first row.
    tui.keys(&["d"]);
    tui.wait_for("Drop from the outbox");
    tui.keys(&["n"]);
    tui.wait_for("Kept in the outbox");
    tui.keys(&["g", "d"]);
    tui.wait_for("Drop from the outbox");
    tui.keys(&["y"]);
    tui.wait_until("one queued reply left", |s| {
        s.matches("To: tuiobthem").count() == 1
    });
    // Opening the one left shows it: which of the two it is.
    tui.keys(&["Enter"]);
    let opened = tui.wait_for("[Outbox: to");
    let kept = if opened.contains("Second try, sent.") {
        "Second try, sent."
    } else {
        assert!(opened.contains("First try, dropped."), "{opened}");
        "First try, dropped."
    };

    // The server comes back on the configured port; F sends the open message now.
    let run = Arc::new(AtomicBool::new(true));
    forward(port, s.addr(s.ports.submissions), Arc::clone(&run));
    tui.keys(&["F"]);
    tui.wait_for("Sent from the outbox");
    tui.wait_until("the Outbox to empty", |s| {
        s.contains("Outbox · 0 messages") && !s.contains("To: tuiobthem")
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let files = rt.block_on(them.wait_for_messages("INBOX", 1, WAIT));
    // Give a second submission (there must be none) time to arrive before counting.
    std::thread::sleep(Duration::from_secs(2));
    let files_after = them.message_files("INBOX");
    assert_eq!(files_after.len(), 1, "delivered once: {files_after:?}");
    let text = String::from_utf8_lossy(&std::fs::read(&files[0]).expect("read")).into_owned();
    assert!(text.contains("Subject: Re: Pending question"), "{text}");
    assert!(text.contains(kept), "the one not dropped: {text}");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
    run.store(false, Ordering::SeqCst);

    // The queue is empty on disk too (what `postie outbox list` reads).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_postie"))
        .args(["--config", &config.display().to_string(), "outbox", "list"])
        .env("HOME", tmp.path())
        .output()
        .expect("run postie outbox list");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "the outbox is empty",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
