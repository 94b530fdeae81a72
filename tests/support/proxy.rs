//! A loopback proxy in front of one harness port that hides STARTTLS (IMAP `STARTTLS`, POP3
//! `STLS`, SMTP `STARTTLS`) from the client and records every byte the client sends.
//!
//! Dovecot treats 127.0.0.1 as secure and always offers STARTTLS, so "refuse when STARTTLS is
//! not offered" and "never send a password in clear" can only be tested against a server that
//! looks different: this proxy. Once the client does send STARTTLS/STLS anyway, the proxy
//! stops rewriting and relays raw bytes (a TLS session passes through untouched).
//!
//! Runs on the calling test's tokio runtime; it stops with it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::Servers;

/// Which protocol's capability announcement to rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
}

/// A running proxy: connect to `host:port` instead of the real service.
pub struct StripTlsProxy {
    pub host: String,
    pub port: u16,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl StripTlsProxy {
    /// Starts a proxy to `upstream_port` of `servers`.
    pub async fn start(servers: &Servers, upstream_port: u16, protocol: Protocol) -> StripTlsProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("proxy: cannot listen: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("proxy: {e}"))
            .port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let upstream = servers.addr(upstream_port);
        let recorder = Arc::clone(&sent);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let recorder = Arc::clone(&recorder);
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server, protocol, recorder).await;
                    }
                });
            }
        });
        StripTlsProxy {
            host: "127.0.0.1".to_string(),
            port,
            sent,
        }
    }

    /// Everything clients have sent through the proxy so far, all connections together.
    pub fn client_sent(&self) -> Vec<u8> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Whether `needle` (e.g. a password) appears in what clients sent.
    pub fn client_sent_contains(&self, needle: &[u8]) -> bool {
        !needle.is_empty()
            && self
                .client_sent()
                .windows(needle.len())
                .any(|w| w == needle)
    }
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    protocol: Protocol,
    sent: Arc<Mutex<Vec<u8>>>,
) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (server_read, mut server_write) = server.into_split();
    let upgrading = Arc::new(AtomicBool::new(false));

    let flag = Arc::clone(&upgrading);
    let upstream = async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut line_start: Vec<u8> = Vec::new();
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Ok(mut s) = sent.lock() {
                s.extend_from_slice(&buf[..n]);
            }
            if !flag.load(Ordering::SeqCst) {
                line_start.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&line_start).to_ascii_uppercase();
                if text.lines().any(|l| {
                    let l = l.trim_end();
                    l == "STLS" || l == "STARTTLS" || l.ends_with(" STARTTLS")
                }) {
                    flag.store(true, Ordering::SeqCst);
                }
                if let Some(last) = line_start.iter().rposition(|&b| b == b'\n') {
                    line_start.drain(..=last);
                }
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };

    let downstream = async move {
        let mut reader = BufReader::new(server_read);
        loop {
            if upgrading.load(Ordering::SeqCst) {
                // Raw from here on: forward what is buffered, then copy.
                let buffered = reader.buffer().to_vec();
                if client_write.write_all(&buffered).await.is_err() {
                    return;
                }
                let mut rest = reader.into_inner();
                let _ = tokio::io::copy(&mut rest, &mut client_write).await;
                return;
            }
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = rewrite(protocol, line);
            if client_write.write_all(&line).await.is_err() {
                return;
            }
        }
    };
    tokio::join!(upstream, downstream);
}

/// Hides the STARTTLS capability in one server line.
fn rewrite(protocol: Protocol, line: Vec<u8>) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(&line) else {
        return line;
    };
    match protocol {
        Protocol::Imap if text.to_ascii_uppercase().contains("CAPABILITY") => {
            text.replace(" STARTTLS", "").into_bytes()
        }
        Protocol::Pop3 if text.trim_end() == "STLS" => b"X-NO-STLS\r\n".to_vec(),
        Protocol::Smtp if text.len() > 4 && text[4..].trim_end() == "STARTTLS" => {
            format!("{}X-NO-STARTTLS\r\n", &text[..4]).into_bytes()
        }
        _ => line,
    }
}
