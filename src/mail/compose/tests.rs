//! Composed messages read back with mail-parser: what a receiving client would see.

use super::*;
use mail_parser::{MessageParser, MimeHeaders as _};

fn draft() -> Draft {
    let mut d = Draft::new(Mailbox::new("alice@x.test", Some("Alice Ëxample")).expect("ok"));
    d.to = Mailbox::parse_list("Bob <bob@x.test>, \"Doe, Carol\" <carol@x.test>").expect("ok");
    d.cc = vec![Mailbox::new("dave@x.test", None).expect("ok")];
    d.bcc = vec![Mailbox::new("zoe@y.test", None).expect("ok")];
    d.subject = "Grüße — the quarterly report, with a subject long enough to need folding".into();
    d.body = "Hi Bob,\n\nhere it is: 5 € only.\n".into();
    d.date = DateTime::parse_from_rfc2822("Wed, 25 Nov 2026 18:22:15 +0100").ok();
    d.message_id = Some("<fixed.1@x.test>".into());
    d
}

#[test]
fn headers_round_trip_through_a_parser() {
    let c = draft().finish().expect("composes");
    assert!(c.bytes.is_ascii());
    let msg = MessageParser::default().parse(&c.bytes).expect("parses");
    assert_eq!(msg.subject(), Some(draft().subject.as_str()));
    let from = msg.from().and_then(|a| a.first()).expect("from");
    assert_eq!(from.name(), Some("Alice Ëxample"));
    assert_eq!(from.address(), Some("alice@x.test"));
    let to: Vec<_> = msg
        .to()
        .expect("to")
        .iter()
        .map(|a| (a.name(), a.address()))
        .collect();
    assert_eq!(
        to,
        [
            (Some("Bob"), Some("bob@x.test")),
            (Some("Doe, Carol"), Some("carol@x.test"))
        ]
    );
    assert_eq!(msg.message_id(), Some("fixed.1@x.test"));
    assert_eq!(
        msg.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-11-25T18:22:15+01:00")
    );
    assert_eq!(msg.header_raw("MIME-Version").map(str::trim), Some("1.0"));
    assert_eq!(
        msg.body_text(0).as_deref(),
        Some("Hi Bob,\r\n\r\nhere it is: 5 € only.\r\n")
    );
    assert!(msg.bcc().is_none());
    let text = String::from_utf8(c.bytes.clone()).expect("ascii");
    assert!(text.contains("Content-Transfer-Encoding: quoted-printable\r\n"));
    for line in text.split("\r\n") {
        assert!(line.len() <= 78, "{line:?}");
    }
    assert!(!text.replace("\r\n", "").contains('\n'));
}

#[test]
fn bcc_only_in_the_sent_copy_and_in_the_envelope() {
    let c = draft().finish().expect("composes");
    assert!(!String::from_utf8_lossy(&c.bytes).contains("zoe@y.test"));
    let copy = c.sent_copy();
    let msg = MessageParser::default().parse(&copy).expect("parses");
    assert_eq!(
        msg.bcc().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("zoe@y.test")
    );
    assert_eq!(msg.subject(), Some(draft().subject.as_str()));
    assert_eq!(c.envelope_from, "alice@x.test");
    assert_eq!(
        c.recipients,
        ["bob@x.test", "carol@x.test", "dave@x.test", "zoe@y.test"]
    );
}

#[test]
fn ascii_short_lines_go_as_7bit() {
    let mut d = draft();
    d.body = "plain\nascii".into();
    let c = d.finish().expect("composes");
    let text = String::from_utf8(c.bytes).expect("ascii");
    assert!(text.ends_with("Content-Transfer-Encoding: 7bit\r\n\r\nplain\r\nascii\r\n"));
}

/// RFC 3156 3: what a transport may change (trailing whitespace, "From " at a line start)
/// must be encoded under a signature; unsigned, short ASCII stays 7bit.
#[test]
fn a_text_to_be_signed_encodes_trailing_spaces_and_from_lines() {
    for body in ["ends in spaces   \nok", "x\nFrom the start\n", "tab\t\n"] {
        let mut d = draft();
        d.body = body.into();
        let plain = String::from_utf8(d.finish().expect("composes").bytes).expect("ascii");
        assert!(plain.contains("Content-Transfer-Encoding: 7bit"), "{plain}");
        d.sign_safe = true;
        let c = d.finish().expect("composes");
        let text = String::from_utf8(c.bytes.clone()).expect("ascii");
        assert!(
            text.contains("Content-Transfer-Encoding: quoted-printable"),
            "{body:?}: {text}"
        );
        assert!(
            !text.contains(" \r\n") && !text.contains("\t\r\n") && !text.contains("\nFrom "),
            "{text}"
        );
        let msg = MessageParser::default().parse(&c.bytes).expect("parses");
        let shown = msg.body_text(0).expect("text").replace("\r\n", "\n");
        assert_eq!(shown.trim_end_matches('\n'), body.trim_end_matches('\n'));
    }
}

#[test]
fn attachments_keep_their_bytes_names_and_types() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let mut d = draft();
    d.attachments = vec![
        Attachment {
            file_name: "data.bin".into(),
            content_type: None,
            data: binary.clone(),
        },
        Attachment {
            file_name: "Übersicht März 2026 — sehr langer Dateiname.pdf".into(),
            content_type: None,
            data: b"%PDF-1.4 fake".to_vec(),
        },
        Attachment {
            file_name: "notes.txt".into(),
            content_type: None,
            data: b"n\n".to_vec(),
        },
    ];
    let c = d.finish().expect("composes");
    let text = String::from_utf8(c.bytes.clone()).expect("ascii");
    for line in text.split("\r\n") {
        assert!(line.len() <= 78, "{line:?}");
    }
    let msg = MessageParser::default().parse(&c.bytes).expect("parses");
    assert_eq!(
        msg.body_text(0).as_deref(),
        Some("Hi Bob,\r\n\r\nhere it is: 5 € only.\r\n")
    );
    let parts: Vec<_> = msg.attachments().collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].attachment_name(), Some("data.bin"));
    assert_eq!(parts[0].contents(), binary.as_slice());
    assert_eq!(
        parts[0].content_type().map(|c| c.ctype()),
        Some("application")
    );
    assert_eq!(
        parts[0].content_type().and_then(|c| c.subtype()),
        Some("octet-stream")
    );
    assert_eq!(
        parts[1].attachment_name(),
        Some("Übersicht März 2026 — sehr langer Dateiname.pdf")
    );
    assert_eq!(
        parts[1].content_type().and_then(|c| c.subtype()),
        Some("pdf")
    );
    assert_eq!(parts[1].contents(), b"%PDF-1.4 fake");
    assert!(text.contains("filename*0*=utf-8''%C3%9Cbersicht"));
    assert_eq!(
        parts[2].content_type().and_then(|c| c.attribute("charset")),
        Some("utf-8")
    );
}

#[test]
fn forward_as_attachment_embeds_the_original() {
    let original =
        b"From: bob@x.test\r\nTo: alice@x.test\r\nSubject: orig\r\n\r\nbody \xc3\xa9\r\n";
    let me = Mailbox::new("alice@x.test", None).expect("ok");
    let mut d = forward(original, &me, ForwardMode::Attachment).expect("parses");
    d.to = vec![Mailbox::new("carol@x.test", None).expect("ok")];
    d.message_id = Some("<f@x.test>".into());
    let c = d.finish().expect("composes");
    let text = String::from_utf8_lossy(&c.bytes);
    assert!(text.contains("Content-Type: message/rfc822\r\n"));
    assert!(text.contains("Content-Transfer-Encoding: 8bit\r\n"));
    let msg = MessageParser::default().parse(&c.bytes).expect("parses");
    assert_eq!(msg.subject(), Some("Fwd: orig"));
    let inner = msg
        .attachment(0)
        .and_then(|p| p.message())
        .expect("nested message");
    assert_eq!(inner.subject(), Some("orig"));
}

#[test]
fn no_recipients_is_an_error() {
    let d = Draft::new(Mailbox::new("a@x.test", None).expect("ok"));
    assert_eq!(d.finish(), Err(ComposeError::NoRecipients));
}

#[test]
fn mailbox_parsing() {
    assert!(Mailbox::new("no-at-sign", None).is_err());
    assert!(Mailbox::new("a b@x.test", None).is_err());
    assert!(Mailbox::parse_list("bob@x.test, <c@x.test>").is_ok());
    let list = Mailbox::parse_list("\"Last, First\" <lf@x.test>,x@y.test").expect("ok");
    assert_eq!(list[0].name.as_deref(), Some("Last, First"));
    assert_eq!(list[1].addr, "x@y.test");
}

#[test]
fn message_ids_are_unique_and_on_the_domain() {
    let a = new_message_id("x.test");
    let b = new_message_id("x.test");
    assert_ne!(a, b);
    assert!(a.starts_with('<') && a.ends_with("@x.test>"));
}

#[test]
fn several_forwarded_messages_are_message_rfc822_parts_byte_for_byte() {
    let one: &[u8] = b"From: a@x.test\r\nSubject: one\r\n\r\nfirst body\r\n";
    let two: &[u8] =
        b"From: b@x.test\r\nSubject: two\r\nContent-Type: text/html\r\n\r\n<p>caf\xc3\xa9</p>\r\n";
    let mut d = Draft::new(Mailbox::new("me@x.test", None).expect("ok"));
    d.to.push(Mailbox::new("bob@x.test", None).expect("ok"));
    d.subject = "Fwd: one".into();
    d.body = "see below".into();
    d.attached_messages = vec![one.to_vec(), two.to_vec()];
    let bytes = d.finish().expect("composes").bytes;
    let msg = mail_parser::MessageParser::default()
        .parse(&bytes)
        .expect("parses");
    let parts: Vec<&[u8]> = msg
        .parts
        .iter()
        .filter_map(|p| match &p.body {
            mail_parser::PartType::Message(_) => {
                assert_eq!(
                    p.content_type().map(|c| (c.ctype(), c.subtype())),
                    Some(("message", Some("rfc822")))
                );
                Some(&bytes[p.offset_body as usize..p.offset_end as usize])
            }
            _ => None,
        })
        .collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].trim_ascii_end(), one.trim_ascii_end());
    assert_eq!(parts[1].trim_ascii_end(), two.trim_ascii_end());
    assert!(msg.body_text(0).expect("text").contains("see below"));
}
