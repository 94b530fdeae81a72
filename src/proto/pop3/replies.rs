//! Typed POP3 replies, pure: CAPA (RFC 2449), STAT, LIST and UIDL (RFC 1939), parsed from the
//! status text or the unstuffed multi-line body the codec produced.

use super::codec::{CodecError, body_lines};

/// The server's CAPA list. Names are upper-cased; arguments are kept as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    entries: Vec<(String, Vec<String>)>,
}

impl Capabilities {
    /// Parses the body of a CAPA reply.
    pub fn parse(body: &[u8]) -> Capabilities {
        let entries = body_lines(body)
            .filter_map(|line| {
                let line = String::from_utf8_lossy(line);
                let mut words = line.split_ascii_whitespace();
                let name = words.next()?.to_ascii_uppercase();
                Some((name, words.map(str::to_owned).collect()))
            })
            .collect();
        Capabilities { entries }
    }

    /// Whether the capability `name` (case-insensitive) is listed.
    pub fn has(&self, name: &str) -> bool {
        self.args(name).is_some()
    }

    /// The arguments of capability `name`, if listed.
    pub fn args(&self, name: &str) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, args)| args.as_slice())
    }

    /// Whether SASL mechanism `mech` is offered (the `SASL` capability's arguments).
    pub fn has_sasl(&self, mech: &str) -> bool {
        self.args("SASL")
            .is_some_and(|m| m.iter().any(|m| m.eq_ignore_ascii_case(mech)))
    }

    /// All capability names, upper-cased, in the server's order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }
}

/// The STAT reply: how many messages and their total size in octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub count: u32,
    pub size: u64,
}

/// One LIST entry: message number and size in octets (as the server counts it, CRLF ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListEntry {
    pub number: u32,
    pub size: u64,
}

/// One UIDL entry: message number and its unique id (RFC 1939: 1–70 chars in 0x21..=0x7E).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidlEntry {
    pub number: u32,
    pub uid: String,
}

/// Parses the text of `+OK nn mm` (the STAT reply).
pub fn parse_stat(text: &str) -> Result<Stat, CodecError> {
    let mut words = text.split_ascii_whitespace();
    let count = number(words.next(), "STAT count")?;
    let size = number(words.next(), "STAT size")?;
    Ok(Stat { count, size })
}

/// Parses `nn mm` (a LIST line or the text of a single-message LIST reply).
pub fn parse_list_line(line: &[u8]) -> Result<ListEntry, CodecError> {
    let line = std::str::from_utf8(line)
        .map_err(|_| CodecError::Invalid("LIST line is not ASCII".to_owned()))?;
    let mut words = line.split_ascii_whitespace();
    let number_ = number(words.next(), "LIST message number")?;
    let size = number(words.next(), "LIST size")?;
    Ok(ListEntry {
        number: number_,
        size,
    })
}

/// Parses the body of a multi-line LIST reply.
pub fn parse_list(body: &[u8]) -> Result<Vec<ListEntry>, CodecError> {
    body_lines(body).map(parse_list_line).collect()
}

/// Parses `nn uid` (a UIDL line or the text of a single-message UIDL reply).
pub fn parse_uidl_line(line: &[u8]) -> Result<UidlEntry, CodecError> {
    let line = std::str::from_utf8(line)
        .map_err(|_| CodecError::Invalid("UIDL line is not ASCII".to_owned()))?;
    let mut words = line.split_ascii_whitespace();
    let number_ = number(words.next(), "UIDL message number")?;
    let uid = words
        .next()
        .ok_or_else(|| CodecError::Invalid("UIDL line without a unique id".to_owned()))?;
    // RFC 1939 restricts ids to 0x21..=0x7E; anything else cannot be a stable key.
    if !uid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CodecError::Invalid(
            "UIDL id is not printable ASCII".to_owned(),
        ));
    }
    Ok(UidlEntry {
        number: number_,
        uid: uid.to_owned(),
    })
}

/// Parses the body of a multi-line UIDL reply.
pub fn parse_uidl(body: &[u8]) -> Result<Vec<UidlEntry>, CodecError> {
    body_lines(body).map(parse_uidl_line).collect()
}

fn number<T: std::str::FromStr>(word: Option<&str>, what: &str) -> Result<T, CodecError> {
    word.and_then(|w| w.parse().ok())
        .ok_or_else(|| CodecError::Invalid(format!("{what} missing or not a number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capa_names_args_and_sasl() {
        let caps = Capabilities::parse(
            b"CAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\npipelining\r\nSASL PLAIN LOGIN\r\nSTLS\r\nUSER\r\n",
        );
        assert!(caps.has("top") && caps.has("PIPELINING") && caps.has("STLS"));
        assert!(caps.has_sasl("plain") && caps.has_sasl("LOGIN") && !caps.has_sasl("CRAM-MD5"));
        assert_eq!(
            caps.args("SASL"),
            Some(&["PLAIN".to_owned(), "LOGIN".to_owned()][..])
        );
        assert!(!caps.has("LOGIN-DELAY"));
        assert_eq!(caps.names().count(), 8);
    }

    #[test]
    fn capa_tolerates_bare_lf_blank_lines_and_8bit() {
        let caps = Capabilities::parse(b"TOP\n\nIMPLEMENTATION caf\xe9 1.0\nUIDL\n");
        assert!(caps.has("TOP") && caps.has("UIDL") && caps.has("IMPLEMENTATION"));
        assert!(!Capabilities::parse(b"").has("TOP"));
    }

    #[test]
    fn stat_list_uidl() {
        assert_eq!(
            parse_stat("2 320").unwrap(),
            Stat {
                count: 2,
                size: 320
            }
        );
        assert_eq!(
            parse_stat("0 0 extra words").unwrap(),
            Stat { count: 0, size: 0 }
        );
        assert!(parse_stat("two 320").is_err());
        assert!(parse_stat("2").is_err());
        assert_eq!(
            parse_list(b"1 120\r\n2 200\r\n").unwrap(),
            vec![
                ListEntry {
                    number: 1,
                    size: 120
                },
                ListEntry {
                    number: 2,
                    size: 200
                }
            ]
        );
        assert_eq!(
            parse_list_line(b"3 4096").unwrap(),
            ListEntry {
                number: 3,
                size: 4096
            }
        );
        assert!(parse_list(b"1 x\r\n").is_err());
        assert_eq!(parse_list(b"").unwrap(), vec![]);
        let uidl = parse_uidl(b"1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n").unwrap();
        assert_eq!(
            uidl[1],
            UidlEntry {
                number: 2,
                uid: "QhdPYR:00WBw1Ph7x7".to_owned()
            }
        );
        assert_eq!(parse_uidl_line(b"7 abc").unwrap().number, 7);
        assert!(parse_uidl(b"1\r\n").is_err());
        assert!(parse_uidl(b"1 caf\xc3\xa9\r\n").is_err());
        assert!(parse_uidl(b"x abc\r\n").is_err());
    }
}
