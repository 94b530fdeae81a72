//! Every header field of a message, in file order, as a reader shows them: folded lines
//! unfolded and RFC 2047 encoded words decoded (the `h` all-headers view of the TUI).
//!
//! Pure and total like the rest of `mail`: any bytes give a list (possibly empty), never a
//! panic. Values never keep a CR or LF (unfolding removes them), so a hostile header cannot
//! move the cursor of whoever draws it; other control characters are the drawer's business.

use mail_parser::parsers::MessageStream;
use mail_parser::{HeaderValue, MessageParser};

/// Every header field of `raw` in file order: `(name as written, decoded unfolded value)`.
pub fn all_headers(raw: &[u8]) -> Vec<(String, String)> {
    let Some(msg) = MessageParser::default().parse_headers(raw) else {
        return Vec::new();
    };
    msg.headers()
        .iter()
        .filter_map(|h| {
            let field = raw.get(h.offset_field() as usize..h.offset_start() as usize)?;
            let name = String::from_utf8_lossy(field);
            let name = name.trim_end().trim_end_matches(':').trim();
            let value = raw.get(h.offset_start() as usize..h.offset_end() as usize)?;
            Some((name.to_string(), decode_value(value)))
        })
        .collect()
}

/// One raw header value (after the colon, folds and all) unfolded and decoded.
fn decode_value(raw: &[u8]) -> String {
    let text = match MessageStream::new(raw).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        HeaderValue::TextList(l) => l.join(" "),
        _ => String::from_utf8_lossy(raw).into_owned(),
    };
    // mail-parser unfolds; whatever line breaks or runs of blanks remain become one space.
    text.split(['\r', '\n', ' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_in_file_order_unfolded_and_decoded() {
        let raw = b"Received: from a.test\r\n\tby b.test; Mon, 7 Dec 2026 10:00:00 +0000\r\n\
            From: =?UTF-8?Q?J=C3=B6rg?= <j@x.test>\r\n\
            X-Custom:   spaced   out  \r\n\
            Subject: =?UTF-8?B?SGVsbG8gd8O2cmxk?=\r\n\
            Received: second\r\n\
            \r\nbody\r\n";
        assert_eq!(
            all_headers(raw),
            vec![
                (
                    "Received".to_string(),
                    "from a.test by b.test; Mon, 7 Dec 2026 10:00:00 +0000".to_string()
                ),
                ("From".to_string(), "Jörg <j@x.test>".to_string()),
                ("X-Custom".to_string(), "spaced out".to_string()),
                ("Subject".to_string(), "Hello wörld".to_string()),
                ("Received".to_string(), "second".to_string()),
            ]
        );
    }

    #[test]
    fn garbage_gives_what_it_can_and_never_a_line_break() {
        assert!(all_headers(b"").is_empty());
        for (_, v) in all_headers(b"A: x\r\n y\rz\n\x1b[2J: q\r\nB:\xff\xfe\r\n\r\n") {
            assert!(!v.contains(['\r', '\n']), "{v:?}");
        }
    }
}
