//! postie's own TLS layer (`postie::net`) against the real Dovecot and Postfix: implicit TLS and
//! STARTTLS upgrades succeed when the harness CA is trusted through `ca_file`, and fail with the
//! clear "not trusted" error without it.

mod support;

use postie::config::{Server, TlsMode};
use postie::error::ErrorKind;
use postie::net::{self, MaybeTlsStream, NetError, TlsConnector};
use support::servers;
use support::wire::LineConn;
use tokio::net::TcpStream;

fn server(port: u16, tls: TlsMode) -> Server {
    let s = servers();
    Server {
        host: s.tls_name.clone(),
        port,
        tls,
        allow_plaintext: false,
        ca_file: Some(s.ca_file.clone()),
        oauth2: None,
        user: "nobody".into(),
        password_command: None,
        auth: Default::default(),
        oauth2_token_command: None,
    }
}

fn harness_connector() -> TlsConnector {
    TlsConnector::new(Some(&servers().ca_file)).expect("harness CA loads")
}

async fn first_line(stream: MaybeTlsStream<TcpStream>) -> String {
    assert!(stream.is_tls());
    LineConn::new(stream).read_line().await
}

#[tokio::test]
async fn implicit_tls_to_dovecot_and_postfix_with_ca_file() {
    let s = servers();
    let connector = harness_connector();
    let imaps = net::connect(&server(s.ports.imaps, TlsMode::Implicit), &connector)
        .await
        .expect("IMAPS with the harness CA");
    assert!(first_line(imaps).await.starts_with("* OK"));
    let pop3s = net::connect(&server(s.ports.pop3s, TlsMode::Implicit), &connector)
        .await
        .expect("POP3S with the harness CA");
    assert!(first_line(pop3s).await.starts_with("+OK"));
    let submissions = net::connect(&server(s.ports.submissions, TlsMode::Implicit), &connector)
        .await
        .expect("SMTPS with the harness CA");
    assert!(first_line(submissions).await.starts_with("220"));
}

#[tokio::test]
async fn implicit_tls_without_ca_file_is_refused_with_advice() {
    let s = servers();
    let connector = TlsConnector::new(None).expect("system roots");
    for port in [s.ports.imaps, s.ports.pop3s, s.ports.submissions] {
        let err = net::connect(&server(port, TlsMode::Implicit), &connector)
            .await
            .expect_err("the harness CA is not a system root");
        assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
        let text = err.to_string();
        assert!(
            matches!(err, NetError::Certificate { .. }),
            "a certificate error, not a generic handshake failure: {text}"
        );
        assert!(text.contains(&format!("localhost:{port}")), "{text}");
        assert!(text.contains("set ca_file"), "{text}");
    }
}

/// Runs the protocol half of STARTTLS by hand, then upgrades with postie's connector.
async fn starttls(
    port: u16,
    greeting: &str,
    command: &str,
    ok: &str,
    connector: &TlsConnector,
) -> Result<LineConn<tokio_rustls::client::TlsStream<TcpStream>>, NetError> {
    let s = servers();
    let plain = net::connect(&server(port, TlsMode::StartTls), connector)
        .await
        .expect("plain connect for STARTTLS");
    assert!(!plain.is_tls());
    let MaybeTlsStream::Plain(tcp) = plain else {
        unreachable!("checked above")
    };
    let mut conn = LineConn::new(tcp);
    assert!(conn.read_line().await.starts_with(greeting));
    if command.starts_with("EHLO") {
        let (code, _) = conn.smtp(command).await;
        assert_eq!(code, 250);
        let (code, _) = conn.smtp("STARTTLS").await;
        assert_eq!(code, 220);
    } else {
        conn.send(command).await;
        let reply = conn.read_line().await;
        assert!(reply.starts_with(ok), "{reply}");
    }
    let tls = connector
        .upgrade(conn.into_inner(), &s.tls_name, port)
        .await?;
    Ok(LineConn::new(tls))
}

#[tokio::test]
async fn starttls_upgrades_on_every_plain_port() {
    let s = servers();
    let connector = harness_connector();

    let mut imap = starttls(s.ports.imap, "* OK", "a STARTTLS", "a OK", &connector)
        .await
        .expect("IMAP STARTTLS");
    let (_, status) = imap.imap("b", "CAPABILITY").await;
    assert!(status.starts_with("OK"), "{status}");

    let mut pop3 = starttls(s.ports.pop3, "+OK", "STLS", "+OK", &connector)
        .await
        .expect("POP3 STLS");
    pop3.send("CAPA").await;
    assert!(pop3.read_line().await.starts_with("+OK"));

    let mut smtp = starttls(
        s.ports.submission,
        "220",
        "EHLO postie.test",
        "",
        &connector,
    )
    .await
    .expect("SMTP STARTTLS");
    let (code, lines) = smtp.smtp("EHLO postie.test").await;
    assert_eq!(code, 250);
    assert!(
        lines.iter().any(|l| l.contains("AUTH")),
        "AUTH is offered once TLS is up: {lines:?}"
    );
}

#[tokio::test]
async fn starttls_upgrade_without_ca_file_is_refused() {
    let s = servers();
    let connector = TlsConnector::new(None).expect("system roots");
    let Err(err) = starttls(s.ports.imap, "* OK", "a STARTTLS", "a OK", &connector).await else {
        panic!("the harness CA is not a system root");
    };
    assert!(matches!(err, NetError::Certificate { .. }), "{err}");
}
