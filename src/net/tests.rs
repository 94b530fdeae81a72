//! TLS behaviour against an in-process rustls server with a CA made per test. The same checks
//! against the real Dovecot and Postfix live in tests/tls.rs.

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;
use crate::error::ErrorKind;

struct TestPki {
    ca_pem: String,
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: Vec<u8>,
}

fn pki(server_names: &[&str]) -> TestPki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let names: Vec<String> = server_names.iter().map(|s| s.to_string()).collect();
    let server_cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    TestPki {
        ca_pem: ca.pem(),
        server_chain: vec![server_cert.der().clone()],
        server_key: server_key.serialize_der(),
    }
}

/// A TLS echo server answering one connection; returns its port.
async fn tls_echo_server(pki: &TestPki) -> u16 {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(pki.server_chain.clone(), key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        if let Ok(mut tls) = acceptor.accept(tcp).await {
            let mut buf = [0u8; 5];
            if tls.read_exact(&mut buf).await.is_ok() {
                let _ = tls.write_all(&buf).await;
                let _ = tls.flush().await;
            }
        }
    });
    port
}

fn write_ca(pem: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, pem).unwrap();
    (dir, path)
}

fn server(host: &str, port: u16, tls: TlsMode, ca_file: Option<PathBuf>) -> Server {
    Server {
        host: host.into(),
        port,
        tls,
        allow_plaintext: false,
        ca_file,
        oauth2: None,
        user: "u".into(),
        password_command: None,
        auth: Default::default(),
        oauth2_token_command: None,
    }
}

#[tokio::test]
async fn implicit_tls_with_ca_file_connects() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let port = tls_echo_server(&pki).await;
    let (_dir, ca) = write_ca(&pki.ca_pem);
    let connector = TlsConnector::new(Some(&ca)).unwrap();
    let mut stream = connect(
        &server("127.0.0.1", port, TlsMode::Implicit, None),
        &connector,
    )
    .await
    .unwrap();
    assert!(stream.is_tls());
    stream.write_all(b"hello").await.unwrap();
    let mut buf = [0u8; 5];
    stream.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"hello");
}

#[tokio::test]
async fn self_signed_ca_without_ca_file_is_refused_with_advice() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let port = tls_echo_server(&pki).await;
    let connector = TlsConnector::new(None).unwrap();
    let err = connect(
        &server("127.0.0.1", port, TlsMode::Implicit, None),
        &connector,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    let text = err.to_string();
    assert!(text.contains("unknown authority"), "{text}");
    assert!(text.contains("set ca_file"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
}

#[tokio::test]
async fn ca_file_of_another_authority_does_not_vouch_for_the_server() {
    // The ca_file is checked first; when it does not vouch, the full check (system roots +
    // ca_file) decides and its error is the one reported.
    let pki_server = pki(&["localhost", "127.0.0.1"]);
    let other = pki(&["localhost"]);
    let port = tls_echo_server(&pki_server).await;
    let (_dir, ca) = write_ca(&other.ca_pem);
    let connector = TlsConnector::new(Some(&ca)).unwrap();
    let err = connect(
        &server("127.0.0.1", port, TlsMode::Implicit, None),
        &connector,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    // (Both test CAs have the same empty name, so webpki reports a bad signature rather
    // than an unknown issuer; either way the certificate is not trusted.)
    assert!(matches!(err, NetError::Certificate { .. }), "{err}");
}

#[tokio::test]
async fn certificate_for_another_host_is_refused() {
    let pki = pki(&["mail.elsewhere.test"]);
    let port = tls_echo_server(&pki).await;
    let (_dir, ca) = write_ca(&pki.ca_pem);
    let connector = TlsConnector::new(Some(&ca)).unwrap();
    let err = connect(
        &server("localhost", port, TlsMode::Implicit, None),
        &connector,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetError::Certificate { ref reason, .. } if reason.contains("not valid for the name localhost")),
        "{err}"
    );
}

#[tokio::test]
async fn plaintext_needs_allow_plaintext() {
    let connector = TlsConnector::new(None).unwrap();
    let mut s = server("127.0.0.1", 9, TlsMode::None, None);
    let err = connect(&s, &connector).await.unwrap_err();
    assert!(matches!(err, NetError::PlaintextRefused { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Config);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    s.port = listener.local_addr().unwrap().port();
    s.allow_plaintext = true;
    let stream = connect(&s, &connector).await.unwrap();
    assert!(!stream.is_tls());
}

#[tokio::test]
async fn refused_connection_is_a_network_error_naming_the_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = connect_tcp("127.0.0.1", port).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn tcp_connections_set_nodelay() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stream = connect_tcp("127.0.0.1", port).await.unwrap();
    assert!(stream.nodelay().unwrap());
}

#[test]
fn ca_file_problems_are_config_errors() {
    let err = TlsConnector::new(Some(std::path::Path::new("/nonexistent/ca.pem"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");

    let (_dir, path) = write_ca("not a certificate\n");
    let err = TlsConnector::new(Some(&path)).unwrap_err();
    assert!(matches!(err, NetError::CaFileEmpty { .. }), "{err}");
}
