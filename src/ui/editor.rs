//! The text the external editor ($VISUAL / $EDITOR) sees: the draft's headers, a blank line,
//! then the body; and reading it back. Pure; the terminal runner does the file and process IO.
//!
//! Format (one header per line; repeated `Attach:` lines; unknown headers are an error so a
//! typo is not silently dropped):
//! ```text
//! To: a@x.test, Bob <b@y.test>
//! Cc:
//! Bcc:
//! Subject: Hello
//! Attach: /path/file.pdf
//!
//! Body...
//! ```

use std::path::PathBuf;

use crate::error::ErrorKind;

use super::types::{BackendError, Draft, DraftAttachment, split_addresses};

/// The editor text for a draft. Attachments taken from other messages (forwarding) are not
/// shown: they stay attached whatever the editor does.
pub fn to_text(d: &Draft) -> String {
    let mut s = format!(
        "To: {}\nCc: {}\nBcc: {}\nSubject: {}\n",
        d.to.join(", "),
        d.cc.join(", "),
        d.bcc.join(", "),
        d.subject
    );
    for a in &d.attachments {
        if let DraftAttachment::File(p) = a {
            s.push_str(&format!("Attach: {}\n", p.display()));
        }
    }
    s.push('\n');
    s.push_str(&d.body);
    // Editors expect (and some add) a final line end; the composer's body has none.
    if !d.body.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Read the edited text back into `original` (which keeps its account, threading headers and
/// forwarded parts).
pub fn from_text(original: &Draft, text: &str) -> Result<Draft, BackendError> {
    let mut d = Draft {
        attachments: Vec::new(),
        ..original.clone()
    };
    d.attachments.extend(
        original
            .attachments
            .iter()
            .filter(|a| !matches!(a, DraftAttachment::File(_)))
            .cloned(),
    );
    let text = text.replace("\r\n", "\n");
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b),
        None if text.trim().is_empty() => ("", ""),
        None => (text.as_str(), ""),
    };
    let (mut to, mut cc, mut bcc) = (Vec::new(), Vec::new(), Vec::new());
    for (n, line) in head.lines().enumerate() {
        let Some((name, value)) = line.split_once(':') else {
            return Err(BackendError::new(
                ErrorKind::Data,
                format!(
                    "cannot read the edited message: line {} is not a header (\"Name: value\"); keep a blank line before the body",
                    n + 1
                ),
            ));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "to" => to.extend(split_addresses(value)),
            "cc" => cc.extend(split_addresses(value)),
            "bcc" => bcc.extend(split_addresses(value)),
            "subject" => d.subject = value.to_string(),
            "attach" if !value.is_empty() => d
                .attachments
                .push(DraftAttachment::File(PathBuf::from(value))),
            "attach" => {}
            other => {
                return Err(BackendError::new(
                    ErrorKind::Data,
                    format!(
                        "cannot read the edited message: unknown header {other:?} on line {} (use To, Cc, Bcc, Subject, Attach)",
                        n + 1
                    ),
                ));
            }
        }
    }
    d.to = to;
    d.cc = cc;
    d.bcc = bcc;
    // The line end `to_text` added goes again (if the user left it); the rest is theirs.
    d.body = match body.strip_suffix('\n') {
        Some(trimmed) if !original.body.ends_with('\n') => trimmed.to_string(),
        _ => body.to_string(),
    };
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::types::MessageId;

    #[test]
    fn round_trips() {
        let d = Draft {
            account: "work".into(),
            from: None,
            to: vec!["\"Doe, J\" <j@x.test>".into(), "b@y.test".into()],
            cc: vec![],
            bcc: vec!["me@x.test".into()],
            subject: "Re: hi".into(),
            body: "Hello\n\n> quoted\n".into(),
            attachments: vec![
                DraftAttachment::File("/tmp/a.pdf".into()),
                DraftAttachment::Part {
                    message: MessageId("m1".into()),
                    part: 2,
                    name: "b.png".into(),
                },
            ],
            in_reply_to: Some("<x@y>".into()),
            references: vec!["<x@y>".into()],
            message_id: Some("<d@x.test>".into()),
            body_cursor: 0,
            pgp: None,
        };
        let text = to_text(&d);
        assert!(text.starts_with("To: \"Doe, J\" <j@x.test>, b@y.test\nCc: \nBcc: me@x.test\nSubject: Re: hi\nAttach: /tmp/a.pdf\n\nHello"));
        let back = from_text(&d, &text).unwrap();
        assert_eq!(back.to, d.to);
        assert_eq!(back.body, d.body);
        assert_eq!(back.attachments.len(), 2);
        assert_eq!(back.in_reply_to, d.in_reply_to);
    }

    #[test]
    fn the_file_ends_with_one_line_end_and_it_is_taken_off_again() {
        let d = Draft {
            to: vec!["a@x.test".into()],
            body: "Hello\n\n-- \nAlice".into(),
            ..Draft::default()
        };
        let text = to_text(&d);
        assert!(
            text.ends_with("Alice\n") && !text.ends_with("\n\n"),
            "{text:?}"
        );
        assert_eq!(from_text(&d, &text).unwrap().body, d.body);
        // An editor that adds no line end, and lines the user added, are kept as written.
        let edited = text.replace("Alice\n", "Alice\nPS: more\n\n");
        assert_eq!(
            from_text(&d, &edited).unwrap().body,
            "Hello\n\n-- \nAlice\nPS: more\n"
        );
        assert_eq!(
            from_text(&d, text.trim_end()).unwrap().body,
            "Hello\n\n-- \nAlice"
        );
        // A body that ends with a line end gets no second one.
        let ended = Draft {
            body: "Hi\n".into(),
            ..Draft::default()
        };
        assert!(to_text(&ended).ends_with("\n\nHi\n"));
        assert_eq!(from_text(&ended, &to_text(&ended)).unwrap().body, "Hi\n");
    }

    #[test]
    fn reports_bad_headers() {
        let e = from_text(&Draft::default(), "To: a@b\nFrm: x\n\nbody").unwrap_err();
        assert_eq!(
            e.message,
            "cannot read the edited message: unknown header \"frm\" on line 2 (use To, Cc, Bcc, Subject, Attach)"
        );
        // (The final line end is the one the file was given: it goes again.)
        let ok = from_text(&Draft::default(), "Subject: s\nTo: a@b, c@d\n\nbody\n").unwrap();
        assert_eq!(
            (ok.subject.as_str(), ok.to.len(), ok.body.as_str()),
            ("s", 2, "body")
        );
    }
}
