//! Talking to the provider's HTTP endpoints (token, device authorization): one ureq agent per
//! call, form posts, and the JSON replies of RFC 6749 §5 and RFC 8628 §3.2 read into types.
//!
//! What must hold: a token or code travels only in a POST body (never a URL that could be
//! logged), and never reaches an error or a log line; a reply we cannot read is an error that
//! names the host, never a panic. `http://` is used only for loopback hosts (the config checked
//! the URLs). Trust: the platform verifier; a `custom` provider with the server's `ca_file`
//! trusts that file's certificates (a private identity provider next to a private mail server).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::OAuth2Error;
use crate::config::{OAuth2Client, OAuth2Provider, Server};

/// How long one request to an endpoint may take, connect to last byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Replies larger than this are not token replies.
const MAX_REPLY: u64 = 1024 * 1024;

/// Access (and maybe refresh) token from the token endpoint.
pub struct Tokens {
    pub access_token: SecretString,
    /// Seconds from now; None: the provider did not say.
    pub expires_in: Option<u64>,
    /// A (new) refresh token; None: keep the one we have.
    pub refresh_token: Option<SecretString>,
}

/// The token endpoint's answer: tokens, or an RFC 6749 §5.2 error.
pub enum TokenReply {
    Tokens(Tokens),
    Error {
        error: String,
        description: Option<String>,
    },
}

/// The reply to a device authorization request (RFC 8628 §3.2).
/// Not Debug: `device_code` is what polls for the tokens.
#[derive(Clone, Deserialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    #[serde(alias = "verification_url")]
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    pub interval: Option<u64>,
}

/// One provider's endpoints, ready to post to.
pub struct Endpoint<'a> {
    pub account: &'a str,
    pub client: &'a OAuth2Client,
    agent: ureq::Agent,
}

impl<'a> Endpoint<'a> {
    pub fn new(account: &'a str, server: &'a Server) -> Result<Endpoint<'a>, OAuth2Error> {
        let client = server
            .oauth2
            .as_ref()
            .ok_or_else(|| OAuth2Error::NotConfigured {
                account: account.to_owned(),
            })?;
        let roots = match (&server.ca_file, client.provider) {
            (Some(path), OAuth2Provider::Custom) => {
                let pem = std::fs::read(path).map_err(|e| OAuth2Error::Unreachable {
                    account: account.to_owned(),
                    host: host_of(&client.token_url),
                    reason: format!("cannot read ca_file {}: {e}", path.display()),
                })?;
                let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                        _ => None,
                    })
                    .collect();
                ureq::tls::RootCerts::new_with_certs(&certs)
            }
            _ => ureq::tls::RootCerts::PlatformVerifier,
        };
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("postie/", env!("CARGO_PKG_VERSION")))
            .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
            .build()
            .new_agent();
        Ok(Endpoint {
            account,
            client,
            agent,
        })
    }

    /// The client's own fields of a token request: id, and the secret when it has one.
    fn client_form(&self) -> Result<Vec<(&'static str, SecretString)>, OAuth2Error> {
        let mut form = vec![(
            "client_id",
            SecretString::from(self.client.client_id.clone()),
        )];
        if let Some(command) = &self.client.client_secret_command {
            let secret = crate::credentials::run_password_command(self.account, command)?;
            form.push(("client_secret", secret));
        }
        Ok(form)
    }

    /// A token request with `grant` fields (plus the client's); tokens or the provider's
    /// error.
    pub fn token(&self, grant: &[(&'static str, SecretString)]) -> Result<TokenReply, OAuth2Error> {
        let mut form = self.client_form()?;
        form.extend(grant.iter().cloned());
        let (status, body) = self.post(&self.client.token_url, &form)?;
        parse_token_reply(status, &body)
            .map_err(|reason| self.bad_reply(&self.client.token_url, status, reason))
    }

    /// Starts a device authorization (RFC 8628 §3.1).
    pub fn device_authorization(&self, url: &str) -> Result<DeviceAuthorization, OAuth2Error> {
        let mut form = self.client_form()?;
        form.retain(|(k, _)| *k == "client_id");
        form.push(("scope", SecretString::from(self.client.scopes.join(" "))));
        let (status, body) = self.post(url, &form)?;
        if status == 200 {
            return serde_json::from_str(&body).map_err(|e| {
                self.bad_reply(url, status, format!("not a device authorization: {e}"))
            });
        }
        match parse_error(&body) {
            Some((error, description)) => Err(OAuth2Error::Refused {
                account: self.account.to_owned(),
                host: host_of(url),
                error,
                description,
            }),
            None => Err(self.bad_reply(url, status, "no error code".to_owned())),
        }
    }

    fn post(
        &self,
        url: &str,
        form: &[(&'static str, SecretString)],
    ) -> Result<(u16, String), OAuth2Error> {
        tracing::debug!(account = self.account, host = %host_of(url), "OAuth2 request");
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.expose_secret())).collect();
        let unreachable = |e: ureq::Error| OAuth2Error::Unreachable {
            account: self.account.to_owned(),
            host: host_of(url),
            reason: e.to_string(),
        };
        let mut response = self
            .agent
            .post(url)
            .header("Accept", "application/json")
            .send_form(pairs)
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY)
            .read_to_string()
            .map_err(unreachable)?;
        Ok((status, body))
    }

    fn bad_reply(&self, url: &str, status: u16, reason: String) -> OAuth2Error {
        OAuth2Error::BadReply {
            account: self.account.to_owned(),
            host: host_of(url),
            status,
            reason,
        }
    }
}

/// The token endpoint's reply: 200 with tokens, or 400/401 with an RFC 6749 error object.
pub fn parse_token_reply(status: u16, body: &str) -> Result<TokenReply, String> {
    #[derive(Deserialize)]
    struct Raw {
        access_token: String,
        token_type: Option<String>,
        expires_in: Option<serde_json::Value>,
        refresh_token: Option<String>,
    }
    if status == 200 {
        // The error types of serde_json quote no input, so no token can leak through them.
        let raw: Raw = serde_json::from_str(body).map_err(|e| format!("not a token reply: {e}"))?;
        if let Some(kind) = &raw.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(format!("token_type {:?}, not Bearer", clean(kind)));
        }
        if raw.access_token.is_empty() {
            return Err("an empty access_token".to_owned());
        }
        // Some providers send expires_in as a string.
        let expires_in = match raw.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        return Ok(TokenReply::Tokens(Tokens {
            access_token: SecretString::from(raw.access_token),
            expires_in,
            refresh_token: raw
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(SecretString::from),
        }));
    }
    match parse_error(body) {
        Some((error, description)) => Ok(TokenReply::Error { error, description }),
        None => Err(format!("HTTP status {status} without an OAuth2 error code")),
    }
}

/// `{"error": ..., "error_description": ...}`, cleaned for one line.
fn parse_error(body: &str) -> Option<(String, Option<String>)> {
    #[derive(Deserialize)]
    struct Raw {
        error: String,
        error_description: Option<String>,
    }
    let raw: Raw = serde_json::from_str(body).ok()?;
    Some((clean(&raw.error), raw.error_description.map(|d| clean(&d))))
}

/// Server text made safe for one line of an error: no control characters, at most 200 chars.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The host (and port) of `url`, for messages.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_reply_with_rotation() {
        let body = r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3599,"refresh_token":"rt-2","scope":"x"}"#;
        let TokenReply::Tokens(t) = parse_token_reply(200, body).unwrap() else {
            panic!("expected tokens");
        };
        assert_eq!(t.access_token.expose_secret(), "at-1");
        assert_eq!(t.expires_in, Some(3599));
        assert_eq!(t.refresh_token.unwrap().expose_secret(), "rt-2");
    }

    #[test]
    fn expires_in_as_string_and_no_refresh_token() {
        let body = r#"{"access_token":"at","token_type":"bearer","expires_in":"60"}"#;
        let TokenReply::Tokens(t) = parse_token_reply(200, body).unwrap() else {
            panic!("expected tokens");
        };
        assert_eq!(t.expires_in, Some(60));
        assert!(t.refresh_token.is_none());
    }

    #[test]
    fn rfc6749_error_reply() {
        let body =
            "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been\\nrevoked\"}";
        match parse_token_reply(400, body).unwrap() {
            TokenReply::Error { error, description } => {
                assert_eq!(error, "invalid_grant");
                assert_eq!(description.as_deref(), Some("Token has been revoked"));
            }
            TokenReply::Tokens(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn garbage_replies_are_errors_that_quote_no_token() {
        assert!(parse_token_reply(200, "<html>hello</html>").is_err());
        assert!(parse_token_reply(500, "Internal Server Error").is_err());
        let err = parse_token_reply(200, r#"{"access_token":"SECRET-AT","token_type":"mac"}"#)
            .err()
            .unwrap();
        assert!(err.contains("mac") && !err.contains("SECRET-AT"), "{err}");
        let err = parse_token_reply(
            200,
            r#"{"token_type":"Bearer","refresh_token":"SECRET-RT"}"#,
        )
        .err()
        .unwrap();
        assert!(!err.contains("SECRET-RT"), "{err}");
    }

    #[test]
    fn host_of_urls() {
        assert_eq!(
            host_of("https://oauth2.googleapis.com/token"),
            "oauth2.googleapis.com"
        );
        assert_eq!(host_of("http://127.0.0.1:8080/token?x=1"), "127.0.0.1:8080");
    }
}
