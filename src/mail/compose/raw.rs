//! Raw messages handed to `postie send -t` or `postie send ADDR...`: check the header
//! section, take recipients from To/Cc/Bcc, and remove the Bcc fields.
//!
//! What must hold: apart from the removed Bcc (and Resent-Bcc) fields and a leading mbox
//! `From ` line, the output is the input byte for byte; line ends are left as they came (the
//! SMTP layer puts CRLF on the wire).

use mail_parser::{Address, HeaderName, MessageParser};

use super::{ComposeError, Mailbox};

/// A raw message checked and ready for submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRaw {
    /// The message without its Bcc fields.
    pub bytes: Vec<u8>,
    /// The addresses in To, Cc and Bcc, without duplicates (compared case-insensitively).
    pub header_recipients: Vec<String>,
    /// The first address of From, if any.
    pub from: Option<String>,
    /// The Message-ID with angle brackets, if the message has one.
    pub message_id: Option<String>,
}

/// One header field: its name and the byte range of all its lines.
struct Field<'a> {
    name: &'a [u8],
    start: usize,
    end: usize,
}

/// Checks `raw` and removes its Bcc fields. With `recipients_from_headers` (`send -t`), To/Cc/
/// Bcc must yield at least one valid address; otherwise addresses come from the command line
/// and unparseable header addresses are not an error.
pub fn prepare_raw(raw: &[u8], recipients_from_headers: bool) -> Result<PreparedRaw, ComposeError> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ComposeError::Empty);
    }
    // An mbox "From " separator line is not a header; sendmail drops it too.
    let raw = if raw.starts_with(b"From ") {
        match raw.iter().position(|&b| b == b'\n') {
            Some(nl) => &raw[nl + 1..],
            None => return Err(ComposeError::NoSeparator),
        }
    } else {
        raw
    };
    let (fields, header_end) = split_fields(raw)?;

    let mut bytes = Vec::with_capacity(raw.len());
    let mut copied = 0;
    for field in &fields {
        if field.name.eq_ignore_ascii_case(b"bcc") || field.name.eq_ignore_ascii_case(b"resent-bcc")
        {
            bytes.extend_from_slice(&raw[copied..field.start]);
            copied = field.end;
        }
    }
    bytes.extend_from_slice(&raw[copied..]);

    let parsed = MessageParser::new()
        .parse_headers(&raw[..header_end])
        .ok_or(ComposeError::Unparseable)?;
    let mut header_recipients: Vec<String> = Vec::new();
    for name in [HeaderName::To, HeaderName::Cc, HeaderName::Bcc] {
        for address in parsed.header_values(name).filter_map(|v| v.as_address()) {
            for (addr, name) in addresses(address) {
                let valid = addr.and_then(|a| Mailbox::new(a, None).ok());
                match valid {
                    Some(mailbox) => {
                        let known = header_recipients
                            .iter()
                            .any(|r| r.eq_ignore_ascii_case(&mailbox.addr));
                        if !known {
                            header_recipients.push(mailbox.addr);
                        }
                    }
                    None if recipients_from_headers => {
                        let shown = addr.or(name).unwrap_or_default();
                        return Err(ComposeError::InvalidAddress(shown.to_owned()));
                    }
                    None => {}
                }
            }
        }
    }
    if recipients_from_headers && header_recipients.is_empty() {
        return Err(ComposeError::NoRecipients);
    }
    let from = parsed
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_owned);
    let message_id = parsed.message_id().map(|id| format!("<{id}>"));
    Ok(PreparedRaw {
        bytes,
        header_recipients,
        from,
        message_id,
    })
}

/// Every (address, display name) of a list or of the groups in it.
fn addresses<'a>(address: &'a Address<'_>) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    match address {
        Address::List(list) => list.iter().map(|a| (a.address(), a.name())).collect(),
        Address::Group(groups) => groups
            .iter()
            .flat_map(|g| g.addresses.iter().map(|a| (a.address(), a.name())))
            .collect(),
    }
}

/// Splits the header section into fields; returns them and the offset just past the blank
/// separator line. Lines may end in LF or CRLF.
fn split_fields(raw: &[u8]) -> Result<(Vec<Field<'_>>, usize), ComposeError> {
    let mut fields: Vec<Field<'_>> = Vec::new();
    let mut pos = 0;
    let mut line_no = 0;
    loop {
        if pos >= raw.len() {
            return Err(ComposeError::NoSeparator);
        }
        line_no += 1;
        let end = match raw[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => pos + i + 1,
            None => return Err(ComposeError::NoSeparator),
        };
        let line = &raw[pos..end];
        let content = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        if content.is_empty() {
            return Ok((fields, end));
        }
        if content[0] == b' ' || content[0] == b'\t' {
            match fields.last_mut() {
                Some(field) => field.end = end,
                None => return Err(ComposeError::MalformedHeader { line: line_no }),
            }
        } else {
            let colon = content
                .iter()
                .position(|&b| b == b':')
                .ok_or(ComposeError::MalformedHeader { line: line_no })?;
            // Obsolete syntax allows blanks before the colon; the name itself is printable.
            let name = content[..colon].trim_ascii_end();
            if name.is_empty() || !name.iter().all(|&b| (33..=126).contains(&b)) {
                return Err(ComposeError::MalformedHeader { line: line_no });
            }
            fields.push(Field {
                name,
                start: pos,
                end,
            });
        }
        pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: Alice <alice@x.test>\r\n\
To: Bob <bob@x.test>, carol@x.test\r\n\
Cc: team: dave@x.test, \"Eve, E.\" <eve@x.test>;\r\n\
Bcc: =?UTF-8?B?Wm/Dqw==?= <zoe@y.test>,\r\n\x20BOB@x.test\r\n\
Subject: hi\r\n\
Message-ID: <1@x.test>\r\n\
\r\n\
body\r\nBcc: not a header\r\n";

    #[test]
    fn recipients_come_from_to_cc_bcc_with_groups_and_names() {
        let p = prepare_raw(MSG, true).expect("valid");
        assert_eq!(
            p.header_recipients,
            [
                "bob@x.test",
                "carol@x.test",
                "dave@x.test",
                "eve@x.test",
                "zoe@y.test"
            ]
        );
        assert_eq!(p.from.as_deref(), Some("alice@x.test"));
        assert_eq!(p.message_id.as_deref(), Some("<1@x.test>"));
    }

    #[test]
    fn bcc_is_removed_and_everything_else_is_identical() {
        let p = prepare_raw(MSG, true).expect("valid");
        let expected = b"From: Alice <alice@x.test>\r\n\
To: Bob <bob@x.test>, carol@x.test\r\n\
Cc: team: dave@x.test, \"Eve, E.\" <eve@x.test>;\r\n\
Subject: hi\r\n\
Message-ID: <1@x.test>\r\n\
\r\n\
body\r\nBcc: not a header\r\n";
        assert_eq!(p.bytes, expected.to_vec());
    }

    #[test]
    fn lf_messages_and_odd_bytes_pass_unchanged() {
        let raw = b"To: bob@x.test\nSubject: \xff\xfe latin\n\nbody \xe9\n.\n..\n";
        let p = prepare_raw(raw, true).expect("valid");
        assert_eq!(p.bytes, raw.to_vec());
        assert_eq!(p.header_recipients, ["bob@x.test"]);
    }

    #[test]
    fn an_mbox_from_line_is_dropped() {
        let p = prepare_raw(
            b"From alice Mon Jan 1 00:00:00 2024\nTo: b@x.test\n\nhi\n",
            true,
        )
        .expect("valid");
        assert_eq!(p.bytes, b"To: b@x.test\n\nhi\n".to_vec());
    }

    #[test]
    fn malformed_input_is_refused() {
        assert_eq!(prepare_raw(b"", true), Err(ComposeError::Empty));
        assert_eq!(prepare_raw(b" \n\n", true), Err(ComposeError::Empty));
        assert_eq!(
            prepare_raw(b"To: bob@x.test\nSubject: no body", true),
            Err(ComposeError::NoSeparator)
        );
        assert_eq!(
            prepare_raw(b"To: bob@x.test\n", true),
            Err(ComposeError::NoSeparator)
        );
        assert_eq!(
            prepare_raw(b"To: bob@x.test\nthis is not a header\n\nbody\n", true),
            Err(ComposeError::MalformedHeader { line: 2 })
        );
        assert_eq!(
            prepare_raw(b" folded first\n\nbody\n", true),
            Err(ComposeError::MalformedHeader { line: 1 })
        );
        assert_eq!(
            prepare_raw(b"Subject: x\n\nbody\n", true),
            Err(ComposeError::NoRecipients)
        );
        assert_eq!(
            prepare_raw(b"To: undisclosed-recipients:;\n\nbody\n", true),
            Err(ComposeError::NoRecipients)
        );
        assert!(matches!(
            prepare_raw(b"To: root\n\nbody\n", true),
            Err(ComposeError::InvalidAddress(_))
        ));
    }

    #[test]
    fn explicit_recipients_mode_tolerates_odd_headers() {
        let p = prepare_raw(
            b"To: undisclosed-recipients:;\nBcc: x@y.test\n\nbody\n",
            false,
        )
        .expect("valid");
        assert_eq!(p.bytes, b"To: undisclosed-recipients:;\n\nbody\n".to_vec());
    }
}
