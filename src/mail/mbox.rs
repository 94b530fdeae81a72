//! mboxrd (the mbox variant of mutt, Dovecot and `git am`): one message after another, each
//! after a `From SENDER DATE` line; a body line matching `>*From ` gets one more `>` so that it
//! cannot start a message, and readers take exactly one `>` off again.
//!
//! What must hold: [`messages`] of the concatenated [`entry`]s gives back every message with
//! its lines as they were (CRLF line ends are written as LF, the Unix mbox convention; a bare
//! CR stays); nothing in a message can start another one. Pure: the caller does the file IO.

/// Whether a file starting with `head` (its first bytes, or all of it) is an mbox: empty, or
/// opening with a `From ` line. Anything else is refused as a target to append to.
pub fn is_mbox(head: &[u8]) -> bool {
    head.is_empty() || head.starts_with(b"From ")
}

/// One message as an mboxrd entry: the `From ` line (`sender`, the envelope sender or its From
/// address; `date`, unix seconds, shown in UTC asctime form), the quoted lines, a final LF and
/// the blank line that separates it from the next.
pub fn entry(raw: &[u8], sender: &str, date: i64) -> Vec<u8> {
    let sender: String = sender
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let sender = if sender.is_empty() {
        "MAILER-DAEMON".to_string()
    } else {
        sender
    };
    let when = chrono::DateTime::from_timestamp(date, 0)
        .unwrap_or_default()
        .format("%a %b %e %H:%M:%S %Y");
    let mut out = format!("From {sender} {when}\n").into_bytes();
    out.reserve(raw.len() + raw.len() / 50 + 2);
    for line in lines(raw) {
        if is_from_line(line) {
            out.push(b'>');
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

/// The messages of an mboxrd file, unquoted, with LF line ends (the inverse of [`entry`]).
pub fn messages(mbox: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in lines(mbox) {
        if line.starts_with(b"From ") {
            out.extend(current.take().map(strip_separator));
            current = Some(Vec::new());
            continue;
        }
        let Some(msg) = current.as_mut() else {
            continue;
        };
        let unquoted = if line.starts_with(b">") && is_from_line(&line[1..]) {
            &line[1..]
        } else {
            line
        };
        msg.extend_from_slice(unquoted);
        msg.push(b'\n');
    }
    out.extend(current.map(strip_separator));
    out
}

/// The blank line written after each message belongs to the mbox, not to the message.
fn strip_separator(mut msg: Vec<u8>) -> Vec<u8> {
    if msg.ends_with(b"\n\n") || msg == b"\n" {
        msg.pop();
    }
    msg
}

/// `>*From `: a line a reader could take for a message start once its `>`s are gone.
fn is_from_line(line: &[u8]) -> bool {
    let rest = &line[line.iter().take_while(|b| **b == b'>').count()..];
    rest.starts_with(b"From ")
}

/// The lines of `raw` without their LF or CRLF ends (a last line without one included).
fn lines(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = raw.strip_suffix(b"\n").unwrap_or(raw);
    let empty = raw.is_empty();
    body.split(|b| *b == b'\n')
        .filter(move |_| !empty)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[u8] = b"From: a@x.test\r\nSubject: s\r\n\r\nFrom here on\r\n>From quoted\r\n\
        >>From twice\r\nFrom\r\nnot From \r\n";

    #[test]
    fn from_lines_are_quoted_and_round_trip() {
        let e = entry(HOSTILE, "a@x.test", 0);
        let text = String::from_utf8(e.clone()).unwrap();
        assert!(
            text.starts_with("From a@x.test Thu Jan  1 00:00:00 1970\n"),
            "{text}"
        );
        assert!(
            text.contains("\n>From here on\n>>From quoted\n>>>From twice\nFrom\nnot From \n\n")
        );
        // Only the separator line starts with "From ".
        assert_eq!(text.lines().filter(|l| l.starts_with("From ")).count(), 1);
        let two = [e.clone(), entry(b"Subject: two\n\nx", "", 1)].concat();
        let back = messages(&two);
        let lf = String::from_utf8(HOSTILE.to_vec())
            .unwrap()
            .replace("\r\n", "\n");
        assert_eq!(back, vec![lf.into_bytes(), b"Subject: two\n\nx\n".to_vec()]);
    }

    #[test]
    fn a_message_ending_in_blank_lines_keeps_them() {
        let raw = b"Subject: x\n\nbody\n\n\n";
        assert_eq!(messages(&entry(raw, "s", 0)), vec![raw.to_vec()]);
    }

    #[test]
    fn sender_never_breaks_the_from_line() {
        let e = entry(b"x\n", "evil \n@x", 0);
        assert!(
            e.starts_with(b"From evil@x Thu"),
            "{}",
            String::from_utf8_lossy(&e)
        );
        assert!(entry(b"x\n", "", 0).starts_with(b"From MAILER-DAEMON "));
    }

    #[test]
    fn only_empty_files_and_from_lines_are_mboxes() {
        assert!(is_mbox(b""));
        assert!(is_mbox(b"From a@b Thu Jan  1 00:00:00 1970\n"));
        assert!(!is_mbox(b"Return-Path: <a@b>\n"));
        assert!(!is_mbox(b"\x7fELF"));
    }
}
