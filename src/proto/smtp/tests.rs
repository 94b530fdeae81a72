//! Submission against a scripted loopback server (plain and implicit TLS); the real Postfix
//! tests are in tests/send.rs.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

use super::*;
use crate::error::ErrorKind;
use crate::net::NetError;

/// How the fake server behaves.
#[derive(Clone, Default)]
struct Script {
    /// Extra EHLO keywords (AUTH PLAIN LOGIN and 8BITMIME are always offered unless `bare`).
    bare: bool,
    /// RCPT address -> reply line.
    rcpt_replies: Vec<(String, String)>,
    /// Reply to the end of DATA (default 250).
    data_end: Option<String>,
    /// Never answer anything (for timeouts).
    silent: bool,
    /// Offer AUTH but not 8BITMIME/SMTPUTF8.
    seven_bit: bool,
}

#[derive(Default)]
struct Seen {
    lines: Vec<String>,
    data: Vec<u8>,
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    script: Script,
    seen: Arc<Mutex<Seen>>,
    greet: bool,
) {
    if script.silent {
        tokio::time::sleep(Duration::from_secs(30)).await;
        return;
    }
    let mut stream = BufReader::new(stream);
    if greet {
        let _ = stream.write_all(b"220 fake ESMTP\r\n").await;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        seen.lock()
            .expect("lock")
            .lines
            .push(line.trim_end().to_owned());
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            if script.bare {
                "250 fake\r\n".into()
            } else if script.seven_bit {
                "250-fake\r\n250 AUTH PLAIN LOGIN\r\n".into()
            } else {
                "250-fake\r\n250-AUTH PLAIN LOGIN\r\n250-SMTPUTF8\r\n250 8BITMIME\r\n".into()
            }
        } else if upper.starts_with("AUTH PLAIN") {
            let b64 = line.trim_end()["AUTH PLAIN ".len()..].to_owned();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            if decoded == b"\0alice\0secret" {
                "235 2.7.0 Authentication successful\r\n".into()
            } else {
                "535 5.7.8 Error: authentication failed: bad password\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM") {
            "250 2.1.0 Ok\r\n".into()
        } else if upper.starts_with("RCPT TO") {
            script
                .rcpt_replies
                .iter()
                .find(|(addr, _)| line.contains(addr.as_str()))
                .map_or_else(
                    || "250 2.1.5 Ok\r\n".to_owned(),
                    |(_, r)| format!("{r}\r\n"),
                )
        } else if upper.starts_with("DATA") {
            let _ = stream
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await;
            let mut data = Vec::new();
            loop {
                let mut chunk = Vec::new();
                if stream.read_until(b'\n', &mut chunk).await.unwrap_or(0) == 0 {
                    return;
                }
                if chunk == b".\r\n" {
                    break;
                }
                data.extend_from_slice(&chunk);
            }
            seen.lock().expect("lock").data = data;
            script.data_end.clone().map_or_else(
                || "250 2.0.0 Ok: queued as ABC123\r\n".into(),
                |r| format!("{r}\r\n"),
            )
        } else if upper.starts_with("QUIT") {
            let _ = stream.write_all(b"221 2.0.0 Bye\r\n").await;
            return;
        } else {
            "502 5.5.2 unknown\r\n".into()
        };
        let _ = stream.write_all(reply.as_bytes()).await;
    }
}

async fn plain_server(script: Script) -> (u16, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, script.clone(), seen2.clone(), true));
        }
    });
    (port, seen)
}

fn submission(port: u16, tls: TlsMode, password: &str) -> Submission {
    Submission {
        host: "127.0.0.1".into(),
        port,
        tls,
        allow_plaintext: true,
        ca_file: None,
        user: "alice".into(),
        password: SecretString::from(password.to_owned()),
        bearer: false,
        timeout: Duration::from_secs(5),
    }
}

fn envelope(to: &[&str]) -> Envelope {
    Envelope {
        from: "alice@x.test".into(),
        recipients: to.iter().map(|s| (*s).to_owned()).collect(),
    }
}

const MESSAGE: &[u8] = b"From: alice@x.test\nTo: bob@x.test\nSubject: hi\n\n.hidden dot\nline\n";

#[test]
fn wire_form_is_crlf_without_the_last_line_end() {
    assert_eq!(to_wire(b"a\nb\r\nc\n"), b"a\r\nb\r\nc");
    assert_eq!(to_wire(b"a\r\nb"), b"a\r\nb");
    assert_eq!(find_header_end(b"A: b\r\n\r\nbody"), 8);
    assert_eq!(find_header_end(b"A: b\n\nbody"), 6);
    assert_eq!(find_header_end(b"A: b\n"), 5);
}

#[tokio::test]
async fn sends_with_auth_and_explicit_envelope() {
    let (port, seen) = plain_server(Script::default()).await;
    let sub = submission(port, TlsMode::None, "secret");
    let accepted = sub
        .send(&envelope(&["bob@x.test", "zoe@y.test"]), MESSAGE)
        .await
        .expect("accepted");
    assert_eq!(accepted.reply, "2.0.0 Ok: queued as ABC123");
    let seen = seen.lock().expect("lock");
    let commands: Vec<&str> = seen.lines.iter().map(String::as_str).collect();
    assert!(commands[0].starts_with("EHLO "));
    assert!(commands[1].starts_with("AUTH PLAIN "));
    assert_eq!(
        &commands[2..],
        [
            "MAIL FROM:<alice@x.test>",
            "RCPT TO:<bob@x.test>",
            "RCPT TO:<zoe@y.test>",
            "DATA",
            "QUIT"
        ]
    );
    // CRLF on the wire, dot-stuffed, nothing added or lost.
    assert_eq!(
        seen.data,
        b"From: alice@x.test\r\nTo: bob@x.test\r\nSubject: hi\r\n\r\n..hidden dot\r\nline\r\n"
    );
}

#[tokio::test]
async fn eight_bit_and_utf8_headers_are_declared() {
    let (port, seen) = plain_server(Script::default()).await;
    let sub = submission(port, TlsMode::None, "secret");
    sub.send(&envelope(&["bob@x.test"]), "Subject: é\n\nü\n".as_bytes())
        .await
        .expect("accepted");
    let seen = seen.lock().expect("lock");
    assert!(
        seen.lines
            .contains(&"MAIL FROM:<alice@x.test> SMTPUTF8 BODY=8BITMIME".to_owned())
    );
}

#[tokio::test]
async fn eight_bit_without_8bitmime_is_refused_before_mail_from() {
    let (port, seen) = plain_server(Script {
        seven_bit: true,
        ..Script::default()
    })
    .await;
    let sub = submission(port, TlsMode::None, "secret");
    let err = sub
        .send(&envelope(&["bob@x.test"]), b"\n\n\xe9")
        .await
        .expect_err("refused");
    assert!(matches!(err, SmtpError::No8BitMime { .. }), "{err}");
    assert!(
        !seen
            .lock()
            .expect("lock")
            .lines
            .iter()
            .any(|l| l.starts_with("MAIL"))
    );
    let err = sub
        .send(&envelope(&["b\u{f6}b@x.test"]), MESSAGE)
        .await
        .expect_err("refused");
    assert!(matches!(err, SmtpError::NoSmtpUtf8 { .. }), "{err}");
}

#[tokio::test]
async fn a_server_without_auth_or_starttls_gets_no_password() {
    let (port, seen) = plain_server(Script {
        bare: true,
        ..Script::default()
    })
    .await;
    let mut sub = submission(port, TlsMode::None, "secret");
    // A bare server offers no AUTH either: that is the first refusal.
    let err = sub
        .send(&envelope(&["bob@x.test"]), b"\n\n\xe9")
        .await
        .expect_err("refused");
    assert!(matches!(err, SmtpError::NoAuthMechanism { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    sub.tls = TlsMode::StartTls;
    let err = sub
        .send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect_err("refused");
    assert!(
        matches!(err, SmtpError::Net(NetError::StartTlsUnavailable { .. })),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Tls);
    assert!(
        !seen
            .lock()
            .expect("lock")
            .lines
            .iter()
            .any(|l| l.starts_with("AUTH"))
    );
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_with_the_server_text() {
    let (port, _) = plain_server(Script::default()).await;
    let err = submission(port, TlsMode::None, "wrong")
        .send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Auth);
    let text = err.to_string();
    assert!(
        text.contains("535 5.7.8 Error: authentication failed"),
        "{text}"
    );
    assert!(!text.contains("wrong"), "{text}");
}

#[tokio::test]
async fn refused_recipient_names_it_and_is_permanent() {
    let script = Script {
        rcpt_replies: vec![(
            "carol@far.test".into(),
            "554 5.7.1 <carol@far.test>: Relay access denied".into(),
        )],
        ..Script::default()
    };
    let (port, seen) = plain_server(script).await;
    let err = submission(port, TlsMode::None, "secret")
        .send(&envelope(&["bob@x.test", "carol@far.test"]), MESSAGE)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(
        err.to_string(),
        "cannot send: 127.0.0.1 refused RCPT TO <carol@far.test>: 554 5.7.1 <carol@far.test>: Relay access denied"
    );
    assert!(!seen.lock().expect("lock").lines.iter().any(|l| l == "DATA"));
}

#[tokio::test]
async fn temporary_refusal_is_retryable() {
    let script = Script {
        data_end: Some("451 4.3.0 Temporary lookup failure".into()),
        ..Script::default()
    };
    let (port, _) = plain_server(script).await;
    let err = submission(port, TlsMode::None, "secret")
        .send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Temporary);
    assert!(
        err.to_string()
            .contains("451 4.3.0 Temporary lookup failure")
    );
}

#[tokio::test]
async fn plaintext_needs_allow_plaintext() {
    let mut sub = submission(1, TlsMode::None, "secret");
    sub.allow_plaintext = false;
    let err = sub
        .send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn closed_port_is_a_network_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let err = submission(port, TlsMode::None, "secret")
        .send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(
        err.to_string().starts_with("cannot connect to 127.0.0.1:"),
        "{err}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let (port, _) = plain_server(Script {
        silent: true,
        ..Script::default()
    })
    .await;
    let mut sub = submission(port, TlsMode::None, "secret");
    sub.timeout = Duration::from_millis(300);
    let err = sub
        .send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect_err("times out");
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(
        err.to_string().contains("no reply during the greeting"),
        "{err}"
    );
}

/// A CA and a leaf for "localhost", as PEM (CA) and rustls server config.
fn tls_fixture() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf");
    let key = rustls_pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).expect("key der");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone()], key)
    .expect("server config");
    (ca.pem(), Arc::new(config))
}

async fn tls_server(config: Arc<rustls::ServerConfig>, starttls: bool) -> (u16, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen2 = seen.clone();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let seen = seen2.clone();
            tokio::spawn(async move {
                let stream = if starttls {
                    let mut reader = BufReader::new(stream);
                    let mut line = String::new();
                    let _ = reader.write_all(b"220 fake ESMTP\r\n").await;
                    let _ = reader.read_line(&mut line).await;
                    let _ = reader.write_all(b"250-fake\r\n250 STARTTLS\r\n").await;
                    line.clear();
                    let _ = reader.read_line(&mut line).await;
                    seen.lock()
                        .expect("lock")
                        .lines
                        .push(line.trim_end().to_owned());
                    let _ = reader.write_all(b"220 2.0.0 Ready to start TLS\r\n").await;
                    reader.into_inner()
                } else {
                    stream
                };
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve(tls, Script::default(), seen, !starttls).await;
                }
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn implicit_tls_needs_a_trusted_certificate() {
    let (ca_pem, config) = tls_fixture();
    let (port, seen) = tls_server(config, false).await;
    let mut sub = submission(port, TlsMode::Implicit, "secret");
    sub.host = "localhost".into();
    sub.allow_plaintext = false;

    let err = sub
        .send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect_err("untrusted");
    assert_eq!(err.kind(), ErrorKind::Tls);
    let text = err.to_string();
    assert!(
        text.contains("not trusted (signed by an unknown authority): set ca_file"),
        "{text}"
    );
    assert!(
        seen.lock().expect("lock").lines.is_empty(),
        "nothing may be sent before trust"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).expect("write");
    sub.ca_file = Some(ca_file);
    sub.send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect("trusted with ca_file");
    assert!(seen.lock().expect("lock").lines.iter().any(|l| l == "DATA"));
}

#[tokio::test]
async fn a_bad_ca_file_is_a_config_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, "not a certificate").expect("write");
    let mut sub = submission(1, TlsMode::Implicit, "secret");
    sub.ca_file = Some(ca_file);
    let err = sub
        .send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect_err("bad ca");
    assert_eq!(err.kind(), ErrorKind::Config);
    sub.ca_file = Some(dir.path().join("missing.pem"));
    let err = sub
        .send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect_err("no ca");
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn starttls_upgrades_then_authenticates() {
    let (ca_pem, config) = tls_fixture();
    let (port, seen) = tls_server(config, true).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).expect("write");
    let mut sub = submission(port, TlsMode::StartTls, "secret");
    sub.host = "localhost".into();
    sub.allow_plaintext = false;
    sub.ca_file = Some(ca_file);
    sub.send(&envelope(&["bob@x.test"]), MESSAGE)
        .await
        .expect("sent over STARTTLS");
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.lines[0], "STARTTLS");
    assert!(
        seen.lines[1].starts_with("EHLO "),
        "EHLO again over TLS: {:?}",
        seen.lines
    );
    assert!(seen.lines[2].starts_with("AUTH PLAIN "));
    assert!(seen.data.ends_with(b"line\r\n"));
}
