//! TCP and TLS connections for every protocol client.
//!
//! Owns: resolving and connecting with a timeout (always `TCP_NODELAY`: small command/reply
//! exchanges otherwise stall on Nagle + delayed ACK), the rustls client configuration (system
//! roots plus an optional extra CA from `ca_file`), implicit TLS, and the TLS half of a STARTTLS
//! upgrade. The protocol half (sending `STARTTLS`/`STLS` and checking it was offered) belongs to
//! each protocol client, which must fail closed: [`NetError::StartTlsUnavailable`] is the one
//! error they all use, so a stripped capability is never a silent downgrade.
//!
//! Every TCP connection goes through [`connect_tcp_within`], which refuses when the run is
//! offline ([`offline`]): that is where `--offline` is enforced for every command.
//!
//! Also here: [`Paced`], the reply pace every protocol client enforces (a minimum throughput
//! and a per-reply deadline), since a read timeout alone lets a trickling server keep us forever.
//!
//! May not touch: the store, the engine, the UI.

mod error;
pub mod offline;
mod pace;
mod stream;
mod tls;

use std::time::Duration;

use tokio::net::TcpStream;

use crate::config::{Server, TlsMode};

pub use error::NetError;
pub use pace::{PaceControl, PaceError, PaceLimits, Paced, pace_error};
pub use stream::MaybeTlsStream;
pub use tls::TlsConnector;

/// How long a TCP connect plus TLS handshake may take before we give up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a protocol client waits for one reply before it calls the connection dead.
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Resolves `host` and connects to the first address that answers, within [`CONNECT_TIMEOUT`].
pub async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, NetError> {
    connect_tcp_within(host, port, CONNECT_TIMEOUT).await
}

/// [`connect_tcp`] with an explicit timeout (tests use short ones). Refuses with
/// [`NetError::Offline`], before resolving anything, when the run is offline.
pub async fn connect_tcp_within(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<TcpStream, NetError> {
    offline::check_allowed(host, port)?;
    let attempt = async {
        let addrs = tokio::net::lookup_host((host, port))
            .await
            .map_err(|source| NetError::Resolve {
                host: host.to_owned(),
                source,
            })?;
        let mut last_error = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    stream
                        .set_nodelay(true)
                        .map_err(|source| NetError::Connect {
                            host: host.to_owned(),
                            port,
                            source,
                        })?;
                    return Ok(stream);
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(NetError::Connect {
            host: host.to_owned(),
            port,
            source: last_error.unwrap_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no address found")
            }),
        })
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| NetError::Timeout {
            host: host.to_owned(),
            port,
        })?
}

/// Refuses `tls = "none"` unless the user opted in with `allow_plaintext = true`.
///
/// Config validation already rejects the combination; this is the second lock on the door, at
/// the place where a password would otherwise cross the wire in clear.
pub fn check_plaintext_allowed(server: &Server) -> Result<(), NetError> {
    if server.tls == TlsMode::None && !server.allow_plaintext {
        return Err(NetError::PlaintextRefused {
            host: server.host.clone(),
            port: server.port,
        });
    }
    Ok(())
}

/// Connects to `server` for a protocol whose TLS starts at once (`Implicit`) or never (`None`).
///
/// For `StartTls` this returns the plain stream: the protocol client must negotiate STARTTLS
/// and then call [`TlsConnector::upgrade`]; it must not send credentials before that.
pub async fn connect(
    server: &Server,
    connector: &TlsConnector,
) -> Result<MaybeTlsStream<TcpStream>, NetError> {
    check_plaintext_allowed(server)?;
    let tcp = connect_tcp(&server.host, server.port).await?;
    match server.tls {
        TlsMode::Implicit => {
            let tls = connector.upgrade(tcp, &server.host, server.port).await?;
            Ok(MaybeTlsStream::Tls(Box::new(tls)))
        }
        TlsMode::StartTls | TlsMode::None => Ok(MaybeTlsStream::Plain(tcp)),
    }
}

#[cfg(test)]
mod tests;
