//! POP3 login with an OAuth2 access token: `AUTH OAUTHBEARER` or `AUTH XOAUTH2` with the
//! initial response (RFC 5034), chosen from CAPA's SASL list (see [`crate::proto::sasl`]).
//!
//! What must hold: the token goes out only in the one AUTH line (zeroed on drop, masked in the
//! log as `AUTH MECH ****`) and only on a secure stream or with `allow_plaintext`; a `+`
//! challenge after it is the server's JSON error, answered with `^A` and folded into the
//! error's text, never echoed raw.

use base64::Engine as _;
use secrecy::SecretString;
use tokio::io::{AsyncRead, AsyncWrite};

use super::super::codec::StatusKind;
use super::super::error::{invalid, server_error};
use super::{Pop3Client, Pop3Error, secret_line};
use crate::proto::sasl::{self, BearerMechanism};

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Pop3Client<S> {
    /// Logs in with an OAuth2 access token: OAUTHBEARER when CAPA lists it, else XOAUTH2.
    ///
    /// A server that lists neither (or has no CAPA) is [`Pop3Error::Unsupported`]; a refused
    /// token is a [`Pop3Error::Server`] of kind Auth whose text carries the decoded reason.
    pub async fn login_bearer(
        &mut self,
        user: &str,
        token: &SecretString,
        host: &str,
        port: u16,
        allow_plaintext: bool,
    ) -> Result<(), Pop3Error> {
        if !self.secure && !allow_plaintext {
            return Err(Pop3Error::PlaintextRefused);
        }
        let bad = |s: &str| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0 | 1));
        if user.is_empty() || bad(user) || bad(secrecy::ExposeSecret::expose_secret(token)) {
            return Err(Pop3Error::BadCredentials);
        }
        self.enter().await?;
        let mechanism = self
            .caps
            .as_ref()
            .and_then(|c| BearerMechanism::choose(|m| c.has_sasl(m)));
        let Some(mechanism) = mechanism else {
            let offered = match self.caps.as_ref().and_then(|c| c.args("SASL")) {
                Some(list) if !list.is_empty() => list.join(", "),
                Some(_) => "no SASL mechanism".to_owned(),
                None if self.caps.is_some() => "no SASL mechanism".to_owned(),
                None => "no capabilities (no CAPA)".to_owned(),
            };
            return self.leave(Err(Pop3Error::NoBearerMechanism { offered }));
        };
        let r = async {
            let response = mechanism.initial_response(user, host, port, token);
            let line = secret_line(&format!("AUTH {} ", mechanism.name()), response.base64());
            // RFC 5034's 255-octet limit on an initial response line does not fit a token;
            // servers that offer these mechanisms take the long line (Dovecot, Gmail, Outlook).
            self.send(line.as_bytes()).await?;
            drop(line);
            let status = self.read_status().await?;
            match status.kind {
                StatusKind::Ok => {}
                StatusKind::Err => return Err(server_error("log in", status)),
                StatusKind::Continue => {
                    let reason = base64::engine::general_purpose::STANDARD
                        .decode(status.text.trim())
                        .map(|json| sasl::describe_error_challenge(&json))
                        .unwrap_or_else(|_| "an unreadable OAuth2 error reply".to_owned());
                    self.send(b"AQ==\r\n").await?;
                    let mut last = self.read_status().await?;
                    if last.kind != StatusKind::Err {
                        return Err(invalid("the server went on after the OAuth2 error reply"));
                    }
                    last.text = format!("{} (OAuth2 error: {reason})", last.text);
                    return Err(server_error("log in", last));
                }
            }
            self.authenticated = true;
            if self.caps.is_some() {
                self.load_capabilities().await?;
            }
            Ok(())
        }
        .await;
        self.leave(r)
    }
}
