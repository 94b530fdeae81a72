//! Getting a session: connecting per the TLS mode, the greeting, STARTTLS, and login.
//!
//! What must hold: STARTTLS that is not offered is [`NetError::StartTlsUnavailable`] (kind
//! Tls), never a silent downgrade; nothing read before the TLS handshake survives it; a
//! password is sent only on a TLS stream or with `allow_plaintext`; AUTHENTICATE PLAIN is
//! used when offered, LOGIN otherwise (unless LOGINDISABLED). An OAuth2 access token goes with
//! AUTHENTICATE OAUTHBEARER or XOAUTH2 (see [`crate::proto::sasl`]), as an initial response
//! when SASL-IR is offered; the trace and the log show only `AUTHENTICATE MECH ***`.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt as _;

use async_imap::imap_proto::{self, Response, ResponseCode, Status};
use async_imap::{Authenticator, Client, Session};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::codec;
use super::error::ImapError;
use super::frame::FrameLimits;
use super::session::{
    ImapSession, ImapStream, UNPARSABLE, gave_up_or_broken, own_status, parse_frame,
};
use super::trace::{Trace, mask};
use super::types::Capabilities;
use super::watch::Watched;
use crate::config::{Server, TlsMode};
use crate::net::{self, MaybeTlsStream, NetError, PaceLimits, TlsConnector};
use crate::proto::sasl::{self, BearerMechanism};

/// The login name and password for one server.
pub struct Login<'a> {
    pub user: &'a str,
    /// The password, or with `bearer` the OAuth2 access token.
    pub password: &'a SecretString,
    /// Log in with OAUTHBEARER / XOAUTH2 instead of PLAIN / LOGIN.
    pub bearer: bool,
}

/// The OAuth2 exchange: the initial response (when SASL-IR did not carry it), then `^A` to any
/// further challenge, which is the server's JSON error, kept for the error message.
struct BearerAuth {
    /// The raw initial response, until sent.
    initial: Option<Vec<u8>>,
    error: Option<String>,
}

impl Authenticator for &mut BearerAuth {
    type Response = Vec<u8>;
    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        match self.initial.take() {
            Some(initial) if challenge.is_empty() => initial,
            _ => {
                self.error = Some(sasl::describe_error_challenge(challenge));
                sasl::ABORT_RESPONSE.to_vec()
            }
        }
    }
}

struct PlainAuth<'a>(&'a Login<'a>);

impl Authenticator for PlainAuth<'_> {
    type Response = Vec<u8>;
    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(0);
        out.extend_from_slice(self.0.user.as_bytes());
        out.push(0);
        out.extend_from_slice(self.0.password.expose_secret().as_bytes());
        out
    }
}

/// Options a caller may change; the defaults suit the engine.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Records every command sent (masked).
    pub trace: Option<Trace>,
    /// How long the server may stay silent while a reply is due (default
    /// [`net::IO_TIMEOUT`]).
    pub io_timeout: Option<Duration>,
    /// The minimum throughput and per-reply deadline (see [`net::Paced`]).
    pub pace: PaceLimits,
    /// The longest response line and largest literal accepted.
    pub frame: FrameLimits,
}

impl ImapSession<MaybeTlsStream<TcpStream>> {
    /// Connects to `server` per its TLS mode, logs in, and reads the capabilities.
    ///
    /// Implicit TLS: handshake first. STARTTLS: refuses (kind Tls) unless the server offers it.
    /// None: only with `allow_plaintext` (checked again in [`net::connect`]).
    pub async fn connect(
        server: &Server,
        connector: &TlsConnector,
        login: &Login<'_>,
        options: SessionOptions,
    ) -> Result<Self, ImapError> {
        let stream = net::connect(server, connector).await?;
        Self::establish(stream, server, connector, login, options).await
    }
}

impl<S: ImapStream> ImapSession<MaybeTlsStream<S>> {
    /// Runs the protocol part of [`ImapSession::connect`] over an already connected stream
    /// (plain for STARTTLS and `none`, TLS for implicit): greeting, STARTTLS, login,
    /// capabilities. Tests use it over in-memory streams.
    pub async fn establish(
        stream: MaybeTlsStream<S>,
        server: &Server,
        connector: &TlsConnector,
        login: &Login<'_>,
        options: SessionOptions,
    ) -> Result<Self, ImapError> {
        let name = format!("{}:{}", server.host, server.port);
        let io_timeout = options.io_timeout.unwrap_or(net::IO_TIMEOUT);
        let watched = |s| Watched::with_limits(s, options.pace, options.frame);
        let mut pre = PreAuth {
            client: Client::new(watched(stream)),
            server: name.clone(),
            trace: options.trace.clone(),
            io_timeout,
            next_tag: 0,
        };
        let mut caps = pre.greeting().await?;
        if server.tls == TlsMode::StartTls {
            if caps.as_ref().is_none_or(|c| !c.starttls) {
                caps = Some(pre.capability().await?);
            }
            if caps.as_ref().is_none_or(|c| !c.starttls) {
                return Err(NetError::StartTlsUnavailable {
                    host: server.host.clone(),
                    port: server.port,
                }
                .into());
            }
            pre.simple("STARTTLS").await?;
            let plain = match pre.client.into_inner().into_inner() {
                MaybeTlsStream::Plain(s) => s,
                MaybeTlsStream::Tls(_) => {
                    return Err(ImapError::Unexpected {
                        server: name,
                        reason: "STARTTLS on a stream that is already TLS".into(),
                    });
                }
            };
            // Anything the server sent before the handshake is dropped with the old client:
            // nothing read in plaintext may survive into the TLS session.
            let tls = connector.upgrade(plain, &server.host, server.port).await?;
            pre.client = Client::new(watched(MaybeTlsStream::Tls(Box::new(tls))));
            caps = None;
        }
        let caps = match caps {
            Some(c) => c,
            None => pre.capability().await?,
        };
        let encrypted = pre.client.get_ref().get_ref().is_tls();
        if !encrypted && !server.allow_plaintext {
            return Err(ImapError::NoUsableLogin {
                server: name,
                reason: "the connection is not encrypted and allow_plaintext is false".into(),
            });
        }
        let session = pre.login(&caps, login, &server.host, server.port).await?;
        let mut this = ImapSession {
            activity: session.get_ref().activity(),
            pace: session.get_ref().pace(),
            inner: session,
            server: name,
            caps,
            trace: options.trace,
            io_timeout,
            broken: false,
            unsolicited: Vec::new(),
            selected: None,
            qresync_enabled: false,
            orphans: Vec::new(),
            pending_copy_uid: None,
        };
        // Capabilities change after login (Dovecot lists many more); read them once, now.
        let mut atoms = Vec::new();
        let tag = this.send("CAPABILITY").await?;
        this.finish(&tag, "CAPABILITY", |r| match r {
            Response::Capabilities(c) => {
                atoms.extend(c.iter().map(cap_text));
                true
            }
            _ => false,
        })
        .await?;
        if !atoms.is_empty() {
            this.caps = Capabilities::from_atoms(atoms);
        }
        Ok(this)
    }
}

fn cap_text(c: &imap_proto::Capability<'_>) -> String {
    match c {
        imap_proto::Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
        imap_proto::Capability::Auth(m) => format!("AUTH={m}"),
        imap_proto::Capability::Atom(a) => a.to_string(),
    }
}

/// The not-yet-authenticated connection: our own tags (`p1`, `p2`, ...), written straight to
/// the stream, since async-imap keeps command sending private before login.
struct PreAuth<S: ImapStream> {
    client: Client<Watched<MaybeTlsStream<S>>>,
    server: String,
    trace: Option<Trace>,
    io_timeout: Duration,
    next_tag: u32,
}

enum PreStep {
    Caps(Vec<String>),
    Greeting(Option<Vec<String>>),
    Bye(String),
    Done(Status, String),
    Other,
}

impl<S: ImapStream> PreAuth<S> {
    fn conn_error(&self, e: impl std::fmt::Display) -> ImapError {
        ImapError::Connection {
            server: self.server.clone(),
            reason: e.to_string(),
        }
    }

    async fn step(&mut self, tag: Option<&str>) -> Result<PreStep, ImapError> {
        let read = self.client.get_mut().next_response();
        let frame = match tokio::time::timeout(self.io_timeout, read).await {
            Err(_) => {
                return Err(ImapError::Timeout {
                    server: self.server.clone(),
                });
            }
            Ok(Err(e)) => return Err(gave_up_or_broken(&self.server, e)),
            Ok(Ok(None)) => {
                return Err(ImapError::Closed {
                    server: self.server.clone(),
                    message: None,
                });
            }
            Ok(Ok(Some(frame))) => frame,
        };
        let (response, rest) = parse_frame(&frame).map_err(|reason| ImapError::GaveUp {
            server: self.server.clone(),
            reason,
        })?;
        if !rest.is_empty() {
            self.client.get_mut().unread(rest);
        }
        Ok(match &response {
            Response::Capabilities(c) => PreStep::Caps(c.iter().map(cap_text).collect()),
            Response::Data { status, outcome } => {
                let caps = match &outcome.code {
                    Some(ResponseCode::Capabilities(c)) => Some(c.iter().map(cap_text).collect()),
                    _ => None,
                };
                match status {
                    Status::Bye => {
                        PreStep::Bye(outcome.information.as_deref().unwrap_or("").to_owned())
                    }
                    Status::Ok => PreStep::Greeting(caps),
                    Status::PreAuth => PreStep::Bye(
                        "the server sent PREAUTH, which postie does not support".to_owned(),
                    ),
                    _ => PreStep::Other,
                }
            }
            Response::Done {
                tag: t,
                status,
                outcome,
            } if Some(t.0.as_str()) == tag => PreStep::Done(
                own_status(status),
                outcome.information.as_deref().unwrap_or("").to_owned(),
            ),
            _ => PreStep::Other,
        })
    }

    /// Reads up to the greeting; returns the capabilities it carried, if any.
    async fn greeting(&mut self) -> Result<Option<Capabilities>, ImapError> {
        loop {
            match self.step(None).await? {
                PreStep::Greeting(caps) => return Ok(caps.map(Capabilities::from_atoms)),
                PreStep::Caps(c) => return Ok(Some(Capabilities::from_atoms(c))),
                PreStep::Bye(m) => {
                    return Err(ImapError::Closed {
                        server: self.server.clone(),
                        message: Some(m),
                    });
                }
                _ => {}
            }
        }
    }

    async fn send(&mut self, command: &str) -> Result<String, ImapError> {
        self.next_tag += 1;
        let tag = format!("p{}", self.next_tag);
        if let Some(t) = &self.trace {
            t.record(mask(command));
        }
        tracing::debug!(server = %self.server, "C: {}", mask(command));
        let line = format!("{tag} {command}\r\n");
        let stream = self.client.get_mut();
        let written = async {
            stream.write_all(line.as_bytes()).await?;
            stream.flush().await
        };
        written.await.map_err(|e| self.conn_error(e))?;
        self.client.get_ref().pace().expect(0);
        Ok(tag)
    }

    /// Runs a command without arguments that must answer OK; returns capabilities seen.
    async fn simple(&mut self, command: &str) -> Result<Option<Capabilities>, ImapError> {
        let tag = self.send(command).await?;
        let mut caps = None;
        loop {
            match self.step(Some(&tag)).await? {
                PreStep::Caps(c) => caps = Some(Capabilities::from_atoms(c)),
                PreStep::Greeting(Some(c)) => caps = Some(Capabilities::from_atoms(c)),
                PreStep::Bye(m) => {
                    return Err(ImapError::Closed {
                        server: self.server.clone(),
                        message: Some(m),
                    });
                }
                PreStep::Done(Status::Ok, _) => return Ok(caps),
                PreStep::Done(Status::No, m) => {
                    return Err(ImapError::No {
                        server: self.server.clone(),
                        command: command.to_owned(),
                        temporary: codec::is_temporary(&m),
                        message: m,
                    });
                }
                PreStep::Done(_, m) => {
                    return Err(ImapError::Bad {
                        server: self.server.clone(),
                        command: command.to_owned(),
                        message: m,
                    });
                }
                _ => {}
            }
        }
    }

    async fn capability(&mut self) -> Result<Capabilities, ImapError> {
        self.simple("CAPABILITY")
            .await?
            .ok_or_else(|| ImapError::Unexpected {
                server: self.server.clone(),
                reason: "CAPABILITY returned no capabilities".into(),
            })
    }

    /// AUTHENTICATE PLAIN when offered, else LOGIN (unless LOGINDISABLED); a bearer token
    /// with OAUTHBEARER or XOAUTH2.
    async fn login(
        self,
        caps: &Capabilities,
        login: &Login<'_>,
        host: &str,
        port: u16,
    ) -> Result<Session<Watched<MaybeTlsStream<S>>>, ImapError> {
        if login.bearer {
            return self.login_bearer(caps, login, host, port).await;
        }
        let server = self.server.clone();
        let user = login.user.to_owned();
        let trace = self.trace.clone();
        let record = |line: &str| {
            if let Some(t) = &trace {
                t.record(line.to_owned());
            }
            tracing::debug!(server = %server, "C: {line}");
        };
        self.client.get_ref().pace().expect(0);
        let attempt = if caps.has_auth("PLAIN") {
            record("AUTHENTICATE PLAIN");
            let fut = AssertUnwindSafe(self.client.authenticate("PLAIN", PlainAuth(login)));
            tokio::time::timeout(self.io_timeout, fut.catch_unwind()).await
        } else if !caps.login_disabled {
            record("LOGIN ***");
            let fut = AssertUnwindSafe(
                self.client
                    .login(login.user, login.password.expose_secret()),
            );
            tokio::time::timeout(self.io_timeout, fut.catch_unwind()).await
        } else {
            return Err(ImapError::NoUsableLogin {
                server,
                reason: "it offers neither AUTH=PLAIN nor LOGIN".into(),
            });
        };
        match attempt {
            Err(_) => Err(ImapError::Timeout { server }),
            Ok(Err(_panic)) => Err(ImapError::Connection {
                server,
                reason: UNPARSABLE.into(),
            }),
            Ok(Ok(Ok(session))) => Ok(session),
            Ok(Ok(Err((e, _client)))) => Err(match e {
                async_imap::error::Error::No(text) => ImapError::Auth {
                    server,
                    user,
                    message: server_text(&text),
                },
                async_imap::error::Error::Bad(text) => ImapError::Auth {
                    server,
                    user,
                    message: format!("login rejected: {}", server_text(&text)),
                },
                async_imap::error::Error::Validate(_) => ImapError::InvalidArgument {
                    reason: "the user name or password holds a line break".into(),
                },
                async_imap::error::Error::ConnectionLost => ImapError::Closed {
                    server,
                    message: None,
                },
                async_imap::error::Error::Io(e) => gave_up_or_broken(&server, e),
                other => ImapError::Connection {
                    server,
                    reason: other.to_string(),
                },
            }),
        }
    }
}

impl<S: ImapStream> PreAuth<S> {
    /// AUTHENTICATE OAUTHBEARER (else XOAUTH2) with the token; SASL-IR when offered.
    async fn login_bearer(
        self,
        caps: &Capabilities,
        login: &Login<'_>,
        host: &str,
        port: u16,
    ) -> Result<Session<Watched<MaybeTlsStream<S>>>, ImapError> {
        let server = self.server.clone();
        let Some(mechanism) = BearerMechanism::choose(|m| caps.has_auth(m)) else {
            let offered = if caps.auth.is_empty() {
                "none".to_owned()
            } else {
                caps.auth.join(", ")
            };
            return Err(ImapError::NoUsableLogin {
                server,
                reason: format!(
                    "auth = \"oauth2\" needs AUTH=OAUTHBEARER or AUTH=XOAUTH2, and it offers {offered}"
                ),
            });
        };
        let response = mechanism.initial_response(login.user, host, port, login.password);
        let traced = format!("AUTHENTICATE {} ***", mechanism.name());
        if let Some(t) = &self.trace {
            t.record(traced.clone());
        }
        tracing::debug!(server = %server, "C: {traced}");
        let mut auth = BearerAuth {
            initial: None,
            error: None,
        };
        let command = if caps.sasl_ir {
            format!("{} {}", mechanism.name(), response.base64())
        } else {
            use base64::Engine as _;
            auth.initial = base64::engine::general_purpose::STANDARD
                .decode(response.base64())
                .ok();
            mechanism.name().to_owned()
        };
        self.client.get_ref().pace().expect(0);
        let fut = AssertUnwindSafe(self.client.authenticate(command, &mut auth));
        let attempt = tokio::time::timeout(self.io_timeout, fut.catch_unwind()).await;
        let user = login.user.to_owned();
        let detail = |text: &str| match &auth.error {
            Some(error) => format!("{text} (OAuth2 error: {error})"),
            None => text.to_owned(),
        };
        match attempt {
            Err(_) => Err(ImapError::Timeout { server }),
            Ok(Err(_panic)) => Err(ImapError::Connection {
                server,
                reason: UNPARSABLE.into(),
            }),
            Ok(Ok(Ok(session))) => Ok(session),
            Ok(Ok(Err((e, _client)))) => Err(match e {
                async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => {
                    ImapError::Auth {
                        server,
                        user,
                        message: detail(&server_text(&text)),
                    }
                }
                async_imap::error::Error::ConnectionLost => ImapError::Closed {
                    server,
                    message: None,
                },
                async_imap::error::Error::Io(e) => gave_up_or_broken(&server, e),
                // A garbled challenge (not base64): async-imap gives up on it.
                async_imap::error::Error::Parse(_) => ImapError::Auth {
                    server,
                    user,
                    message: "an unreadable OAuth2 error reply".to_owned(),
                },
                other => ImapError::Connection {
                    server,
                    reason: other.to_string(),
                },
            }),
        }
    }
}

/// async-imap formats NO/BAD as `code: Some(..), info: Some("text")`: keep the server's text.
fn server_text(formatted: &str) -> String {
    if let Some(start) = formatted.find("info: Some(\"") {
        let rest = &formatted[start + 12..];
        if let Some(end) = rest.rfind("\")") {
            return rest[..end].replace("\\\"", "\"");
        }
    }
    formatted.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_extracted() {
        assert_eq!(
            server_text("code: None, info: Some(\"Authentication failed.\")"),
            "Authentication failed."
        );
        assert_eq!(server_text("odd"), "odd");
    }
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod fake_server_tests;
