//! Replies and forwards derived from the bytes of an original message.
//!
//! What must hold: a reply carries In-Reply-To and References so threads stay threads, has
//! exactly one "Re: ", quotes the original under an "On DATE, NAME wrote:" line, and a
//! reply-all never includes the user's own address or the same address twice. The quoted and
//! forwarded text is the text the reader shows ([`body_text`]): HTML rendered the same way,
//! lines kept (no re-flow, so code and patches survive).

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders as _};

use super::{Attachment, ComposeError, Draft, Mailbox};
use crate::mail::body::{READING_WIDTH, body_text};

/// How to forward: the text quoted in the body (with the original's attachments), or the
/// whole original attached as `message/rfc822`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardMode {
    Inline,
    Attachment,
}

/// Where the user writes a reply: below the quote (the default, like mutt) or above it
/// (config `reply_style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyStyle {
    #[default]
    Bottom,
    Top,
}

impl ReplyStyle {
    /// Lays out a reply's body (the attribution line and the quote, as [`reply`] writes it)
    /// for writing: the body and the line the cursor starts on, an empty line that is
    /// separated from the quote by a blank one (below it for `Bottom`, above it for `Top`).
    pub fn arrange(self, quoted: &str) -> (String, usize) {
        let mut quoted = quoted.to_owned();
        if !quoted.is_empty() && !quoted.ends_with('\n') {
            quoted.push('\n');
        }
        match self {
            ReplyStyle::Bottom => {
                let body = format!("{quoted}\n");
                let cursor = body.split('\n').count() - 1;
                (body, cursor)
            }
            ReplyStyle::Top => (format!("\n\n{quoted}"), 0),
        }
    }
}

fn parse(original: &[u8]) -> Result<Message<'_>, ComposeError> {
    MessageParser::default()
        .parse(original)
        .ok_or(ComposeError::Unparseable)
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|a| Mailbox::new(a.address()?, a.name()).ok())
        .collect()
}

fn same(a: &Mailbox, b: &Mailbox) -> bool {
    a.addr.eq_ignore_ascii_case(&b.addr)
}

/// Removes every leading "Re:" (any case, also "Re[2]:" and "RE :"), so one can be added.
fn strip_re(subject: &str) -> &str {
    let mut s = subject.trim_start();
    loop {
        let lower = s.get(..2).map(str::to_ascii_lowercase);
        if lower.as_deref() != Some("re") {
            return s;
        }
        let rest = s[2..].trim_start();
        let rest = match rest.strip_prefix('[') {
            Some(r) => match r.find(']') {
                Some(close) if r[..close].chars().all(|c| c.is_ascii_digit()) => &r[close + 1..],
                _ => return s,
            },
            None => rest,
        };
        match rest.trim_start().strip_prefix(':') {
            Some(r) => s = r.trim_start(),
            None => return s,
        }
    }
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![format!("<{id}>")],
        HeaderValue::TextList(list) => list.iter().map(|id| format!("<{id}>")).collect(),
        _ => Vec::new(),
    }
}

fn display(mailbox: &Mailbox) -> String {
    match &mailbox.name {
        Some(name) => format!("{name} <{}>", mailbox.addr),
        None => mailbox.addr.clone(),
    }
}

/// Quotes text: "> " before each line (">" before empty or already quoted lines).
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    for line in text.trim_end().lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            out.push_str(">\n");
        } else if line.starts_with('>') {
            out.push('>');
            out.push_str(line);
            out.push('\n');
        } else {
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A reply to `original` from `me`. `all`: also to the original's To and Cc (minus `me`).
pub fn reply(original: &[u8], me: &Mailbox, all: bool) -> Result<Draft, ComposeError> {
    let msg = parse(original)?;
    let from = mailboxes(msg.from());
    let reply_to = mailboxes(msg.reply_to());
    let orig_to = mailboxes(msg.to());
    let orig_cc = mailboxes(msg.cc());

    let mut to = if reply_to.is_empty() {
        from.clone()
    } else {
        reply_to
    };
    // Replying to one's own message goes to its original recipients, as mutt does.
    if to.iter().all(|m| same(m, me)) && !orig_to.is_empty() {
        to = orig_to.clone();
    }
    let mut draft = Draft::new(me.clone());
    for m in to {
        if !same(&m, me) && !draft.to.iter().any(|t| same(t, &m)) {
            draft.to.push(m);
        }
    }
    if all {
        for m in orig_to.into_iter().chain(orig_cc) {
            let seen = draft.to.iter().chain(&draft.cc).any(|t| same(t, &m));
            if !same(&m, me) && !seen {
                draft.cc.push(m);
            }
        }
    }
    if draft.to.is_empty() && !draft.cc.is_empty() {
        draft.to.push(draft.cc.remove(0));
    }

    draft.subject = format!("Re: {}", strip_re(msg.subject().unwrap_or_default()));
    let parent = msg.message_id().map(|id| format!("<{id}>"));
    let mut references = ids(msg.references());
    if references.is_empty() {
        references = ids(msg.in_reply_to());
    }
    if let Some(parent) = &parent
        && !references.contains(parent)
    {
        references.push(parent.clone());
    }
    draft.in_reply_to = parent;
    draft.references = references;

    let author = from
        .first()
        .map(|m| m.name.clone().unwrap_or_else(|| m.addr.clone()))
        .unwrap_or_else(|| "someone".to_owned());
    let attribution = match msg.date() {
        Some(date) => format!("On {}, {author} wrote:", date.to_rfc822()),
        None => format!("{author} wrote:"),
    };
    // The text the reader shows (HTML rendered, links as references), quoted line by line.
    let text = body_text(&msg, READING_WIDTH);
    draft.body = format!("{attribution}\n{}", quote(&text));
    Ok(draft)
}

/// A forward of `original` from `me`; the caller fills in the recipients.
pub fn forward(original: &[u8], me: &Mailbox, mode: ForwardMode) -> Result<Draft, ComposeError> {
    let msg = parse(original)?;
    let mut draft = Draft::new(me.clone());
    let subject = msg.subject().unwrap_or_default();
    draft.subject = if subject.to_ascii_lowercase().starts_with("fwd:") {
        subject.to_owned()
    } else {
        format!("Fwd: {subject}")
    };
    match mode {
        ForwardMode::Attachment => draft.attached_messages.push(original.to_vec()),
        ForwardMode::Inline => {
            let list = |a: Option<&Address<'_>>| {
                mailboxes(a)
                    .iter()
                    .map(display)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut body = String::from("\n\n---------- Forwarded message ----------\n");
            body.push_str(&format!("From: {}\n", list(msg.from())));
            if let Some(date) = msg.date() {
                body.push_str(&format!("Date: {}\n", date.to_rfc822()));
            }
            body.push_str(&format!("Subject: {subject}\n"));
            body.push_str(&format!("To: {}\n", list(msg.to())));
            if msg.cc().is_some() {
                body.push_str(&format!("Cc: {}\n", list(msg.cc())));
            }
            body.push('\n');
            body.push_str(&body_text(&msg, READING_WIDTH));
            draft.body = body;
            for (n, part) in msg.attachments().enumerate() {
                let content_type = part.content_type().map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{sub}", ct.ctype()),
                    None => ct.ctype().to_owned(),
                });
                draft.attachments.push(Attachment {
                    file_name: part
                        .attachment_name()
                        .map_or_else(|| format!("attachment-{}", n + 1), str::to_owned),
                    content_type,
                    data: part.contents().to_vec(),
                });
            }
        }
    }
    Ok(draft)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Mailbox {
        Mailbox::new("alice@x.test", Some("Alice")).expect("valid")
    }

    const ORIGINAL: &[u8] = b"From: Bob Builder <bob@x.test>\r\n\
To: Alice <ALICE@x.test>, carol@x.test\r\n\
Cc: dave@x.test, bob@x.test, Carol <carol@x.test>\r\n\
Subject: RE: Re[2]: re:  plans\r\n\
Date: Tue, 24 Nov 2026 10:00:00 +0100\r\n\
Message-ID: <m3@x.test>\r\n\
References: <m1@x.test> <m2@x.test>\r\n\
In-Reply-To: <m2@x.test>\r\n\
\r\n\
Hello,\r\n\
> earlier\r\n\
\r\n\
see you\r\n";

    #[test]
    fn subject_gets_exactly_one_re() {
        assert_eq!(strip_re("Re: RE: re[3]: Re : x"), "x");
        assert_eq!(strip_re("Regarding"), "Regarding");
        assert_eq!(strip_re("re"), "re");
        let draft = reply(ORIGINAL, &me(), false).expect("parses");
        assert_eq!(draft.subject, "Re: plans");
    }

    #[test]
    fn reply_threads_and_quotes() {
        let draft = reply(ORIGINAL, &me(), false).expect("parses");
        assert_eq!(
            draft.to,
            vec![Mailbox::new("bob@x.test", Some("Bob Builder")).expect("ok")]
        );
        assert!(draft.cc.is_empty());
        assert_eq!(draft.in_reply_to.as_deref(), Some("<m3@x.test>"));
        assert_eq!(
            draft.references,
            ["<m1@x.test>", "<m2@x.test>", "<m3@x.test>"]
        );
        assert_eq!(
            draft.body,
            "On Tue, 24 Nov 2026 10:00:00 +0100, Bob Builder wrote:\n> Hello,\n>> earlier\n>\n> see you\n"
        );
    }

    #[test]
    fn reply_all_drops_me_and_duplicates() {
        let draft = reply(ORIGINAL, &me(), true).expect("parses");
        let addrs = |v: &[Mailbox]| v.iter().map(|m| m.addr.clone()).collect::<Vec<_>>();
        assert_eq!(addrs(&draft.to), ["bob@x.test"]);
        assert_eq!(addrs(&draft.cc), ["carol@x.test", "dave@x.test"]);
    }

    #[test]
    fn reply_prefers_reply_to_and_handles_own_messages() {
        let raw = b"From: Alice <alice@x.test>\nTo: bob@x.test\nSubject: s\n\nhi\n";
        let draft = reply(raw, &me(), false).expect("parses");
        assert_eq!(draft.to[0].addr, "bob@x.test");
        let raw = b"From: list@x.test\nReply-To: l@x.test\nTo: alice@x.test\nSubject: s\n\nhi\n";
        let draft = reply(raw, &me(), true).expect("parses");
        assert_eq!(draft.to[0].addr, "l@x.test");
        assert!(draft.cc.is_empty());
        assert_eq!(draft.references, Vec::<String>::new());
        assert!(draft.body.starts_with("list@x.test wrote:\n> hi"));
    }

    #[test]
    fn forward_inline_and_as_attachment() {
        let draft = forward(ORIGINAL, &me(), ForwardMode::Inline).expect("parses");
        assert_eq!(draft.subject, "Fwd: RE: Re[2]: re:  plans");
        assert!(
            draft.body.contains(
                "---------- Forwarded message ----------\nFrom: Bob Builder <bob@x.test>\n"
            )
        );
        assert!(draft.body.contains("see you"));
        let draft = forward(ORIGINAL, &me(), ForwardMode::Attachment).expect("parses");
        assert_eq!(draft.attached_messages, [ORIGINAL]);
    }

    const HTML_ONLY: &[u8] = b"From: Bob <bob@x.test>\r\nTo: alice@x.test\r\nSubject: news\r\n\
Date: Mon, 7 Dec 2026 09:00:00 +0000\r\nMessage-ID: <h1@x.test>\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n\
<html><body><h1>Big Heading</h1><p>First <b>bold</b> paragraph with a \
<a href=\"https://x.test/doc\">link text</a>.</p><ul><li>item one</li><li>item two</li></ul>\
</body></html>\r\n";

    #[test]
    fn reply_to_html_quotes_the_text_the_reader_shows() {
        let draft = reply(HTML_ONLY, &me(), false).expect("parses");
        assert_eq!(
            draft.body,
            "On Mon, 7 Dec 2026 09:00:00 +0000, Bob wrote:\n\
> # Big Heading\n>\n> First bold paragraph with a link text [1].\n\
> * item one\n> * item two\n>\n> [1]: https://x.test/doc\n"
        );
        let shown = crate::mail::ParsedMessage::parse(HTML_ONLY).text;
        assert_eq!(
            draft.body.split_once('\n').expect("attribution").1,
            quote(&shown)
        );
        let fwd = forward(HTML_ONLY, &me(), ForwardMode::Inline).expect("parses");
        assert!(fwd.body.ends_with(&shown), "{:?}", fwd.body);
    }

    #[test]
    fn quoting_keeps_long_lines_and_patches_as_they_are() {
        let long = "x".repeat(120);
        let raw = format!(
            "From: b@x.test\r\nSubject: p\r\n\r\n{long}\r\n--- a/f.rs\r\n+++ b/f.rs\r\n@@ -1 +1 @@\r\n-  old\r\n+  new\r\n"
        );
        let draft = reply(raw.as_bytes(), &me(), false).expect("parses");
        assert_eq!(
            draft.body,
            format!(
                "b@x.test wrote:\n> {long}\n> --- a/f.rs\n> +++ b/f.rs\n> @@ -1 +1 @@\n> -  old\n> +  new\n"
            )
        );
    }

    #[test]
    fn reply_style_puts_the_cursor_on_an_empty_line_below_or_above_the_quote() {
        let quoted = "Bob wrote:\n> hi\n> there\n";
        let (body, line) = ReplyStyle::Bottom.arrange(quoted);
        assert_eq!(body, "Bob wrote:\n> hi\n> there\n\n");
        let lines: Vec<&str> = body.split('\n').collect();
        assert_eq!((line, lines[line], lines[line - 1]), (4, "", ""));
        let (body, line) = ReplyStyle::Top.arrange(quoted);
        assert_eq!(
            (body.as_str(), line),
            ("\n\nBob wrote:\n> hi\n> there\n", 0)
        );
        assert_eq!(ReplyStyle::default(), ReplyStyle::Bottom);
    }
}
