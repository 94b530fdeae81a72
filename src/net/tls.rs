//! The rustls client side: which certificates we trust and how a handshake failure is reported.
//!
//! Trust = the platform's roots (rustls-platform-verifier) plus, if configured, the PEM
//! certificates in `ca_file`. Where the platform has no roots at all (a bare container), the
//! Mozilla set from webpki-roots stands in, so a missing ca-certificates package does not turn
//! into "every certificate is untrusted".

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;

use super::NetError;

/// A cheap-to-clone TLS client configuration.
#[derive(Clone)]
pub struct TlsConnector {
    inner: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}

impl TlsConnector {
    /// Trusts the system roots, plus the certificates in `ca_file` when given.
    pub fn new(ca_file: Option<&Path>) -> Result<Self, NetError> {
        let extra = match ca_file {
            Some(path) => read_ca_file(path)?,
            None => Vec::new(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> =
            match rustls_platform_verifier::Verifier::new_with_extra_roots(
                extra.clone(),
                provider.clone(),
            ) {
                Ok(v) => Arc::new(v),
                Err(e) => {
                    tracing::debug!("platform roots unavailable ({e}); using webpki-roots");
                    let mut roots = RootCertStore::empty();
                    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                    for cert in extra {
                        roots.add(cert).map_err(|e| NetError::TlsSetup {
                            reason: e.to_string(),
                        })?;
                    }
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| NetError::TlsSetup {
                            reason: e.to_string(),
                        })?
                }
            };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| NetError::TlsSetup {
                reason: e.to_string(),
            })?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Self {
            inner: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// Runs the TLS handshake over `stream` (a fresh TCP stream for implicit TLS, or one on
    /// which the protocol has just agreed to STARTTLS), verifying the certificate for `host`.
    pub async fn upgrade<S>(
        &self,
        stream: S,
        host: &str,
        port: u16,
    ) -> Result<TlsStream<S>, NetError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(host.to_owned()).map_err(|_| NetError::ServerName {
            host: host.to_owned(),
        })?;
        let handshake = self.inner.connect(name, stream);
        match tokio::time::timeout(super::CONNECT_TIMEOUT, handshake).await {
            Err(_) => Err(NetError::Timeout {
                host: host.to_owned(),
                port,
            }),
            Ok(Ok(tls)) => Ok(tls),
            Ok(Err(e)) => Err(classify_handshake_error(e, host, port)),
        }
    }
}

fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let bytes = std::fs::read(path).map_err(|source| NetError::CaFile {
        path: path.to_owned(),
        source,
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| NetError::CaFile {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
        })?;
    if certs.is_empty() {
        return Err(NetError::CaFileEmpty {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// Tells "the certificate is not trusted" (the user can act on it) from other handshake failures.
fn classify_handshake_error(e: std::io::Error, host: &str, port: u16) -> NetError {
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    if let Some(rustls::Error::InvalidCertificate(cert_error)) = rustls_error {
        let reason = match cert_error {
            CertificateError::UnknownIssuer => "signed by an unknown authority".to_owned(),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("it is not valid for the name {host}")
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "it has expired".to_owned()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "it is not valid yet".to_owned()
            }
            CertificateError::Revoked => "it has been revoked".to_owned(),
            other => format!("{other:?}"),
        };
        return NetError::Certificate {
            host: host.to_owned(),
            port,
            reason,
        };
    }
    NetError::Handshake {
        host: host.to_owned(),
        port,
        source: e,
    }
}
