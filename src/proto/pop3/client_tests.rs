//! The client against a scripted fake server over `tokio::io::duplex`: every exchange is
//! checked line by line, so what the client sends (and does not send) is asserted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::fake_server::*;
use super::*;
use crate::error::ErrorKind;

#[tokio::test]
async fn full_session_with_user_pass() {
    let (io, server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![
            expect("USER alice"),
            send(b"+OK\r\n"),
            expect("PASS s3cret"),
            send(b"+OK logged in\r\n"),
            expect("CAPA"),
            send(b"+OK\r\nTOP\r\nUIDL\r\n.\r\n"),
            expect("STAT"),
            send(b"+OK 2 320\r\n"),
            expect("LIST"),
            send(b"+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n"),
            expect("UIDL"),
            send(b"+OK\r\n1 aaa\r\n2 bbb\r\n.\r\n"),
            expect("UIDL 2"),
            send(b"+OK 2 bbb\r\n"),
            expect("LIST 1"),
            send(b"+OK 1 120\r\n"),
            expect("RETR 1"),
            send(b"+OK 120 octets\r\nSubject: hi\r\n\r\n..dot line\r\n..\r\nend\r\n.\r\n"),
            expect("TOP 2 0"),
            send(b"+OK\r\nSubject: two\r\n\r\n.\r\n"),
            expect("DELE 1"),
            send(b"+OK marked\r\n"),
            expect("RSET"),
            send(b"+OK\r\n"),
            expect("NOOP"),
            send(b"+OK\r\n"),
            expect("QUIT"),
            send(b"+OK bye\r\n"),
        ],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Plain, opts())
        .await
        .unwrap();
    assert_eq!(
        c.greeting().unwrap().apop_timestamp.as_deref(),
        Some("<123.456@fake>")
    );
    assert!(c.capabilities().unwrap().has("STLS"));
    assert!(!c.is_secure() && !c.supports_pipelining());
    c.login("alice", &password("s3cret"), true).await.unwrap();
    // Capabilities are re-read after login.
    assert!(!c.capabilities().unwrap().has("STLS"));
    assert_eq!(
        c.stat().await.unwrap(),
        Stat {
            count: 2,
            size: 320
        }
    );
    assert_eq!(c.list().await.unwrap().len(), 2);
    let uidl = c.uidl().await.unwrap();
    assert_eq!((uidl[0].number, uidl[0].uid.as_str()), (1, "aaa"));
    assert_eq!(c.uidl_one(2).await.unwrap().uid, "bbb");
    assert_eq!(
        c.list_one(1).await.unwrap(),
        ListEntry {
            number: 1,
            size: 120
        }
    );
    assert_eq!(
        c.retr(1).await.unwrap(),
        b"Subject: hi\r\n\r\n.dot line\r\n.\r\nend\r\n"
    );
    assert_eq!(c.top(2, 0).await.unwrap(), b"Subject: two\r\n\r\n");
    c.dele(1).await.unwrap();
    c.rset().await.unwrap();
    c.noop().await.unwrap();
    c.quit().await.unwrap();
    assert_eq!(server.await.unwrap().len(), 15);
}

#[tokio::test]
async fn plaintext_login_is_refused_without_consent_and_nothing_is_sent() {
    let (io, server) = serve(opening(CAPS_PLAIN));
    let mut c = Pop3Client::connect(io, Transport::Plain, opts())
        .await
        .unwrap();
    let err = c
        .login("alice", &password("s3cret"), false)
        .await
        .unwrap_err();
    assert!(matches!(err, Pop3Error::PlaintextRefused), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Config);
    drop(c);
    assert_eq!(
        server.await.unwrap(),
        vec!["CAPA"],
        "no USER, PASS or AUTH went out"
    );
}

#[tokio::test]
async fn stripped_stls_is_refused_and_no_password_leaks() {
    // A STARTTLS-stripping attacker removed STLS from CAPA.
    let (io, server) = serve(opening(b"+OK\r\nUSER\r\nUIDL\r\n.\r\n"));
    let c = Pop3Client::connect(io, Transport::Plain, opts())
        .await
        .unwrap();
    let err = c.stls().await.unwrap_err();
    assert!(matches!(err, Pop3Error::StlsNotOffered));
    assert_eq!(err.kind(), ErrorKind::Tls);
    assert_eq!(server.await.unwrap(), vec!["CAPA"]);
}

#[tokio::test]
async fn stls_hands_back_the_stream_and_after_stls_rereads_capa() {
    let (io, server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![
            expect("STLS"),
            send(b"+OK begin TLS\r\n"),
            // (A real caller does the TLS handshake here.)
            expect("CAPA"),
            send(b"+OK\r\nUSER\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n"),
            expect("AUTH PLAIN AGFsaWNlAHMzY3JldA=="),
            send(b"+OK\r\n"),
            expect("CAPA"),
            send(b"+OK\r\nPIPELINING\r\n.\r\n"),
        ],
    ]));
    let c = Pop3Client::connect(io, Transport::Plain, opts())
        .await
        .unwrap();
    let raw = c.stls().await.unwrap();
    let mut c = Pop3Client::after_stls(raw, opts()).await.unwrap();
    assert!(c.is_secure() && c.greeting().is_none());
    assert!(c.capabilities().unwrap().has_sasl("PLAIN"));
    // AUTH PLAIN is preferred, and allowed without consent because the stream is secure.
    c.login("alice", &password("s3cret"), false).await.unwrap();
    assert!(c.supports_pipelining());
    server.await.unwrap();
}

#[tokio::test]
async fn data_injected_after_stls_ok_is_refused() {
    let (io, _server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![expect("STLS"), send(b"+OK begin TLS\r\n+OK injected\r\n")],
    ]));
    let c = Pop3Client::connect(io, Transport::Plain, opts())
        .await
        .unwrap();
    assert!(matches!(c.stls().await, Err(Pop3Error::StlsInjection)));
}

#[tokio::test]
async fn stls_refused_by_server() {
    let (io, _server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![expect("STLS"), send(b"-ERR no TLS\r\n")],
    ]));
    let c = Pop3Client::connect(io, Transport::Plain, opts())
        .await
        .unwrap();
    let err = c.stls().await.unwrap_err();
    assert!(
        matches!(&err, Pop3Error::StlsRefused(t) if t == "no TLS"),
        "{err:?}"
    );
}

#[tokio::test]
async fn long_auth_plain_uses_a_continuation() {
    let long = "p".repeat(300);
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("\0alice\0{long}"))
    };
    let (io, server) = serve(script(vec![
        opening(b"+OK\r\nSASL PLAIN\r\n.\r\n"),
        vec![
            expect("AUTH PLAIN"),
            send(b"+ \r\n"),
            expect(&b64),
            send(b"+OK\r\n"),
            expect("CAPA"),
            send(b"+OK\r\n.\r\n"),
        ],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    c.login("alice", &password(&long), false).await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn wrong_password_and_response_codes() {
    let (io, _server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![
            expect("USER alice"),
            send(b"+OK\r\n"),
            expect("PASS bad"),
            send(b"-ERR [AUTH] Authentication failed.\r\n"),
            expect("USER alice"),
            send(b"+OK\r\n"),
            expect("PASS good"),
            send(b"-ERR [IN-USE] Mailbox is locked by another POP3 session.\r\n"),
            expect("USER alice"),
            send(b"+OK\r\n"),
            expect("PASS good"),
            send(b"-ERR invalid login\r\n"),
        ],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    let err = c.login("alice", &password("bad"), false).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.response_code()),
        (ErrorKind::Auth, Some(&ResponseCode::Auth))
    );
    assert!(!err.to_string().contains("bad\""), "{err}");
    let err = c
        .login("alice", &password("good"), false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary);
    assert_eq!(err.response_code(), Some(&ResponseCode::InUse));
    // A plain RFC 1939 "-ERR" to PASS is an auth failure.
    let err = c
        .login("alice", &password("good"), false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
}

#[tokio::test]
async fn server_without_capa() {
    let (io, server) = serve(vec![
        send(GREETING),
        expect("CAPA"),
        send(b"-ERR unknown command\r\n"),
        expect("USER alice"),
        send(b"+OK\r\n"),
        expect("PASS pw"),
        send(b"+OK\r\n"),
        expect("UIDL"),
        send(b"-ERR unknown command\r\n"),
        expect("TOP 1 0"),
        send(b"+OK\r\nSubject: a\r\n\r\n.\r\n"),
        expect("RETR 1"),
        send(b"+OK\r\nSubject: a\r\n\r\nbody\r\n.\r\n"),
        expect("RETR 2"),
        send(b"+OK\r\nSubject: b\r\n\r\nbody\r\n.\r\n"),
    ]);
    let mut c = Pop3Client::connect(io, Transport::Plain, opts())
        .await
        .unwrap();
    assert!(c.capabilities().is_none());
    c.login("alice", &password("pw"), true).await.unwrap();
    let err = c.uidl().await.unwrap_err();
    assert!(matches!(err, Pop3Error::Unsupported("UIDL")), "{err:?}");
    assert_eq!(c.top(1, 0).await.unwrap(), b"Subject: a\r\n\r\n");
    // Without PIPELINING the run goes one RETR at a time (the script is lockstep).
    let mut run = c.retrieve([1, 2]);
    assert_eq!(run.next().await.unwrap().unwrap().number, 1);
    assert_eq!(
        run.next().await.unwrap().unwrap().data,
        b"Subject: b\r\n\r\nbody\r\n"
    );
    assert!(run.next().await.unwrap().is_none());
    server.await.unwrap();
}

#[tokio::test]
async fn capa_without_uidl_is_unsupported_without_asking() {
    let (io, server) = serve(opening(b"+OK\r\nUSER\r\n.\r\n"));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    assert!(matches!(
        c.uidl().await,
        Err(Pop3Error::Unsupported("UIDL"))
    ));
    assert!(matches!(
        c.top(1, 0).await,
        Err(Pop3Error::Unsupported("TOP"))
    ));
    // Not fatal: the session is still usable.
    drop(c);
    assert_eq!(server.await.unwrap(), vec!["CAPA"]);
}

#[tokio::test]
async fn err_greeting_is_an_error_with_its_kind() {
    let (io, _server) = serve(vec![send(b"-ERR [SYS/TEMP] too many connections\r\n")]);
    let err = Pop3Client::connect(io, Transport::Plain, opts())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary);
}

#[tokio::test]
async fn connection_dropped_mid_retr_is_an_error_and_the_client_is_broken() {
    let (io, _server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![
            expect("RETR 1"),
            send(b"+OK 500 octets\r\nSubject: x\r\n\r\nhalf a li"),
        ],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    let err = c.retr(1).await.unwrap_err();
    assert!(matches!(err, Pop3Error::Closed), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(matches!(c.noop().await, Err(Pop3Error::Broken)));
}

#[tokio::test]
async fn connection_dropped_after_complete_lines_but_before_the_dot() {
    let (io, _server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![
            expect("RETR 1"),
            send(b"+OK\r\nSubject: x\r\n\r\nwhole line\r\n"),
        ],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    assert!(matches!(c.retr(1).await, Err(Pop3Error::Closed)));
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    let (io, _server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![
            expect("RETR 1"),
            send(b"+OK\r\nSubject: x\r\n"),
            Step::Sleep(Duration::from_secs(30)),
        ],
    ]));
    let quick = ClientOptions {
        read_timeout: Duration::from_millis(100),
        ..opts()
    };
    let mut c = Pop3Client::connect(io, Transport::Tls, quick)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = c.retr(1).await.unwrap_err();
    assert!(matches!(err, Pop3Error::Timeout(_)), "{err:?}");
    assert!(err.kind().is_retryable());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn garbage_reply_is_a_protocol_error() {
    let (io, _server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![expect("STAT"), send(b"* OK imap?\r\n")],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    let err = c.stat().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(matches!(c.stat().await, Err(Pop3Error::Broken)));
}

#[tokio::test]
async fn quit_err_means_the_update_failed() {
    let (io, _server) = serve(script(vec![
        opening(CAPS_PLAIN),
        vec![
            expect("QUIT"),
            send(b"-ERR [SYS/PERM] some messages not deleted\r\n"),
        ],
    ]));
    let c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    let err = c.quit().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn credentials_with_line_breaks_are_refused_before_sending() {
    let (io, server) = serve(opening(CAPS_PLAIN));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    let err = c
        .login("alice\r\nDELE 1", &password("x"), false)
        .await
        .unwrap_err();
    assert!(matches!(err, Pop3Error::BadCredentials));
    let err = c
        .login("alice", &password("x\r\nDELE 1"), false)
        .await
        .unwrap_err();
    assert!(matches!(err, Pop3Error::BadCredentials));
    drop(c);
    assert_eq!(server.await.unwrap(), vec!["CAPA"]);
}

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_never_reach_the_log() {
    let log = LogBuffer::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (io, server) = serve(script(vec![
        opening(b"+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n"),
        vec![
            expect("AUTH PLAIN AGFsaWNlAGh1bnRlcjI="),
            send(b"-ERR [AUTH] no\r\n"),
            expect("AUTH PLAIN AGFsaWNlAGh1bnRlcjI="),
            send(b"+OK\r\n"),
            expect("CAPA"),
            send(b"+OK\r\n.\r\n"),
            expect("USER alice"),
            send(b"+OK\r\n"),
            expect("PASS hunter2"),
            send(b"+OK\r\n"),
            expect("CAPA"),
            send(b"+OK\r\n.\r\n"),
        ],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    assert!(c.login("alice", &password("hunter2"), false).await.is_err());
    c.login("alice", &password("hunter2"), false).await.unwrap();
    // Now without SASL in CAPA: USER/PASS.
    c.login("alice", &password("hunter2"), false).await.unwrap();
    server.await.unwrap();
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("PASS ****") && log.contains("AUTH PLAIN ****"),
        "{log}"
    );
    assert!(
        !log.contains("hunter2") && !log.contains("AGFsaWNlAGh1bnRlcjI="),
        "{log}"
    );
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn redaction() {
    assert_eq!(client::redact(b"PASS secret\r\n"), "PASS ****");
    assert_eq!(client::redact(b"pass secret\r\n"), "PASS ****");
    assert_eq!(
        client::redact(b"AUTH PLAIN AGFAYg==\r\n"),
        "AUTH PLAIN ****"
    );
    assert_eq!(client::redact(b"AGFAYg==\r\n"), "****");
    assert_eq!(client::redact(b"RETR 1\r\nRETR 2\r\n"), "RETR 1 | RETR 2");
    assert_eq!(client::redact(b"USER alice\r\n"), "USER alice");
}

/// The engine spawns its sync as a task: every future of the client must be `Send`.
#[allow(dead_code)]
fn futures_are_send(c: &mut Pop3Client<tokio::io::DuplexStream>, pw: &secrecy::SecretString) {
    fn send<T: Send>(_: T) {}
    send(c.login("u", pw, false));
    send(c.uidl());
    send(c.retr(1));
    send(c.retrieve([1, 2]).next());
}

#[allow(dead_code)]
fn consuming_futures_are_send(c: Pop3Client<tokio::io::DuplexStream>) {
    fn send<T: Send>(_: T) {}
    send(Pop3Client::connect(
        tokio::io::duplex(1).0,
        Transport::Tls,
        ClientOptions::default(),
    ));
    send(c.stls());
}
