//! Raw protocol helpers for tests: TLS with only the harness CA, a line-oriented connection,
//! and delivery of messages over SMTP submission or LMTP. Independent of postie's own code.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{Servers, TestUser};

/// How long any single read may take before the test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// A rustls client config trusting exactly the given PEM roots (ring provider, no globals).
pub fn tls_config_with_roots(pem: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.unwrap_or_else(|e| panic!("bad PEM certificate: {e}"));
        roots
            .add(cert)
            .unwrap_or_else(|e| panic!("bad root certificate: {e}"));
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap_or_else(|e| panic!("rustls protocol versions: {e}"))
    .with_root_certificates(roots)
    .with_no_client_auth();
    Arc::new(config)
}

impl Servers {
    /// A TLS client config that trusts only the harness CA.
    pub fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        tls_config_with_roots(&self.ca_pem())
    }

    /// The name to verify the server certificate against.
    pub fn server_name(&self) -> ServerName<'static> {
        ServerName::try_from(self.tls_name.clone()).unwrap_or_else(|e| panic!("bad TLS name: {e}"))
    }

    /// A TCP connection (with TCP_NODELAY) to a port of this instance.
    pub async fn connect(&self, port: u16) -> TcpStream {
        let stream = TcpStream::connect((self.host.as_str(), port))
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.addr(port)));
        stream
            .set_nodelay(true)
            .unwrap_or_else(|e| panic!("TCP_NODELAY: {e}"));
        stream
    }

    /// A TLS connection (implicit TLS) to a port, trusting only the harness CA.
    pub async fn connect_tls(&self, port: u16) -> TlsStream<TcpStream> {
        let tcp = self.connect(port).await;
        self.tls_upgrade(tcp).await
    }

    /// The TLS handshake on an existing stream (after STARTTLS / STLS).
    pub async fn tls_upgrade<S>(&self, stream: S) -> TlsStream<S>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        TlsConnector::from(self.tls_config())
            .connect(self.server_name(), stream)
            .await
            .unwrap_or_else(|e| panic!("TLS handshake with the harness servers failed: {e}"))
    }
}

/// A line-oriented connection: enough of IMAP, POP3, SMTP and LMTP to drive a server in a test.
pub struct LineConn<S> {
    inner: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> LineConn<S> {
    pub fn new(stream: S) -> Self {
        LineConn {
            inner: BufReader::new(stream),
        }
    }

    /// The stream back (e.g. for a STARTTLS upgrade). Panics if unread input is buffered.
    pub fn into_inner(self) -> S {
        assert!(
            self.inner.buffer().is_empty(),
            "unread input left before a TLS upgrade"
        );
        self.inner.into_inner()
    }

    /// One line, without its line end, as raw bytes. Panics on EOF or after [`READ_TIMEOUT`].
    pub async fn read_line_bytes(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        let n = tokio::time::timeout(READ_TIMEOUT, self.inner.read_until(b'\n', &mut line))
            .await
            .unwrap_or_else(|_| panic!("no line from the server within {READ_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("read failed: {e}"));
        assert!(n > 0, "the server closed the connection");
        if line.ends_with(b"\n") {
            line.pop();
            if line.ends_with(b"\r") {
                line.pop();
            }
        }
        line
    }

    /// One line, lossily decoded.
    pub async fn read_line(&mut self) -> String {
        String::from_utf8_lossy(&self.read_line_bytes().await).into_owned()
    }

    /// Exactly `n` bytes (an IMAP literal).
    pub async fn read_exact(&mut self, n: usize) -> Vec<u8> {
        use tokio::io::AsyncReadExt as _;
        let mut buf = vec![0u8; n];
        tokio::time::timeout(READ_TIMEOUT, self.inner.read_exact(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {n} bytes from the server within {READ_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("read failed: {e}"));
        buf
    }

    /// Sends `line` and CRLF.
    pub async fn send(&mut self, line: &str) {
        self.send_bytes(format!("{line}\r\n").as_bytes()).await;
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        let stream = self.inner.get_mut();
        stream
            .write_all(bytes)
            .await
            .unwrap_or_else(|e| panic!("write failed: {e}"));
        stream
            .flush()
            .await
            .unwrap_or_else(|e| panic!("flush failed: {e}"));
    }

    /// An SMTP/LMTP reply: its code and its text lines (without "250-").
    pub async fn smtp_reply(&mut self) -> (u16, Vec<String>) {
        let mut lines = Vec::new();
        loop {
            let line = self.read_line().await;
            let code: u16 = line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .unwrap_or_else(|| panic!("not an SMTP reply: {line:?}"));
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line.get(4..).unwrap_or("").to_string());
            if !more {
                return (code, lines);
            }
        }
    }

    /// Sends an SMTP command and returns the reply.
    pub async fn smtp(&mut self, command: &str) -> (u16, Vec<String>) {
        self.send(command).await;
        self.smtp_reply().await
    }

    /// Sends an IMAP command with `tag` and returns (untagged lines, tagged status line).
    /// Literals inside responses are not handled: use [`LineConn::read_line_bytes`] for those.
    pub async fn imap(&mut self, tag: &str, command: &str) -> (Vec<String>, String) {
        self.send(&format!("{tag} {command}")).await;
        let mut untagged = Vec::new();
        loop {
            let line = self.read_line().await;
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                return (untagged, rest.to_string());
            }
            untagged.push(line);
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> LineConn<S> {
    /// IMAP LOGIN as `user`; panics unless the server says OK.
    pub async fn imap_login(&mut self, user: &TestUser) {
        let (_, status) = self
            .imap("L", &format!("LOGIN {} {}", user.login, user.password))
            .await;
        assert!(status.starts_with("OK"), "LOGIN {}: {status}", user.login);
    }

    /// `FETCH seq BODY.PEEK[]` in the selected mailbox: the message bytes as served (CRLF).
    pub async fn imap_fetch_body(&mut self, seq: usize) -> Vec<u8> {
        self.send(&format!("F{seq} FETCH {seq} BODY.PEEK[]")).await;
        let head = self.read_line().await;
        assert!(head.starts_with(&format!("* {seq} FETCH")), "{head}");
        let size: usize = head
            .rsplit_once('{')
            .and_then(|(_, n)| n.strip_suffix('}'))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no literal in {head:?}"));
        let body = self.read_exact(size).await;
        let close = self.read_line().await;
        assert_eq!(close, ")", "after the literal of message {seq}");
        let status = self.read_line().await;
        assert!(status.starts_with(&format!("F{seq} OK")), "{status}");
        body
    }

    /// POP3 USER/PASS as `user`; panics unless both get +OK.
    pub async fn pop3_login(&mut self, user: &TestUser) {
        self.send(&format!("USER {}", user.login)).await;
        let reply = self.read_line().await;
        assert!(reply.starts_with("+OK"), "USER: {reply}");
        self.send(&format!("PASS {}", user.password)).await;
        let reply = self.read_line().await;
        assert!(reply.starts_with("+OK"), "PASS {}: {reply}", user.login);
    }
}

impl Servers {
    /// An IMAPS session logged in as `user` (greeting read, nothing selected).
    pub async fn imaps_session(&self, user: &TestUser) -> LineConn<TlsStream<TcpStream>> {
        let mut conn = LineConn::new(self.connect_tls(self.ports.imaps).await);
        let greeting = conn.read_line().await;
        assert!(greeting.starts_with("* OK"), "{greeting}");
        conn.imap_login(user).await;
        conn
    }

    /// A POP3S session logged in as `user`.
    pub async fn pop3s_session(&self, user: &TestUser) -> LineConn<TlsStream<TcpStream>> {
        let mut conn = LineConn::new(self.connect_tls(self.ports.pop3s).await);
        let greeting = conn.read_line().await;
        assert!(greeting.starts_with("+OK"), "{greeting}");
        conn.pop3_login(user).await;
        conn
    }
}

/// LF line ends to CRLF (CRLF kept), then SMTP dot-stuffing, then the terminating ".".
pub fn smtp_data(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 30 + 8);
    let mut at_line_start = true;
    let mut prev = 0u8;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        at_line_start = b == b'\n';
        prev = b;
    }
    if !at_line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// How to reach the submission service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submission {
    /// The STARTTLS port.
    StartTls,
    /// The implicit-TLS port.
    Implicit,
}

/// Submits `message` through Postfix as `user` (AUTH PLAIN over TLS). Returns the final reply
/// text on success, or "CODE text" of the first refusal.
pub async fn submit(
    servers: &Servers,
    mode: Submission,
    user: &TestUser,
    from: &str,
    recipients: &[&str],
    message: &[u8],
) -> Result<String, String> {
    let mut conn = match mode {
        Submission::Implicit => {
            let mut conn = LineConn::new(servers.connect_tls(servers.ports.submissions).await);
            expect(&mut conn, 220, None).await?;
            expect(&mut conn, 250, Some("EHLO postie-test")).await?;
            conn
        }
        Submission::StartTls => {
            let mut plain = LineConn::new(servers.connect(servers.ports.submission).await);
            expect(&mut plain, 220, None).await?;
            expect(&mut plain, 250, Some("EHLO postie-test")).await?;
            expect(&mut plain, 220, Some("STARTTLS")).await?;
            let mut conn = LineConn::new(servers.tls_upgrade(plain.into_inner()).await);
            expect(&mut conn, 250, Some("EHLO postie-test")).await?;
            conn
        }
    };
    let auth = B64.encode(format!("\0{}\0{}", user.login, user.password));
    expect(&mut conn, 235, Some(&format!("AUTH PLAIN {auth}"))).await?;
    expect(&mut conn, 250, Some(&format!("MAIL FROM:<{from}>"))).await?;
    for rcpt in recipients {
        expect(&mut conn, 250, Some(&format!("RCPT TO:<{rcpt}>"))).await?;
    }
    expect(&mut conn, 354, Some("DATA")).await?;
    conn.send_bytes(&smtp_data(message)).await;
    let done = expect(&mut conn, 250, None).await?;
    conn.send("QUIT").await;
    Ok(done)
}

/// Delivers `message` straight into the INBOX of `rcpt` through Dovecot's LMTP (no Postfix).
pub async fn deliver_lmtp(servers: &Servers, rcpt: &str, message: &[u8]) -> Result<(), String> {
    let mut conn = LineConn::new(servers.connect(servers.ports.lmtp).await);
    expect(&mut conn, 220, None).await?;
    expect(&mut conn, 250, Some("LHLO postie-test")).await?;
    expect(&mut conn, 250, Some("MAIL FROM:<>")).await?;
    expect(&mut conn, 250, Some(&format!("RCPT TO:<{rcpt}>"))).await?;
    expect(&mut conn, 354, Some("DATA")).await?;
    conn.send_bytes(&smtp_data(message)).await;
    expect(&mut conn, 250, None).await?;
    conn.send("QUIT").await;
    Ok(())
}

async fn expect<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut LineConn<S>,
    code: u16,
    command: Option<&str>,
) -> Result<String, String> {
    if let Some(command) = command {
        conn.send(command).await;
    }
    let (got, lines) = conn.smtp_reply().await;
    if got == code {
        Ok(lines.join("\n"))
    } else {
        let what = command.map_or("greeting/data", |c| c.split(' ').next().unwrap_or(c));
        Err(format!("{what}: {got} {}", lines.join(" / ")))
    }
}
