use std::collections::BTreeMap;

use clap::Parser;

use super::*;
use crate::config::{Incoming, MaildirIncoming, Outgoing, Server, TlsMode};

#[derive(Debug, Parser)]
struct Wrapper {
    #[command(flatten)]
    args: SendArgs,
}

fn parse(argv: &[&str]) -> SendArgs {
    Wrapper::try_parse_from(std::iter::once("send").chain(argv.iter().copied()))
        .expect("parses")
        .args
}

fn account(name: &str, email: &str, outgoing: bool) -> Account {
    Account {
        name: name.into(),
        email: email.into(),
        display_name: Some("Alice Example".into()),
        default: false,
        incoming: Incoming::Maildir(MaildirIncoming {
            path: "/tmp/none".into(),
        }),
        check_interval: None,
        notify_command: None,
        identities: Vec::new(),
        aliases: Vec::new(),
        reply_style: None,
        pgp: Default::default(),
        outgoing: outgoing.then(|| Outgoing {
            server: Server {
                host: "smtp.x.test".into(),
                port: 465,
                tls: TlsMode::Implicit,
                allow_plaintext: false,
                ca_file: None,
                oauth2: None,
                user: email.into(),
                password_command: None,
                auth: Default::default(),
                oauth2_token_command: None,
            },
            queue_on_failure: false,
        }),
    }
}

pub(super) fn config() -> Config {
    Config {
        path: None,
        theme: "default".into(),
        data_dir: "/tmp/none".into(),
        accounts: vec![
            account("work", "alice@x.test", true),
            account("home", "alice@home.test", true),
            account("readonly", "ro@x.test", false),
        ],
        keys: BTreeMap::new(),
        folder_pane: None,
        address_book_command: None,
        headers: None,
        auto_view: Vec::new(),
        index_decrypted: false,
    }
}

#[test]
fn sendmail_flags_parse() {
    let a = parse(&[
        "-oi",
        "-oem",
        "-i",
        "-f",
        "alice@home.test",
        "--",
        "bob@x.test",
        "carol@x.test",
    ]);
    assert!(a.ignore_dots);
    assert_eq!(a.sendmail_options, ["i", "em"]);
    assert_eq!(a.envelope_from.as_deref(), Some("alice@home.test"));
    assert_eq!(a.recipients, ["bob@x.test", "carol@x.test"]);
    let a = parse(&["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root@x.test"]);
    assert_eq!(a.recipients, ["root@x.test"]);
    let a = parse(&["-t", "-oi"]);
    assert!(a.read_recipients);
}

#[test]
fn explicit_recipients_with_git_send_email_style() {
    let args = parse(&["-i", "-f", "alice@home.test", "bob@x.test"]);
    let raw = b"From: Alice <alice@home.test>\nTo: bob@x.test\nBcc: hidden@x.test\nSubject: [PATCH] x\n\ndiff\n";
    let plan = plan(&args, &config(), &mut &raw[..]).expect("plan");
    assert_eq!(
        plan.account, "home",
        "-f picks the account with that address"
    );
    assert_eq!(plan.envelope.from, "alice@home.test");
    assert_eq!(plan.envelope.recipients, ["bob@x.test"]);
    assert_eq!(
        plan.message,
        b"From: Alice <alice@home.test>\nTo: bob@x.test\nSubject: [PATCH] x\n\ndiff\n".to_vec()
    );
}

#[test]
fn recipients_from_headers() {
    let args = parse(&["-t"]);
    let raw =
        b"To: bob@x.test\nCc: Carol <carol@x.test>\nBcc: zoe@y.test\nMessage-ID: <a@b>\n\nhi\n";
    let plan = plan(&args, &config(), &mut &raw[..]).expect("plan");
    assert_eq!(plan.account, "work");
    assert_eq!(plan.envelope.from, "alice@x.test");
    assert_eq!(
        plan.envelope.recipients,
        ["bob@x.test", "carol@x.test", "zoe@y.test"]
    );
    assert!(!String::from_utf8_lossy(&plan.message).contains("zoe"));
    assert_eq!(plan.message_id.as_deref(), Some("<a@b>"));
}

#[test]
fn compose_from_flags() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("Bericht für März.pdf");
    std::fs::write(&file, b"%PDF").expect("write");
    let file_arg = file.to_string_lossy().into_owned();
    let args = parse(&[
        "--from",
        "home",
        "--to",
        "Bob <bob@x.test>",
        "--bcc",
        "zoe@y.test",
        "--subject",
        "Grüße",
        "--attach",
        &file_arg,
    ]);
    let plan = plan(&args, &config(), &mut &b"body text\n"[..]).expect("plan");
    assert_eq!(plan.account, "home");
    assert_eq!(plan.envelope.from, "alice@home.test");
    assert_eq!(plan.envelope.recipients, ["bob@x.test", "zoe@y.test"]);
    let msg = mail_parser::MessageParser::default()
        .parse(&plan.message)
        .expect("parses");
    assert_eq!(msg.subject(), Some("Grüße"));
    assert!(msg.bcc().is_none());
    let copy = mail_parser::MessageParser::default()
        .parse(&plan.sent_copy)
        .expect("parses");
    assert!(copy.bcc().is_some());
    use mail_parser::MimeHeaders as _;
    assert_eq!(
        msg.attachment(0).and_then(|a| a.attachment_name()),
        Some("Bericht für März.pdf")
    );
    assert!(plan.message_id.is_some());
}

#[test]
fn usage_and_input_errors_have_the_right_kinds() {
    let kind = |argv: &[&str], stdin: &[u8]| {
        plan(&parse(argv), &config(), &mut &stdin[..])
            .expect_err("fails")
            .kind()
    };
    assert_eq!(kind(&[], b"x"), ErrorKind::Usage);
    assert_eq!(kind(&["--to", "b@x.test", "-t"], b""), ErrorKind::Usage);
    assert_eq!(
        kind(&["--to", "b@x.test", "c@x.test"], b""),
        ErrorKind::Usage
    );
    assert_eq!(
        kind(&["--to", "b@x.test"], b"body"),
        ErrorKind::Usage,
        "no subject"
    );
    assert_eq!(
        kind(&["--to", "not an address", "--subject", "s"], b""),
        ErrorKind::Usage
    );
    assert_eq!(kind(&["-t"], b""), ErrorKind::Data, "empty stdin");
    assert_eq!(kind(&["bob@x.test"], b""), ErrorKind::Data, "empty stdin");
    assert_eq!(
        kind(&["-t"], b"Subject: x\n\nno recipients\n"),
        ErrorKind::Data
    );
    assert_eq!(
        kind(&["bob@x.test"], b"just text, no header\n"),
        ErrorKind::Data
    );
    assert_eq!(
        kind(&["--to", "b@x.test", "--subject", "s"], b"\xff\xfe"),
        ErrorKind::Data
    );
    assert_eq!(
        kind(
            &[
                "--to",
                "b@x.test",
                "--subject",
                "s",
                "--attach",
                "/nonexistent/x"
            ],
            b""
        ),
        ErrorKind::Usage
    );
    assert_eq!(
        kind(&["--from", "nosuch", "bob@x.test"], b"To: b@x.test\n\nx\n"),
        ErrorKind::Config
    );
    assert_eq!(
        kind(
            &["--from", "readonly", "bob@x.test"],
            b"To: b@x.test\n\nx\n"
        ),
        ErrorKind::Config
    );
}

#[test]
fn dry_run_prints_the_message_and_envelope() {
    let args = parse(&["--dry-run", "bob@x.test"]);
    let raw = b"To: bob@x.test\n\nhi\n";
    let plan = plan(&args, &config(), &mut &raw[..]).expect("plan");
    assert!(plan.dry_run);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    print_dry_run(&plan, &mut out, &mut err).expect("prints");
    assert_eq!(out, raw.to_vec());
    assert_eq!(
        String::from_utf8(err).expect("utf8"),
        "postie: dry run, nothing sent: account work, MAIL FROM:<alice@x.test>, RCPT TO:<bob@x.test>\n"
    );
}

#[test]
fn a_temporary_refusal_that_was_not_queued_is_not_exit_75() {
    let rejected = |temporary| {
        SendError::Smtp(SmtpError::Rejected {
            host: "h".into(),
            stage: crate::proto::smtp::Stage::DataEnd,
            code: if temporary { "451" } else { "554" }.into(),
            text: "t".into(),
            temporary,
        })
    };
    assert_eq!(rejected(true).kind(), ErrorKind::Network);
    assert_eq!(rejected(false).kind(), ErrorKind::Protocol);
}

#[test]
fn from_an_identity_address_picks_its_account_and_sends_as_it() {
    let mut config = config();
    config.accounts[1].identities = vec![crate::config::Identity {
        from: "Alice (lists) <lists@home.test>".into(),
        address: "lists@home.test".into(),
        signature: None,
        pgp_key: None,
    }];
    for argv in [
        &[
            "--from",
            "LISTS@home.test",
            "--to",
            "bob@x.test",
            "--subject",
            "s",
        ][..],
        &[
            "-f",
            "lists@home.test",
            "--to",
            "bob@x.test",
            "--subject",
            "s",
        ][..],
    ] {
        let plan = plan(&parse(argv), &config, &mut &b"body\n"[..]).expect("plan");
        assert_eq!(plan.account, "home", "{argv:?}");
        assert_eq!(plan.envelope.from, "lists@home.test", "{argv:?}");
        let msg = mail_parser::MessageParser::default()
            .parse(&plan.message)
            .expect("parses");
        let from = msg.from().and_then(|f| f.first()).expect("a From");
        assert_eq!(
            (from.name(), from.address()),
            (Some("Alice (lists)"), Some("lists@home.test")),
            "{argv:?}"
        );
    }
    // An address that is no identity is still refused as an account name.
    let err = plan(
        &parse(&[
            "--from",
            "nobody@home.test",
            "--to",
            "b@x.test",
            "--subject",
            "s",
        ]),
        &config,
        &mut &b"body\n"[..],
    )
    .map(|_| ())
    .unwrap_err();
    assert!(matches!(err, SendError::NoSuchAccount(_)), "{err:?}");
}
