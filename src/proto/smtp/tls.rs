//! TLS for submission: the trust roots (system roots plus the account's `ca_file`), the rustls
//! config for implicit TLS, lettre's parameters for STARTTLS, and the stream wrapper that lets
//! lettre speak over a TLS stream we opened ourselves (so TCP_NODELAY can be set first).
//!
//! Both paths verify with `rustls-platform-verifier` and the same extra roots, so implicit TLS
//! and STARTTLS trust exactly the same certificates.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use lettre::transport::smtp::client::{AsyncTokioStream, Certificate, TlsParameters};
use rustls::ClientConfig;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::SmtpError;

/// The extra trusted CA, read once: its PEM bytes (for lettre) and parsed certificates.
pub(super) struct ExtraRoots {
    pem: Option<Vec<u8>>,
    certs: Vec<CertificateDer<'static>>,
}

impl ExtraRoots {
    pub(super) fn load(ca_file: Option<&Path>) -> Result<ExtraRoots, SmtpError> {
        let Some(path) = ca_file else {
            return Ok(ExtraRoots {
                pem: None,
                certs: Vec::new(),
            });
        };
        let pem = std::fs::read(path).map_err(|source| SmtpError::CaFile {
            path: path.to_owned(),
            source,
        })?;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<_, _>>()
            .map_err(|_| SmtpError::CaFileInvalid {
                path: path.to_owned(),
            })?;
        if certs.is_empty() {
            return Err(SmtpError::CaFileInvalid {
                path: path.to_owned(),
            });
        }
        Ok(ExtraRoots {
            pem: Some(pem),
            certs,
        })
    }

    /// The rustls config for implicit TLS: platform roots plus ours, ring as the provider.
    pub(super) fn client_config(&self, host: &str) -> Result<Arc<ClientConfig>, SmtpError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls_err = |source: rustls::Error| SmtpError::TlsSetup {
            host: host.to_owned(),
            source: Box::new(source),
        };
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
            self.certs.iter().cloned(),
            provider.clone(),
        )
        .map_err(tls_err)?;
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_err)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Arc::new(config))
    }

    /// lettre's parameters for STARTTLS, with the same extra root.
    pub(super) fn lettre_parameters(&self, host: &str) -> Result<TlsParameters, SmtpError> {
        let setup = |source: lettre::transport::smtp::Error| SmtpError::TlsSetup {
            host: host.to_owned(),
            source: Box::new(source),
        };
        let mut builder = TlsParameters::builder(host.to_owned());
        if let Some(pem) = &self.pem {
            builder = builder.add_root_certificate(Certificate::from_pem(pem).map_err(setup)?);
        }
        builder.build_rustls().map_err(setup)
    }
}

/// An implicit-TLS stream handed to lettre, which only needs `peer_addr` beyond the IO traits.
#[derive(Debug)]
pub(super) struct ImplicitTls(pub(super) tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncRead for ImplicitTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

/// Finds a certificate verification failure anywhere in an error chain (lettre wraps the
/// io::Error that wraps rustls' error; io::Error hides its payload from `source()`).
pub(super) fn certificate_problem(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(e) = current {
        let rustls_err = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::InvalidCertificate(reason)) = rustls_err {
            return Some(format!("{reason:?}"));
        }
        current = e.source();
    }
    None
}
