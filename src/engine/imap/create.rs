//! Making a server folder where the server allows it (issue 15).
//!
//! Why: Courier (and Cyrus in its default setup) keep every personal folder under `INBOX.`:
//! `CREATE "Sent"` or `CREATE "Archive"` is refused ("Invalid mailbox name"), so a Sent copy
//! was lost with a warning and a move left its message in a local-only folder. postie does not
//! send NAMESPACE (imap-proto cannot parse every server's reply, and an unparsable reply ends
//! the session), so the prefix is learnt from what the server shows: from LIST, when every
//! folder but INBOX lives under `INBOX<delimiter>` ([`personal_prefix`]), and from the server
//! itself, when a top-level CREATE is refused and the same name under `INBOX.` is accepted.
//!
//! What must hold: a name is retried under `INBOX<delimiter>` only with a `.` delimiter (the
//! servers that put folders under INBOX use it; with `/`, `INBOX/Sent` is a real subfolder a
//! Dovecot user did not ask for) and only after a NO that is not "already exists" (another
//! client made the folder meanwhile: then it is used as is).

use crate::proto::imap::{Folder, ImapError, ImapSession, ImapStream};

/// `INBOX<d>` when the server lists folders besides INBOX and every one of them lies under
/// `INBOX<d>` (case-insensitive INBOX), with delimiter `d` = `.`.
pub(crate) fn personal_prefix(listed: &[Folder]) -> Option<String> {
    let d = listed
        .iter()
        .find_map(|f| f.delimiter)
        .filter(|d| *d == '.')?;
    let prefix = format!("INBOX{d}");
    let mut others = listed
        .iter()
        .filter(|f| !f.name.eq_ignore_ascii_case("INBOX"))
        .peekable();
    others.peek()?;
    others.all(|f| under(&f.name, &prefix)).then_some(prefix)
}

/// Whether wire name `name` lies under `prefix` (`INBOX.`; INBOX compared case-insensitively).
pub(crate) fn under(name: &str, prefix: &str) -> bool {
    name.len() > prefix.len()
        && name.is_char_boundary(prefix.len())
        && name[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Creates server folder `wire` and returns the name it was made under: `wire`, or
/// `INBOX.wire` when the server refused the top-level name and accepts that one (see the
/// module docs). A folder another client made meanwhile counts as made. On a second refusal
/// the first refusal is returned (it names what the user asked for).
pub(crate) async fn create_where_allowed<S: ImapStream>(
    session: &mut ImapSession<S>,
    wire: &str,
    delimiter: Option<char>,
) -> Result<String, ImapError> {
    let refused = match session.create_folder(wire).await {
        Ok(()) => return Ok(wire.to_owned()),
        Err(e @ ImapError::No { .. }) => e,
        Err(e) => return Err(e),
    };
    if already_exists(&refused) {
        return Ok(wire.to_owned());
    }
    let d = match delimiter {
        Some('.') => '.',
        _ => return Err(refused),
    };
    let prefix = format!("INBOX{d}");
    if under(wire, &prefix) || wire.eq_ignore_ascii_case("INBOX") {
        return Err(refused);
    }
    let inside = format!("{prefix}{wire}");
    match session.create_folder(&inside).await {
        Ok(()) => Ok(inside),
        Err(e) if already_exists(&e) => Ok(inside),
        Err(e @ ImapError::No { .. }) => {
            tracing::debug!("CREATE {inside:?} refused too: {e}");
            Err(refused)
        }
        Err(e) => Err(e),
    }
}

/// A NO saying the folder is there already (RFC 5530 `[ALREADYEXISTS]`, or in words).
fn already_exists(e: &ImapError) -> bool {
    match e {
        ImapError::No { message, .. } => {
            let m = message.to_ascii_lowercase();
            m.contains("alreadyexists") || m.contains("already exists")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::imap::Folder;

    fn folder(name: &str, delimiter: char) -> Folder {
        Folder {
            name: name.to_owned(),
            display_name: name.to_owned(),
            delimiter: Some(delimiter),
            attributes: Vec::new(),
            role: None,
            selectable: true,
        }
    }

    #[test]
    fn the_prefix_is_learnt_only_when_every_folder_is_under_inbox() {
        let courier = [
            folder("INBOX", '.'),
            folder("INBOX.Sent", '.'),
            folder("inbox.Trash", '.'),
        ];
        assert_eq!(personal_prefix(&courier).as_deref(), Some("INBOX."));
        let mixed = [
            folder("INBOX", '.'),
            folder("INBOX.Sent", '.'),
            folder("Archive", '.'),
        ];
        assert_eq!(personal_prefix(&mixed), None);
        let fresh = [folder("INBOX", '.')];
        assert_eq!(personal_prefix(&fresh), None, "nothing to learn from");
        let dovecot = [folder("INBOX", '/'), folder("INBOX/Sent", '/')];
        assert_eq!(personal_prefix(&dovecot), None, "only with a `.` delimiter");
        assert!(!under("INBOX.", "INBOX."), "the prefix alone is no folder");
        assert!(under("Inbox.Archive", "INBOX."));
    }
}
