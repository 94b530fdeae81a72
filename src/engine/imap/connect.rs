//! Opening an IMAP session for an account: password or OAuth2 token (off the async threads),
//! TLS connector, login, with the caller's trace and timeouts.
//!
//! A refused password is [`EngineError::LoginRefused`], like POP3's: one line with what the
//! server said and the remedy (Cyrus says only "authentication failure"). A refused OAuth2
//! token gets its own line and remedy from [`with_token_retry`].

use std::time::Duration;

use super::super::connect::tls_for;
use super::super::login::{login_secret, password_refused, with_token_retry};
use super::super::{AccountError, EngineError};
use crate::config::{Account, AuthMethod, ImapIncoming, Server};
use crate::net::PaceLimits;
use crate::proto::imap::{
    FrameLimits, ImapError, ImapSession, Login, SessionOptions, TcpImapSession, Trace,
};

/// How a session is opened. The defaults suit `postie sync`.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Records every command sent (tests assert on it).
    pub trace: Option<Trace>,
    /// Per-response timeout (default: the net layer's).
    pub io_timeout: Option<Duration>,
    /// Gives up connecting and logging in after this long (default: the net layer's connect
    /// timeout). `flag`/`move`/`delete` use a short one so an unreachable server only delays
    /// them briefly.
    pub connect_timeout: Option<Duration>,
    /// The minimum throughput and per-reply deadline (tests use small ones).
    pub pace: PaceLimits,
    /// The longest response line and largest literal accepted.
    pub frame: FrameLimits,
}

/// Connects and logs in to the account's IMAP server (an OAuth2 login refused once is tried
/// again with a fresh token: see [`with_token_retry`]).
pub async fn open(
    account: &Account,
    imap: &ImapIncoming,
    options: &ConnectOptions,
) -> Result<TcpImapSession, AccountError> {
    let server = &imap.server;
    with_token_retry(&account.name, server, |fresh| {
        open_once(account, imap, options, fresh)
    })
    .await
    .map_err(|e| AccountError::new(&account.name, Some(server), e))
}

async fn open_once(
    account: &Account,
    imap: &ImapIncoming,
    options: &ConnectOptions,
    fresh: bool,
) -> Result<TcpImapSession, EngineError> {
    let server = &imap.server;
    let secret = login_secret(&account.name, server, fresh).await?;
    let tls = tls_for(server)?;
    let login = Login {
        user: &server.user,
        password: secret.secret(),
        bearer: secret.is_bearer(),
    };
    let session_options = SessionOptions {
        trace: options.trace.clone(),
        io_timeout: options.io_timeout,
        pace: options.pace,
        frame: options.frame,
    };
    let connecting = ImapSession::connect(server, &tls, &login, session_options);
    let result = match options.connect_timeout {
        Some(limit) => match tokio::time::timeout(limit, connecting).await {
            Ok(r) => r,
            Err(_) => {
                return Err(crate::net::NetError::Timeout {
                    host: server.host.clone(),
                    port: server.port,
                }
                .into());
            }
        },
        None => connecting.await,
    };
    result.map_err(|e| login_error(e, account, server))
}

/// A refused password says where the password came from and how to fix it; anything else as is.
fn login_error(e: ImapError, account: &Account, server: &Server) -> EngineError {
    match e {
        ImapError::Auth { message, .. } if server.auth == AuthMethod::Password => {
            password_refused(message, &account.name, server)
        }
        e => e.into(),
    }
}
