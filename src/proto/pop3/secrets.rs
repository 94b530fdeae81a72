//! Keeping POP3 secrets out of logs and out of freed memory: the one place a command line
//! holding a password is built (zeroed on drop) and the one place a command line is made fit
//! for the log (PASS and AUTH arguments masked).

use secrecy::zeroize::Zeroizing;

/// `prefix secret CRLF` in one allocation that is zeroed when dropped.
pub(super) fn secret_line(prefix: &str, secret: &str) -> Zeroizing<String> {
    let mut line = Zeroizing::new(String::with_capacity(prefix.len() + secret.len() + 2));
    line.push_str(prefix);
    line.push_str(secret);
    line.push_str("\r\n");
    line
}

/// A command line fit for the log: arguments of PASS and AUTH (and a bare SASL response
/// line) replaced, the line end dropped.
pub(super) fn redact(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(super::codec::trim_eol(line));
    let mut words = text.split(' ');
    let verb = words.next().unwrap_or_default().to_ascii_uppercase();
    match verb.as_str() {
        "PASS" => "PASS ****".to_owned(),
        "AUTH" => match words.next() {
            Some(mech) => format!("AUTH {mech} ****"),
            None => "AUTH".to_owned(),
        },
        "USER" | "STAT" | "LIST" | "UIDL" | "TOP" | "RETR" | "DELE" | "RSET" | "NOOP" | "QUIT"
        | "CAPA" | "STLS" | "APOP" => text.lines().collect::<Vec<_>>().join(" | "),
        _ => "****".to_owned(),
    }
}
