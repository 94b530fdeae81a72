//! Connection errors, worded for the person who has to fix them.

use std::path::PathBuf;

use crate::error::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot resolve {host}: check the host name and your network")]
    Resolve {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to {host}:{port}: is the server up and the port right?")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("timed out connecting to {host}:{port}: the server did not answer")]
    Timeout { host: String, port: u16 },
    #[error("cannot use ca_file {path}")]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("ca_file {path} holds no PEM certificate")]
    CaFileEmpty { path: PathBuf },
    #[error("cannot set up TLS: {reason}")]
    TlsSetup { reason: String },
    #[error(
        "the certificate of {host}:{port} is not trusted ({reason}): set ca_file to the CA that \
         signed it, or check the host name"
    )]
    Certificate {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("TLS handshake with {host}:{port} failed")]
    Handshake {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("{host} is not a valid TLS server name")]
    ServerName { host: String },
    #[error(
        "refusing to connect to {host}:{port} without TLS: set tls = \"implicit\" or \
         \"starttls\", or allow_plaintext = true if you really mean it"
    )]
    PlaintextRefused { host: String, port: u16 },
    #[error(
        "{host}:{port} does not offer STARTTLS: refusing to continue in plaintext (try tls = \
         \"implicit\", or check for something stripping it)"
    )]
    StartTlsUnavailable { host: String, port: u16 },
    /// The run is offline (`--offline` or `POSTIE_OFFLINE`): nothing may connect.
    #[error("not connecting to {host}:{port}: postie runs offline (--offline or POSTIE_OFFLINE)")]
    Offline { host: String, port: u16 },
}

impl NetError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            NetError::Resolve { .. }
            | NetError::Connect { .. }
            | NetError::Timeout { .. }
            | NetError::Offline { .. } => ErrorKind::Network,
            NetError::CaFile { .. }
            | NetError::CaFileEmpty { .. }
            | NetError::ServerName { .. }
            | NetError::PlaintextRefused { .. } => ErrorKind::Config,
            NetError::TlsSetup { .. }
            | NetError::Certificate { .. }
            | NetError::Handshake { .. }
            | NetError::StartTlsUnavailable { .. } => ErrorKind::Tls,
        }
    }
}
