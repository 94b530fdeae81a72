//! The rustls client side: which certificates we trust and how a handshake failure is reported.
//!
//! Trust = the platform's roots (rustls-platform-verifier) plus, if configured, the PEM
//! certificates in `ca_file` (checked first, so the system roots are loaded only when needed).
//! Where the platform has no roots at all (a bare container), the Mozilla set from webpki-roots
//! stands in, so a missing ca-certificates package does not turn into "every certificate is
//! untrusted".

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
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
        // With a ca_file, the system roots are loaded only when the ca_file alone does not
        // vouch for the server (see `CaFileFirst`): loading them costs ~10 ms in a debug build
        // and a few in release, per process (`postie send` from a script pays it every time).
        let verifier: Arc<dyn ServerCertVerifier> = if extra.is_empty() {
            system_verifier(extra, provider.clone())?
        } else {
            Arc::new(CaFileFirst::new(extra, provider.clone())?)
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

/// The platform's roots plus `extra`; where the platform has none, the Mozilla set instead.
fn system_verifier(
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, NetError> {
    match rustls_platform_verifier::Verifier::new_with_extra_roots(extra.clone(), provider.clone())
    {
        Ok(v) => Ok(Arc::new(v)),
        Err(e) => {
            tracing::debug!("platform roots unavailable ({e}); using webpki-roots");
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            for cert in extra {
                roots.add(cert).map_err(|e| NetError::TlsSetup {
                    reason: e.to_string(),
                })?;
            }
            Ok(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| NetError::TlsSetup {
                        reason: e.to_string(),
                    })?,
            )
        }
    }
}

/// Trust = the `ca_file` certificates plus the system roots, checked in two steps: first
/// against the `ca_file` roots alone (cheap: a handful of certificates), and only if that
/// fails against the full set (built on first need). The outcome is the same as one check
/// against the union: a chain that ends at a `ca_file` root is valid with more roots too, and
/// every other chain gets the full check, whose error is the one reported. On Linux the
/// platform verifier is this same webpki check over the system roots.
#[derive(Debug)]
struct CaFileFirst {
    ca_only: Arc<WebPkiServerVerifier>,
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    full: OnceLock<Result<Arc<dyn ServerCertVerifier>, String>>,
}

impl CaFileFirst {
    fn new(
        extra: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, NetError> {
        let mut roots = RootCertStore::empty();
        for cert in &extra {
            roots.add(cert.clone()).map_err(|e| NetError::TlsSetup {
                reason: e.to_string(),
            })?;
        }
        let ca_only =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| NetError::TlsSetup {
                    reason: e.to_string(),
                })?;
        Ok(CaFileFirst {
            ca_only,
            extra,
            provider,
            full: OnceLock::new(),
        })
    }

    fn full(&self) -> Result<&Arc<dyn ServerCertVerifier>, rustls::Error> {
        self.full
            .get_or_init(|| {
                system_verifier(self.extra.clone(), self.provider.clone())
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }
}

impl ServerCertVerifier for CaFileFirst {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.ca_only.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(_) => self.full()?.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
        }
    }

    // Signatures are checked with the provider's algorithms, whichever roots vouched.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.ca_only.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.ca_only.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.ca_only.supported_verify_schemes()
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
