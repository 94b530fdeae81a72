//! The built-in OAuth2 client: getting a grant once (`postie login`: the authorization code
//! flow with PKCE and a loopback redirect, or the device grant) and turning it into access
//! tokens for IMAP, POP3 and SMTP logins ([`access_token`]).
//!
//! Modules: `pkce` (verifier, challenge, state), `query` (URL encoding), `loopback` (the
//! redirect listener), `endpoint` (HTTP to the provider, JSON replies), `cache` (the keyring
//! entries), `login` (the two interactive flows).
//!
//! What must hold: no token, code or client secret is ever logged, put in an error, in argv or
//! in the config; an access token is refreshed when it expires within [`REFRESH_MARGIN`] (or
//! within half its lifetime, for tokens that live less than twice that) or when the caller asks (`fresh`, after the server refused it); a rotated refresh token is
//! stored before the access token is used; a grant the provider no longer honours is an
//! [`ErrorKind::Auth`] error telling the user to run `postie login`. Blocking throughout:
//! call it from `spawn_blocking` in async code.

mod cache;
mod endpoint;
mod login;
mod loopback;
mod pkce;
mod query;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};

use crate::config::Server;
use crate::credentials::CredentialError;
use crate::error::ErrorKind;

pub use endpoint::DeviceAuthorization;
pub use login::{BrowserLogin, DeviceLogin, LOGIN_TIMEOUT};

use endpoint::{Endpoint, TokenReply, Tokens, host_of};

/// An access token that expires sooner than this is refreshed first.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// The lifetime assumed when the provider does not say (RFC 6749 makes `expires_in` optional).
const DEFAULT_LIFETIME: u64 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum OAuth2Error {
    #[error(
        "account {account}: the server has auth = \"oauth2\" but no OAuth2 client: set oauth2_provider and oauth2_client_id, or oauth2_token_command"
    )]
    NotConfigured { account: String },
    #[error("account {account}: no OAuth2 grant for {user} yet; run `postie login {account}`")]
    NoGrant { account: String, user: String },
    #[error(
        "account {account}: the OAuth2 grant at {host} was revoked or has expired; run `postie login {account}`"
    )]
    Revoked { account: String, host: String },
    #[error(
        "account {account}: cannot reach the OAuth2 endpoint at {host}: {reason}; check the network and try again"
    )]
    Unreachable {
        account: String,
        host: String,
        reason: String,
    },
    #[error("account {account}: {host} refused the OAuth2 request: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        account: String,
        host: String,
        error: String,
        description: Option<String>,
    },
    #[error(
        "account {account}: {host} gave an OAuth2 reply postie cannot use (HTTP {status}: {reason})"
    )]
    BadReply {
        account: String,
        host: String,
        status: u16,
        reason: String,
    },
    #[error(
        "account {account}: the browser login did not come back within {} minutes; run `postie login {account}` again (or add --device on a machine without a browser)", .timeout.as_secs() / 60
    )]
    Timeout { account: String, timeout: Duration },
    #[error(
        "account {account}: the browser came back with an answer to another login request (state mismatch); nothing stored; run `postie login {account}` again"
    )]
    StateMismatch { account: String },
    #[error(
        "account {account}: the login at {host} was not granted ({error}); run `postie login {account}` to try again"
    )]
    Denied {
        account: String,
        host: String,
        error: String,
    },
    #[error(
        "account {account}: the device code expired before it was approved; run `postie login {account} --device` again"
    )]
    DeviceExpired { account: String },
    #[error(
        "account {account}: no device login endpoint: set oauth2_device_url, or run `postie login {account}` without --device"
    )]
    NoDeviceEndpoint { account: String },
    #[error("account {account}: cannot listen on 127.0.0.1 for the browser's answer")]
    Listen {
        account: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Credentials(#[from] CredentialError),
}

impl OAuth2Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            OAuth2Error::NotConfigured { .. } | OAuth2Error::NoDeviceEndpoint { .. } => {
                ErrorKind::Config
            }
            OAuth2Error::NoGrant { .. }
            | OAuth2Error::Revoked { .. }
            | OAuth2Error::StateMismatch { .. }
            | OAuth2Error::Denied { .. }
            | OAuth2Error::DeviceExpired { .. } => ErrorKind::Auth,
            OAuth2Error::Unreachable { .. } => ErrorKind::Network,
            OAuth2Error::Refused { error, .. } => match error.as_str() {
                "invalid_client" | "unauthorized_client" | "invalid_scope" => ErrorKind::Config,
                "temporarily_unavailable" => ErrorKind::Temporary,
                _ => ErrorKind::Protocol,
            },
            OAuth2Error::BadReply { status, .. } if *status >= 500 => ErrorKind::Temporary,
            OAuth2Error::BadReply { .. } => ErrorKind::Protocol,
            OAuth2Error::Timeout { .. } => ErrorKind::Temporary,
            OAuth2Error::Listen { .. } => ErrorKind::Io,
            OAuth2Error::Credentials(e) => e.kind(),
        }
    }
}

/// An access token for logging in to `server` as `account`: the cached one while it is good
/// for more than [`REFRESH_MARGIN`] (half its lifetime, if shorter; and `fresh` is false), else a new one from the refresh
/// token (`fresh = true`: the server refused the last one, refresh now).
///
/// Blocking (keyring, HTTP).
pub fn access_token(
    account: &str,
    server: &Server,
    fresh: bool,
) -> Result<SecretString, OAuth2Error> {
    if server.oauth2.is_none() {
        return Err(OAuth2Error::NotConfigured {
            account: account.to_owned(),
        });
    }
    let user = server.user.as_str();
    if !fresh
        && let Some(cached) = cache::access(account, user)
        && cached.refresh_at > unix_now()
    {
        return Ok(cached.token);
    }
    let mut refresh = cache::refresh_token(account, user)?.ok_or_else(|| OAuth2Error::NoGrant {
        account: account.to_owned(),
        user: user.to_owned(),
    })?;
    let endpoint = Endpoint::new(account, server)?;
    let host = host_of(&endpoint.client.token_url);
    tracing::debug!(account, %host, fresh, "refreshing the OAuth2 access token");
    for attempt in 0..2 {
        let grant = [
            ("grant_type", SecretString::from("refresh_token")),
            ("refresh_token", refresh.clone()),
        ];
        match endpoint.token(&grant)? {
            TokenReply::Tokens(tokens) => return save(account, user, tokens),
            TokenReply::Error { error, .. } if error == "invalid_grant" => {
                // Another postie process may have rotated the token since we read it.
                match cache::refresh_token(account, user)? {
                    Some(newer)
                        if attempt == 0 && newer.expose_secret() != refresh.expose_secret() =>
                    {
                        refresh = newer;
                    }
                    _ => break,
                }
            }
            TokenReply::Error { error, description } => {
                return Err(OAuth2Error::Refused {
                    account: account.to_owned(),
                    host,
                    error,
                    description,
                });
            }
        }
    }
    cache::forget_access(account, user);
    Err(OAuth2Error::Revoked {
        account: account.to_owned(),
        host,
    })
}

/// Stores what the token endpoint gave (a rotated refresh token first) and returns the
/// access token.
fn save(account: &str, user: &str, tokens: Tokens) -> Result<SecretString, OAuth2Error> {
    if let Some(refresh) = &tokens.refresh_token {
        cache::save_refresh_token(account, user, refresh)?;
    }
    let lifetime = tokens.expires_in.unwrap_or(DEFAULT_LIFETIME);
    let refresh_at = unix_now() + lifetime - REFRESH_MARGIN.as_secs().min(lifetime / 2);
    cache::save_access(account, user, &tokens.access_token, refresh_at);
    Ok(tokens.access_token)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoked_grant_is_exit_77_with_the_remedy() {
        let err = OAuth2Error::Revoked {
            account: "work".into(),
            host: "login.example.test".into(),
        };
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert_eq!(
            err.to_string(),
            "account work: the OAuth2 grant at login.example.test was revoked or has expired; run `postie login work`"
        );
        let err = OAuth2Error::Unreachable {
            account: "work".into(),
            host: "login.example.test".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(err.kind(), ErrorKind::Network);
        assert!(err.to_string().contains("login.example.test"));
    }
}
