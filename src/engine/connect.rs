//! What every backend needs before it speaks a protocol: the password and a TLS connector.

use secrecy::SecretString;

use super::EngineError;
use crate::config::Server;
use crate::net::TlsConnector;

/// The password for `server`, looked up off the async threads (a `password_command` may take
/// seconds; the Secret Service must not run on a tokio worker).
///
/// Offline ([`crate::net::offline`]) it refuses at once: a password is only ever wanted for a
/// connection, and an offline run must not run a `password_command` (it may prompt, or reach
/// a network of its own).
pub async fn password(account: &str, server: &Server) -> Result<SecretString, EngineError> {
    crate::net::offline::check_allowed(&server.host, server.port)?;
    let account = account.to_owned();
    let server = server.clone();
    tokio::task::spawn_blocking(move || crate::credentials::password(&account, &server))
        .await
        .map_err(EngineError::Task)?
        .map_err(EngineError::from)
}

/// A TLS connector trusting the system roots plus the server's `ca_file`.
pub fn tls_for(server: &Server) -> Result<TlsConnector, EngineError> {
    Ok(TlsConnector::new(server.ca_file.as_deref())?)
}
