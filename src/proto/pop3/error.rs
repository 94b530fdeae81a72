//! The POP3 layer's error type and how each failure maps to an [`ErrorKind`].

use super::codec::{CodecError, ResponseCode, Status};
use crate::error::ErrorKind;

/// Everything a POP3 session can fail with. Never carries a password: server texts after
/// PASS/AUTH are the server's own words, and commands are named, not quoted, for those.
#[derive(Debug, thiserror::Error)]
pub enum Pop3Error {
    #[error("cannot talk to the POP3 server")]
    Io(#[source] std::io::Error),
    #[error("cannot continue: the POP3 server closed the connection")]
    Closed,
    #[error("cannot continue: the POP3 server sent nothing for {0:?}")]
    Timeout(std::time::Duration),
    /// The server broke the pace limits (too slow, or a reply that never ends).
    #[error("cannot continue: {0}; try again later")]
    GaveUp(String),
    #[error("cannot understand the POP3 server's reply")]
    Codec(#[source] CodecError),
    /// A `-ERR` reply. `command` names the command (`"PASS"`, `"RETR 5"`), never its secret
    /// arguments.
    #[error("cannot {command}: the server said \"{text}\"")]
    Server {
        command: String,
        code: Option<ResponseCode>,
        text: String,
    },
    /// The server does not implement an optional command (no CAPA entry, or `-ERR` to it).
    #[error("cannot {0}: the POP3 server does not support it")]
    Unsupported(&'static str),
    /// `auth = "oauth2"`, and CAPA lists neither OAUTHBEARER nor XOAUTH2 (`offered`: what its
    /// SASL line lists).
    #[error(
        "cannot log in with an OAuth2 token: the POP3 server offers neither SASL OAUTHBEARER nor XOAUTH2 (it offers {offered})"
    )]
    NoBearerMechanism { offered: String },
    /// Login over an unencrypted stream without the caller's explicit consent.
    #[error(
        "cannot log in: refusing to send a password over an unencrypted connection \
         (set allow_plaintext = true to permit it)"
    )]
    PlaintextRefused,
    /// STARTTLS was required but the server's CAPA does not offer STLS (possibly stripped by
    /// an attacker in the path).
    #[error("cannot start TLS: the POP3 server does not offer STLS")]
    StlsNotOffered,
    #[error("cannot start TLS: the server said \"{0}\"")]
    StlsRefused(String),
    /// Bytes arrived after the STLS `+OK` and before the handshake: an injection attempt
    /// (CVE-2011-0411 style). They must never be read as if they came over TLS.
    #[error("cannot start TLS: the server sent data before the TLS handshake")]
    StlsInjection,
    /// A user name or password with CR, LF or NUL would inject commands.
    #[error("cannot log in: the user name or password contains a line break or NUL")]
    BadCredentials,
    /// An earlier failure (or a cancelled call) left the session in an unknown state.
    #[error("cannot use this POP3 connection after an earlier failure")]
    Broken,
}

impl Pop3Error {
    /// What kind of failure this is: decides retrying in the engine and the exit code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Pop3Error::Io(_)
            | Pop3Error::Closed
            | Pop3Error::Timeout(_)
            | Pop3Error::GaveUp(_)
            | Pop3Error::Broken => ErrorKind::Network,
            Pop3Error::Codec(_) | Pop3Error::Unsupported(_) => ErrorKind::Protocol,
            Pop3Error::Server { command, code, .. } => {
                code.as_ref().and_then(ResponseCode::error_kind).unwrap_or(
                    // RFC 1939 servers without RESP-CODES say only "-ERR" to a wrong password.
                    if command == "log in" {
                        ErrorKind::Auth
                    } else {
                        ErrorKind::Protocol
                    },
                )
            }
            Pop3Error::PlaintextRefused | Pop3Error::BadCredentials => ErrorKind::Config,
            Pop3Error::NoBearerMechanism { .. } => ErrorKind::Auth,
            Pop3Error::StlsNotOffered | Pop3Error::StlsRefused(_) | Pop3Error::StlsInjection => {
                ErrorKind::Tls
            }
        }
    }

    /// The server's response code, for `-ERR` replies that carried one.
    pub fn response_code(&self) -> Option<&ResponseCode> {
        match self {
            Pop3Error::Server { code, .. } => code.as_ref(),
            _ => None,
        }
    }

    /// Whether the session can no longer be used (as opposed to a `-ERR` to one command).
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            Pop3Error::Server { .. }
                | Pop3Error::Unsupported(_)
                | Pop3Error::NoBearerMechanism { .. }
                | Pop3Error::PlaintextRefused
                | Pop3Error::BadCredentials
        )
    }
}

/// A `-ERR` reply to `command` (named, never quoted: it may hold a secret).
pub(super) fn server_error(command: &str, status: Status) -> Pop3Error {
    Pop3Error::Server {
        command: command.to_owned(),
        code: status.code,
        text: status.text,
    }
}

/// A reply that breaks the protocol.
pub(super) fn invalid(what: &str) -> Pop3Error {
    Pop3Error::Codec(CodecError::Invalid(what.to_owned()))
}

impl From<CodecError> for Pop3Error {
    fn from(e: CodecError) -> Self {
        Pop3Error::Codec(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(command: &str, code: Option<ResponseCode>) -> Pop3Error {
        Pop3Error::Server {
            command: command.to_owned(),
            code,
            text: "x".to_owned(),
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(server("log in", None).kind(), ErrorKind::Auth);
        assert_eq!(
            server("log in", Some(ResponseCode::InUse)).kind(),
            ErrorKind::Temporary
        );
        assert_eq!(
            server("log in", Some(ResponseCode::SysPerm)).kind(),
            ErrorKind::Protocol
        );
        assert_eq!(server("RETR 1", None).kind(), ErrorKind::Protocol);
        assert_eq!(
            server("RETR 1", Some(ResponseCode::SysTemp)).kind(),
            ErrorKind::Temporary
        );
        assert_eq!(
            server("RETR 1", Some(ResponseCode::Auth)).kind(),
            ErrorKind::Auth
        );
        assert_eq!(Pop3Error::Closed.kind(), ErrorKind::Network);
        assert_eq!(Pop3Error::StlsNotOffered.kind(), ErrorKind::Tls);
        assert_eq!(Pop3Error::PlaintextRefused.kind(), ErrorKind::Config);
        assert!(Pop3Error::Closed.is_fatal() && !server("DELE 1", None).is_fatal());
    }

    #[test]
    fn messages_are_lowercase_cannot() {
        for e in [
            Pop3Error::Closed,
            Pop3Error::PlaintextRefused,
            Pop3Error::StlsNotOffered,
            server("log in", None),
            Pop3Error::Unsupported("UIDL"),
        ] {
            assert!(e.to_string().starts_with("cannot "), "{e}");
        }
    }
}
