//! SMTP submission (RFC 6409) with lettre's connection type: implicit TLS (465) or STARTTLS
//! (587, required), AUTH PLAIN/LOGIN (or OAUTHBEARER/XOAUTH2 with an OAuth2 token: see
//! `bearer`), an explicit envelope, and raw message bytes.
//!
//! We open the connection with `net` (TCP_NODELAY set: lettre's own connect does not, and Nagle
//! plus delayed ACKs cost msmtp 160 ms a message; TLS with the shared trust store and `ca_file`),
//! negotiate STARTTLS ourselves (see `tls`), and drive lettre's `AsyncSmtpConnection` step by
//! step, so every failure says which step the server refused and carries the server's text.
//!
//! What must hold: credentials never go over an unencrypted connection unless the user set
//! `allow_plaintext`; a message counts as sent only after the server's 2xx to the end of DATA,
//! and nothing that happens after that (QUIT failing) turns it into an error.
//! This module never touches the store, the engine or the terminal.

mod bearer;
mod error;
mod tls;

use std::path::PathBuf;
use std::str::FromStr as _;
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::time::timeout;

use crate::config::{Server, TlsMode};
use crate::net::{self, NetError, TlsConnector};

pub use error::{SmtpError, Stage};

/// How long one command may wait for its reply (connect, greeting, each command).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may take to accept the message after the final dot (RFC 5321
/// 4.5.3.2.6 suggests 10 minutes).
pub const DATA_END_TIMEOUT: Duration = Duration::from_secs(600);

/// Where and how to submit: one account's outgoing server and credentials.
#[derive(Debug, Clone)]
pub struct Submission {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// Must be true for `tls = None`: then AUTH goes in clear.
    pub allow_plaintext: bool,
    /// An extra trusted CA (PEM), added to the system roots.
    pub ca_file: Option<PathBuf>,
    pub user: String,
    /// The password, or with `bearer` the OAuth2 access token.
    pub password: SecretString,
    /// Log in with OAUTHBEARER / XOAUTH2 instead of PLAIN / LOGIN.
    pub bearer: bool,
    /// Per step: connect, TLS handshake, each command's reply.
    pub timeout: Duration,
}

impl Submission {
    /// From the resolved outgoing server of the config and the password found for it.
    pub fn new(server: &Server, password: SecretString) -> Submission {
        Submission {
            host: server.host.clone(),
            port: server.port,
            tls: server.tls,
            allow_plaintext: server.allow_plaintext,
            ca_file: server.ca_file.clone(),
            user: server.user.clone(),
            password,
            bearer: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Like [`Submission::new`], logging in with an OAuth2 access token.
    pub fn bearer(server: &Server, token: SecretString) -> Submission {
        Submission {
            bearer: true,
            ..Submission::new(server, token)
        }
    }

    /// Connects, secures and authenticates one session (EHLO, STARTTLS, EHLO, AUTH).
    pub async fn connect(&self) -> Result<Session, SmtpError> {
        if self.tls == TlsMode::None && !self.allow_plaintext {
            return Err(NetError::PlaintextRefused {
                host: self.host.clone(),
                port: self.port,
            }
            .into());
        }
        // Build the trust store before connecting: a bad ca_file is a config error, not a
        // network one, and costs no connection.
        let connector = match self.tls {
            TlsMode::None => None,
            _ => Some(TlsConnector::new(self.ca_file.as_deref())?),
        };
        // TCP_NODELAY is set by net (lettre's own connect does not set it).
        let tcp = net::connect_tcp_within(&self.host, self.port, self.timeout).await?;
        tracing::debug!(host = %self.host, port = self.port, "smtp: connected");
        let hello = ClientId::default();
        let stream: Box<dyn AsyncTokioStream> = match (self.tls, connector) {
            (TlsMode::Implicit, Some(connector)) => {
                let tls = connector.upgrade(tcp, &self.host, self.port).await?;
                quick_ack(tls.get_ref().0);
                Box::new(tls::LettreStream::implicit(tls))
            }
            (TlsMode::StartTls, Some(connector)) => {
                let tcp = tls::starttls_prelude(
                    tcp,
                    &self.host,
                    self.port,
                    &hello.to_string(),
                    self.timeout,
                )
                .await?;
                let tls = connector.upgrade(tcp, &self.host, self.port).await?;
                quick_ack(tls.get_ref().0);
                Box::new(tls::LettreStream::after_starttls(tls))
            }
            _ => Box::new(tls::LettreStream::plain(tcp)),
        };
        let mut conn = timeout(
            self.timeout,
            AsyncSmtpConnection::connect_with_transport(stream, &hello),
        )
        .await
        .map_err(|_| self.timed_out(Stage::Greeting))?
        .map_err(|e| error::classify(&self.host, Stage::Greeting, e))?;
        tracing::debug!(tls = ?self.tls, "smtp: greeted (EHLO done)");
        if self.bearer {
            self.login_bearer(&mut conn, &hello).await?;
        } else {
            self.login(&mut conn).await?;
        }
        tracing::debug!(user = %self.user, "smtp: authenticated");
        Ok(Session {
            conn,
            host: self.host.clone(),
            timeout: self.timeout,
        })
    }

    /// One message, one connection: connect, send, quit.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Accepted, SmtpError> {
        let mut session = self.connect().await?;
        let accepted = session.send(envelope, message).await?;
        session.quit().await;
        Ok(accepted)
    }

    async fn login(&self, conn: &mut AsyncSmtpConnection) -> Result<(), SmtpError> {
        let mechanisms = [Mechanism::Plain, Mechanism::Login];
        if conn.server_info().get_auth_mechanism(&mechanisms).is_none() {
            conn.abort().await;
            return Err(SmtpError::NoAuthMechanism {
                host: self.host.clone(),
            });
        }
        let credentials =
            Credentials::new(self.user.clone(), self.password.expose_secret().to_owned());
        let result = timeout(self.timeout, conn.auth(&mechanisms, &credentials)).await;
        let failure = match result {
            Ok(Ok(_)) => return Ok(()),
            // 535 (bad credentials) and its kin (534, 538): the credentials were refused.
            Ok(Err(e)) if e.is_permanent() => SmtpError::AuthRefused {
                host: self.host.clone(),
                user: self.user.clone(),
                reply: error::reply_text(&e),
            },
            Ok(Err(e)) => error::classify(&self.host, Stage::Auth, e),
            Err(_) => self.timed_out(Stage::Auth),
        };
        conn.abort().await;
        Err(failure)
    }

    fn timed_out(&self, stage: Stage) -> SmtpError {
        SmtpError::Timeout {
            host: self.host.clone(),
            stage,
            secs: self.timeout.as_secs(),
        }
    }
}

/// Asks the kernel to acknowledge at once rather than delay ACKs (Linux `TCP_QUICKACK`).
///
/// Right after the TLS handshake a TLS 1.3 server writes its session tickets and then, in a
/// second small write, the reply to EHLO. A server without TCP_NODELAY (Postfix) holds that
/// second write until the first is acknowledged, and the client's delayed ACK waits ~40 ms:
/// measured here as a 45 ms stall per submission. Best effort: a failure changes only speed.
fn quick_ack(tcp: &tokio::net::TcpStream) {
    #[cfg(target_os = "linux")]
    if let Err(e) = tcp.set_quickack(true) {
        tracing::debug!("smtp: cannot set TCP_QUICKACK: {e}");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = tcp;
}

/// MAIL FROM and RCPT TO: given explicitly, never read from the message's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub from: String,
    pub recipients: Vec<String>,
}

/// The server's acceptance of a message (2xx after DATA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The reply text, e.g. "2.0.0 Ok: queued as 4Fx2".
    pub reply: String,
}

/// An authenticated connection; several messages may go through it (outbox flush).
pub struct Session {
    conn: AsyncSmtpConnection,
    host: String,
    timeout: Duration,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("host", &self.host).finish()
    }
}

impl Session {
    /// Sends one message; on success the session can take the next one. On any error the
    /// session has been closed (QUIT sent where possible): connect again for the next message.
    /// Declares BODY=8BITMIME when the bytes are not ASCII and SMTPUTF8
    /// when an address or the header is UTF-8 (refusing when the server lacks what is needed
    /// rather than sending something it may mangle). Line ends go out as CRLF.
    pub async fn send(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Accepted, SmtpError> {
        let result = self.transaction(envelope, message).await;
        if result.is_err() {
            self.conn.abort().await;
        }
        result
    }

    async fn transaction(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Accepted, SmtpError> {
        if envelope.recipients.is_empty() {
            return Err(SmtpError::NoRecipients);
        }
        let parse = |a: &str| Address::from_str(a).map_err(|_| SmtpError::BadAddress(a.to_owned()));
        let from = if envelope.from.is_empty() {
            None // the null reverse-path "<>"
        } else {
            Some(parse(&envelope.from)?)
        };
        let recipients = envelope
            .recipients
            .iter()
            .map(|r| parse(r))
            .collect::<Result<Vec<_>, _>>()?;

        let info = self.conn.server_info();
        let mut params = Vec::new();
        let utf8_addresses =
            !envelope.from.is_ascii() || envelope.recipients.iter().any(|r| !r.is_ascii());
        let header_end = find_header_end(message);
        let utf8_header = !message[..header_end].is_ascii();
        if utf8_addresses || utf8_header {
            if info.supports_feature(Extension::SmtpUtfEight) {
                params.push(MailParameter::SmtpUtfEight);
            } else if utf8_addresses {
                return Err(SmtpError::NoSmtpUtf8 {
                    host: self.host.clone(),
                });
            }
        }
        if !message.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                return Err(SmtpError::No8BitMime {
                    host: self.host.clone(),
                });
            }
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }

        self.step(
            Stage::MailFrom,
            DEFAULT_TIMEOUT.max(self.timeout),
            Mail::new(from, params),
        )
        .await?;
        for (addr, rcpt) in envelope.recipients.iter().zip(recipients) {
            self.step(
                Stage::RcptTo(addr.clone()),
                self.timeout,
                Rcpt::new(rcpt, Vec::new()),
            )
            .await?;
        }
        self.step(Stage::Data, self.timeout, Data).await?;
        let wire = to_wire(message);
        let reply = timeout(DATA_END_TIMEOUT.max(self.timeout), self.conn.message(&wire))
            .await
            .map_err(|_| SmtpError::Timeout {
                host: self.host.clone(),
                stage: Stage::DataEnd,
                secs: DATA_END_TIMEOUT.as_secs(),
            })?
            .map_err(|e| error::classify(&self.host, Stage::DataEnd, e))?;
        let reply = reply.message().collect::<Vec<_>>().join(" ");
        tracing::debug!(bytes = wire.len(), %reply, "smtp: message accepted");
        Ok(Accepted { reply })
    }

    async fn step<C: std::fmt::Display>(
        &mut self,
        stage: Stage,
        limit: Duration,
        command: C,
    ) -> Result<(), SmtpError> {
        match timeout(limit, self.conn.command(command)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(error::classify(&self.host, stage, e)),
            Err(_) => Err(SmtpError::Timeout {
                host: self.host.clone(),
                stage,
                secs: limit.as_secs(),
            }),
        }
    }

    /// Says goodbye. Failures are ignored: whatever was accepted stays accepted.
    pub async fn quit(mut self) {
        let _ = timeout(self.timeout, self.conn.quit()).await;
    }
}

/// Offset just past the blank line ending the header section (the whole message if none).
fn find_header_end(message: &[u8]) -> usize {
    let mut pos = 0;
    while pos < message.len() {
        let end = message[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(message.len(), |i| pos + i + 1);
        let line = &message[pos..end];
        if line == b"\n" || line == b"\r\n" {
            return end;
        }
        pos = end;
    }
    message.len()
}

/// The bytes for DATA: every line end CRLF (a bare LF would let a "\n.\n" end the message
/// early on servers that accept bare LF), without the last line's CRLF, which lettre sends
/// as part of the terminating "\r\n.\r\n". Dot-stuffing is lettre's.
fn to_wire(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32);
    let mut prev = 0u8;
    for &b in message {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    if out.ends_with(b"\r\n") {
        out.truncate(out.len() - 2);
    }
    out
}

#[cfg(test)]
mod tests;
