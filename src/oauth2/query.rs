//! `application/x-www-form-urlencoded` both ways, for the authorization URL and the query of
//! the browser's callback (RFC 3986 unreserved characters pass, everything else is `%XX`).

/// Percent-encodes `text` for a query value.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url?k=v&k=v` with the pairs encoded.
pub fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = url.to_owned();
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (k, v) in pairs {
        out.push(sep);
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
        sep = '&';
    }
    out
}

/// The pairs of a query string, decoded (`+` is a space); None when an escape is broken or
/// the result is not UTF-8.
pub fn decode_pairs(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let url = with_query("https://idp.test/auth", &[("scope", "a b/c"), ("x", "é&=")]);
        assert_eq!(url, "https://idp.test/auth?scope=a%20b%2Fc&x=%C3%A9%26%3D");
        let (_, query) = url.split_once('?').unwrap();
        let pairs = decode_pairs(query).unwrap();
        assert_eq!(pairs[0], ("scope".to_owned(), "a b/c".to_owned()));
        assert_eq!(pairs[1], ("x".to_owned(), "é&=".to_owned()));
        assert_eq!(decode_pairs("a=1+2").unwrap()[0].1, "1 2");
        assert!(decode_pairs("a=%zz").is_none());
        assert!(decode_pairs("a=%4").is_none());
    }
}
