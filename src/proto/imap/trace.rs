//! A protocol trace: the commands a session sent, in order, with secrets masked.
//!
//! Tests use it to assert on behaviour the server cannot show (e.g. that a no-change QRESYNC
//! resync sends no `FETCH 1:*`); `-v` logging uses the same masked text. What must hold: no
//! password, SASL response or LOGIN argument ever reaches a trace or a log line.

use std::sync::{Arc, Mutex};

/// A shareable sink of sent command lines (without tags). Clone it into a session and keep a
/// clone to read.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every command sent so far.
    pub fn commands(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether any command sent so far contains `needle` (ASCII case-insensitive).
    pub fn contains(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_uppercase();
        self.commands()
            .iter()
            .any(|l| l.to_ascii_uppercase().contains(&needle))
    }

    pub fn clear(&self) {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub(crate) fn record(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }
}

/// The command as it may be shown: LOGIN and AUTHENTICATE lose their arguments past the
/// mechanism; a SASL continuation is never passed here (callers record a placeholder).
pub fn mask(command: &str) -> String {
    let mut words = command.splitn(3, ' ');
    let verb = words.next().unwrap_or_default();
    if verb.eq_ignore_ascii_case("LOGIN") {
        return "LOGIN ***".to_owned();
    }
    if verb.eq_ignore_ascii_case("AUTHENTICATE") {
        let mech = words.next().unwrap_or_default();
        return match words.next() {
            Some(_) => format!("AUTHENTICATE {mech} ***"),
            None => format!("AUTHENTICATE {mech}"),
        };
    }
    command.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credentials() {
        assert_eq!(mask("LOGIN \"alice\" \"hunter2\""), "LOGIN ***");
        assert_eq!(mask("login alice hunter2"), "LOGIN ***");
        assert_eq!(
            mask("AUTHENTICATE PLAIN AGFsaWNlAGh1bnRlcjI="),
            "AUTHENTICATE PLAIN ***"
        );
        assert_eq!(mask("AUTHENTICATE PLAIN"), "AUTHENTICATE PLAIN");
        assert_eq!(mask("UID FETCH 1:* (FLAGS)"), "UID FETCH 1:* (FLAGS)");
    }

    #[test]
    fn trace_is_shared_between_clones() {
        let t = Trace::new();
        let c = t.clone();
        c.record("SELECT \"INBOX\"".into());
        assert!(t.contains("select \"inbox\""));
        t.clear();
        assert!(c.commands().is_empty());
    }
}
