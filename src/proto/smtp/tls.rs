//! The TLS plumbing between `net` (TCP, handshakes, trust) and lettre (the SMTP dialogue).
//!
//! STARTTLS is negotiated here rather than by lettre, for two reasons: the handshake then goes
//! through `net::TlsConnector` like every other protocol (same roots, same `ca_file`, same
//! error wording), and we can refuse a server that sends anything after its "220" to
//! STARTTLS — bytes that lettre would keep in its read buffer and later take as if they had
//! arrived encrypted (the STARTTLS command-injection class of CVE-2011-0411).
//!
//! After the upgrade lettre expects a greeting; [`LettreStream`] supplies a synthetic one, and
//! lettre's EHLO then runs over TLS, as RFC 3207 requires.
//!
//! [`LettreStream`] also caps a reply at [`MAX_REPLY_BYTES`] (bytes read since the last write:
//! SMTP is strictly command/reply here): lettre checks its line limit only once a line has
//! ended, so an endless line would otherwise grow its buffer until the step's timeout.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{
    AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader,
    ReadBuf,
};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::net::MaybeTlsStream;

use super::{SmtpError, Stage};

/// What lettre reads first on a connection we upgraded with STARTTLS ourselves.
const SYNTHETIC_GREETING: &[u8] = b"220 STARTTLS done\r\n";

/// The most one reply may hold: far above any real one (EHLO lists a few hundred bytes; RFC
/// 5321 allows 512 a line), far below a memory problem.
pub(super) const MAX_REPLY_BYTES: usize = 64 * 1024;

/// The stream lettre talks over (plain only with `allow_plaintext`), optionally starting with
/// [`SYNTHETIC_GREETING`], with each reply capped at [`MAX_REPLY_BYTES`].
#[derive(Debug)]
pub(super) struct LettreStream {
    inner: MaybeTlsStream<TcpStream>,
    pending: &'static [u8],
    /// Bytes read since the last write: the size of the reply being read.
    reply_bytes: usize,
}

impl LettreStream {
    /// Implicit TLS: the server's own greeting follows.
    pub(super) fn implicit(inner: tokio_rustls::client::TlsStream<TcpStream>) -> Self {
        LettreStream::new(MaybeTlsStream::Tls(Box::new(inner)), b"")
    }

    /// After STARTTLS: the greeting was before the upgrade, so lettre gets a stand-in.
    pub(super) fn after_starttls(inner: tokio_rustls::client::TlsStream<TcpStream>) -> Self {
        LettreStream::new(MaybeTlsStream::Tls(Box::new(inner)), SYNTHETIC_GREETING)
    }

    /// No TLS at all (`tls = "none"` with `allow_plaintext`).
    pub(super) fn plain(inner: TcpStream) -> Self {
        LettreStream::new(MaybeTlsStream::Plain(inner), b"")
    }

    fn new(inner: MaybeTlsStream<TcpStream>, pending: &'static [u8]) -> Self {
        LettreStream {
            inner,
            pending,
            reply_bytes: 0,
        }
    }
}

impl AsyncRead for LettreStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.pending.is_empty() {
            let n = self.pending.len().min(buf.remaining());
            buf.put_slice(&self.pending[..n]);
            self.pending = &self.pending[n..];
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.reply_bytes += buf.filled().len() - before;
            if self.reply_bytes > MAX_REPLY_BYTES {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the server sent a reply longer than {MAX_REPLY_BYTES} bytes"),
                )));
            }
        }
        polled
    }
}

impl AsyncWrite for LettreStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            // A command went out: what is read next is its reply.
            self.reply_bytes = 0;
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for LettreStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        match &self.inner {
            MaybeTlsStream::Plain(tcp) => tcp.peer_addr(),
            MaybeTlsStream::Tls(tls) => tls.get_ref().0.peer_addr(),
        }
    }
}

/// One SMTP reply: its code and text lines.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Reply {
    pub(super) code: u16,
    pub(super) lines: Vec<String>,
}

/// Replies longer than this are not SMTP (RFC 5321 allows 512 octets a line).
const MAX_LINE: usize = 4096;
const MAX_LINES: usize = 100;

/// Reads one (possibly multi-line) reply.
async fn read_reply<S: AsyncRead + Unpin>(
    reader: &mut BufReader<S>,
    host: &str,
    stage: &Stage,
) -> Result<Reply, SmtpError> {
    let malformed = || SmtpError::Malformed {
        host: host.to_owned(),
        stage: stage.clone(),
    };
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = (&mut *reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .await
            .map_err(|source| SmtpError::Io {
                host: host.to_owned(),
                stage: stage.clone(),
                source,
            })?;
        if n == 0 {
            return Err(SmtpError::Io {
                host: host.to_owned(),
                stage: stage.clone(),
                source: io::ErrorKind::UnexpectedEof.into(),
            });
        }
        if !line.ends_with(b"\n") || lines.len() >= MAX_LINES {
            return Err(malformed());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let code: u16 = text
            .get(..3)
            .and_then(|c| c.parse().ok())
            .filter(|c| (200..600).contains(c))
            .ok_or_else(malformed)?;
        let more = match text.as_bytes().get(3) {
            None | Some(b' ') => false,
            Some(b'-') => true,
            Some(_) => return Err(malformed()),
        };
        lines.push(text.get(4..).unwrap_or_default().to_owned());
        if !more {
            return Ok(Reply { code, lines });
        }
    }
}

/// The plaintext part of STARTTLS: greeting, EHLO, check the offer, STARTTLS, 220. Returns the
/// stream ready for the TLS handshake. Fails closed: no STARTTLS offered, a refusal, or data
/// after the 220 all end the connection before anything secret is sent.
pub(super) async fn starttls_prelude<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    host: &str,
    port: u16,
    hello: &str,
    limit: Duration,
) -> Result<S, SmtpError> {
    let mut reader = BufReader::new(stream);
    let expect = |reply: Reply, want: u16, stage: Stage| {
        if reply.code == want {
            Ok(reply)
        } else {
            Err(SmtpError::Rejected {
                host: host.to_owned(),
                stage,
                code: reply.code.to_string(),
                text: reply.lines.join(" "),
                temporary: (400..500).contains(&reply.code),
            })
        }
    };
    let timed_out = |stage: Stage| SmtpError::Timeout {
        host: host.to_owned(),
        stage,
        secs: limit.as_secs(),
    };

    let stage = Stage::Greeting;
    let greeting = timeout(limit, read_reply(&mut reader, host, &stage))
        .await
        .map_err(|_| timed_out(stage.clone()))??;
    expect(greeting, 220, stage)?;

    let stage = Stage::Greeting;
    send(
        &mut reader,
        format!("EHLO {hello}\r\n").as_bytes(),
        host,
        &stage,
    )
    .await?;
    let ehlo = timeout(limit, read_reply(&mut reader, host, &stage))
        .await
        .map_err(|_| timed_out(stage.clone()))??;
    let ehlo = expect(ehlo, 250, stage)?;
    let offered = ehlo.lines.iter().skip(1).any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        let _ = send(&mut reader, b"QUIT\r\n", host, &Stage::StartTls).await;
        return Err(crate::net::NetError::StartTlsUnavailable {
            host: host.to_owned(),
            port,
        }
        .into());
    }

    let stage = Stage::StartTls;
    send(&mut reader, b"STARTTLS\r\n", host, &stage).await?;
    let reply = timeout(limit, read_reply(&mut reader, host, &stage))
        .await
        .map_err(|_| timed_out(stage.clone()))??;
    expect(reply, 220, stage)?;
    if !reader.buffer().is_empty() {
        return Err(SmtpError::StartTlsInjection {
            host: host.to_owned(),
        });
    }
    Ok(reader.into_inner())
}

async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    reader: &mut BufReader<S>,
    bytes: &[u8],
    host: &str,
    stage: &Stage,
) -> Result<(), SmtpError> {
    let io_err = |source| SmtpError::Io {
        host: host.to_owned(),
        stage: stage.clone(),
        source,
    };
    let stream = reader.get_mut();
    stream.write_all(bytes).await.map_err(io_err)?;
    stream.flush().await.map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run_prelude(server_says: &'static [u8]) -> (Result<(), SmtpError>, String) {
        let (client, mut server) = tokio::io::duplex(4096);
        server.write_all(server_says).await.expect("write");
        let result = starttls_prelude(client, "mx.test", 587, "me.test", Duration::from_secs(2))
            .await
            .map(drop);
        let mut sent = Vec::new();
        let _ = timeout(Duration::from_millis(50), server.read_to_end(&mut sent)).await;
        (result, String::from_utf8_lossy(&sent).into_owned())
    }

    #[tokio::test]
    async fn negotiates_starttls() {
        let (result, sent) = run_prelude(
            b"220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 2.0.0 Ready\r\n",
        )
        .await;
        result.expect("ready for TLS");
        assert_eq!(sent, "EHLO me.test\r\nSTARTTLS\r\n");
    }

    #[tokio::test]
    async fn refuses_without_starttls_offer() {
        let (result, sent) = run_prelude(b"220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n").await;
        let err = result.expect_err("no offer");
        assert_eq!(err.kind(), crate::error::ErrorKind::Tls);
        assert!(!sent.contains("AUTH"));
    }

    #[tokio::test]
    async fn refuses_injected_data_after_220() {
        let (result, _) =
            run_prelude(b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250 injected\r\n").await;
        assert!(matches!(result, Err(SmtpError::StartTlsInjection { .. })));
    }

    #[tokio::test]
    async fn reports_refusals_and_garbage() {
        let (result, _) = run_prelude(b"421 4.3.2 busy\r\n").await;
        let err = result.expect_err("busy");
        assert_eq!(err.kind(), crate::error::ErrorKind::Temporary);
        assert!(err.to_string().contains("421 4.3.2 busy"), "{err}");
        let (result, _) = run_prelude(b"hello there\r\n").await;
        assert_eq!(
            result.expect_err("garbage").kind(),
            crate::error::ErrorKind::Protocol
        );
        let (result, _) =
            run_prelude(b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n")
                .await;
        assert_eq!(
            result.expect_err("454").kind(),
            crate::error::ErrorKind::Temporary
        );
    }
}
