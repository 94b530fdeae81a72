//! What the message pane shows, as lines: the headers (the configured ones, or every one with
//! `h`) wrapped under their names, the attachment list, a rule, then the body; or, in the raw
//! view (`H`), the message's exact bytes. `update` (scrolling, find) and `view` (drawing)
//! both count these same lines.
//!
//! What must hold: a header value is never cut, only wrapped, continuation lines indented
//! under the value; every value is made safe to draw ([`visible::line`]); the header block
//! stays fixed above the body only while it takes at most half the pane, else it scrolls with
//! the body (a 40-line Received chain or a 200-address Cc must not hide the text).

use super::model::{MessageView, RawText};
use super::text;
use super::text::{char_columns as char_width, columns as width_of};
use super::types::{Message, split_addresses};
use super::visible;

/// One line of the message pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderLine {
    /// A header's first line: its name with the colon, padded to the value column, and the
    /// start of the value.
    Header { name: String, value: String },
    /// A continuation of a header value, already indented to the value column.
    More(String),
    /// "Attachments:".
    AttachmentsTitle,
    /// The attachment with this index in [`Message::attachments`].
    Attachment(usize),
    /// Every attachment on one line (a compact reader, on short terminals).
    AttachmentsInline,
    /// The rule between the headers and the body.
    Rule,
    /// A line of the body, or of the raw view.
    Text(String),
}

impl ReaderLine {
    /// The line's text as find searches it.
    pub fn text(&self, message: &Message) -> String {
        match self {
            ReaderLine::Header { name, value } => format!("{name}{value}"),
            ReaderLine::More(s) | ReaderLine::Text(s) => s.clone(),
            ReaderLine::AttachmentsTitle => "Attachments:".to_string(),
            ReaderLine::Attachment(i) => message
                .attachments
                .get(*i)
                .map_or_else(String::new, |a| a.name.clone()),
            ReaderLine::AttachmentsInline => message
                .attachments
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            ReaderLine::Rule => String::new(),
        }
    }
}

/// The pane's lines: `fixed` drawn at the top, `scrolled` below them from the view's scroll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderLines {
    pub fixed: Vec<ReaderLine>,
    pub scrolled: Vec<ReaderLine>,
}

/// The pane the lines are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Inside the frame, in cells.
    pub width: usize,
    pub height: usize,
    /// Full-screen: the subject is the pane's title, so no Subject header.
    pub full: bool,
    /// A short terminal: the attachments on one line and no rule under the headers.
    pub compact: bool,
}

/// The lines of `view` in a pane of `shape`, showing the `wanted` headers.
pub fn lines(view: &MessageView, wanted: &[String], shape: Shape) -> ReaderLines {
    let Shape { width, height, .. } = shape;
    let Some(msg) = &view.message else {
        return ReaderLines::default();
    };
    if let Some(raw) = &view.raw {
        let text = match raw {
            RawText::Loading => vec!["Loading the raw message…".to_string()],
            RawText::Shown(text) => wrap_raw(text, width),
        };
        return ReaderLines {
            fixed: Vec::new(),
            scrolled: text.into_iter().map(ReaderLine::Text).collect(),
        };
    }
    let mut headers = shown_headers(msg, wanted, view.all_headers);
    if shape.full && !view.all_headers {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("subject"));
    }
    let mut block = header_lines(&headers, width);
    if !msg.attachments.is_empty() && shape.compact {
        block.push(ReaderLine::AttachmentsInline);
    } else if !msg.attachments.is_empty() {
        block.push(ReaderLine::AttachmentsTitle);
        block.extend((0..msg.attachments.len()).map(ReaderLine::Attachment));
    }
    if !shape.compact {
        block.push(ReaderLine::Rule);
    }
    let body = text::wrap(&msg.body, width)
        .into_iter()
        .map(ReaderLine::Text);
    if !view.all_headers && block.len() <= height / 2 {
        ReaderLines {
            fixed: block,
            scrolled: body.collect(),
        }
    } else {
        block.extend(body);
        ReaderLines {
            fixed: Vec::new(),
            scrolled: block,
        }
    }
}

/// The scrolled lines' text, for find.
pub fn searchable(lines: &ReaderLines, message: Option<&Message>) -> Vec<String> {
    match message {
        Some(m) => lines.scrolled.iter().map(|l| l.text(m)).collect(),
        None => Vec::new(),
    }
}

/// The headers to show: every one in file order when `all`, else the `wanted` ones in that
/// order (each as often as the message has it), Reply-To only when it differs from From.
/// A message stored as an envelope only has just the backend's short list.
pub fn shown_headers(msg: &Message, wanted: &[String], all: bool) -> Vec<(String, String)> {
    let source = if msg.all_headers.is_empty() {
        &msg.headers
    } else {
        &msg.all_headers
    };
    if all {
        return source.clone();
    }
    let get = |name: &str| -> Vec<(String, String)> {
        source
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .cloned()
            .collect()
    };
    let from: Vec<String> = get("From").iter().flat_map(|(_, v)| addresses(v)).collect();
    // The backend's OpenPGP status line (not a header of the message) always shows, first.
    let mut out: Vec<(String, String)> = msg
        .headers
        .iter()
        .filter(|(n, _)| n == "PGP")
        .cloned()
        .collect();
    for name in wanted {
        for (n, v) in get(name) {
            if n.eq_ignore_ascii_case("reply-to") && addresses(&v) == from {
                continue;
            }
            if !v.trim().is_empty() {
                out.push((n, v));
            }
        }
    }
    out
}

/// The bare addresses of an address header, lowercased, for comparing.
fn addresses(value: &str) -> Vec<String> {
    split_addresses(value)
        .iter()
        .map(|a| {
            let bare = match (a.rfind('<'), a.rfind('>')) {
                (Some(i), Some(j)) if i < j => &a[i + 1..j],
                _ => a.as_str(),
            };
            bare.trim().to_lowercase()
        })
        .collect()
}

/// Headers whose values are address lists: wrapped between addresses, not inside one.
const ADDRESS_HEADERS: [&str; 10] = [
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "sender",
    "resent-from",
    "resent-to",
    "resent-cc",
    "mail-followup-to",
];

/// Header lines wrapped to `width`: names in a column as wide as the longest (at most a third
/// of the width), values wrapped at spaces (address lists between addresses), continuation
/// lines indented to the value column.
pub fn header_lines(headers: &[(String, String)], width: usize) -> Vec<ReaderLine> {
    let width = width.max(8);
    let indent = headers
        .iter()
        .map(|(n, _)| width_of(n) + 2)
        .max()
        .unwrap_or(0)
        .min(width / 3);
    let mut out = Vec::new();
    for (name, value) in headers {
        let name = visible::line(name);
        let label = format!("{name}: ");
        let label_w = width_of(&label).max(indent);
        let label = format!("{label}{}", " ".repeat(label_w - width_of(&label)));
        let value = visible::line(value);
        let tokens: Vec<String> = if ADDRESS_HEADERS.contains(&name.to_lowercase().as_str()) {
            let list = split_addresses(&value);
            let n = list.len();
            list.into_iter()
                .enumerate()
                .map(|(i, a)| if i + 1 < n { format!("{a},") } else { a })
                .collect()
        } else {
            value.split_whitespace().map(str::to_string).collect()
        };
        let first_room = width.saturating_sub(label_w).max(1);
        let rest_room = width.saturating_sub(indent).max(1);
        let mut packed = pack(&tokens, first_room, rest_room).into_iter();
        out.push(ReaderLine::Header {
            name: label,
            value: packed.next().unwrap_or_default(),
        });
        out.extend(packed.map(|l| ReaderLine::More(format!("{}{l}", " ".repeat(indent)))));
    }
    out
}

/// Tokens joined by spaces into lines of at most `first` columns (the first line) and `rest`
/// (the others); a token wider than a line is split at its spaces, and a word wider than a
/// line between characters. Widths are terminal columns (a CJK character takes two).
fn pack(tokens: &[String], first: usize, rest: usize) -> Vec<String> {
    let tokens: Vec<String> = tokens
        .iter()
        .flat_map(|t| {
            if width_of(t) > rest {
                t.split_whitespace().map(str::to_string).collect()
            } else {
                vec![t.clone()]
            }
        })
        .collect();
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    let room = |lines: &Vec<String>| if lines.is_empty() { first } else { rest };
    for token in &tokens {
        let w = width_of(token);
        if cur_w > 0 && cur_w + 1 + w <= room(&lines) {
            cur.push(' ');
            cur.push_str(token);
            cur_w += 1 + w;
            continue;
        }
        if cur_w > 0 {
            lines.push(std::mem::take(&mut cur));
        }
        cur.clear();
        cur_w = 0;
        for c in token.chars() {
            let cw = char_width(c);
            if cur_w > 0 && cur_w + cw > room(&lines) {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            cur.push(c);
            cur_w += cw;
        }
    }
    if cur_w > 0 || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// The raw view's lines: tabs to the next multiple of 8 columns, every line cut into pieces of
/// at most `width` columns (never at a place that changes what is shown: the pieces joined are
/// the line). A CR before LF is already gone ([`visible::bytes`]).
fn wrap_raw(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut out = Vec::new();
    for line in body.split('\n') {
        let mut cur = String::new();
        let mut col = 0;
        for c in line.chars() {
            let (piece, w) = if c == '\t' {
                let n = 8 - col % 8;
                (" ".repeat(n), n)
            } else {
                (c.to_string(), char_width(c))
            };
            if col > 0 && col + w > width {
                out.push(std::mem::take(&mut cur));
                col = 0;
            }
            cur.push_str(&piece);
            col += w;
        }
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[ReaderLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| match l {
                ReaderLine::Header { name, value } => format!("{name}{value}"),
                ReaderLine::More(s) | ReaderLine::Text(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_twenty_address_cc_wraps_between_addresses_and_is_never_cut() {
        let cc: Vec<String> = (1..=20)
            .map(|i| format!("Person {i} <person{i}@example.test>"))
            .collect();
        let headers = vec![
            ("From".to_string(), "A <a@x.test>".to_string()),
            ("Cc".to_string(), cc.join(", ")),
        ];
        for width in [30, 40, 60, 80] {
            let lines = text(&header_lines(&headers, width));
            assert!(
                lines.iter().all(|l| l.chars().count() <= width),
                "{width}: {lines:#?}"
            );
            let joined = lines[1..]
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            for a in &cc {
                assert!(joined.contains(a.as_str()), "{width}: {a} cut:\n{lines:#?}");
            }
            assert!(lines[1].starts_with("Cc:   "), "{lines:#?}");
            // Continuation lines are indented to the value column.
            let indent = " ".repeat(6.min(width / 3));
            assert!(lines.len() > 3, "{width}: {lines:#?}");
            assert!(
                lines[2..].iter().all(|l| l.starts_with(&indent)),
                "{lines:#?}"
            );
        }
    }

    #[test]
    fn a_word_longer_than_the_line_is_split_not_cut() {
        let long = "x".repeat(50);
        let lines = text(&header_lines(&[("Subject".into(), long.clone())], 20));
        let value: String = lines
            .iter()
            .map(|l| l.trim_start_matches("Subject:").trim())
            .collect();
        assert_eq!(value, long);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:#?}");
    }

    #[test]
    fn wide_characters_count_two_columns() {
        let from = "田中 花子 <hanako@example.jp>, 山田 太郎 <taro@example.jp>";
        // "田中 花子 <hanako@example.jp>," is 26 characters but 30 columns: counted in
        // characters it would fit the 28 columns after "From: " and overflow the pane.
        let lines = header_lines(&[("From".into(), from.into())], 34);
        let text = text(&lines);
        assert!(text.iter().all(|l| width_of(l) <= 34), "{text:#?}");
        assert_eq!(
            text,
            [
                "From: 田中 花子",
                "      <hanako@example.jp>,",
                "      山田 太郎 <taro@example.jp>"
            ]
        );
    }

    #[test]
    fn raw_lines_are_cut_by_columns_and_keep_every_character() {
        let line = format!("X-J: {}", "日本語".repeat(10));
        let text = format!("{line}\n\tfolded\n\nend\n");
        let lines = wrap_raw(&text, 20);
        assert!(lines.iter().all(|l| width_of(l) <= 20), "{lines:#?}");
        let n = lines.len();
        assert_eq!(lines[..n - 3].concat(), line);
        assert_eq!(lines[n - 3..], ["        folded", "", "end"]);
    }

    #[test]
    fn header_values_are_made_safe_to_draw() {
        let lines = text(&header_lines(
            &[("Subject".into(), "a\u{1b}[2J\u{202e}b".into())],
            80,
        ));
        assert_eq!(lines, vec!["Subject: a^[[2J<U+202E>b"]);
    }

    fn msg(all: &[(&str, &str)]) -> Message {
        Message {
            id: super::super::types::MessageId("m".into()),
            folder: super::super::types::FolderRef::new("a", "INBOX"),
            headers: vec![("From".into(), "fallback".into())],
            all_headers: all
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: String::new(),
            downloaded: true,
            attachments: Vec::new(),
            prefill: Default::default(),
        }
    }

    #[test]
    fn the_configured_headers_in_their_order_reply_to_only_when_it_differs() {
        let wanted: Vec<String> = ["Subject", "from", "Reply-To", "X-Mailer"]
            .map(String::from)
            .to_vec();
        let m = msg(&[
            ("From", "Al <al@x.test>"),
            ("Reply-To", "AL@x.test"),
            ("Subject", "s"),
            ("X-Mailer", "mutt"),
            ("Received", "r"),
        ]);
        let names = |h: Vec<(String, String)>| h.into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(
            names(shown_headers(&m, &wanted, false)),
            ["Subject", "From", "X-Mailer"]
        );
        let m2 = msg(&[("From", "Al <al@x.test>"), ("Reply-To", "list@x.test")]);
        assert_eq!(
            names(shown_headers(&m2, &wanted, false)),
            ["From", "Reply-To"]
        );
        assert_eq!(
            names(shown_headers(&m, &wanted, true)),
            ["From", "Reply-To", "Subject", "X-Mailer", "Received"]
        );
        // Only the envelope stored: the backend's short list.
        assert_eq!(names(shown_headers(&msg(&[]), &wanted, true)), ["From"]);
    }

    #[test]
    fn a_tall_header_block_scrolls_with_the_body() {
        let mut view = MessageView::loading(super::super::types::MessageId("m".into()));
        let cc: Vec<String> = (0..30).map(|i| format!("p{i}@example.test")).collect();
        let mut m = msg(&[("From", "a@x.test"), ("Cc", &cc.join(", "))]);
        m.body = "line one\nline two".into();
        view.message = Some(m);
        let wanted = vec!["From".to_string(), "Cc".to_string()];
        let shape = |width, height| Shape {
            width,
            height,
            full: false,
            compact: false,
        };
        let short = lines(&view, &wanted, shape(200, 40));
        assert_eq!(short.fixed.len(), 5, "{short:#?}");
        assert_eq!(text(&short.scrolled), ["line one", "line two"]);
        let tall = lines(&view, &wanted, shape(40, 20));
        assert!(tall.fixed.is_empty());
        assert!(text(&tall.scrolled).ends_with(&[
            "Rule".into(),
            "line one".into(),
            "line two".into()
        ]));
    }
}
