//! The fault-injecting proxy of tests/support, checked against a tiny local server that sends
//! a canned banner and then echoes.

#[path = "support/fault_proxy.rs"]
mod fault_proxy;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fault_proxy::{Direction, Fault, FaultProxy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server that writes `banner` (in the given pieces, 20 ms apart), then echoes until EOF.
async fn banner_echo_server(pieces: Vec<Vec<u8>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let pieces = pieces.clone();
            tokio::spawn(async move {
                for piece in pieces {
                    if sock.write_all(&piece).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let mut buf = vec![0u8; 8192];
                loop {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if sock.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

async fn echo_server() -> SocketAddr {
    banner_echo_server(Vec::new()).await
}

/// Reads until EOF or until nothing arrives for `idle`; returns the bytes and whether EOF came.
async fn read_all(sock: &mut TcpStream, idle: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        match tokio::time::timeout(idle, sock.read(&mut buf)).await {
            Err(_) => return (out, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

const SEC: Duration = Duration::from_secs(2);

#[tokio::test]
async fn forwards_faithfully_both_ways() {
    let proxy = FaultProxy::start(echo_server().await, Fault::None)
        .await
        .unwrap();
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let (mut r, mut w) = sock.split();
    let writer = async {
        w.write_all(&data).await.unwrap();
        w.shutdown().await.unwrap();
    };
    let reader = async {
        let mut got = Vec::new();
        r.read_to_end(&mut got).await.unwrap();
        got
    };
    let ((), got) = tokio::join!(writer, reader);
    assert_eq!(got, data);
    assert_eq!(proxy.connections(), 1);
    assert_eq!(proxy.bytes_to_server(), data.len());
    assert_eq!(proxy.bytes_to_client(), data.len());
    assert_eq!(proxy.faults_fired(), 0);
}

#[tokio::test]
async fn cut_client_to_server_after_n_bytes() {
    let cut = Fault::Cut {
        dir: Direction::ClientToServer,
        after: 10,
    };
    let proxy = FaultProxy::start(echo_server().await, cut).await.unwrap();
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    sock.write_all(b"0123456789abcdefghij").await.unwrap();
    let (got, eof) = read_all(&mut sock, SEC).await;
    assert!(eof, "the connection is closed");
    assert!(
        b"0123456789".starts_with(&got),
        "at most the first 10 bytes echo: {got:?}"
    );
    assert_eq!(proxy.bytes_to_server(), 10);
    assert_eq!(proxy.faults_fired(), 1);
}

#[tokio::test]
async fn cut_server_to_client_after_n_bytes() {
    let server = banner_echo_server(vec![b"+OK hello there\r\n".to_vec()]).await;
    let cut = Fault::Cut {
        dir: Direction::ServerToClient,
        after: 5,
    };
    let proxy = FaultProxy::start(server, cut).await.unwrap();
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    let (got, eof) = read_all(&mut sock, SEC).await;
    assert_eq!((got.as_slice(), eof), (&b"+OK h"[..], true));
}

#[tokio::test]
async fn stall_keeps_the_connection_open_and_silent() {
    let server = banner_echo_server(vec![b"+OK hello\r\n".to_vec()]).await;
    let stall = Fault::Stall {
        dir: Direction::ServerToClient,
        after: 4,
    };
    let proxy = FaultProxy::start(server, stall).await.unwrap();
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    let (got, eof) = read_all(&mut sock, Duration::from_millis(300)).await;
    assert_eq!(
        (got.as_slice(), eof),
        (&b"+OK "[..], false),
        "no EOF: a hang"
    );
    // The other direction still flows.
    sock.write_all(b"ping").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(proxy.bytes_to_server(), 4);
    assert_eq!(proxy.faults_fired(), 1);
}

#[tokio::test]
async fn delay_slows_every_chunk() {
    let proxy = FaultProxy::start(
        echo_server().await,
        Fault::Delay(Duration::from_millis(150)),
    )
    .await
    .unwrap();
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    let started = Instant::now();
    sock.write_all(b"ping").await.unwrap();
    let mut buf = [0u8; 4];
    sock.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn truncate_mid_line_leaves_a_line_without_its_end() {
    let reply = b"+OK hello\r\nline two\r\n\r\n.\r\n".to_vec();
    let server = banner_echo_server(vec![reply]).await;
    let proxy = FaultProxy::start(server, Fault::TruncateMidLine { after: 12 })
        .await
        .unwrap();
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    let (got, eof) = read_all(&mut sock, SEC).await;
    assert_eq!((got.as_slice(), eof), (&b"+OK hello\r\nli"[..], true));

    // A budget ending on a line end moves on to the next line's first content byte.
    proxy.set_fault(Fault::TruncateMidLine { after: 9 });
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    let (got, eof) = read_all(&mut sock, SEC).await;
    assert_eq!((got.as_slice(), eof), (&b"+OK hello\r\nl"[..], true));
}

#[tokio::test]
async fn truncate_mid_line_across_chunks() {
    let server = banner_echo_server(vec![b"+OK 1\r\n".to_vec(), b"\r\nabc\r\n".to_vec()]).await;
    let proxy = FaultProxy::start(server, Fault::TruncateMidLine { after: 5 })
        .await
        .unwrap();
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    let (got, eof) = read_all(&mut sock, SEC).await;
    assert_eq!((got.as_slice(), eof), (&b"+OK 1\r\n\r\na"[..], true));
}

#[tokio::test]
async fn strips_pop3_stls_even_when_split_across_reads() {
    let capa = b"+OK Dovecot ready.\r\n+OK\r\nCAPA\r\nTOP\r\nST".to_vec();
    let rest = b"LS\r\nUSER\r\n.\r\n".to_vec();
    let server = banner_echo_server(vec![capa, rest]).await;
    let proxy = FaultProxy::start(server, Fault::StripCapability("STLS".into()))
        .await
        .unwrap();
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    let (got, _) = read_all(&mut sock, Duration::from_millis(300)).await;
    assert_eq!(
        got,
        b"+OK Dovecot ready.\r\n+OK\r\nCAPA\r\nTOP\r\nUSER\r\n.\r\n"
    );
    assert_eq!(proxy.faults_fired(), 1);
    // Echoed traffic after the banner still flows (line by line).
    sock.write_all(b"hello\r\n").await.unwrap();
    let (got, _) = read_all(&mut sock, Duration::from_millis(300)).await;
    assert_eq!(got, b"hello\r\n");
}

#[tokio::test]
async fn strips_imap_and_smtp_starttls() {
    let banner = b"* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n\
        * CAPABILITY IMAP4rev1 LITERAL+ STARTTLS\r\n\
        a1 OK [CAPABILITY IMAP4rev1 STARTTLS] done\r\n\
        250-mail.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n\
        250-mail.test\r\n250 STARTTLS\r\n"
        .to_vec();
    let server = banner_echo_server(vec![banner]).await;
    let proxy = FaultProxy::start(server, Fault::StripCapability("STARTTLS".into()))
        .await
        .unwrap();
    let mut sock = TcpStream::connect(proxy.addr()).await.unwrap();
    let (got, _) = read_all(&mut sock, Duration::from_millis(300)).await;
    let want = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n\
        * CAPABILITY IMAP4rev1 LITERAL+\r\n\
        a1 OK [CAPABILITY IMAP4rev1] done\r\n\
        250-mail.test\r\n250 AUTH PLAIN\r\n\
        250-mail.test\r\n250 XXXXXXXX\r\n";
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
    assert_eq!(proxy.faults_fired(), 5);
}

#[tokio::test]
async fn set_fault_applies_to_new_connections_and_drop_closes_everything() {
    let cut = Fault::Cut {
        dir: Direction::ClientToServer,
        after: 0,
    };
    let proxy = FaultProxy::start(echo_server().await, cut).await.unwrap();
    let mut first = TcpStream::connect(proxy.addr()).await.unwrap();
    first.write_all(b"x").await.unwrap();
    assert_eq!(read_all(&mut first, SEC).await, (Vec::new(), true));
    proxy.set_fault(Fault::None);
    let mut second = TcpStream::connect(proxy.addr()).await.unwrap();
    second.write_all(b"ok").await.unwrap();
    let mut buf = [0u8; 2];
    second.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ok");
    assert_eq!(proxy.connections(), 2);
    drop(proxy);
    let (_, eof) = read_all(&mut second, SEC).await;
    assert!(eof, "dropping the proxy closes open connections");
}
