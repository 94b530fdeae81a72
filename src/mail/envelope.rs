//! The envelope of a message: what lists, the index and threading need, parsed from raw bytes.
//!
//! Pure and total: [`Envelope::parse`] accepts any bytes (empty, binary, broken headers) and
//! returns the best envelope it can; it never fails and never panics. Header decoding (RFC 2047
//! encoded words, charsets, address groups, dates) is mail-parser's; this module only shapes the
//! result and normalises what mail-parser leaves raw.

use std::fmt;

use mail_parser::{HeaderValue, Message, MessageParser};

/// One mailbox: an optional display name and an address (which may be empty when the header
/// held only a name or was malformed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub name: Option<String>,
    pub email: String,
}

impl Address {
    pub fn new(name: Option<&str>, email: &str) -> Address {
        Address {
            name: name.map(str::to_owned).filter(|n| !n.trim().is_empty()),
            email: email.to_owned(),
        }
    }

    /// The name if there is one, else the address: what a message list shows.
    pub fn short(&self) -> &str {
        match &self.name {
            Some(n) => n,
            None => &self.email,
        }
    }
}

impl fmt::Display for Address {
    /// `Name <email>`, or just the address. Not RFC 5322 quoted: this is for display.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, self.email.is_empty()) {
            (Some(n), false) => write!(f, "{n} <{}>", self.email),
            (Some(n), true) => f.write_str(n),
            (None, _) => f.write_str(&self.email),
        }
    }
}

/// Formats an address list for display: `A <a@x>, B <b@x>`.
pub fn format_addresses(list: &[Address]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The parsed header fields postie keeps for every message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// Seconds since the Unix epoch (UTC); `None` when Date is missing or unparseable.
    pub date: Option<i64>,
    /// The Date header's zone offset in minutes east of UTC (0 when there is no date).
    pub tz_offset_minutes: i32,
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub reply_to: Vec<Address>,
    /// Decoded subject; empty when missing.
    pub subject: String,
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To ids, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids in header order (oldest ancestor first), without angle brackets.
    pub references: Vec<String>,
    /// Size of the raw message in bytes.
    pub size: u64,
}

impl Envelope {
    /// Parses the header of `raw` (the body is not looked at). Never fails.
    pub fn parse(raw: &[u8]) -> Envelope {
        match MessageParser::default().parse_headers(raw) {
            Some(msg) => Envelope::from_message(&msg, raw.len()),
            None => Envelope {
                size: raw.len() as u64,
                ..Envelope::default()
            },
        }
    }

    /// Builds the envelope from an already parsed message (so callers that also need the body
    /// parse once).
    pub fn from_message(msg: &Message<'_>, size: usize) -> Envelope {
        let (date, tz_offset_minutes) = match msg.date() {
            Some(d) if d.is_valid() => {
                let offset = i32::from(d.tz_hour) * 60 + i32::from(d.tz_minute);
                let offset = if d.tz_before_gmt { -offset } else { offset };
                (Some(d.to_timestamp()), offset)
            }
            _ => (None, 0),
        };
        Envelope {
            date,
            tz_offset_minutes,
            from: addresses(msg.from()),
            to: addresses(msg.to()),
            cc: addresses(msg.cc()),
            reply_to: addresses(msg.reply_to()),
            subject: msg.subject().map(clean_line).unwrap_or_default(),
            message_id: msg.message_id().map(clean_id).filter(|s| !s.is_empty()),
            in_reply_to: ids(msg.in_reply_to()),
            references: ids(msg.references()),
            size: size as u64,
        }
    }

    /// The first From address, for one-line displays.
    pub fn from_short(&self) -> &str {
        self.from.first().map(Address::short).unwrap_or("")
    }

    /// The date as RFC 3339 in the header's own zone (as `--json` prints it).
    pub fn date_rfc3339(&self) -> Option<String> {
        rfc3339(self.date?, self.tz_offset_minutes)
    }
}

/// RFC 3339 for a timestamp in a given zone offset; `None` when out of chrono's range.
pub fn rfc3339(timestamp: i64, offset_minutes: i32) -> Option<String> {
    let offset = chrono::FixedOffset::east_opt(offset_minutes * 60)
        .or_else(|| chrono::FixedOffset::east_opt(0))?;
    let dt = chrono::DateTime::from_timestamp(timestamp, 0)?.with_timezone(&offset);
    Some(dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
}

fn addresses(addr: Option<&mail_parser::Address<'_>>) -> Vec<Address> {
    let Some(addr) = addr else {
        return Vec::new();
    };
    addr.iter()
        .map(|a| Address {
            name: a.name.as_deref().map(clean_line).filter(|n| !n.is_empty()),
            email: a.address.as_deref().map(clean_line).unwrap_or_default(),
        })
        .filter(|a| a.name.is_some() || !a.email.is_empty())
        .collect()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|s| s.as_ref()).collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .flat_map(|s| s.split_whitespace())
        .map(clean_id)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Strips angle brackets and whitespace from a message id.
fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

/// Header values kept in the envelope are cut here: a subject or name longer than this is an
/// attack or a bug, and every list row and index entry would carry it.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Folds line breaks and control characters to spaces so a header value is one display line,
/// at most [`MAX_FIELD_BYTES`] long.
fn clean_line(s: &str) -> String {
    let mut s = s;
    if s.len() > MAX_FIELD_BYTES {
        let mut cut = MAX_FIELD_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s = &s[..cut];
    }
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for c in s.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_encoded_words_and_address_lists() {
        let raw = b"From: =?UTF-8?Q?Ren=C3=A9e_M=C3=BCller?= <renee@x.test>\r\n\
To: a@x.test, \"B, Person\" <b@x.test>, Team: c@x.test, d@x.test;\r\n\
Cc: =?ISO-8859-1?B?Sm9z6Q==?= <jose@x.test>\r\n\
Subject: =?UTF-8?B?w5xiZXIgZGllIEJyw7xja2U=?= and\r\n more\r\n\
Date: Tue, 1 Jul 2025 10:00:00 +0530\r\n\
Message-ID: <abc@x.test>\r\n\
In-Reply-To: <p1@x.test>\r\n\
References: <r0@x.test>\r\n <p1@x.test>\r\n\r\nbody\r\n";
        let e = Envelope::parse(raw);
        assert_eq!(
            e.from,
            vec![Address::new(Some("Renée Müller"), "renee@x.test")]
        );
        let to: Vec<&str> = e.to.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(to, vec!["a@x.test", "b@x.test", "c@x.test", "d@x.test"]);
        assert_eq!(e.to[1].name.as_deref(), Some("B, Person"));
        assert_eq!(e.cc[0].name.as_deref(), Some("José"));
        assert_eq!(e.subject, "Über die Brücke and more");
        assert_eq!(e.message_id.as_deref(), Some("abc@x.test"));
        assert_eq!(e.in_reply_to, vec!["p1@x.test"]);
        assert_eq!(e.references, vec!["r0@x.test", "p1@x.test"]);
        assert_eq!(e.tz_offset_minutes, 330);
        assert_eq!(e.date, Some(1_751_344_200));
        assert_eq!(
            e.date_rfc3339().as_deref(),
            Some("2025-07-01T10:00:00+05:30")
        );
        assert_eq!(e.size, raw.len() as u64);
    }

    #[test]
    fn odd_and_missing_dates() {
        let e = Envelope::parse(b"Subject: x\r\n\r\n");
        assert_eq!(e.date, None);
        assert_eq!(e.date_rfc3339(), None);
        let e = Envelope::parse(b"Date: 1 Jan 2020 00:00:00 -1245\r\n\r\n");
        assert_eq!(e.tz_offset_minutes, -(12 * 60 + 45));
        assert_eq!(e.date, Some(1_577_882_700));
        let e = Envelope::parse(b"Date: Thu, 13 Feb 2020 23:32:00 EST\r\n\r\n");
        assert!(e.date.is_some());
        let e = Envelope::parse(b"Date: next tuesday, maybe\r\n\r\n");
        assert_eq!(e.date, None);
    }

    #[test]
    fn garbage_never_panics() {
        for raw in [
            &b""[..],
            b"\0\0\0\xff\xfe",
            b"From: \xff\xfe <\xc3@x>\r\nSubject: \xe9t\xe9\r\n\r\n",
            b":::\r\n\r\n",
            b"Subject: =?x-unknown?q?abc?=\r\n",
            b"References: <<<>>> <a@b\r\n",
        ] {
            let e = Envelope::parse(raw);
            assert_eq!(e.size, raw.len() as u64);
        }
        let e = Envelope::parse(b"Subject: \xe9t\xe9\r\n\r\n");
        assert!(!e.subject.is_empty());
    }
}
