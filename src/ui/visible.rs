//! Making untrusted text safe to draw: every byte of a message shown (the raw view) or every
//! character of a header value, with control characters turned into visible notation.
//!
//! What must hold: nothing returned contains a character a terminal acts on (C0 and C1
//! controls, DEL, and the bidi/zero-width format characters that reorder or hide text) except
//! `\n` between lines and `\t` (the wrapper expands tabs); an ESC in a hostile message shows as
//! `^[` and never reaches the terminal. Invalid UTF-8 shows byte by byte as `\xNN`.

/// The notation for one character, or None when it is safe to draw as is.
fn notation(c: char) -> Option<String> {
    match c {
        '\u{0}'..='\u{1f}' => Some(format!("^{}", char::from(c as u8 + 0x40))),
        '\u{7f}' => Some("^?".to_string()),
        '\u{80}'..='\u{9f}'
        | '\u{ad}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}' => Some(format!("<U+{:04X}>", c as u32)),
        _ => None,
    }
}

/// One line of text (a header value) with every control character made visible (a tab
/// becomes a space).
pub fn line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match notation(c).filter(|_| c != '\t') {
            Some(n) => out.push_str(&n),
            None if c == '\t' => out.push(' '),
            None => out.push(c),
        }
    }
    out
}

/// The exact bytes of a message as drawable text: line ends kept (a CR right before LF is
/// dropped, being part of the line end), tabs kept, everything else a terminal could act on
/// shown in caret (`^[`), `<U+202E>` or `\xNN` notation.
pub fn bytes(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() + raw.len() / 16);
    for chunk in raw.utf8_chunks() {
        let valid = chunk.valid();
        for (i, c) in valid.char_indices() {
            match c {
                '\n' | '\t' => out.push(c),
                // Chunks end only at invalid bytes, so the LF would be in this chunk.
                '\r' if valid[i + 1..].starts_with('\n') => {}
                _ => match notation(c) {
                    Some(n) => out.push_str(&n),
                    None => out.push(c),
                },
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_never_survive() {
        let hostile = b"Subject: \x1b]0;pwned\x07\x1b[2J\r\n\r\nhi\x9b31m \xc2\x9b1m \xe2\x80\xae\r\x08x\x7f\n";
        let shown = bytes(hostile);
        assert_eq!(
            shown,
            "Subject: ^[]0;pwned^G^[[2J\n\nhi\\x9B31m <U+009B>1m <U+202E>^M^Hx^?\n"
        );
        assert!(
            !shown
                .chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{shown:?}"
        );
    }

    #[test]
    fn text_bytes_are_shown_as_they_are() {
        assert_eq!(bytes(b"From: J\xc3\xb6rg\r\n\tx\n"), "From: Jörg\n\tx\n");
        assert_eq!(bytes(b"a\r"), "a^M");
        assert_eq!(line("a\x1bb\u{2067}c\td"), "a^[b<U+2067>c d");
    }
}
