//! Whether a retrieved message is as long as the server's LIST said.
//!
//! A server that ends a message early (an unstuffed "." line, a store that lost the tail)
//! hands over fewer bytes than it listed; deleting the server's copy after storing that would
//! lose the rest for good. So every message is measured against its LIST size, and one that
//! does not fit is stored with a warning and marked suspect: its server copy is never deleted
//! automatically.
//!
//! The tolerance, since LIST sizes are not exact everywhere:
//! - Line ends: RFC 1939 counts CRLF, but servers storing LF (mbox, some Maildir setups) may
//!   count one byte per line end. A message is measured both ways: every line end as two bytes
//!   (the longest reading) and as one (the shortest).
//! - Short: suspect when even the longest reading is more than [`SHORT_SLACK`] (2) bytes
//!   below LIST: room for a missing final CRLF, no more, because the smallest cut an unstuffed
//!   "." line makes is that line itself (3 bytes). A server whose LIST counts more than it
//!   sends (headers it drops at RETR) gets its messages kept on the server with a warning:
//!   the safe side. Dovecot counts exactly (CRLF), so its messages match to the byte.
//! - Long: suspect when even the shortest reading exceeds LIST by more than 1 KiB + 1/16 of
//!   LIST ([`long_slack`]): servers that add a header or two at RETR stay well inside it; a
//!   message far longer than announced is not what the server listed.

/// Bytes a message may fall short of its LIST size (line ends counted as CRLF).
pub(super) const SHORT_SLACK: u64 = 2;

/// Bytes a message may exceed its LIST size by (line ends counted as one byte).
pub(super) fn long_slack(listed: u64) -> u64 {
    1024 + listed / 16
}

/// What a message's length says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SizeCheck {
    /// Within the tolerance of the LIST size.
    Fits,
    /// Fewer bytes than listed: probably cut short.
    Short { received: u64, listed: u64 },
    /// Far more bytes than listed.
    Long { received: u64, listed: u64 },
}

/// Measures `data` (as received, dot-unstuffed) against the LIST size.
pub(super) fn check(data: &[u8], listed: u64) -> SizeCheck {
    let received = data.len() as u64;
    let mut crlf = 0u64;
    let mut bare_lf = 0u64;
    for (i, b) in data.iter().enumerate() {
        if *b == b'\n' {
            if i > 0 && data[i - 1] == b'\r' {
                crlf += 1;
            } else {
                bare_lf += 1;
            }
        }
    }
    let longest = received + bare_lf;
    let shortest = received - crlf;
    if longest + SHORT_SLACK < listed {
        SizeCheck::Short { received, listed }
    } else if shortest > listed + long_slack(listed) {
        SizeCheck::Long { received, listed }
    } else {
        SizeCheck::Fits
    }
}

impl SizeCheck {
    /// The warning for a message that does not fit; `None` when it fits.
    pub(super) fn warning(&self, number: u32, uidl: &str) -> Option<String> {
        let (received, listed, what) = match *self {
            SizeCheck::Fits => return None,
            SizeCheck::Short { received, listed } => (received, listed, "it may be cut short"),
            SizeCheck::Long { received, listed } => {
                (received, listed, "it is not what the server listed")
            }
        };
        Some(format!(
            "message {number} (UIDL {uidl}) came with {received} bytes but the server listed \
             {listed}: {what}; the copy received is stored, and the server's copy is kept \
             (postie will not delete it; check it with another client)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_lf_counted_sizes_fit() {
        let msg = b"Subject: a\r\n\r\nline one\r\nline two\r\n";
        let n = msg.len() as u64;
        assert_eq!(check(msg, n), SizeCheck::Fits);
        // A server counting LF line ends lists 4 bytes fewer.
        assert_eq!(check(msg, n - 4), SizeCheck::Fits);
        // A missing final CRLF.
        assert_eq!(check(msg, n + 2), SizeCheck::Fits);
        assert_eq!(check(msg, n + SHORT_SLACK), SizeCheck::Fits);
        // Bare LF on the wire against a CRLF count.
        let lf = b"Subject: a\n\nline one\nline two\n";
        assert_eq!(check(lf, n), SizeCheck::Fits);
    }

    #[test]
    fn a_message_cut_short_is_short() {
        let mut full = b"Subject: a\r\n\r\n".to_vec();
        for i in 0..100 {
            full.extend(format!("line {i} of the body\r\n").as_bytes());
        }
        let listed = full.len() as u64;
        let cut = &full[..full.len() / 2];
        assert!(matches!(check(cut, listed), SizeCheck::Short { .. }));
        // The smallest cut: a last line of a single "." (3 bytes).
        let mut dotted = full.clone();
        dotted.extend_from_slice(b".\r\n");
        assert!(matches!(
            check(&full, dotted.len() as u64),
            SizeCheck::Short { .. }
        ));
        assert_eq!(
            check(b"", 1000),
            SizeCheck::Short {
                received: 0,
                listed: 1000
            }
        );
    }

    #[test]
    fn a_message_far_longer_than_listed_is_long() {
        let big = vec![b'x'; 10_000];
        assert!(matches!(check(&big, 100), SizeCheck::Long { .. }));
        assert_eq!(check(&big, 10_000 - 1000), SizeCheck::Fits);
        let w = check(&big, 100).warning(3, "u3").unwrap();
        assert!(
            w.contains("message 3 (UIDL u3)") && w.contains("listed 100"),
            "{w}"
        );
        assert!(SizeCheck::Fits.warning(1, "x").is_none());
    }
}
