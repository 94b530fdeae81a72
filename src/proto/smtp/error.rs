//! Submission failures, each with the step it happened in and, where the server refused, the
//! server's own words; `kind()` decides retry (engine) and exit code (CLI).

use std::fmt;
use std::path::PathBuf;

use crate::error::ErrorKind;

/// The step of the SMTP dialogue a failure belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Connect,
    TlsHandshake,
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
            Stage::Connect => f.write_str("connecting"),
            Stage::TlsHandshake => f.write_str("the TLS handshake"),
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

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error(
        "cannot submit to {host} without TLS: set tls = \"implicit\" or \"starttls\", or allow_plaintext = true"
    )]
    PlaintextRefused { host: String },
    #[error("cannot read ca_file {}", path.display())]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use ca_file {}: it holds no valid PEM certificate", path.display())]
    CaFileInvalid { path: PathBuf },
    #[error("cannot resolve the host name {host}")]
    Resolve {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to {host}:{port}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot reach {host}: no reply during {stage} within {secs} s")]
    Timeout {
        host: String,
        stage: Stage,
        secs: u64,
    },
    #[error(
        "cannot verify the TLS certificate of {host} ({reason}): set ca_file to the CA that signed it, or check that the host name matches the certificate"
    )]
    Certificate { host: String, reason: String },
    #[error("cannot set up TLS for {host}")]
    TlsSetup {
        host: String,
        #[source]
        source: BoxError,
    },
    #[error("cannot establish TLS with {host}")]
    Tls {
        host: String,
        #[source]
        source: BoxError,
    },
    #[error(
        "cannot use STARTTLS: {host} does not offer it (the password was not sent); try tls = \"implicit\""
    )]
    NoStartTls { host: String },
    #[error("cannot log in to {host}: it offers neither AUTH PLAIN nor AUTH LOGIN here")]
    NoAuthMechanism { host: String },
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
            SmtpError::PlaintextRefused { .. }
            | SmtpError::CaFile { .. }
            | SmtpError::CaFileInvalid { .. } => ErrorKind::Config,
            SmtpError::Resolve { .. }
            | SmtpError::Connect { .. }
            | SmtpError::Timeout { .. }
            | SmtpError::Network { .. } => ErrorKind::Network,
            SmtpError::Certificate { .. }
            | SmtpError::TlsSetup { .. }
            | SmtpError::Tls { .. }
            | SmtpError::NoStartTls { .. } => ErrorKind::Tls,
            SmtpError::NoAuthMechanism { .. } | SmtpError::AuthRefused { .. } => ErrorKind::Auth,
            SmtpError::Rejected { temporary, .. } => {
                if *temporary {
                    ErrorKind::Temporary
                } else {
                    ErrorKind::Protocol
                }
            }
            SmtpError::Protocol { .. }
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

/// A failed TLS handshake: a certificate problem gets the advice, anything else the cause.
pub(super) fn tls_failure(host: &str, source: BoxError) -> SmtpError {
    match super::tls::certificate_problem(source.as_ref()) {
        Some(reason) => SmtpError::Certificate {
            host: host.to_owned(),
            reason,
        },
        None => SmtpError::Tls {
            host: host.to_owned(),
            source,
        },
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
    if let Some(reason) = super::tls::certificate_problem(&e) {
        return SmtpError::Certificate {
            host: host.to_owned(),
            reason,
        };
    }
    if stage == Stage::StartTls && !e.is_response() {
        return SmtpError::Tls {
            host: host.to_owned(),
            source: Box::new(e),
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
