//! Message bodies: the text to show and to index, and the attachment list.
//!
//! Pure and total like [`crate::mail::envelope`]: any bytes give some result. Text/plain is
//! preferred over HTML; HTML-only messages are converted with html2text. Charsets are decoded by
//! mail-parser (unknown or lying charsets degrade to replacement characters, never an error).
//! Work is bounded: HTML beyond [`MAX_HTML_BYTES`] is not converted (it is shown raw-stripped),
//! and the text kept for the full-text index is cut at [`MAX_INDEX_TEXT_BYTES`].

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::envelope::Envelope;

/// HTML larger than this is not run through html2text (its cost grows with the input, and a
/// message this large is nearly always generated markup); tags are stripped crudely instead.
pub const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;
/// The body text kept for the full-text index is cut here (on a char boundary).
pub const MAX_INDEX_TEXT_BYTES: usize = 256 * 1024;
/// The width converted HTML is wrapped at, for reading (TUI and `postie read`) and quoting
/// alike, so a reply quotes the lines the reader showed; `> ` keeps a quote within 78 columns.
pub const READING_WIDTH: usize = 76;

/// One attachment (or inline non-text part) as a message view lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name (RFC 2231 and RFC 2047 forms decoded), or a made-up `part-N` name.
    pub name: String,
    /// `type/subtype`, lowercase.
    pub mime_type: String,
    /// Decoded size in bytes.
    pub size: u64,
}

/// Everything postie derives from a full message, in one parse.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedMessage {
    pub envelope: Envelope,
    /// The readable text: text/plain parts, or converted HTML when there is no plain text.
    pub text: String,
    pub attachments: Vec<Attachment>,
}

impl ParsedMessage {
    /// Parses a whole message for display (HTML wrapped at [`READING_WIDTH`]). Never fails.
    pub fn parse(raw: &[u8]) -> ParsedMessage {
        Self::parse_with_width(raw, READING_WIDTH)
    }

    /// Like [`ParsedMessage::parse`], wrapping converted HTML at `width` columns.
    pub fn parse_with_width(raw: &[u8], width: usize) -> ParsedMessage {
        let Some(msg) = MessageParser::default().parse(raw) else {
            return ParsedMessage {
                envelope: Envelope::parse(raw),
                text: String::from_utf8_lossy(raw).into_owned(),
                attachments: Vec::new(),
            };
        };
        ParsedMessage {
            envelope: Envelope::from_message(&msg, raw.len()),
            text: body_text(&msg, width),
            attachments: attachments(&msg),
        }
    }

    /// The text for the full-text index: no wrapping, cut at [`MAX_INDEX_TEXT_BYTES`].
    pub fn parse_for_index(raw: &[u8]) -> ParsedMessage {
        let mut p = Self::parse_with_width(raw, usize::MAX / 4);
        truncate_at_char(&mut p.text, MAX_INDEX_TEXT_BYTES);
        p
    }
}

/// Whether the message has an attachment as [`ParsedMessage::attachments`] lists them (any
/// part besides the text the reader shows), without converting any text.
pub fn has_attachments(raw: &[u8]) -> bool {
    MessageParser::default()
        .parse(raw)
        .is_some_and(|msg| !attachments(&msg).is_empty())
}

/// The display text of a parsed message: the one renderer behind the reader, `postie read` and
/// the quote of replies and forwards.
pub fn body_text(msg: &Message<'_>, width: usize) -> String {
    let ids = if msg.text_body.is_empty() {
        &msg.html_body
    } else {
        &msg.text_body
    };
    let mut out = String::new();
    for id in ids {
        let Some(part) = msg.parts.get(*id as usize) else {
            continue;
        };
        let text = match &part.body {
            PartType::Text(t) => t.to_string(),
            PartType::Html(h) => html_to_text(h, width),
            _ => continue,
        };
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&text);
    }
    out
}

/// Converts HTML to readable text at `width` columns, links as numbered references
/// (`mail::html_render`). Never fails: a conversion error, or input
/// too large to convert, falls back to stripping tags.
pub fn html_to_text(html: &str, width: usize) -> String {
    if html.len() <= MAX_HTML_BYTES && nesting_depth(html) <= MAX_HTML_DEPTH {
        let width = width.clamp(20, 100_000);
        if let Ok(text) = super::html_render::render(html, width) {
            return text;
        }
    }
    strip_tags(html)
}

/// HTML nested deeper than this is not run through html2text, whose cost grows steeply with
/// depth (20,000 nested `<div>`s took over a minute); real mail stays far below it.
pub const MAX_HTML_DEPTH: usize = 200;

/// Estimates how deeply elements nest (void elements like `<br>` and self-closed tags do not
/// count). Linear time.
fn nesting_depth(html: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "!doctype", "!--",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let closing = bytes.get(i + 1) == Some(&b'/');
        let start = if closing { i + 2 } else { i + 1 };
        let mut end = start;
        while end < bytes.len() && !matches!(bytes[end], b' ' | b'>' | b'/' | b'\t' | b'\r' | b'\n')
        {
            end += 1;
        }
        let name = html.get(start..end).unwrap_or("").to_ascii_lowercase();
        let close = bytes[end.min(bytes.len())..]
            .iter()
            .position(|&b| b == b'>');
        let self_closed = close.is_some_and(|p| p > 0 && bytes[end + p - 1] == b'/');
        if name.is_empty() || !name.as_bytes()[0].is_ascii_alphabetic() && !name.starts_with('!') {
            // Not a tag ("a < b").
        } else if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closed && !VOID.iter().any(|v| name.starts_with(v)) {
            depth += 1;
            max = max.max(depth);
        }
        i = end.max(i + 1);
    }
    max
}

/// A crude tag stripper, linear time, for the fallback path.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn attachments(msg: &Message<'_>) -> Vec<Attachment> {
    msg.attachments
        .iter()
        .enumerate()
        .filter_map(|(n, id)| {
            let part = msg.parts.get(*id as usize)?;
            Some(attachment(part, n + 1))
        })
        .collect()
}

fn attachment(part: &MessagePart<'_>, n: usize) -> Attachment {
    let mime_type = match part.content_type() {
        Some(ct) => match &ct.c_subtype {
            Some(sub) => format!("{}/{}", ct.c_type, sub),
            None => ct.c_type.to_string(),
        },
        None => match &part.body {
            PartType::Message(_) => "message/rfc822".to_owned(),
            PartType::Text(_) => "text/plain".to_owned(),
            PartType::Html(_) => "text/html".to_owned(),
            _ => "application/octet-stream".to_owned(),
        },
    }
    .to_ascii_lowercase();
    let size = match &part.body {
        PartType::Text(t) | PartType::Html(t) => t.len(),
        PartType::Binary(b) | PartType::InlineBinary(b) => b.len(),
        PartType::Message(m) => m.raw_message.len(),
        PartType::Multipart(_) => 0,
    } as u64;
    let name = part
        .attachment_name()
        .map(sanitize_name)
        .filter(|n| !n.is_empty())
        .or_else(|| match &part.body {
            PartType::Message(m) => m.subject().map(|s| format!("{}.eml", sanitize_name(s))),
            _ => None,
        })
        .unwrap_or_else(|| format!("part-{n}"));
    Attachment {
        name,
        mime_type,
        size,
    }
}

/// Keeps the last path component and drops control characters, so a name is safe to show and
/// to use as a default file name when saving.
fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned()
}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut cut = max;
    while cut > 0 && !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_plain_text_over_html() {
        let raw = b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Caf=E9 ouvert\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>HTML version</p>\r\n--b--\r\n";
        let p = ParsedMessage::parse(raw);
        assert!(p.text.contains("Café ouvert"), "{:?}", p.text);
        assert!(!p.text.contains("HTML version"));
        assert!(p.attachments.is_empty());
    }

    #[test]
    fn html_only_is_converted() {
        let raw = b"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><h1>Hello</h1>\
<p>A <b>bold</b> &amp; <a href=\"https://x.test\">link</a></p><script>var x;</script></body></html>\r\n";
        let p = ParsedMessage::parse(raw);
        assert!(p.text.contains("Hello"), "{:?}", p.text);
        assert!(p.text.contains("bold"));
        assert!(p.text.contains('&'));
        assert!(!p.text.contains("<p>"));
    }

    #[test]
    fn attachments_with_rfc2231_names_and_sizes() {
        let raw = b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n\
Content-Type: text/plain\r\n\r\nSee attached.\r\n--XX\r\n\
Content-Type: application/pdf\r\n\
Content-Disposition: attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\nAAECAwQF\r\n--XX\r\n\
Content-Type: image/png; name=\"../../etc/pic.png\"\r\n\
Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw==\r\n--XX--\r\n";
        let p = ParsedMessage::parse(raw);
        assert!(p.text.contains("See attached."));
        assert_eq!(
            p.attachments,
            vec![
                Attachment {
                    name: "Résumé.pdf".into(),
                    mime_type: "application/pdf".into(),
                    size: 6
                },
                Attachment {
                    name: "pic.png".into(),
                    mime_type: "image/png".into(),
                    size: 4
                },
            ]
        );
    }

    #[test]
    fn index_text_is_bounded() {
        let mut raw = b"Subject: big\r\n\r\n".to_vec();
        raw.extend(std::iter::repeat_n(b'a', MAX_INDEX_TEXT_BYTES * 2));
        let p = ParsedMessage::parse_for_index(&raw);
        assert!(p.text.len() <= MAX_INDEX_TEXT_BYTES);
        let mut s = "ééé".to_owned();
        truncate_at_char(&mut s, 3);
        assert_eq!(s, "é");
    }

    #[test]
    fn nesting_depth_ignores_void_and_self_closed_tags() {
        assert_eq!(nesting_depth("<p>a<br>b<img src=x/><hr/></p><p>c</p>"), 1);
        assert_eq!(nesting_depth("<div><div><span>x</span></div></div>"), 3);
        assert_eq!(nesting_depth("a < b and c > d"), 0);
        assert_eq!(nesting_depth(&"<div>".repeat(500)), 500);
        let deep = format!("{}deep{}", "<div>".repeat(5000), "</div>".repeat(5000));
        assert!(html_to_text(&deep, 80).contains("deep"));
    }

    #[test]
    fn strip_tags_fallback() {
        assert_eq!(strip_tags("<p>a</p>b").trim(), "a b");
    }
}
