//! Finds where one IMAP response ends (its lines and `{N}` literals) before anything parses it.
//!
//! Why: imap-proto answers an announced literal with "need N more bytes", and async-imap then
//! allocates (and zeroes) N bytes at once, so `{400000000}` cost 412 MiB before a byte of it
//! came; it also re-parses its whole buffer after every 4 KiB read, so an endless line costs
//! quadratic time. The session reads through this framer instead: it scans each byte once,
//! keeps only what has arrived, and hands a response on only when it is complete.
//!
//! What must hold: a line (the text between literals) longer than [`FrameLimits::max_line`],
//! a literal larger than [`FrameLimits::max_literal`], or a response larger than both together
//! is an error as soon as it shows, never a wait; the framer is pure (no IO), so it is tested byte by byte.
//!
//! Liberal in what it accepts where nothing is ambiguous: a line that ends in a bare LF (GNU
//! Mailutils ends its tagged OK after AUTHENTICATE so) is still a line end, and the framer
//! notes where, so [`mend_line_ends`] gives the parser the CRLF it insists on. Literal bytes
//! are never touched.

/// How large a response may grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Longest line outside literals. 16 MiB holds `UID SEARCH ALL` of ~2 million messages.
    pub max_line: usize,
    /// Largest literal: the largest message we accept.
    pub max_literal: u64,
}

impl FrameLimits {
    /// The most one response may hold in all: one largest literal plus one longest line
    /// (a response of endless small literals would otherwise never end).
    pub fn max_response(&self) -> u64 {
        self.max_literal.saturating_add(self.max_line as u64)
    }
}

impl Default for FrameLimits {
    fn default() -> Self {
        FrameLimits {
            max_line: 16 * 1024 * 1024,
            max_literal: 256 * 1024 * 1024,
        }
    }
}

/// A response the framer refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the server sent a response line longer than {max} bytes")]
    LineTooLong { max: usize },
    #[error(
        "the server announced a literal of {announced} bytes, more than the largest message \
         accepted ({max} bytes)"
    )]
    LiteralTooLarge { announced: u64, max: u64 },
    #[error("the server sent a response larger than {max} bytes")]
    ResponseTooLarge { max: u64 },
}

/// The scan state over the bytes of one response, which grow as they arrive.
#[derive(Debug, Default)]
pub struct Framer {
    limits: FrameLimits,
    /// Bytes of the buffer already looked at.
    scanned: usize,
    /// Where lines of the response in progress end in a bare LF (offsets of the LF).
    bare_lf: Vec<usize>,
    /// The same for the response completed last, until taken.
    completed_bare_lf: Vec<usize>,
    /// Where the current line starts (after the last literal).
    line_start: usize,
    /// Literal bytes still to come.
    literal_left: u64,
}

impl Framer {
    pub fn new(limits: FrameLimits) -> Self {
        Framer {
            limits,
            ..Framer::default()
        }
    }

    /// Given the bytes of a response so far (the same buffer, grown, on every call), returns
    /// the length of the first complete response in it, if it is complete. After `Some`, the
    /// caller removes those bytes and the framer starts afresh.
    pub fn complete(&mut self, buf: &[u8]) -> Result<Option<usize>, FrameError> {
        loop {
            if self.literal_left > 0 {
                let available = (buf.len() - self.scanned) as u64;
                let take = available.min(self.literal_left);
                // `take` <= available, which fits in usize.
                self.scanned += take as usize;
                self.literal_left -= take;
                if self.literal_left > 0 {
                    return Ok(None);
                }
                self.line_start = self.scanned;
            }
            let Some(at) = buf[self.scanned..].iter().position(|&b| b == b'\n') else {
                self.scanned = buf.len();
                if buf.len() - self.line_start > self.limits.max_line {
                    return Err(FrameError::LineTooLong {
                        max: self.limits.max_line,
                    });
                }
                return Ok(None);
            };
            let end = self.scanned + at + 1;
            if end - self.line_start > self.limits.max_line {
                return Err(FrameError::LineTooLong {
                    max: self.limits.max_line,
                });
            }
            self.scanned = end;
            if end < self.line_start + 2 || buf[end - 2] != b'\r' {
                self.bare_lf.push(end - 1);
            }
            match literal_announced(&buf[self.line_start..end]) {
                Some(n) if n > self.limits.max_literal => {
                    return Err(FrameError::LiteralTooLarge {
                        announced: n,
                        max: self.limits.max_literal,
                    });
                }
                Some(n) if (end as u64).saturating_add(n) > self.limits.max_response() => {
                    return Err(FrameError::ResponseTooLarge {
                        max: self.limits.max_response(),
                    });
                }
                Some(n) => {
                    self.literal_left = n;
                    self.line_start = end;
                }
                None => {
                    let bare_lf = std::mem::take(&mut self.bare_lf);
                    *self = Framer::new(self.limits);
                    self.completed_bare_lf = bare_lf;
                    return Ok(Some(end));
                }
            }
        }
    }
}

impl Framer {
    pub fn limits(&self) -> FrameLimits {
        self.limits
    }

    /// Where the response [`Framer::complete`] returned last has lines ending in a bare LF
    /// (offsets from its start; empty for a well-formed response). Taken once.
    pub fn take_bare_line_ends(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.completed_bare_lf)
    }

    /// Announced literal bytes that have not arrived yet (with the bytes that did, the size
    /// of the response in progress: its deadline grows by it).
    pub fn literal_left(&self) -> u64 {
        self.literal_left
    }
}

/// Puts a CR before each bare LF the framer found (`at`: offsets into `response`, ascending),
/// so that every line of the response ends in CRLF as the parser requires.
pub fn mend_line_ends(response: &mut Vec<u8>, at: &[usize]) {
    if at.is_empty() {
        return;
    }
    let mut out = Vec::with_capacity(response.len() + at.len());
    let mut from = 0;
    for &lf in at {
        out.extend_from_slice(&response[from..lf]);
        out.push(b'\r');
        from = lf;
    }
    out.extend_from_slice(&response[from..]);
    *response = out;
}

/// `N` when `line` ends in `{N}` (or `{N+}`) before its line end.
fn literal_announced(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// `bytes` fit for one error line: the first `keep` bytes, control characters escaped, and
/// the total length when anything was left out. Never message content in bulk.
pub fn excerpt(bytes: &[u8], keep: usize) -> String {
    let mut out = String::new();
    for c in String::from_utf8_lossy(&bytes[..bytes.len().min(keep)]).chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if bytes.len() > keep {
        out.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_line: usize, max_literal: u64) -> FrameLimits {
        FrameLimits {
            max_line,
            max_literal,
        }
    }

    /// Feeds `wire` one byte at a time, as a trickling server would.
    fn frames(wire: &[u8], l: FrameLimits) -> Result<Vec<Vec<u8>>, FrameError> {
        let mut framer = Framer::new(l);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for &b in wire {
            buf.push(b);
            if let Some(n) = framer.complete(&buf)? {
                out.push(buf.drain(..n).collect());
            }
        }
        Ok(out)
    }

    #[test]
    fn lines_and_literals_make_one_response() {
        let wire = b"* 1 FETCH (UID 5 BODY[] {5}\r\nab\r\nc)\r\na1 OK done\r\n* 2 EXISTS\r\n";
        let got = frames(wire, FrameLimits::default()).unwrap();
        assert_eq!(
            got,
            vec![
                b"* 1 FETCH (UID 5 BODY[] {5}\r\nab\r\nc)\r\n".to_vec(),
                b"a1 OK done\r\n".to_vec(),
                b"* 2 EXISTS\r\n".to_vec(),
            ]
        );
        let two = b"* 1 FETCH (BODY[1] {2}\r\nxy BODY[2] {0}\r\n)\r\n";
        assert_eq!(
            frames(two, FrameLimits::default()).unwrap(),
            vec![two.to_vec()]
        );
    }

    #[test]
    fn a_literal_above_the_limit_fails_when_announced() {
        let wire = b"* 1 FETCH (BODY[] {400000000}\r\n";
        assert_eq!(
            frames(wire, limits(1024, 1000)),
            Err(FrameError::LiteralTooLarge {
                announced: 400_000_000,
                max: 1000
            })
        );
    }

    #[test]
    fn endless_small_literals_fail_at_the_response_cap() {
        let mut wire = b"* 1 FETCH (BODY[] ".to_vec();
        for _ in 0..200 {
            wire.extend_from_slice(b"{10}\r\n0123456789 ");
        }
        assert_eq!(
            frames(&wire, limits(100, 1000)),
            Err(FrameError::ResponseTooLarge { max: 1100 })
        );
    }

    #[test]
    fn an_endless_line_fails_at_the_cap() {
        let wire = vec![b'A'; 2000];
        assert_eq!(
            frames(&wire, limits(1000, 1000)),
            Err(FrameError::LineTooLong { max: 1000 })
        );
    }

    #[test]
    fn text_that_only_looks_like_a_literal_is_no_literal() {
        for line in [&b"* OK {abc}\r\n"[..], b"* OK {}\r\n", b"* OK }\r\n"] {
            assert_eq!(
                frames(line, FrameLimits::default()).unwrap(),
                vec![line.to_vec()]
            );
        }
    }

    #[test]
    fn an_excerpt_is_one_short_line() {
        let mut body = b"* 1 FETCH (BODY[] {9}\r\n".to_vec();
        body.extend(std::iter::repeat_n(b'x', 20_000));
        let e = excerpt(&body, 200);
        assert!(!e.contains('\n') && !e.contains('\r'), "{e}");
        assert!(e.starts_with("* 1 FETCH (BODY[] {9}\\r\\n"), "{e}");
        assert!(e.ends_with(&format!("... ({} bytes)", body.len())), "{e}");
        assert!(e.len() < 300, "{}", e.len());
    }

    #[test]
    fn bare_lf_line_ends_are_mended_and_literals_left_alone() {
        let mut framer = Framer::new(FrameLimits::default());
        let wire = b"* 1 FETCH (BODY[] {4}\r\na\nb\n)\n";
        let n = framer.complete(wire).unwrap().unwrap();
        assert_eq!(n, wire.len());
        let at = framer.take_bare_line_ends();
        assert_eq!(
            at,
            vec![wire.len() - 1],
            "only the line end, not the literal's LFs"
        );
        let mut response = wire.to_vec();
        mend_line_ends(&mut response, &at);
        assert_eq!(&response[..], b"* 1 FETCH (BODY[] {4}\r\na\nb\n)\r\n");
        assert!(framer.take_bare_line_ends().is_empty(), "taken once");

        let mut framer = Framer::new(FrameLimits::default());
        let n = framer
            .complete(b"a1 OK done\n* 2 EXISTS\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(n, 11);
        let mut response = b"a1 OK done\n".to_vec();
        mend_line_ends(&mut response, &framer.take_bare_line_ends());
        assert_eq!(&response[..], b"a1 OK done\r\n");
        assert!(
            Framer::new(FrameLimits::default())
                .take_bare_line_ends()
                .is_empty()
        );
    }
}
