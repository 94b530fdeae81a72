//! What can go wrong talking IMAP, sorted into the kinds the engine acts on.
//!
//! What must hold: a broken connection, a response imap-proto cannot parse, or a timeout is
//! always [`ErrorKind::Network`] (the engine drops the session and reconnects); a refused login
//! is [`ErrorKind::Auth`] and names the server; a tagged NO/BAD is [`ErrorKind::Protocol`]
//! (or [`ErrorKind::Temporary`] when the server marks it so). No variant carries a password.

use crate::error::ErrorKind;
use crate::net::NetError;

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// Connecting or the TLS handshake failed (including a missing STARTTLS).
    #[error("cannot connect to the IMAP server")]
    Net(#[from] NetError),
    /// Reading or writing the connection failed, or a response could not be parsed.
    #[error("cannot talk to the IMAP server {server}: the connection broke ({reason})")]
    Connection { server: String, reason: String },
    /// The server closed the connection (EOF or BYE).
    #[error("the IMAP server {server} closed the connection{}", bye_text(.message))]
    Closed {
        server: String,
        message: Option<String>,
    },
    /// The server broke a limit that keeps a hostile or broken one from holding us forever
    /// (too slow, a reply without end, a line or literal too large); reconnect later.
    #[error("gave up on the IMAP server {server}: {reason}; try again later")]
    GaveUp { server: String, reason: String },
    /// No response within the IO timeout.
    #[error("the IMAP server {server} did not answer in time")]
    Timeout { server: String },
    /// The server refused the credentials.
    #[error("cannot log in to the IMAP server {server} as {user}: {message}")]
    Auth {
        server: String,
        user: String,
        message: String,
    },
    /// The server allows no login mechanism we may use on this connection.
    #[error("cannot log in to the IMAP server {server}: {reason}")]
    NoUsableLogin { server: String, reason: String },
    /// A command was refused with a tagged NO.
    #[error("the IMAP server {server} refused {command}: {message}")]
    No {
        server: String,
        command: String,
        message: String,
        temporary: bool,
    },
    /// A command was rejected with a tagged BAD (our bug, or the server's).
    #[error("the IMAP server {server} rejected {command} as invalid: {message}")]
    Bad {
        server: String,
        command: String,
        message: String,
    },
    /// The server answered something we cannot follow (e.g. a SELECT without UIDVALIDITY).
    #[error("cannot follow the IMAP server {server}: {reason}")]
    Unexpected { server: String, reason: String },
    /// An argument cannot be sent (a mailbox name with CR/LF, an empty UID set, ...).
    #[error("cannot send this to an IMAP server: {reason}")]
    InvalidArgument { reason: String },
    /// The session is unusable after an earlier network failure; reconnect.
    #[error("the IMAP session with {server} is broken after an earlier error: reconnect")]
    Broken { server: String },
}

fn bye_text(message: &Option<String>) -> String {
    match message {
        Some(m) => format!(" ({m})"),
        None => String::new(),
    }
}

impl ImapError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ImapError::Net(e) => e.kind(),
            ImapError::Connection { .. }
            | ImapError::Closed { .. }
            | ImapError::Timeout { .. }
            | ImapError::GaveUp { .. }
            | ImapError::Broken { .. } => ErrorKind::Network,
            ImapError::Auth { .. } | ImapError::NoUsableLogin { .. } => ErrorKind::Auth,
            ImapError::No { temporary, .. } => {
                if *temporary {
                    ErrorKind::Temporary
                } else {
                    ErrorKind::Protocol
                }
            }
            ImapError::Bad { .. } | ImapError::Unexpected { .. } => ErrorKind::Protocol,
            ImapError::InvalidArgument { .. } => ErrorKind::Usage,
        }
    }

    /// Whether the session must be dropped (and a new one connected) after this error.
    pub fn is_fatal_to_session(&self) -> bool {
        self.kind() == ErrorKind::Network || matches!(self, ImapError::Unexpected { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let s = || "imap.x.test:993".to_owned();
        assert_eq!(
            ImapError::Connection {
                server: s(),
                reason: "parse".into()
            }
            .kind(),
            ErrorKind::Network
        );
        let auth = ImapError::Auth {
            server: s(),
            user: "alice".into(),
            message: "Authentication failed.".into(),
        };
        assert_eq!(auth.kind(), ErrorKind::Auth);
        assert!(auth.to_string().contains("imap.x.test:993"), "{auth}");
        assert_eq!(
            ImapError::No {
                server: s(),
                command: "SELECT".into(),
                message: "[INUSE] later".into(),
                temporary: true
            }
            .kind(),
            ErrorKind::Temporary
        );
        assert_eq!(
            ImapError::Bad {
                server: s(),
                command: "FETCH".into(),
                message: "x".into()
            }
            .kind(),
            ErrorKind::Protocol
        );
    }
}
