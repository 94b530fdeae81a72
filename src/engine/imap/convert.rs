//! Turning what the IMAP layer hands over into the store's values: an ENVELOPE record into a
//! [`mail::Envelope`](crate::mail::Envelope), IMAP flags into [`Flags`], and folder names and
//! roles between the server's spelling and the store's.
//!
//! Pure: no IO. ENVELOPE fields are raw bytes (RFC 2047 encoded words, sometimes raw 8-bit);
//! rather than decode them a second way, they are written back into a small header block and
//! parsed by the same code that parses stored messages, so an envelope-only row and the row
//! of the downloaded message agree.

use crate::mail::{Envelope, Flag, Flags};
use crate::proto::imap::{Address, EnvelopeRecord, Folder, FolderRole};

/// The envelope of a message from its ENVELOPE record (Date falls back to INTERNALDATE).
pub fn envelope(record: &EnvelopeRecord) -> Envelope {
    let mut head: Vec<u8> = Vec::with_capacity(512);
    match &record.date {
        Some(date) if !date.is_empty() => header(&mut head, b"Date", date),
        _ => {
            if let Some(d) = record.internal_date {
                header(&mut head, b"Date", d.to_rfc2822().as_bytes());
            }
        }
    }
    if let Some(subject) = &record.subject {
        header(&mut head, b"Subject", subject);
    }
    for (name, list) in [
        (&b"From"[..], &record.from),
        (b"To", &record.to),
        (b"Cc", &record.cc),
        (b"Reply-To", &record.reply_to),
    ] {
        let value = address_list(list);
        if !value.is_empty() {
            header(&mut head, name, &value);
        }
    }
    if let Some(id) = &record.message_id {
        header(&mut head, b"Message-ID", id);
    }
    // References / In-Reply-To / List-Id as sent (already CRLF-terminated lines).
    if !record.thread_headers.is_empty() {
        head.extend_from_slice(&record.thread_headers);
        if !record.thread_headers.ends_with(b"\n") {
            head.extend_from_slice(b"\r\n");
        }
    } else if let Some(irt) = &record.in_reply_to {
        header(&mut head, b"In-Reply-To", irt);
    }
    head.extend_from_slice(b"\r\n");
    let mut env = Envelope::parse(&head);
    env.size = u64::from(record.size);
    env
}

/// Appends `Name: value` with line breaks in the value folded away (a value may not end the
/// header block early).
fn header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend(
        value
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.extend_from_slice(b"\r\n");
}

/// An RFC 5322 address list from ENVELOPE addresses. Group markers (no host) are skipped.
/// Names holding encoded words stay unquoted so the parser decodes them; others are quoted.
fn address_list(list: &[Address]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in list {
        let (Some(mailbox), Some(host)) = (&a.mailbox, &a.host) else {
            continue;
        };
        if !out.is_empty() {
            out.extend_from_slice(b", ");
        }
        if let Some(name) = a.name.as_deref().filter(|n| !n.is_empty()) {
            if contains(name, b"=?") {
                out.extend_from_slice(name);
            } else {
                out.push(b'"');
                for &b in name {
                    if b == b'"' || b == b'\\' {
                        out.push(b'\\');
                    }
                    out.push(b);
                }
                out.push(b'"');
            }
            out.extend_from_slice(b" <");
            out.extend_from_slice(mailbox);
            out.push(b'@');
            out.extend_from_slice(host);
            out.push(b'>');
        } else {
            out.extend_from_slice(mailbox);
            out.push(b'@');
            out.extend_from_slice(host);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The store's flags for IMAP flags. Keywords and `\Recent` have no Maildir letter and are
/// dropped.
pub fn flags(imap: &[String]) -> Flags {
    let list: Vec<Flag> = imap
        .iter()
        .filter(|f| f.starts_with('\\'))
        .filter_map(|f| Flag::parse(f))
        .collect();
    Flags::from_flags(&list)
}

/// The store's `/`-separated name of a server folder (decoded from modified UTF-7, the
/// server's delimiter replaced by `/`). INBOX is always `INBOX`.
pub fn store_name(folder: &Folder) -> String {
    if folder.name.eq_ignore_ascii_case("INBOX") {
        return "INBOX".to_owned();
    }
    match folder.delimiter {
        Some(d) if d != '/' => folder.display_name.split(d).collect::<Vec<_>>().join("/"),
        _ => folder.display_name.clone(),
    }
}

/// The server's spelling of a store folder name, for folders not (yet) in a LIST reply:
/// `/` replaced by the delimiter, encoded as modified UTF-7.
pub fn server_name(store_name: &str, delimiter: Option<&str>) -> String {
    if store_name.eq_ignore_ascii_case("INBOX") {
        return "INBOX".to_owned();
    }
    let name = match delimiter {
        Some(d) if d != "/" && !d.is_empty() => store_name.replace('/', d),
        _ => store_name.to_owned(),
    };
    crate::proto::imap::encode_mailbox_name(&name)
}

/// The store's role string for a SPECIAL-USE role.
pub fn role(role: FolderRole) -> &'static str {
    match role {
        FolderRole::Inbox => "inbox",
        FolderRole::Sent => "sent",
        FolderRole::Drafts => "drafts",
        FolderRole::Trash => "trash",
        FolderRole::Junk => "junk",
        FolderRole::Archive => "archive",
        FolderRole::All => "all",
        FolderRole::Flagged => "flagged",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(name: Option<&[u8]>, mailbox: &[u8], host: &[u8]) -> Address {
        Address {
            name: name.map(<[u8]>::to_vec),
            mailbox: Some(mailbox.to_vec()),
            host: Some(host.to_vec()),
        }
    }

    fn record() -> EnvelopeRecord {
        EnvelopeRecord {
            uid: 7,
            flags: vec!["\\Seen".into(), "$Junk".into()],
            internal_date: None,
            size: 1234,
            modseq: Some(3),
            date: Some(b"Tue, 1 Jul 2025 10:00:00 +0200".to_vec()),
            subject: Some(b"=?UTF-8?Q?Caf=C3=A9?= news".to_vec()),
            from: vec![addr(Some(b"=?UTF-8?Q?Zo=C3=AB?="), b"zoe", b"x.test")],
            sender: vec![],
            reply_to: vec![],
            to: vec![
                addr(Some(b"Doe, \"J\""), b"j", b"y.test"),
                addr(None, b"k", b"y.test"),
                Address::default(),
            ],
            cc: vec![],
            bcc: vec![],
            in_reply_to: None,
            message_id: Some(b"<m1@x.test>".to_vec()),
            thread_headers: b"References: <a@x> <b@x>\r\nIn-Reply-To: <b@x>\r\n".to_vec(),
            parts: vec![],
        }
    }

    #[test]
    fn envelope_decodes_encoded_words_and_keeps_quoted_names() {
        let e = envelope(&record());
        assert_eq!(e.subject, "Café news");
        assert_eq!(e.from[0].name.as_deref(), Some("Zoë"));
        assert_eq!(e.from[0].email, "zoe@x.test");
        assert_eq!(e.to.len(), 2, "{:?}", e.to);
        assert_eq!(e.to[0].name.as_deref(), Some("Doe, \"J\""));
        assert_eq!(e.to[1].email, "k@y.test");
        assert_eq!(e.message_id.as_deref(), Some("m1@x.test"));
        assert_eq!(e.references, vec!["a@x", "b@x"]);
        assert_eq!(e.in_reply_to, vec!["b@x"]);
        assert_eq!(e.size, 1234);
        assert_eq!(e.tz_offset_minutes, 120);
        assert!(e.date.is_some());
    }

    #[test]
    fn a_line_break_in_a_field_cannot_inject_headers() {
        let mut r = record();
        r.subject = Some(b"a\r\n\r\nb".to_vec());
        let e = envelope(&r);
        assert!(e.subject.starts_with('a') && e.subject.ends_with('b'));
        assert_eq!(e.message_id.as_deref(), Some("m1@x.test"));
    }

    #[test]
    fn flags_map_system_flags_only() {
        let f = flags(&[
            "\\Seen".into(),
            "\\Flagged".into(),
            "\\Recent".into(),
            "x".into(),
        ]);
        assert_eq!(f.names(), vec!["seen", "flagged"]);
    }

    #[test]
    fn names_map_both_ways() {
        let f = Folder {
            name: "Lists.Caf&AOk-".into(),
            display_name: "Lists.Café".into(),
            delimiter: Some('.'),
            attributes: vec![],
            role: None,
            selectable: true,
        };
        assert_eq!(store_name(&f), "Lists/Café");
        assert_eq!(server_name("Lists/Café", Some(".")), "Lists.Caf&AOk-");
        assert_eq!(server_name("inbox", Some("/")), "INBOX");
    }
}
