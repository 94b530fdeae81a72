//! Submission failures, each with the step it happened in and, where the server refused, the
//! server's own words; `kind()` decides retry (engine) and exit code (CLI).

use std::fmt;

use crate::error::ErrorKind;
use crate::net::NetError;

/// The step of the SMTP dialogue a failure belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Greeting,
    StartTls,
    Auth,
    MailFrom,
    RcptTo(String),
    Data,
    DataEnd,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Greeting => f.write_str("the greeting (EHLO)"),
            Stage::StartTls => f.write_str("STARTTLS"),
            Stage::Auth => f.write_str("AUTH"),
            Stage::MailFrom => f.write_str("MAIL FROM (the sender)"),
            Stage::RcptTo(addr) => write!(f, "RCPT TO <{addr}>"),
            Stage::Data => f.write_str("DATA"),
            Stage::DataEnd => f.write_str("the message"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// Connecting, the TLS handshake, trust (`ca_file`), plaintext refusal, STARTTLS missing.
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("cannot reach {host}: no reply during {stage} within {secs} s")]
    Timeout {
        host: String,
        stage: Stage,
        secs: u64,
    },
    #[error("cannot talk to {host}: the connection failed during {stage}")]
    Io {
        host: String,
        stage: Stage,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot understand {host}'s reply during {stage}: not SMTP")]
    Malformed { host: String, stage: Stage },
    #[error(
        "cannot trust {host}: it sent more data right after agreeing to STARTTLS (a sign of \
         tampering); nothing was sent"
    )]
    StartTlsInjection { host: String },
    #[error("cannot log in to {host}: it offers neither AUTH PLAIN nor AUTH LOGIN here")]
    NoAuthMechanism { host: String },
    /// `auth = "oauth2"`, and EHLO lists neither OAUTHBEARER nor XOAUTH2.
    #[error(
        "cannot log in to {host} with an OAuth2 token: it offers neither AUTH OAUTHBEARER nor AUTH XOAUTH2 (it offers {offered})"
    )]
    NoBearerMechanism { host: String, offered: String },
    #[error("cannot log in to {host} as {user}: the server said {reply}")]
    AuthRefused {
        host: String,
        user: String,
        reply: String,
    },
    #[error("cannot send: {host} refused {stage}: {code} {text}")]
    Rejected {
        host: String,
        stage: Stage,
        code: String,
        text: String,
        temporary: bool,
    },
    #[error("cannot send: the connection to {host} broke during {stage}")]
    Network {
        host: String,
        stage: Stage,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("cannot follow {host}'s reply during {stage}")]
    Protocol {
        host: String,
        stage: Stage,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("cannot send 8-bit data: {host} does not offer 8BITMIME")]
    No8BitMime { host: String },
    #[error("cannot send to a non-ASCII address: {host} does not offer SMTPUTF8")]
    NoSmtpUtf8 { host: String },
    #[error("cannot use {0:?} as an envelope address")]
    BadAddress(String),
    #[error("cannot send a message without recipients")]
    NoRecipients,
}

impl SmtpError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SmtpError::Net(e) => e.kind(),
            SmtpError::Timeout { .. } | SmtpError::Io { .. } | SmtpError::Network { .. } => {
                ErrorKind::Network
            }
            SmtpError::StartTlsInjection { .. } => ErrorKind::Tls,
            SmtpError::NoAuthMechanism { .. }
            | SmtpError::NoBearerMechanism { .. }
            | SmtpError::AuthRefused { .. } => ErrorKind::Auth,
            SmtpError::Rejected { temporary, .. } => {
                if *temporary {
                    ErrorKind::Temporary
                } else {
                    ErrorKind::Protocol
                }
            }
            SmtpError::Malformed { .. }
            | SmtpError::Protocol { .. }
            | SmtpError::No8BitMime { .. }
            | SmtpError::NoSmtpUtf8 { .. } => ErrorKind::Protocol,
            SmtpError::BadAddress(_) | SmtpError::NoRecipients => ErrorKind::Data,
        }
    }
}

/// The server's text of a negative reply (lettre keeps it as the error's source).
pub(super) fn reply_text(e: &lettre::transport::smtp::Error) -> String {
    let text = std::error::Error::source(e).map_or_else(String::new, |s| s.to_string());
    match e.status() {
        Some(code) => format!("{code} {text}").trim_end().to_owned(),
        None => text,
    }
}

/// Sorts a lettre error from `stage` into our kinds.
pub(super) fn classify(host: &str, stage: Stage, e: lettre::transport::smtp::Error) -> SmtpError {
    if let Some(code) = e.status() {
        let text = std::error::Error::source(&e).map_or_else(String::new, |s| s.to_string());
        return SmtpError::Rejected {
            host: host.to_owned(),
            stage,
            code: code.to_string(),
            text,
            temporary: e.is_transient(),
        };
    }
    // lettre reports a connection closed mid-reply as the response error "incomplete response".
    let closed = e.is_response()
        && std::error::Error::source(&e).is_some_and(|s| s.to_string() == "incomplete response");
    if closed || e.is_timeout() || !(e.is_response() || e.is_client()) {
        SmtpError::Network {
            host: host.to_owned(),
            stage,
            source: e,
        }
    } else {
        SmtpError::Protocol {
            host: host.to_owned(),
            stage,
            source: e,
        }
    }
}
