//! `postie send` against the real Postfix submission service (STARTTLS on 587-like, implicit
//! TLS on 465-like) delivering through Dovecot: what arrives in the recipients' Maildirs.
//!
//! The binary runs with a clean environment and a config in a temp dir; the password comes
//! from a file through password_command, so it is never in argv.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use mail_parser::{MessageParser, MimeHeaders as _};
use support::{TestUser, servers};

const WAIT: Duration = Duration::from_secs(15);

/// A temp dir with a config for `user` sending through `port` with `tls`.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(user: &TestUser, port: u16, tls: &str) -> Setup {
        Setup::with(user, port, tls, &user.password, true)
    }

    fn with(user: &TestUser, port: u16, tls: &str, password: &str, ca: bool) -> Setup {
        let s = servers();
        let dir = tempfile::tempdir().expect("tempdir");
        let pw = dir.path().join("pw");
        std::fs::write(&pw, format!("{password}\n")).expect("write pw");
        let ca_line = if ca {
            format!("ca_file = {:?}\n", s.ca_file.display().to_string())
        } else {
            String::new()
        };
        let config = format!(
            r#"[accounts.main]
email = "{email}"
name = "Test Sender"

[accounts.main.incoming]
protocol = "maildir"
path = {maildir:?}

[accounts.main.outgoing]
host = {host:?}
port = {port}
tls = "{tls}"
user = "{login}"
password_command = "cat {pw}"
{ca_line}"#,
            email = user.email,
            maildir = dir.path().join("Maildir").display().to_string(),
            host = s.host,
            login = user.login,
            pw = pw.display(),
        );
        std::fs::write(dir.path().join("config.toml"), config).expect("write config");
        Setup { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn send(&self, args: &[&str], stdin: &[u8]) -> Output {
        let home = self.dir.path();
        Command::cargo_bin("postie")
            .expect("binary")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .arg("--config")
            .arg(self.config())
            .arg("send")
            .args(args)
            .write_stdin(stdin.to_vec())
            .timeout(Duration::from_secs(60))
            .output()
            .expect("runs")
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit status; stderr: {}; stdout: {}",
        stderr(out),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The header section of a stored message (Dovecot stores LF line ends).
fn header_section(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    text.split("\n\n").next().unwrap_or_default().to_owned()
}

async fn only_message(user: &TestUser) -> Vec<u8> {
    let files = user.wait_for_messages("INBOX", 1, WAIT).await;
    assert_eq!(files.len(), 1, "{}: {files:?}", user.email);
    std::fs::read(&files[0]).expect("read delivered message")
}

fn write_file(dir: &Path, name: &str, data: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write attachment");
    path.display().to_string()
}

#[tokio::test]
async fn attachments_and_utf8_subject_arrive_intact_over_implicit_tls() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let setup = Setup::new(&alice, s.ports.submissions, "implicit");
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let files = tempfile::tempdir().expect("tempdir");
    let bin = write_file(files.path(), "data.bin", &binary);
    let pdf_bytes = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec();
    let pdf = write_file(files.path(), "Übersicht März – Größe.pdf", &pdf_bytes);
    let subject = "Grüße aus Köln — 日本語の件名 with a long tail to force folding of the header";

    let out = setup.send(
        &[
            "--to",
            &format!("Bob <{}>", bob.email),
            "--subject",
            subject,
            "--attach",
            &bin,
            "--attach",
            &pdf,
        ],
        "Hallo Bob,\n\nanbei die Dateien. Preis: 5 €.\n".as_bytes(),
    );
    assert_exit(&out, 0);

    let raw = only_message(&bob).await;
    let msg = MessageParser::default().parse(&raw).expect("parses");
    assert_eq!(msg.subject(), Some(subject));
    let from = msg.from().and_then(|a| a.first()).expect("from");
    assert_eq!(from.address(), Some(alice.email.as_str()));
    assert_eq!(from.name(), Some("Test Sender"));
    assert!(msg.body_text(0).expect("text").contains("Preis: 5 €."));
    let parts: Vec<_> = msg.attachments().collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].attachment_name(), Some("data.bin"));
    assert_eq!(
        parts[0].contents(),
        binary.as_slice(),
        "binary attachment bytes"
    );
    assert_eq!(
        parts[1].attachment_name(),
        Some("Übersicht März – Größe.pdf")
    );
    assert_eq!(
        parts[1].content_type().and_then(|c| c.subtype()),
        Some("pdf")
    );
    assert_eq!(
        parts[1].contents(),
        pdf_bytes.as_slice(),
        "pdf attachment bytes"
    );
}

#[tokio::test]
async fn dash_t_delivers_to_bcc_and_no_copy_shows_it() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let carol = s.new_user("carol");
    let dave = s.new_user("dave");
    let setup = Setup::new(&alice, s.ports.submission, "starttls");
    let message = format!(
        "From: Test Sender <{}>\nTo: Bob <{}>\nCc: {}\nBcc: Dave Secret <{}>\nSubject: -t with Bcc\n\nhello all\n",
        alice.email, bob.email, carol.email, dave.email
    );
    let out = setup.send(&["-t", "-oi"], message.as_bytes());
    assert_exit(&out, 0);

    for user in [&bob, &carol, &dave] {
        let raw = only_message(user).await;
        let head = header_section(&raw);
        assert!(
            head.contains("Subject: -t with Bcc"),
            "{}: {head}",
            user.email
        );
        assert!(
            !head.to_ascii_lowercase().contains("\nbcc:") && !head.contains(&dave.email),
            "{} got a Bcc trace: {head}",
            user.email
        );
    }
}

#[tokio::test]
async fn sendmail_style_dash_i_dash_f_with_recipient_arguments() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let setup = Setup::new(&alice, s.ports.submission, "starttls");
    // What git send-email pipes: LF line ends, and a body line holding a single dot.
    let message = format!(
        "From: Test Sender <{a}>\nTo: {b}\nSubject: [PATCH] fix the thing\nMessage-ID: <patch-1@{d}>\n\n---\n.\n..double\n-- \n2.43.0\n",
        a = alice.email,
        b = bob.email,
        d = s.domain
    );
    let out = setup.send(&["-i", "-f", &alice.email, &bob.email], message.as_bytes());
    assert_exit(&out, 0);

    let raw = only_message(&bob).await;
    let text = String::from_utf8_lossy(&raw).replace("\r\n", "\n");
    assert!(text.contains("Subject: [PATCH] fix the thing\n"), "{text}");
    assert!(text.contains("Message-ID: <patch-1@"), "{text}");
    let body = text.split_once("\n\n").map(|(_, b)| b).unwrap_or_default();
    assert_eq!(
        body, "---\n.\n..double\n-- \n2.43.0\n",
        "dots survive exactly"
    );
}

#[tokio::test]
async fn wrong_password_exits_77() {
    let s = servers();
    let alice = s.new_user("alice");
    let setup = Setup::with(
        &alice,
        s.ports.submission,
        "starttls",
        "not-the-password",
        true,
    );
    let out = setup.send(&["--to", &alice.email, "--subject", "x"], b"body\n");
    assert_exit(&out, 77);
    let err = stderr(&out);
    assert!(err.contains("535"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[tokio::test]
async fn server_down_exits_69() {
    let s = servers();
    let alice = s.new_user("alice");
    let port = {
        let listener = std::net::TcpListener::bind((s.host.as_str(), 0)).expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let setup = Setup::new(&alice, port, "starttls");
    let out = setup.send(&["--to", &alice.email, "--subject", "x"], b"body\n");
    assert_exit(&out, 69);
    assert!(stderr(&out).contains("cannot connect"), "{}", stderr(&out));
}

#[tokio::test]
async fn untrusted_certificate_exits_69_and_names_ca_file() {
    let s = servers();
    let alice = s.new_user("alice");
    let setup = Setup::with(
        &alice,
        s.ports.submissions,
        "implicit",
        &alice.password,
        false,
    );
    let out = setup.send(&["--to", &alice.email, "--subject", "x"], b"body\n");
    assert_exit(&out, 69);
    assert!(stderr(&out).contains("ca_file"), "{}", stderr(&out));
}

#[tokio::test]
async fn relay_to_a_foreign_domain_is_refused_clearly() {
    let s = servers();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let setup = Setup::new(&alice, s.ports.submission, "starttls");
    let out = setup.send(
        &[
            "--to",
            &bob.email,
            "--to",
            "someone@elsewhere.example",
            "--subject",
            "x",
        ],
        b"body\n",
    );
    assert!(!out.status.success(), "relay must fail");
    assert_ne!(
        out.status.code(),
        Some(75),
        "a permanent refusal is not 'try later'"
    );
    let err = stderr(&out);
    assert!(
        err.contains("RCPT TO <someone@elsewhere.example>") && err.contains("Relay access denied"),
        "{err}"
    );
    // Nothing was sent to anyone: the whole transaction was abandoned.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(bob.message_files("INBOX").is_empty());
}

#[tokio::test]
async fn empty_stdin_exits_65() {
    let s = servers();
    let alice = s.new_user("alice");
    let setup = Setup::new(&alice, s.ports.submission, "starttls");
    assert_exit(&setup.send(&["-t"], b""), 65);
    assert_exit(&setup.send(&[&alice.email], b""), 65);
    assert_exit(&setup.send(&["-t"], b"To: nobody\nno separator"), 65);
}
