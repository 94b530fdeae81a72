//! Logging in with a password or an OAuth2 access token, and the one retry OAuth2 gets.
//!
//! An access token can expire (or be revoked) between the moment postie got it and the login:
//! a server's refusal of a token is therefore answered once with a fresh token
//! (`credentials::login_secret(.., fresh = true)`) and a new connection. What must hold: at
//! most one retry per login, only for `auth = "oauth2"` and only when the server refused the
//! credentials (never after a network error); the second refusal is
//! [`EngineError::TokenRefused`] (exit 77) with the server's reason and the remedy.

use std::future::Future;

use crate::config::{AuthMethod, Server};
use crate::credentials::LoginSecret;
use crate::proto::smtp::{SmtpError, Submission};

use super::EngineError;

/// What to log in with, looked up off the async threads (a command may take seconds; the
/// keyring must not run on a tokio worker). Offline it refuses at once, before any command
/// runs.
pub async fn login_secret(
    account: &str,
    server: &Server,
    fresh: bool,
) -> Result<LoginSecret, EngineError> {
    crate::net::offline::check_allowed(&server.host, server.port)?;
    let account = account.to_owned();
    let server = server.clone();
    tokio::task::spawn_blocking(move || crate::credentials::login_secret(&account, &server, fresh))
        .await
        .map_err(EngineError::Task)?
        .map_err(EngineError::from)
}

/// The server's words when `e` says it refused the credentials (not: it offered no usable
/// mechanism, the network failed, ...).
pub fn refusal_text(e: &EngineError) -> Option<String> {
    use crate::proto::imap::ImapError;
    match e {
        EngineError::Imap(ImapError::Auth { message, .. }) => Some(message.clone()),
        EngineError::LoginRefused { server_said, .. } => Some(server_said.clone()),
        EngineError::Smtp(SmtpError::AuthRefused { reply, .. }) => Some(reply.clone()),
        _ => None,
    }
}

/// A refused password, as the one error line the user gets: what the server said, and where
/// the password came from with how to fix it (the same for IMAP, POP3 and submission).
pub fn password_refused(server_said: String, account: &str, server: &Server) -> EngineError {
    EngineError::LoginRefused {
        user: server.user.clone(),
        server_said,
        hint: match &server.password_command {
            Some(_) => "check what password_command prints".to_owned(),
            None => format!(
                "store the right password with `postie login {account}` (or set password_command)"
            ),
        },
    }
}

/// Runs `attempt(fresh)` (connect and log in, asking for the secret with that `fresh`); for
/// an OAuth2 server whose first login is refused, once more with `fresh = true`.
pub async fn with_token_retry<T, F, Fut>(
    account: &str,
    server: &Server,
    mut attempt: F,
) -> Result<T, EngineError>
where
    F: FnMut(bool) -> Fut,
    Fut: Future<Output = Result<T, EngineError>>,
{
    let first = attempt(false).await;
    if server.auth != AuthMethod::OAuth2 {
        return first;
    }
    match first {
        Err(e) if refusal_text(&e).is_some() => {
            tracing::info!(
                account,
                server = %server.host,
                "the server refused the OAuth2 access token; trying once more with a fresh one"
            );
            attempt(true)
                .await
                .map_err(|e| token_refused(e, account, server))
        }
        other => other,
    }
}

/// A second refusal, as the one error line the user gets.
fn token_refused(e: EngineError, account: &str, server: &Server) -> EngineError {
    let Some(server_said) = refusal_text(&e) else {
        return e;
    };
    EngineError::TokenRefused {
        user: server.user.clone(),
        server_said,
        hint: match &server.oauth2_token_command {
            Some(_) => {
                "check what oauth2_token_command prints (a current access token for this user)"
                    .to_owned()
            }
            None => format!("run `postie login {account}`"),
        },
    }
}

/// The submission settings for `server` with what [`login_secret`] found.
pub fn submission(server: &Server, secret: LoginSecret) -> Submission {
    match secret {
        LoginSecret::Password(password) => Submission::new(server, password),
        LoginSecret::Bearer(token) => Submission::bearer(server, token),
    }
}
