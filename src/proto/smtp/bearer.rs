//! SMTP AUTH with an OAuth2 access token: OAUTHBEARER (RFC 7628) or XOAUTH2, which lettre
//! does not drive the way we need (it knows no OAUTHBEARER and cannot end a failed exchange),
//! so the commands go through its raw command API.
//!
//! What must hold: the token goes out only in the one AUTH line (after TLS unless the user set
//! `allow_plaintext`, checked before connecting); a 334 after it is the server's JSON error,
//! answered with `^A` and folded into [`SmtpError::AuthRefused`], never echoed raw.

use std::fmt;

use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use tokio::time::timeout;

use super::Submission;
use super::error::{self, SmtpError, Stage};
use crate::proto::sasl::{self, BearerMechanism};

/// One command line as lettre writes it: the text and CRLF. No Debug: it may hold the token.
struct Line<'a>(&'a str);

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\r\n", self.0)
    }
}

/// The mechanisms of the EHLO reply's `AUTH` line, upper-cased.
fn auth_mechanisms(ehlo: &Response) -> Vec<String> {
    ehlo.message()
        .filter_map(|line| {
            let upper = line.to_ascii_uppercase();
            upper
                .strip_prefix("AUTH ")
                .or_else(|| upper.strip_prefix("AUTH="))
                .map(|rest| {
                    rest.split_whitespace()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
        })
        .flatten()
        .collect()
}

impl Submission {
    /// AUTH OAUTHBEARER (else XOAUTH2) with the initial response.
    ///
    /// lettre keeps only the mechanisms it knows from EHLO, so EHLO is sent once more to read
    /// the server's whole list.
    pub(super) async fn login_bearer(
        &self,
        conn: &mut AsyncSmtpConnection,
        hello: &ClientId,
    ) -> Result<(), SmtpError> {
        let result = self.bearer_exchange(conn, hello).await;
        if result.is_err() {
            conn.abort().await;
        }
        result
    }

    async fn bearer_exchange(
        &self,
        conn: &mut AsyncSmtpConnection,
        hello: &ClientId,
    ) -> Result<(), SmtpError> {
        let ehlo = format!("EHLO {hello}");
        let reply = timeout(self.timeout, conn.command(Line(&ehlo)))
            .await
            .map_err(|_| self.timed_out(Stage::Greeting))?
            .map_err(|e| error::classify(&self.host, Stage::Greeting, e))?;
        let offered = auth_mechanisms(&reply);
        let Some(mechanism) = BearerMechanism::choose(|m| offered.iter().any(|o| o == m)) else {
            return Err(SmtpError::NoBearerMechanism {
                host: self.host.clone(),
                offered: if offered.is_empty() {
                    "no AUTH mechanism".to_owned()
                } else {
                    offered.join(", ")
                },
            });
        };
        let response =
            mechanism.initial_response(&self.user, &self.host, self.port, &self.password);
        let command = format!("AUTH {} {}", mechanism.name(), response.base64());
        tracing::debug!(host = %self.host, "smtp: AUTH {} ***", mechanism.name());
        let first = timeout(self.timeout, conn.command(Line(&command))).await;
        drop(command);
        let refused = |reply: String| SmtpError::AuthRefused {
            host: self.host.clone(),
            user: self.user.clone(),
            reply,
        };
        let challenge = match first {
            Err(_) => return Err(self.timed_out(Stage::Auth)),
            Ok(Err(e)) if e.is_permanent() => return Err(refused(error::reply_text(&e))),
            Ok(Err(e)) => return Err(error::classify(&self.host, Stage::Auth, e)),
            Ok(Ok(reply)) if reply.has_code(334) => reply,
            Ok(Ok(_)) => return Ok(()),
        };
        let text = challenge.message().collect::<Vec<_>>().join("");
        let reason = sasl::describe_error_challenge_base64(&text);
        let last = timeout(self.timeout, conn.command(Line("AQ=="))).await;
        match last {
            Err(_) => Err(self.timed_out(Stage::Auth)),
            Ok(Err(e)) if e.status().is_some() => Err(refused(format!(
                "{} (OAuth2 error: {reason})",
                error::reply_text(&e)
            ))),
            Ok(Err(e)) => Err(error::classify(&self.host, Stage::Auth, e)),
            // A success after the error challenge would contradict it: take the refusal.
            Ok(Ok(_)) => Err(refused(format!("OAuth2 error: {reason}"))),
        }
    }
}
