//! Interop with a submission server that is not Postfix (issue 15, Deliver 6): `postie send`
//! through the private Exim 4.96 of `scripts/interop-courier` (tests/support/courier.rs), over
//! STARTTLS and implicit TLS, with AUTH checked against Exim's own password file and delivery
//! to a Maildir this test reads.
//!
//! What must hold: the delivered bytes are the bytes sent (dot-stuffing undone, 8bit and long
//! lines untouched); a wrong password is exit 77 and a refused recipient exit 76, each with one
//! line; with Exim down a message waits in the outbox (75) and `outbox flush` sends it once
//! Exim is back.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::RwLock;

use support::TestUser;
use support::config::{Incoming, Tls};
use support::courier::{Courier, PostieHome, courier};

/// The outbox test stops Exim: it runs alone, the others share.
static EXIM_UP: RwLock<()> = RwLock::new(());

/// A home whose account `c` reads from Courier POP3 and sends through Exim with `tls`.
fn home(c: &Courier, user: &TestUser, tls: Tls) -> PostieHome {
    PostieHome::new(&c.account_toml(user, "c", Incoming::Pop3, tls))
}

/// A message with what submission must carry untouched: lines starting with dots (one, two,
/// and a lone "."), 8bit UTF-8, and a 990-octet line.
fn tricky_message(user: &TestUser, subject: &str) -> Vec<u8> {
    let long = "L".repeat(990);
    format!(
        "From: {me}\r\nTo: {me}\r\nSubject: {subject}\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n\
         Message-ID: <{subject}.{pid}@interop.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         First line\r\n.leading dot\r\n..two dots\r\n.\r\nGrüße aus Köln\r\n{long}\r\nend\r\n",
        me = user.email,
        pid = std::process::id(),
    )
    .into_bytes()
}

/// What Exim stored, without the Received header it put on top (Maildir keeps LF ends).
fn without_received(stored: &[u8]) -> Vec<u8> {
    let mut rest = stored;
    let mut in_received = false;
    while let Some(end) = rest.iter().position(|b| *b == b'\n') {
        let line = &rest[..=end];
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if line.starts_with(b"Received:") || (in_received && continuation) {
            in_received = true;
            rest = &rest[end + 1..];
        } else {
            break;
        }
    }
    rest.to_vec()
}

/// How many times Exim accepted a message with this Message-ID (its "<=" log lines).
fn exim_accepted(c: &Courier, message_id: &str) -> usize {
    std::fs::read_to_string(&c.exim_log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(" <= ") && l.contains(&format!("id={message_id}")))
        .count()
}

fn crlf_to_lf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .into_bytes()
}

fn sends_exact_bytes(tls: Tls) {
    let _shared = EXIM_UP.read().unwrap_or_else(|e| e.into_inner());
    let c = courier();
    let user = c.new_user("exact");
    let home = home(c, &user, tls);
    let sent = tricky_message(&user, "exact-bytes");
    let out = home.run(&["send", "-t"], &sent);
    assert!(
        out.status.success(),
        "send: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let delivered = c.wait_exim_delivered(&user, 1);
    assert_eq!(
        String::from_utf8_lossy(&without_received(&delivered[0])),
        String::from_utf8_lossy(&crlf_to_lf(&sent)),
        "Exim delivered exactly what was sent"
    );
}

#[test]
fn send_over_starttls_delivers_the_exact_bytes() {
    sends_exact_bytes(Tls::StartTls);
}

#[test]
fn send_over_implicit_tls_delivers_the_exact_bytes() {
    sends_exact_bytes(Tls::Implicit);
}

#[test]
fn a_wrong_password_is_exit_77_with_one_line() {
    let _shared = EXIM_UP.read().unwrap_or_else(|e| e.into_inner());
    let c = courier();
    let user = c.new_user("wrongpw");
    let toml = c
        .account_toml(&user, "c", Incoming::Pop3, Tls::StartTls)
        .replace(
            &format!(
                "password_command = \"cat '{}'\"",
                c.password_file(&user).display()
            ),
            "password_command = \"echo not-the-password\"",
        );
    assert!(toml.contains("not-the-password"));
    let home = PostieHome::new(&toml);
    std::fs::set_permissions(
        home.config(),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let out = home.run(
        &["send", "--to", &user.email, "--subject", "never"],
        b"not sent\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(&c.host) && err.contains(&user.login), "{err}");
    // Like sync's: which account, and what to do.
    assert!(
        err.contains("account \"c\"") && err.contains("check what password_command prints"),
        "{err}"
    );
    assert!(
        !err.contains("not-the-password"),
        "no password in errors: {err}"
    );
    assert!(c.exim_delivered(&user).is_empty());
}

#[test]
fn a_refused_recipient_is_exit_76_with_one_line() {
    let _shared = EXIM_UP.read().unwrap_or_else(|e| e.into_inner());
    let c = courier();
    let user = c.new_user("rcpt");
    let home = home(c, &user, Tls::StartTls);
    let nobody = format!("nobody-{}@{}", std::process::id(), c.domain);
    let out = home.run(
        &["send", "--to", &nobody, "--subject", "lost"],
        b"to nobody\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(76), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(&nobody) && err.contains("550"), "{err}");
}

#[test]
fn the_outbox_holds_mail_while_exim_is_down_and_flushes_it_after() {
    let _alone = EXIM_UP.write().unwrap_or_else(|e| e.into_inner());
    let c = courier();
    let user = c.new_user("outbox");
    let home = home(c, &user, Tls::Implicit);
    c.stop_exim();
    let sent = tricky_message(&user, "queued-while-down");
    let out = home.run(&["send", "--queue", "-t"], &sent);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    c.start_exim();
    assert_eq!(out.status.code(), Some(75), "queued: {err}");
    let listed = home.ok(&["outbox", "list"]);
    assert!(listed.contains("queued-while-down"), "{listed}");
    assert!(c.exim_delivered(&user).is_empty());

    home.ok(&["outbox", "flush"]);
    let delivered = c.wait_exim_delivered(&user, 1);
    assert_eq!(
        String::from_utf8_lossy(&without_received(&delivered[0])),
        String::from_utf8_lossy(&crlf_to_lf(&sent))
    );
    let listed = home.ok(&["outbox", "list"]);
    assert!(!listed.contains("queued-while-down"), "sent once: {listed}");
    // Nothing is sent twice: Exim logs each message it accepts before it answers 250.
    home.ok(&["outbox", "flush"]);
    let mid = format!("queued-while-down.{}@interop.test", std::process::id());
    assert_eq!(exim_accepted(c, &mid), 1);
    assert_eq!(c.exim_delivered(&user).len(), 1);
}
