//! POP3 framing, pure: status lines (`+OK`, `-ERR`, SASL `+ `), response codes, the greeting and
//! multi-line responses (dot-unstuffing), all parsed from bytes.
//!
//! No IO and no async here, so every case is tested with byte literals. As in mini-redis's
//! `Frame::check`, "not enough bytes yet" ([`CodecError::Incomplete`]) is distinct from "these
//! bytes can never be valid" ([`CodecError::Invalid`], [`CodecError::LineTooLong`]): the client
//! reads more on the first and gives up on the others.
//!
//! Message bytes are never decoded as text: a multi-line body is the server's bytes with the
//! byte-stuffing dots removed, line ends kept as sent (CRLF, or a bare LF from a sloppy server),
//! the final line end kept and the terminating `.` line removed.

use crate::error::ErrorKind;

/// Longest status or listing line accepted (RFC 2449 allows 512 octets; servers exceed it).
pub const MAX_STATUS_LINE: usize = 8 * 1024;

/// Why bytes could not be turned into a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// More bytes are needed; not an error of the server.
    #[error("the reply is incomplete")]
    Incomplete,
    /// The bytes can never form a valid reply.
    #[error("cannot parse the reply: {0}")]
    Invalid(String),
    /// A line exceeded the bound, so memory stays bounded whatever the server sends.
    #[error("cannot accept a line longer than {limit} bytes")]
    LineTooLong { limit: usize },
}

/// What the first token of a status line said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    /// `+OK`
    Ok,
    /// `-ERR`
    Err,
    /// `+ ` : a SASL continuation during AUTH (RFC 5034); `text` holds the base64 challenge.
    Continue,
}

/// An RFC 2449 / RFC 3206 extended response code, the `[...]` right after `-ERR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseCode {
    /// `[IN-USE]`: the mailbox is locked by another session.
    InUse,
    /// `[AUTH]`: the credentials are wrong (not a temporary failure).
    Auth,
    /// `[SYS/TEMP]`: a temporary system failure.
    SysTemp,
    /// `[SYS/PERM]`: a permanent system failure.
    SysPerm,
    /// `[LOGIN-DELAY]`: logged in too soon after the last login.
    LoginDelay,
    /// Any other code, as sent (upper-cased).
    Other(String),
}

impl ResponseCode {
    /// Parses the text between the brackets; hierarchical codes (`SYS/TEMP/FOO`) map to their
    /// known parent.
    pub fn parse(code: &str) -> ResponseCode {
        let upper = code.to_ascii_uppercase();
        let is = |name: &str| upper == name || upper.starts_with(&format!("{name}/"));
        if is("IN-USE") {
            ResponseCode::InUse
        } else if is("AUTH") {
            ResponseCode::Auth
        } else if is("SYS/TEMP") {
            ResponseCode::SysTemp
        } else if is("SYS/PERM") {
            ResponseCode::SysPerm
        } else if is("LOGIN-DELAY") {
            ResponseCode::LoginDelay
        } else {
            ResponseCode::Other(upper)
        }
    }

    /// The error kind a `-ERR` carrying this code means, if the code decides it.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self {
            ResponseCode::InUse | ResponseCode::SysTemp | ResponseCode::LoginDelay => {
                Some(ErrorKind::Temporary)
            }
            ResponseCode::Auth => Some(ErrorKind::Auth),
            ResponseCode::SysPerm => Some(ErrorKind::Protocol),
            ResponseCode::Other(_) => None,
        }
    }
}

/// One parsed status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub kind: StatusKind,
    /// The extended response code, if the text starts with `[...]`.
    pub code: Option<ResponseCode>,
    /// The human text after the token (and after the code), decoded lossily: it is only shown.
    pub text: String,
}

impl Status {
    pub fn is_ok(&self) -> bool {
        self.kind == StatusKind::Ok
    }
}

/// The length of the first line of `buf`, its `\n` included.
pub fn check_line(buf: &[u8], max_line: usize) -> Result<usize, CodecError> {
    match buf.iter().position(|&b| b == b'\n') {
        Some(i) if i < max_line => Ok(i + 1),
        Some(_) => Err(CodecError::LineTooLong { limit: max_line }),
        None if buf.len() >= max_line => Err(CodecError::LineTooLong { limit: max_line }),
        None => Err(CodecError::Incomplete),
    }
}

/// `line` without its trailing `\n` or `\r\n`.
pub fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses one status line (with or without its line end).
pub fn parse_status_line(line: &[u8]) -> Result<Status, CodecError> {
    let line = trim_eol(line);
    let (kind, rest) = if let Some(rest) = strip_token(line, b"+OK") {
        (StatusKind::Ok, rest)
    } else if let Some(rest) = strip_token(line, b"-ERR") {
        (StatusKind::Err, rest)
    } else if line == b"+" || line.starts_with(b"+ ") {
        let text = String::from_utf8_lossy(line.get(2..).unwrap_or_default()).into_owned();
        return Ok(Status {
            kind: StatusKind::Continue,
            code: None,
            text,
        });
    } else {
        return Err(CodecError::Invalid(format!(
            "expected +OK or -ERR, got {:?}",
            String::from_utf8_lossy(&line[..line.len().min(40)])
        )));
    };
    let text = String::from_utf8_lossy(rest).trim().to_owned();
    let (code, text) = split_code(text);
    Ok(Status { kind, code, text })
}

/// Strips a status token (case-insensitively) that must be followed by a space or the line end.
fn strip_token<'a>(line: &'a [u8], token: &[u8]) -> Option<&'a [u8]> {
    let head = line.get(..token.len())?;
    if !head.eq_ignore_ascii_case(token) {
        return None;
    }
    let rest = &line[token.len()..];
    match rest.first() {
        None => Some(rest),
        Some(b' ' | b'\t') => Some(&rest[1..]),
        Some(_) => None,
    }
}

fn split_code(text: String) -> (Option<ResponseCode>, String) {
    if let Some(inner) = text.strip_prefix('[')
        && let Some(end) = inner.find(']')
    {
        let code = ResponseCode::parse(&inner[..end]);
        let rest = inner[end + 1..].trim_start().to_owned();
        return (Some(code), rest);
    }
    (None, text)
}

/// The server's first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub text: String,
    /// The `<...@...>` token of RFC 1939 section 7 (APOP), if the server sent one.
    pub apop_timestamp: Option<String>,
}

impl Greeting {
    /// Builds the greeting from a `+OK` status; the caller turns `-ERR` into an error.
    pub fn from_status(status: &Status) -> Greeting {
        Greeting {
            text: status.text.clone(),
            apop_timestamp: apop_timestamp(&status.text),
        }
    }
}

/// Finds an RFC 1939 timestamp (`<` ... `@` ... `>`, printable, no spaces) in greeting text.
pub fn apop_timestamp(text: &str) -> Option<String> {
    let start = text.rfind('<')?;
    let len = text[start..].find('>')?;
    let candidate = &text[start..=start + len];
    let inner = &candidate[1..candidate.len() - 1];
    let valid = inner.contains('@')
        && !inner.is_empty()
        && inner.bytes().all(|b| b.is_ascii_graphic() && b != b'<');
    valid.then(|| candidate.to_owned())
}

/// Incremental decoder of a multi-line body (the lines after a `+OK` status line).
///
/// Feed it the unread bytes with [`decode`](Self::decode); it consumes whole lines only, so the
/// caller drops the consumed prefix and reads more. Each byte is examined once, so a 100 MB
/// message read in small chunks costs linear time (mini-redis re-scans; messages are too big).
#[derive(Debug)]
pub struct MultilineDecoder {
    out: Vec<u8>,
    max_line: usize,
    max_total: usize,
    done: bool,
}

impl MultilineDecoder {
    /// `max_line` bounds one line, `max_total` the whole unstuffed body.
    pub fn new(max_line: usize, max_total: usize) -> MultilineDecoder {
        MultilineDecoder {
            out: Vec::new(),
            max_line,
            max_total,
            done: false,
        }
    }

    /// Consumes the complete lines at the start of `buf` and returns how many bytes it used.
    /// Stops after the terminating `.` line: bytes after it belong to the next reply.
    pub fn decode(&mut self, buf: &[u8]) -> Result<usize, CodecError> {
        let mut pos = 0;
        while !self.done {
            let rest = &buf[pos..];
            let len = match check_line(rest, self.max_line) {
                Ok(len) => len,
                Err(CodecError::Incomplete) => break,
                Err(e) => return Err(e),
            };
            let line = &rest[..len];
            pos += len;
            if trim_eol(line) == b"." {
                self.done = true;
                break;
            }
            let data = if line.first() == Some(&b'.') {
                &line[1..]
            } else {
                line
            };
            if self.out.len() + data.len() > self.max_total {
                return Err(CodecError::Invalid(format!(
                    "multi-line reply longer than {} bytes",
                    self.max_total
                )));
            }
            self.out.extend_from_slice(data);
        }
        Ok(pos)
    }

    /// Whether the terminating `.` line has been seen.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The unstuffed body so far (all of it once [`is_done`](Self::is_done)).
    pub fn into_data(self) -> Vec<u8> {
        self.out
    }
}

/// How many bytes of `buf` make one complete reply: the status line, plus (when `multiline`
/// and the status is `+OK`) the body through its terminating `.` line.
pub fn check_reply(buf: &[u8], multiline: bool, max_line: usize) -> Result<usize, CodecError> {
    parse_reply(buf, multiline, max_line, usize::MAX).map(|(_, _, len)| len)
}

/// Parses one complete reply from the start of `buf`: the status, the unstuffed body (empty for
/// single-line replies and `-ERR`) and the number of bytes used.
pub fn parse_reply(
    buf: &[u8],
    multiline: bool,
    max_line: usize,
    max_total: usize,
) -> Result<(Status, Vec<u8>, usize), CodecError> {
    let status_len = check_line(buf, max_line.min(MAX_STATUS_LINE))?;
    let status = parse_status_line(&buf[..status_len])?;
    if !multiline || !status.is_ok() {
        return Ok((status, Vec::new(), status_len));
    }
    let mut decoder = MultilineDecoder::new(max_line, max_total);
    let used = decoder.decode(&buf[status_len..])?;
    if !decoder.is_done() {
        return Err(CodecError::Incomplete);
    }
    Ok((status, decoder.into_data(), status_len + used))
}

/// The lines of an unstuffed listing body, line ends removed, blank lines skipped.
pub fn body_lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split_inclusive(|&b| b == b'\n')
        .map(trim_eol)
        .filter(|l| !l.is_empty())
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
