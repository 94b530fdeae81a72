//! Opening a logged-in POP3 session per the account's TLS mode.
//!
//! What must hold: a password crosses the wire only inside TLS, or in clear when the user set
//! `allow_plaintext` for `tls = "none"`. With `tls = "starttls"`, a server (or something in the
//! path) that does not offer STLS is refused with [`NetError::StartTlsUnavailable`]: never a
//! silent fall back to a plain login.

use tokio::net::TcpStream;

use crate::config::{Account, Server, TlsMode};
use crate::credentials::LoginSecret;
use crate::engine::{EngineError, connect, login};
use crate::net::{self, MaybeTlsStream, NetError};
use crate::proto::pop3::{ClientOptions, Pop3Client, Pop3Error, ResponseCode, Transport};

/// The stream every mode ends up with: plain TCP, or TLS over it.
pub(super) type Stream = MaybeTlsStream<TcpStream>;

/// Connects, secures the stream as configured, and logs in (an OAuth2 login refused once is
/// tried again with a fresh token on a new connection).
pub(super) async fn open(
    account: &Account,
    server: &Server,
    opts: ClientOptions,
) -> Result<Pop3Client<Stream>, EngineError> {
    login::with_token_retry(&account.name, server, |fresh| {
        open_once(account, server, opts.clone(), fresh)
    })
    .await
}

async fn open_once(
    account: &Account,
    server: &Server,
    opts: ClientOptions,
    fresh: bool,
) -> Result<Pop3Client<Stream>, EngineError> {
    let connector = connect::tls_for(server)?;
    let stream = net::connect(server, &connector).await?;
    let mut client = match server.tls {
        TlsMode::Implicit => Pop3Client::connect(stream, Transport::Tls, opts).await?,
        TlsMode::None => Pop3Client::connect(stream, Transport::Plain, opts).await?,
        TlsMode::StartTls => {
            let plain = Pop3Client::connect(stream, Transport::Plain, opts.clone()).await?;
            let raw = plain.stls().await.map_err(|e| stls_error(e, server))?;
            let MaybeTlsStream::Plain(tcp) = raw else {
                // net::connect returns a plain stream for starttls; a TLS one here is a bug.
                return Err(Pop3Error::Broken.into());
            };
            let tls = connector.upgrade(tcp, &server.host, server.port).await?;
            Pop3Client::after_stls(MaybeTlsStream::Tls(Box::new(tls)), opts).await?
        }
    };
    // Asked only once the server answered: an unreachable server never runs password_command.
    let secret = login::login_secret(&account.name, server, fresh).await?;
    let logged_in = match &secret {
        LoginSecret::Password(password) => {
            client
                .login(&server.user, password, server.allow_plaintext)
                .await
        }
        LoginSecret::Bearer(token) => {
            client
                .login_bearer(
                    &server.user,
                    token,
                    &server.host,
                    server.port,
                    server.allow_plaintext,
                )
                .await
        }
    };
    logged_in.map_err(|e| login_error(e, account, server))?;
    Ok(client)
}

/// STLS not offered, or refused: the same fail-closed error every protocol uses.
fn stls_error(e: Pop3Error, server: &Server) -> EngineError {
    match e {
        Pop3Error::StlsNotOffered | Pop3Error::StlsRefused(_) => NetError::StartTlsUnavailable {
            host: server.host.clone(),
            port: server.port,
        }
        .into(),
        e => e.into(),
    }
}

/// A refused login says what to do about it; a locked mailbox says to wait.
pub(super) fn login_error(e: Pop3Error, account: &Account, server: &Server) -> EngineError {
    let said = match &e {
        Pop3Error::Server { text, .. } => text.clone(),
        _ => return e.into(),
    };
    match e.response_code() {
        Some(ResponseCode::InUse) => EngineError::MailboxLocked { server_said: said },
        _ if e.kind() == crate::error::ErrorKind::Auth => {
            super::super::login::password_refused(said, &account.name, server)
        }
        _ => e.into(),
    }
}
