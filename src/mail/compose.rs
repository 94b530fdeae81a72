//! Composing messages: a [`Draft`] (addresses, subject, UTF-8 text, attachments, reply links)
//! becomes RFC 5322 + MIME bytes; replies and forwards are derived from an original's bytes
//! ([`reply`], [`forward`]); raw messages given to `send -t` / `send ADDR...` are checked and
//! stripped of Bcc ([`prepare_raw`]).
//!
//! Pure: no IO, no async (the clock is only read by [`new_message_id`] and [`Draft::finish`]
//! when no date is given). It may not touch the network, the store or the terminal.
//!
//! What must hold: output is 7-bit clean except where the input demands otherwise, lines end
//! in CRLF, the Bcc header never reaches the bytes to submit, and a raw message is passed on
//! byte for byte apart from the removed Bcc fields.

mod encode;
mod list_reply;
mod raw;
mod reply;

use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, FixedOffset};

/// Normalises line ends to CRLF (PGP/MIME signs the canonical form).
pub use encode::crlf;
pub use encode::guess_content_type;
pub use list_reply::{ListReplyError, list_post_address, list_reply};
pub use raw::{PreparedRaw, prepare_raw};
pub use reply::{ForwardMode, ReplyStyle, forward, reply};

use encode::{
    base64_lines, fits_7bit, fold_header, mime_param, phrase_tokens, quoted_printable,
    unstructured_tokens,
};

/// Why a message could not be composed or a raw message was refused. All are input errors.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ComposeError {
    #[error("cannot send an empty message")]
    Empty,
    #[error("cannot find the blank line between the header and the body")]
    NoSeparator,
    #[error("cannot parse header line {line}: not a \"Name: value\" field")]
    MalformedHeader { line: usize },
    #[error("cannot send a message without recipients")]
    NoRecipients,
    #[error("cannot use {0:?} as a mail address")]
    InvalidAddress(String),
    #[error("cannot parse the original message")]
    Unparseable,
}

impl ComposeError {
    /// Every compose failure is a problem with the input (exit 65).
    pub fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Data
    }
}

/// A mailbox: an address with an optional display name (`Name <addr@host>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    /// `local@domain`; validated by [`Mailbox::new`] and [`Mailbox::parse_list`].
    pub addr: String,
}

impl Mailbox {
    /// A mailbox from an address and an optional display name; the address must look like
    /// `local@domain` with no spaces, angle brackets or control characters.
    pub fn new(addr: &str, name: Option<&str>) -> Result<Mailbox, ComposeError> {
        let addr = addr.trim();
        let valid = match addr.rsplit_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !addr
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || "<>,;".contains(c))
            }
            None => false,
        };
        if !valid {
            return Err(ComposeError::InvalidAddress(addr.to_owned()));
        }
        Ok(Mailbox {
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            addr: addr.to_owned(),
        })
    }

    /// Parses what a user types for `--to`: `addr`, `Name <addr>`, `"Last, First" <addr>`, or
    /// several of these separated by commas.
    pub fn parse_list(text: &str) -> Result<Vec<Mailbox>, ComposeError> {
        let mut items = Vec::new();
        let (mut start, mut quoted, mut angle) = (0, false, false);
        for (i, c) in text.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '<' if !quoted => angle = true,
                '>' if !quoted => angle = false,
                ',' if !quoted && !angle => {
                    items.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push(&text[start..]);
        items
            .into_iter()
            .filter(|item| !item.trim().is_empty())
            .map(Mailbox::parse_one)
            .collect()
    }

    fn parse_one(item: &str) -> Result<Mailbox, ComposeError> {
        let item = item.trim();
        match (item.rfind('<'), item.ends_with('>')) {
            (Some(open), true) => {
                let name = item[..open].trim();
                let name = name
                    .strip_prefix('"')
                    .and_then(|n| n.strip_suffix('"'))
                    .map(|n| n.replace("\\\"", "\"").replace("\\\\", "\\"))
                    .unwrap_or_else(|| name.to_owned());
                Mailbox::new(&item[open + 1..item.len() - 1], Some(&name))
            }
            _ => Mailbox::new(item, None),
        }
    }

    /// The domain part, for Message-IDs.
    pub fn domain(&self) -> &str {
        self.addr.rsplit_once('@').map_or("localhost", |(_, d)| d)
    }

    /// Header tokens: the (encoded) phrase and `<addr>`, or the bare address.
    fn tokens(&self) -> Vec<String> {
        match &self.name {
            Some(name) => {
                let mut t = phrase_tokens(name);
                t.push(format!("<{}>", self.addr));
                t
            }
            None => vec![self.addr.clone()],
        }
    }
}

/// Folds an address-list header (`To: a <x>, b <y>`), breaking only between tokens.
fn address_header(name: &str, boxes: &[Mailbox]) -> String {
    let mut tokens = Vec::new();
    for (i, mailbox) in boxes.iter().enumerate() {
        let mut t = mailbox.tokens();
        if i + 1 < boxes.len()
            && let Some(last) = t.last_mut()
        {
            last.push(',');
        }
        tokens.extend(t);
    }
    fold_header(name, &tokens)
}

/// A file to attach. `content_type` None: guessed from the file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// A message to be written. Fill the fields, then [`Draft::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub subject: String,
    /// The text body; any line ends (LF or CRLF).
    pub body: String,
    pub attachments: Vec<Attachment>,
    /// Whole messages attached as `message/rfc822`, byte for byte (forward as attachment).
    pub attached_messages: Vec<Vec<u8>>,
    /// Message-ID of the message replied to, with angle brackets.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first, with angle brackets.
    pub references: Vec<String>,
    /// None: now, in the local time zone.
    pub date: Option<DateTime<FixedOffset>>,
    /// None: a new one on the sender's domain ([`new_message_id`]).
    pub message_id: Option<String>,
    /// The text part avoids what a mail transport may change (trailing whitespace, a line
    /// starting "From "), by quoted-printable: set when the message will be signed (RFC 3156 3).
    pub sign_safe: bool,
}

impl Draft {
    pub fn new(from: Mailbox) -> Draft {
        Draft {
            from,
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: String::new(),
            body: String::new(),
            attachments: Vec::new(),
            attached_messages: Vec::new(),
            in_reply_to: None,
            references: Vec::new(),
            date: None,
            message_id: None,
            sign_safe: false,
        }
    }

    /// Writes the message. Fails only when there is no recipient at all.
    pub fn finish(&self) -> Result<Composed, ComposeError> {
        if self.to.is_empty() && self.cc.is_empty() && self.bcc.is_empty() {
            return Err(ComposeError::NoRecipients);
        }
        let date = self
            .date
            .unwrap_or_else(|| chrono::Local::now().fixed_offset());
        let message_id = self
            .message_id
            .clone()
            .unwrap_or_else(|| new_message_id(self.from.domain()));

        let mut head = String::new();
        head.push_str(&format!("Date: {}\r\n", date.to_rfc2822()));
        head.push_str(&address_header("From", std::slice::from_ref(&self.from)));
        if !self.to.is_empty() {
            head.push_str(&address_header("To", &self.to));
        }
        if !self.cc.is_empty() {
            head.push_str(&address_header("Cc", &self.cc));
        }
        let bcc_offset = head.len();
        let bcc_line = (!self.bcc.is_empty()).then(|| address_header("Bcc", &self.bcc));
        head.push_str(&fold_header("Subject", &unstructured_tokens(&self.subject)));
        head.push_str(&format!("Message-ID: {message_id}\r\n"));
        if let Some(parent) = &self.in_reply_to {
            head.push_str(&format!("In-Reply-To: {parent}\r\n"));
        }
        if !self.references.is_empty() {
            head.push_str(&fold_header("References", &self.references));
        }
        head.push_str("MIME-Version: 1.0\r\n");

        let (text_headers, text_body) = text_part(&self.body, self.sign_safe);
        let mut bytes = head.into_bytes();
        if self.attachments.is_empty() && self.attached_messages.is_empty() {
            bytes.extend_from_slice(text_headers.as_bytes());
            bytes.extend_from_slice(b"\r\n");
            bytes.extend_from_slice(&text_body);
        } else {
            let mut parts = vec![(text_headers, text_body)];
            for a in &self.attachments {
                parts.push(attachment_part(a));
            }
            for original in &self.attached_messages {
                parts.push(message_part(original));
            }
            write_multipart(&mut bytes, &message_id, &parts);
        }
        let recipients = self
            .to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .map(|m| m.addr.clone())
            .fold(Vec::<String>::new(), |mut acc, a| {
                if !acc.iter().any(|b| b.eq_ignore_ascii_case(&a)) {
                    acc.push(a);
                }
                acc
            });
        Ok(Composed {
            bytes,
            message_id,
            envelope_from: self.from.addr.clone(),
            recipients,
            bcc_offset,
            bcc_line,
        })
    }
}

/// A written message, ready for submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// The bytes to submit: no Bcc header.
    pub bytes: Vec<u8>,
    /// With angle brackets.
    pub message_id: String,
    /// MAIL FROM.
    pub envelope_from: String,
    /// RCPT TO: To, Cc and Bcc, without duplicates.
    pub recipients: Vec<String>,
    bcc_offset: usize,
    bcc_line: Option<String>,
}

impl Composed {
    /// The same message in another body form (signed or encrypted by `pgp::protect`), which
    /// keeps the header fields before the Bcc position byte for byte; when it does not, the
    /// Sent copy goes without the Bcc line rather than with a broken header.
    pub fn with_bytes(&self, bytes: Vec<u8>) -> Composed {
        let same_prefix = bytes.get(..self.bcc_offset) == self.bytes.get(..self.bcc_offset);
        Composed {
            bytes,
            message_id: self.message_id.clone(),
            envelope_from: self.envelope_from.clone(),
            recipients: self.recipients.clone(),
            bcc_offset: self.bcc_offset,
            bcc_line: self.bcc_line.clone().filter(|_| same_prefix),
        }
    }

    /// The copy for the Sent folder: the submitted bytes plus the Bcc header, so the sender
    /// can see whom they blind-copied (what mutt and Thunderbird keep).
    pub fn sent_copy(&self) -> Vec<u8> {
        match &self.bcc_line {
            None => self.bytes.clone(),
            Some(line) => {
                let mut out = Vec::with_capacity(self.bytes.len() + line.len());
                out.extend_from_slice(&self.bytes[..self.bcc_offset]);
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(&self.bytes[self.bcc_offset..]);
                out
            }
        }
    }
}

/// The text part's headers and encoded body: 7bit when it fits, else quoted-printable.
fn text_part(body: &str, sign_safe: bool) -> (String, Vec<u8>) {
    let mut body = body.to_owned();
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    let transport_may_change = |body: &str| {
        body.lines().any(|l| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            l.ends_with([' ', '\t']) || l.starts_with("From ")
        })
    };
    if fits_7bit(&body) && !(sign_safe && transport_may_change(&body)) {
        (
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n"
                .to_owned(),
            crlf(body.as_bytes()),
        )
    } else {
        (
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                .to_owned(),
            quoted_printable(&body),
        )
    }
}

fn attachment_part(a: &Attachment) -> (String, Vec<u8>) {
    let mut ctype = a
        .content_type
        .clone()
        .unwrap_or_else(|| guess_content_type(&a.file_name).to_owned());
    if ctype.starts_with("text/")
        && !ctype.contains("charset")
        && std::str::from_utf8(&a.data).is_ok()
    {
        ctype.push_str("; charset=utf-8");
    }
    let headers = format!(
        "Content-Type: {ctype}{}\r\nContent-Disposition: attachment{}\r\nContent-Transfer-Encoding: base64\r\n",
        mime_param("name", &a.file_name),
        mime_param("filename", &a.file_name),
    );
    (headers, base64_lines(&a.data))
}

/// A forwarded message: `message/rfc822` may not be base64 (RFC 2046 5.2.1), so it goes as
/// 7bit or 8bit with CRLF line ends.
fn message_part(original: &[u8]) -> (String, Vec<u8>) {
    let cte = if original.is_ascii() { "7bit" } else { "8bit" };
    let mut body = crlf(original);
    if !body.ends_with(b"\r\n") {
        body.extend_from_slice(b"\r\n");
    }
    (
        format!(
            "Content-Type: message/rfc822\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: {cte}\r\n"
        ),
        body,
    )
}

fn write_multipart(out: &mut Vec<u8>, seed: &str, parts: &[(String, Vec<u8>)]) {
    // "=_" cannot occur in base64 or quoted-printable output; the loop guards the 7bit and
    // message/rfc822 parts.
    let mut n = 0u32;
    let boundary = loop {
        let candidate = format!("=_postie_{:016x}_{n}", stable_hash(seed.as_bytes()));
        let needle = candidate.as_bytes();
        if !parts
            .iter()
            .any(|(_, body)| body.windows(needle.len()).any(|w| w == needle))
        {
            break candidate;
        }
        n += 1;
    };
    out.extend_from_slice(
        format!(
            "Content-Type: multipart/mixed;\r\n boundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n"
        )
        .as_bytes(),
    );
    for (n, (headers, body)) in parts.iter().enumerate() {
        out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
        out.extend_from_slice(headers.as_bytes());
        out.extend_from_slice(b"\r\n");
        // The CRLF before a boundary belongs to the boundary: the text part keeps its last
        // line break; encoded parts and the forwarded message give theirs up.
        let body = match n {
            0 => &body[..],
            _ => body.strip_suffix(b"\r\n").unwrap_or(body),
        };
        out.extend_from_slice(body);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
}

/// FNV-1a: a fixed hash, so the same draft gives the same boundary in tests.
fn stable_hash(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A new, globally unique Message-ID on `domain`: `<time.counter.random@domain>`.
pub fn new_message_id(domain: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanos());
    hasher.write_u32(std::process::id());
    hasher.write_u64(count);
    let domain = if domain.is_empty() {
        "localhost"
    } else {
        domain
    };
    format!(
        "<{}.{}.{:016x}@{domain}>",
        now.as_secs(),
        count,
        hasher.finish()
    )
}

#[cfg(test)]
mod tests;
