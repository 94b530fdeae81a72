//! Byte-level encoders for composing: RFC 2047 encoded-words, header folding, quoted-printable,
//! base64 bodies, RFC 2231 parameters and a small content-type table.
//!
//! Everything here is pure and deterministic; what must hold: no output line is longer than
//! 78 characters where the input allows it (never longer than 998), every line ends in CRLF,
//! and no user text can inject a header (control characters become spaces).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Lines are folded before this many characters (RFC 5322 "SHOULD be no more than 78").
const FOLD_AT: usize = 78;
/// UTF-8 bytes per encoded-word: a multiple of 3 so base64 needs no padding; 39 bytes make a
/// 64-character word, which fits after any header name we write on a 76-character line.
const WORD_BYTES: usize = 39;

/// Replaces CR, LF and other control characters (tab included) with spaces, so that text from
/// the user can never start a new header line.
pub(crate) fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Splits `text` into RFC 2047 `B` encoded-words of at most [`WORD_BYTES`] UTF-8 bytes each,
/// never cutting a character in half.
pub(crate) fn encoded_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + WORD_BYTES).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        words.push(format!(
            "=?UTF-8?B?{}?=",
            STANDARD.encode(&text.as_bytes()[start..end])
        ));
        start = end;
    }
    words
}

/// Whether an unstructured value can be written as it is: ASCII, no control characters,
/// nothing that a reader would mistake for an encoded-word, and no word too long to fold.
fn is_plain(text: &str) -> bool {
    text.is_ascii()
        && !text.contains("=?")
        && text.split(' ').all(|w| w.len() < 900)
        && !text.chars().any(|c| c.is_control())
}

/// Tokens for an unstructured header value (Subject): the words as they are, or encoded-words.
/// Joined with single spaces (or folds), they give back the value exactly.
pub(crate) fn unstructured_tokens(text: &str) -> Vec<String> {
    let text = sanitize(text);
    if is_plain(&text) {
        text.split(' ').map(str::to_owned).collect()
    } else {
        encoded_words(&text)
    }
}

/// Tokens for a display name: an atom sequence, a quoted-string, or encoded-words.
pub(crate) fn phrase_tokens(name: &str) -> Vec<String> {
    let name = sanitize(name);
    let name = name.trim();
    if !is_plain(name) {
        return encoded_words(name);
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if name
        .split(' ')
        .all(|w| !w.is_empty() && w.chars().all(atext))
    {
        name.split(' ').map(str::to_owned).collect()
    } else {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        vec![format!("\"{escaped}\"")]
    }
}

/// Writes `Name: tok tok ...\r\n`, folding between tokens (the separating space becomes
/// CRLF + space) so lines stay within [`FOLD_AT`] when the tokens allow it.
pub(crate) fn fold_header(name: &str, tokens: &[String]) -> String {
    let mut out =
        String::with_capacity(name.len() + 2 + tokens.iter().map(|t| t.len() + 1).sum::<usize>());
    out.push_str(name);
    out.push(':');
    let mut line_len = out.len();
    for token in tokens {
        if line_len + 1 + token.len() > FOLD_AT && line_len > name.len() + 1 {
            out.push_str("\r\n ");
            line_len = 1;
        } else {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(token);
        line_len += token.len();
    }
    out.push_str("\r\n");
    out
}

/// Normalises line ends to CRLF (bare LF and bare CR both become CRLF).
pub fn crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 40);
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if text.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Whether a text body can go out as 7bit: ASCII, no NUL, every line at most 78 characters.
pub(crate) fn fits_7bit(text: &str) -> bool {
    text.is_ascii()
        && !text.contains('\0')
        && text
            .split('\n')
            .all(|l| l.trim_end_matches('\r').len() <= FOLD_AT)
}

/// Quoted-printable (RFC 2045 6.7) of a text whose lines end in LF or CRLF; output lines end
/// in CRLF and are at most 76 characters. "From " at a line start is encoded too, so an mbox
/// on the way cannot mangle it.
pub(crate) fn quoted_printable(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len() - 1;
    for (n, line) in lines.iter().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line).as_bytes();
        if n == last && line.is_empty() {
            break; // the text ended with a line break
        }
        let mut col = 0;
        for (i, &b) in line.iter().enumerate() {
            let at_end = i + 1 == line.len();
            let literal = match b {
                b'=' => false,
                b' ' | b'\t' => !at_end,
                b'F' if i == 0 && line.starts_with(b"From ") => false,
                33..=126 => true,
                _ => false,
            };
            let width = if literal { 1 } else { 3 };
            // Keep room for the soft break "=" unless this is the line's last character.
            let limit = if at_end { 76 } else { 75 };
            if col + width > limit {
                out.extend_from_slice(b"=\r\n");
                col = 0;
            }
            if literal {
                out.push(b);
            } else {
                out.extend_from_slice(format!("={b:02X}").as_bytes());
            }
            col += width;
        }
        if n != last {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// Base64 in lines of 76 characters, each ending in CRLF.
pub(crate) fn base64_lines(data: &[u8]) -> Vec<u8> {
    let encoded = STANDARD.encode(data);
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    for chunk in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A MIME parameter, `; name="value"` or, for non-ASCII or unquotable values, RFC 2231
/// `; name*=utf-8''%..` split into `name*0*`, `name*1*`... continuations of bounded length.
/// Each parameter starts on its own folded line.
pub(crate) fn mime_param(name: &str, value: &str) -> String {
    let value = sanitize(value);
    if value.is_ascii() && value.len() <= 60 {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        return format!(";\r\n {name}=\"{escaped}\"");
    }
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b);
    // One unit per character, so a continuation never splits a character's octets (RFC 2231
    // allows it, but readers that decode section by section then show garbage).
    let units: Vec<String> = value
        .chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            c.encode_utf8(&mut buf)
                .bytes()
                .map(|b| {
                    if safe(b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect();
    let total: usize = units.iter().map(String::len).sum();
    if total <= 60 {
        return format!(";\r\n {name}*=utf-8''{}", units.concat());
    }
    let mut out = String::new();
    let mut section = String::from("utf-8''");
    let mut index = 0;
    for unit in units {
        if section.len() + unit.len() > 60 {
            out.push_str(&format!(";\r\n {name}*{index}*={section}"));
            index += 1;
            section.clear();
        }
        section.push_str(&unit);
    }
    out.push_str(&format!(";\r\n {name}*{index}*={section}"));
    out
}

/// Guesses a content type from a file name's extension; `application/octet-stream` when
/// unknown. A deliberately small table: the types mail readers act on.
pub fn guess_content_type(file_name: &str) -> &'static str {
    let ext = match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => return "application/octet-stream",
    };
    match ext.as_str() {
        "txt" | "text" | "log" | "asc" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "ics" => "text/calendar",
        "vcf" => "text/vcard",
        "diff" | "patch" => "text/x-diff",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "7z" => "application/x-7z-compressed",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_words(header: &str) -> String {
        let mut bytes = Vec::new();
        for word in header.split_whitespace() {
            let inner = word
                .strip_prefix("=?UTF-8?B?")
                .and_then(|w| w.strip_suffix("?="))
                .expect("an encoded-word");
            bytes.extend(STANDARD.decode(inner).expect("base64"));
        }
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn encoded_words_never_split_characters_and_stay_short() {
        let text = "Grüße aus Köln — 日本語のテキストがとても長い件名になります ✓".repeat(2);
        let words = encoded_words(&text);
        assert!(words.len() > 2);
        assert!(words.iter().all(|w| w.len() <= 75));
        assert_eq!(decode_words(&words.join(" ")), text);
    }

    #[test]
    fn folding_keeps_lines_short_and_unfolds_to_the_value() {
        let subject = "a fairly long subject line that certainly needs folding because it goes on and on and on";
        let header = fold_header("Subject", &unstructured_tokens(subject));
        assert!(header.ends_with("\r\n"));
        for line in header.trim_end().split("\r\n") {
            assert!(line.len() <= 78, "{line:?}");
        }
        let unfolded = header.trim_end().replace("\r\n", "");
        assert_eq!(unfolded, format!("Subject: {subject}"));
    }

    #[test]
    fn non_ascii_subject_is_encoded_and_folded() {
        let subject = "Réunion: ordre du jour très détaillé pour la semaine prochaine, merci";
        let header = fold_header("Subject", &unstructured_tokens(subject));
        assert!(header.is_ascii());
        for line in header.trim_end().split("\r\n") {
            assert!(line.len() <= 76, "{line:?}");
        }
        let value = header.trim_end().strip_prefix("Subject:").expect("name");
        assert_eq!(decode_words(&value.replace("\r\n", "")), subject);
    }

    #[test]
    fn header_injection_is_impossible() {
        let header = fold_header("Subject", &unstructured_tokens("hi\r\nBcc: evil@x.test"));
        assert_eq!(header, "Subject: hi  Bcc: evil@x.test\r\n");
    }

    #[test]
    fn phrases_are_atoms_quoted_or_encoded() {
        assert_eq!(phrase_tokens("Alice Example"), vec!["Alice", "Example"]);
        assert_eq!(phrase_tokens("Doe, \"J\""), vec!["\"Doe, \\\"J\\\"\""]);
        assert!(phrase_tokens("Zoë")[0].starts_with("=?UTF-8?B?"));
    }

    #[test]
    fn crlf_normalises_every_line_end() {
        assert_eq!(crlf(b"a\nb\r\nc\rd"), b"a\r\nb\r\nc\r\nd");
    }

    #[test]
    fn quoted_printable_encodes_and_wraps() {
        let qp = quoted_printable("caf\u{e9} = ok \nFrom here\n");
        assert_eq!(qp, b"caf=C3=A9 =3D ok=20\r\n=46rom here\r\n");
        let long = "é".repeat(60);
        let qp = String::from_utf8(quoted_printable(&long)).expect("ascii");
        for line in qp.split("\r\n") {
            assert!(line.len() <= 76, "{line}");
        }
        assert!(qp.contains("=\r\n"));
        // Soft breaks never split an =XX triplet.
        let joined = qp.replace("=\r\n", "");
        assert_eq!(joined, "=C3=A9".repeat(60));
    }

    #[test]
    fn fits_7bit_wants_ascii_short_lines() {
        assert!(fits_7bit("hello\r\nworld\n"));
        assert!(!fits_7bit("héllo"));
        assert!(!fits_7bit(&"x".repeat(79)));
    }

    #[test]
    fn base64_lines_are_76_wide() {
        let out = base64_lines(&[0u8; 200]);
        let text = String::from_utf8(out).expect("ascii");
        let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
        assert_eq!(lines[0].len(), 76);
        assert_eq!(
            STANDARD.decode(lines.concat()).expect("b64"),
            vec![0u8; 200]
        );
    }

    #[test]
    fn rfc2231_parameters() {
        assert_eq!(
            mime_param("filename", "a b.pdf"),
            ";\r\n filename=\"a b.pdf\""
        );
        assert_eq!(
            mime_param("filename", "résumé.pdf"),
            ";\r\n filename*=utf-8''r%C3%A9sum%C3%A9.pdf"
        );
        let long = mime_param("filename", &"ü".repeat(30));
        assert!(long.contains("filename*0*=utf-8''%C3%BC"));
        assert!(long.contains("filename*1*=%C3%BC"));
        for line in long.split("\r\n") {
            assert!(line.len() <= 78);
        }
    }

    #[test]
    fn content_types_from_extensions() {
        assert_eq!(guess_content_type("report.PDF"), "application/pdf");
        assert_eq!(guess_content_type("photo.jpeg"), "image/jpeg");
        assert_eq!(guess_content_type("notes.txt"), "text/plain");
        assert_eq!(guess_content_type("README"), "application/octet-stream");
        assert_eq!(guess_content_type(".bashrc"), "application/octet-stream");
        assert_eq!(guess_content_type("x.unknown"), "application/octet-stream");
    }
}
