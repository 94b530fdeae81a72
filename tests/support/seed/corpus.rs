//! The message generator behind [`super::seed`]: a pure function of (seed, recipient, count)
//! that writes realistic mail: plain text (7bit, 8bit, quoted-printable), multipart/alternative,
//! multipart/mixed with binary attachments (and nested parts, message/rfc822), threads through
//! In-Reply-To/References, RFC 2047 UTF-8 subjects and names, lines starting with "." or
//! "From ", LF line ends only.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::{Message, XorShift};

/// The messages [`super::seed_with`] writes, without writing them.
pub fn generate(seed: u64, to: &str, n: usize) -> Vec<Message> {
    let mut g = Generator {
        rng: XorShift::new(seed),
        seed,
        to: to.to_string(),
        history: Vec::new(),
        date: 1_704_067_200, // 2024-01-01T00:00:00Z
    };
    let unseen_from = n - n / 10;
    (0..n).map(|i| g.message(i, i >= unseen_from)).collect()
}

const WORDS: &[&str] = &[
    "the",
    "release",
    "branch",
    "meeting",
    "tomorrow",
    "please",
    "review",
    "patch",
    "server",
    "mailbox",
    "folder",
    "thanks",
    "agenda",
    "budget",
    "draft",
    "attached",
    "version",
    "build",
    "failed",
    "again",
    "report",
    "quarterly",
    "numbers",
    "look",
    "good",
    "issue",
    "fixed",
    "in",
    "and",
    "or",
    "with",
    "for",
    "we",
    "should",
    "could",
    "maybe",
    "next",
    "week",
    "deploy",
    "staging",
    "production",
    "coffee",
    "lunch",
    "question",
    "about",
    "that",
    "thread",
    "sync",
];
const WORDS_UTF8: &[&str] = &[
    "Grüße",
    "naïve",
    "café",
    "Zürich",
    "東京",
    "привет",
    "señor",
    "façade",
    "Øresund",
    "😀",
    "Ελλάδα",
    "smörgåsbord",
    "crème brûlée",
    "jalapeño",
    "Łódź",
    "日本語",
    "ça va",
    "Straße",
];
const SUBJECTS: &[&str] = &[
    "Quarterly report",
    "Release checklist for 2.4",
    "Lunch on Friday?",
    "Build failed on main",
    "Agenda for the planning meeting",
    "Your invoice #4471",
    "Question about the IMAP sync",
    "Holiday schedule",
    "[rust-users] Lifetimes in async traits",
    "Minutes: architecture review",
];
const SUBJECTS_UTF8: &[&str] = &[
    "Grüße aus Köln",
    "Café ☕ meeting at 10",
    "日本語のテスト",
    "Встреча в понедельник",
    "Re: naïve façade question",
    "¡Feliz cumpleaños! 🎂",
    "Ελληνικά και English μαζί",
    "Résumé — final version (été 2024)",
    "Smörgåsbord: what to bring",
    "Emoji overload 😀😃😄😁😆😅🤣😂🙂🙃😉😊😇 and a very long subject line that needs folding",
];
const SENDERS: &[(&str, &str)] = &[
    ("Alice Example", "alice@example.org"),
    ("Bob Builder", "bob@builder.example"),
    ("Jürgen Müller", "juergen@example.de"),
    ("Zoë Ångström", "zoe@example.se"),
    ("", "noreply@notifications.example.com"),
    ("Carol \"CJ\" Jones", "carol@example.net"),
    ("田中 太郎", "tanaka@example.jp"),
    ("Dave O'Brien", "dave@example.ie"),
];
const ZONES: &[i32] = &[0, 3600, 7200, -18000, -28800, 19800, 32400];

struct Thread {
    id: String,
    subject: String,
    references: Vec<String>,
}

struct Generator {
    rng: XorShift,
    seed: u64,
    to: String,
    history: Vec<Thread>,
    date: i64,
}

impl Generator {
    fn message(&mut self, i: usize, recent: bool) -> Message {
        let rng = &mut self.rng;
        self.date += rng.range(60, 7200) as i64;
        let id = format!("seed{:x}.{i}.{}@gen.example.org", self.seed, rng.alnum(6));
        let reply_to = if !self.history.is_empty() && rng.chance(35) {
            let back = rng.below(self.history.len().min(50) as u64) as usize;
            Some(self.history.len() - 1 - back)
        } else {
            None
        };
        let (subject, references) = match reply_to {
            Some(p) => {
                let parent = &self.history[p];
                let base = parent
                    .subject
                    .strip_prefix("Re: ")
                    .unwrap_or(&parent.subject);
                let mut refs = parent.references.clone();
                refs.push(parent.id.clone());
                if refs.len() > 10 {
                    refs.drain(..refs.len() - 10);
                }
                (format!("Re: {base}"), refs)
            }
            None => {
                let s = if rng.chance(40) {
                    rng.pick(SUBJECTS_UTF8)
                } else {
                    rng.pick(SUBJECTS)
                };
                (s.to_string(), Vec::new())
            }
        };
        let (name, addr) = *rng.pick(SENDERS);
        let zone = *rng.pick(ZONES);

        let mut h = String::new();
        let _ = writeln!(h, "Return-Path: <{addr}>");
        let _ = writeln!(h, "Message-ID: <{id}>");
        let _ = writeln!(h, "Date: {}", rfc5322_date(self.date, zone));
        let _ = writeln!(h, "From: {}", mailbox(name, addr));
        let _ = writeln!(h, "To: {}", self.to);
        if rng.chance(20) {
            let (cn, ca) = *rng.pick(SENDERS);
            let _ = writeln!(h, "Cc: {}", mailbox(cn, ca));
        }
        let _ = writeln!(h, "Subject: {}", encode_header_text(&subject, rng));
        if !references.is_empty() {
            let _ = writeln!(h, "In-Reply-To: <{}>", references[references.len() - 1]);
            let refs: Vec<String> = references.iter().map(|r| format!("<{r}>")).collect();
            let _ = writeln!(h, "References: {}", refs.join("\n "));
        }
        let _ = writeln!(h, "X-Postie-Seed: {:x}/{i}", self.seed);
        h.push_str("MIME-Version: 1.0\n");

        let mut bytes = h.into_bytes();
        let kind = rng.below(100);
        let body = match kind {
            0..=19 => plain_ascii(rng),
            20..=34 => plain_8bit(rng),
            35..=44 => plain_qp(rng),
            45..=69 => alternative(rng, i),
            70..=89 => mixed(rng, i, false),
            _ => mixed(rng, i, true),
        };
        bytes.extend_from_slice(&body);
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        debug_assert!(!bytes.contains(&b'\r'));

        let mut flags = String::new();
        if !recent {
            if rng.chance(5) {
                flags.push('F');
            }
            if reply_to.is_some() && rng.chance(30) {
                flags.push('R');
            }
            if rng.chance(80) {
                flags.push('S');
            }
        }
        self.history.push(Thread {
            id: id.clone(),
            subject: subject.clone(),
            references,
        });
        Message {
            bytes,
            message_id: id,
            subject,
            date: self.date,
            flags,
            recent,
        }
    }
}

fn mailbox(name: &str, addr: &str) -> String {
    if name.is_empty() {
        addr.to_string()
    } else if name.is_ascii() {
        if name.contains('"') || name.contains('\'') {
            format!(
                "\"{}\" <{addr}>",
                name.replace('\\', "\\\\").replace('"', "\\\"")
            )
        } else {
            format!("{name} <{addr}>")
        }
    } else {
        format!("{} <{addr}>", encoded_words_q(name))
    }
}

fn rfc5322_date(t: i64, zone: i32) -> String {
    match (
        chrono::DateTime::from_timestamp(t, 0),
        chrono::FixedOffset::east_opt(zone),
    ) {
        (Some(d), Some(offset)) => d
            .with_timezone(&offset)
            .format("%a, %d %b %Y %H:%M:%S %z")
            .to_string(),
        _ => "Thu, 01 Jan 1970 00:00:00 +0000".to_string(),
    }
}

/// Subject text: ASCII as is; UTF-8 as RFC 2047 encoded words (B or Q), folded.
fn encode_header_text(text: &str, rng: &mut XorShift) -> String {
    if text.is_ascii() {
        text.to_string()
    } else if rng.chance(50) {
        encoded_words_b(text)
    } else {
        encoded_words_q(text)
    }
}

/// Splits `text` at char boundaries into pieces of at most `max` bytes.
fn utf8_chunks(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(max);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

fn encoded_words_b(text: &str) -> String {
    // 45 bytes -> 60 base64 chars -> 72-char encoded words (the limit is 75).
    utf8_chunks(text, 45)
        .iter()
        .map(|c| format!("=?UTF-8?B?{}?=", B64.encode(c.as_bytes())))
        .collect::<Vec<_>>()
        .join("\n ")
}

fn encoded_words_q(text: &str) -> String {
    let mut words = Vec::new();
    for c in utf8_chunks(text, 20) {
        let mut w = String::from("=?UTF-8?Q?");
        for &b in c.as_bytes() {
            match b {
                b' ' => w.push('_'),
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'!' | b'*' | b'+' | b'-' | b'/' => {
                    w.push(b as char)
                }
                _ => {
                    let _ = write!(w, "={b:02X}");
                }
            }
        }
        w.push_str("?=");
        words.push(w);
    }
    words.join("\n ")
}

/// Lines of prose, some with awkward starts: ".", "..", "From ", quoted text.
fn paragraphs(rng: &mut XorShift, utf8: bool) -> Vec<String> {
    let n = if rng.chance(10) {
        rng.range(80, 300)
    } else {
        rng.range(3, 40)
    };
    let mut lines = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let special = rng.below(40);
        let line = match special {
            0 => ".".to_string(),
            1 => "..".to_string(),
            2 => ".leading dot that a server must stuff".to_string(),
            3 => "From the desk of the release manager".to_string(),
            4 | 5 => String::new(),
            6 => format!("> {}", words(rng, 8, utf8)),
            7 => format!("... {}", words(rng, 6, utf8)),
            8 => "-- ".to_string(),
            _ => {
                let n = rng.range(4, 12) as usize;
                words(rng, n, utf8)
            }
        };
        lines.push(line);
    }
    if rng.chance(5) {
        // One very long line (quoted-printable and format=flowed clients must cope).
        lines.push(words(rng, 120, utf8));
    }
    lines
}

fn words(rng: &mut XorShift, n: usize, utf8: bool) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(if utf8 && rng.chance(25) {
            *rng.pick(WORDS_UTF8)
        } else {
            *rng.pick(WORDS)
        });
    }
    let mut s = out.join(" ");
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + &s[1..];
    }
    s
}

fn join_lines(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

fn plain_ascii(rng: &mut XorShift) -> Vec<u8> {
    let body = join_lines(&paragraphs(rng, false));
    format!("Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n{body}")
        .into_bytes()
}

fn plain_8bit(rng: &mut XorShift) -> Vec<u8> {
    let body = join_lines(&paragraphs(rng, true));
    format!("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}")
        .into_bytes()
}

fn plain_qp(rng: &mut XorShift) -> Vec<u8> {
    let body = quoted_printable(&join_lines(&paragraphs(rng, true)));
    format!("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n{body}").into_bytes()
}

fn text_part(rng: &mut XorShift) -> (String, String) {
    let utf8 = rng.chance(50);
    let lines = paragraphs(rng, utf8);
    let text = join_lines(&lines);
    let mut html = String::from("<html><body>\n");
    for line in &lines {
        let escaped = line
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let _ = writeln!(html, "<p>{escaped}</p>");
    }
    html.push_str("</body></html>\n");
    (text, html)
}

fn alternative_part(rng: &mut XorShift, boundary: &str) -> String {
    let (text, html) = text_part(rng);
    let text_part = if rng.chance(50) {
        format!(
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n{}",
            quoted_printable(&text)
        )
    } else {
        format!(
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{text}"
        )
    };
    format!(
        "Content-Type: multipart/alternative; boundary=\"{boundary}\"\n\n--{boundary}\n{text_part}\n--{boundary}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n{}\n--{boundary}--\n",
        quoted_printable(&html)
    )
}

fn alternative(rng: &mut XorShift, i: usize) -> Vec<u8> {
    let boundary = format!("=_alt_{i}_{}", rng.alnum(12));
    let mut s = String::from("This is a multi-part message in MIME format.\n");
    let part = alternative_part(rng, &boundary);
    // The top-level Content-Type comes from the part's first line.
    let (ct, rest) = part.split_once("\n\n").unwrap_or((&part, ""));
    s.insert_str(0, &format!("{ct}\n\n"));
    s.push_str(rest);
    s.into_bytes()
}

fn mixed(rng: &mut XorShift, i: usize, nested: bool) -> Vec<u8> {
    let boundary = format!("=_mixed_{i}_{}", rng.alnum(12));
    let mut s = format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\n\nThis is a multi-part message in MIME format.\n"
    );
    let _ = writeln!(s, "--{boundary}");
    if nested {
        let inner = format!("=_inner_{i}_{}", rng.alnum(12));
        s.push_str(&alternative_part(rng, &inner));
    } else {
        let (text, _) = text_part(rng);
        let _ = write!(
            s,
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{text}"
        );
    }
    let attachments = rng.range(1, 2);
    for a in 0..attachments {
        let _ = write!(s, "\n--{boundary}\n");
        s.push_str(&attachment(rng, i, a));
    }
    if nested && rng.chance(40) {
        let _ = write!(s, "\n--{boundary}\n");
        let body = join_lines(&paragraphs(rng, false));
        let _ = write!(
            s,
            "Content-Type: message/rfc822\nContent-Disposition: attachment\n\nMessage-ID: <fwd.{i}@gen.example.org>\nDate: Mon, 01 Jan 2024 09:00:00 +0000\nFrom: Forwarded Sender <fwd@example.org>\nTo: someone@example.org\nSubject: The forwarded message\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n{body}"
        );
    }
    let _ = write!(s, "\n--{boundary}--\n");
    s.into_bytes()
}

fn attachment(rng: &mut XorShift, i: usize, a: u64) -> String {
    let size = match rng.below(100) {
        // Mostly small, a few large: about 10 KB per message on average over a mailbox.
        0..=69 => rng.range(512, 8 * 1024),
        70..=94 => rng.range(8 * 1024, 32 * 1024),
        _ => rng.range(32 * 1024, 160 * 1024),
    } as usize;
    let mut data = vec![0u8; size];
    rng.fill(&mut data);
    let (ctype, name): (&str, String) = match rng.below(5) {
        0 => {
            data[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
            ("image/png", format!("photo-{i}-{a}.png"))
        }
        1 => {
            data[..9].copy_from_slice(b"%PDF-1.4\n");
            ("application/pdf", format!("report-{i}.pdf"))
        }
        2 => {
            // A text attachment with a UTF-8 file name (RFC 2231).
            let text = join_lines(&paragraphs(rng, true));
            return format!(
                "Content-Type: text/plain; charset=utf-8\nContent-Disposition: attachment;\n filename*=UTF-8''%C3%9Cbersicht-{i}.txt\nContent-Transfer-Encoding: base64\n\n{}",
                base64_lines(text.as_bytes())
            );
        }
        _ => ("application/octet-stream", format!("data-{i}-{a}.bin")),
    };
    format!(
        "Content-Type: {ctype}; name=\"{name}\"\nContent-Disposition: attachment; filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\n{}",
        base64_lines(&data)
    )
}

fn base64_lines(data: &[u8]) -> String {
    let encoded = B64.encode(data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 + 1);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Quoted-printable (RFC 2045) with LF line ends and soft breaks at 76 columns.
fn quoted_printable(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len() * 11 / 10);
    for line in text.split_inclusive('\n') {
        let (content, newline) = match line.strip_suffix('\n') {
            Some(c) => (c, true),
            None => (line, false),
        };
        let bytes = content.as_bytes();
        let mut col = 0;
        for (k, &b) in bytes.iter().enumerate() {
            let last = k + 1 == bytes.len();
            let literal = matches!(b, 33..=60 | 62..=126) || ((b == b' ' || b == b'\t') && !last);
            let width = if literal { 1 } else { 3 };
            if col + width > 75 {
                out.push_str("=\n");
                col = 0;
            }
            col += width;
            if literal {
                out.push(b as char);
            } else {
                out.push('=');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
        if newline {
            out.push('\n');
        }
    }
    out
}
