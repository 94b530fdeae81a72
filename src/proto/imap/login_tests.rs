//! The session against a scripted server over an in-memory stream: the fail-closed rules that
//! a real Dovecot on loopback cannot show (it treats 127.0.0.1 as secure).

use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

use super::*;
use crate::error::ErrorKind;
use crate::proto::imap::BodyOptions;

/// Serves `greeting`, then answers each command line with `reply(tag, command)`; returns
/// everything the client sent.
fn fake_server(
    greeting: &'static str,
    reply: fn(&str, &str) -> String,
) -> (DuplexStream, Arc<Mutex<Vec<u8>>>) {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let (r, mut w) = tokio::io::split(server);
        let mut r = BufReader::new(r);
        w.write_all(greeting.as_bytes()).await.unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                break;
            }
            log.lock().unwrap().extend_from_slice(line.as_bytes());
            let trimmed = line.trim_end();
            let (tag, command) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
            let out = reply(tag, command);
            // A reply ending in CLOSE is written without it, then the connection is dropped.
            let (out, close) = match out.strip_suffix("CLOSE") {
                Some(rest) => (rest.to_owned(), true),
                None => (out, false),
            };
            if w.write_all(out.as_bytes()).await.is_err() || close {
                break;
            }
        }
    });
    (client, seen)
}

fn server(tls: TlsMode, allow_plaintext: bool) -> Server {
    Server {
        host: "imap.x.test".into(),
        port: 143,
        tls,
        allow_plaintext,
        ca_file: None,
        oauth2: None,
        user: "alice".into(),
        password_command: None,
        auth: Default::default(),
        oauth2_token_command: None,
    }
}

async fn establish(
    stream: DuplexStream,
    server: &Server,
) -> Result<ImapSession<MaybeTlsStream<DuplexStream>>, ImapError> {
    let password = SecretString::from("hunter2-secret");
    let login = Login {
        user: "alice",
        password: &password,
        bearer: false,
    };
    let connector = TlsConnector::new(None).unwrap();
    ImapSession::establish(
        MaybeTlsStream::Plain(stream),
        server,
        &connector,
        &login,
        SessionOptions::default(),
    )
    .await
}

fn sent(seen: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&seen.lock().unwrap()).into_owned()
}

#[tokio::test]
async fn missing_starttls_is_refused_before_any_credentials() {
    let (stream, seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
        |tag, cmd| match cmd {
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"),
            _ => format!("{tag} OK whatever\r\n"),
        },
    );
    let err = establish(stream, &server(TlsMode::StartTls, false))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
    let sent = sent(&seen);
    assert!(
        !sent.contains("AUTHENTICATE") && !sent.contains("LOGIN"),
        "{sent}"
    );
    assert!(!sent.contains("hunter2"), "{sent}");
}

#[tokio::test]
async fn no_password_on_a_plain_stream_without_allow_plaintext() {
    let (stream, seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
        |tag, _| format!("{tag} OK whatever\r\n"),
    );
    let err = establish(stream, &server(TlsMode::None, false))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    let sent = sent(&seen);
    assert!(sent.is_empty(), "nothing may be sent: {sent}");
}

#[tokio::test]
async fn plaintext_login_prefers_authenticate_plain_when_allowed() {
    let (stream, seen) = fake_server("* OK ready\r\n", |tag, cmd| match cmd {
        "CAPABILITY" => {
            format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN IDLE\r\n{tag} OK done\r\n")
        }
        "AUTHENTICATE PLAIN" => "+ \r\n".to_owned(),
        // The base64 SASL response arrives as an untagged line.
        _ if tag == "AGFsaWNlAGh1bnRlcjItc2VjcmV0" => "A0001 OK Logged in\r\n".to_owned(),
        _ => format!("{tag} OK fine\r\n"),
    });
    let session = establish(stream, &server(TlsMode::None, true))
        .await
        .unwrap();
    assert!(session.capabilities().idle);
    let sent = sent(&seen);
    assert!(sent.contains("AUTHENTICATE PLAIN"), "{sent}");
    assert!(!sent.contains("LOGIN "), "{sent}");
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_naming_the_server() {
    let (stream, _seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
        |tag, cmd| match cmd {
            "AUTHENTICATE PLAIN" => "+ \r\n".to_owned(),
            "" => "A0001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n".to_owned(),
            _ => format!("{tag} OK fine\r\n"),
        },
    );
    let err = establish(stream, &server(TlsMode::None, true))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    let text = err.to_string();
    assert!(text.contains("imap.x.test:143"), "{text}");
    assert!(text.contains("Authentication failed."), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn unparsable_response_is_a_network_error_not_a_panic() {
    let (stream, _seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
        |tag, cmd| match cmd {
            "AUTHENTICATE PLAIN" => "+ \r\n".to_owned(),
            "" => "A0001 OK Logged in\r\n".to_owned(),
            "CAPABILITY" => {
                format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n")
            }
            _ => "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n)))garbage(((\r\n".to_owned(),
        },
    );
    let mut session = establish(stream, &server(TlsMode::None, true))
        .await
        .unwrap();
    let err = session.noop().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(!session.is_usable());
    let again = session.noop().await.unwrap_err();
    assert!(matches!(again, ImapError::Broken { .. }), "{again}");
}

/// Regression (fuzz/imap_codec, crash-fdbd3092): imap-proto unwraps a NIL INTERNALDATE and
/// panics; a server sending one must break the session with a network error, not the process.
#[tokio::test]
async fn a_response_that_panics_the_parser_breaks_the_session_not_the_process() {
    let (stream, _seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
        |tag, cmd| match cmd {
            "AUTHENTICATE PLAIN" => "+ \r\n".to_owned(),
            "" => "A0001 OK Logged in\r\n".to_owned(),
            "CAPABILITY" => {
                format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n")
            }
            _ => format!("* 12 FETCH (UID 4242 INTERNALDATE NIL)\r\n{tag} OK done\r\n"),
        },
    );
    let mut session = establish(stream, &server(TlsMode::None, true))
        .await
        .unwrap();
    let err = session.noop().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.to_string().contains("cannot be parsed"), "{err}");
    assert!(!session.is_usable());

    // The same response before the login (in place of the greeting's follow-up).
    let (stream, _seen) = fake_server("* 1 FETCH (INTERNALDATE NIL)\r\n", |_, _| String::new());
    let err = establish(stream, &server(TlsMode::None, true))
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
}

/// base64("\0alice\0hunter2-secret"): the SASL PLAIN response line.
const SASL_PLAIN: &str = "AGFsaWNlAGh1bnRlcjItc2VjcmV0";

fn logged_in_reply(tag: &str, cmd: &str) -> Option<String> {
    Some(match cmd {
        "AUTHENTICATE PLAIN" => "+ \r\n".to_owned(),
        _ if tag == SASL_PLAIN => "A0001 OK Logged in\r\n".to_owned(),
        "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN UIDPLUS\r\n{tag} OK done\r\n"),
        _ if cmd.starts_with("SELECT") => format!(
            "* 3 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 4] n\r\n{tag} OK [READ-WRITE] ok\r\n"
        ),
        _ => return None,
    })
}

#[tokio::test]
async fn connection_cut_mid_fetch_is_a_network_error() {
    let (stream, _seen) = fake_server("* OK ready\r\n", |tag, cmd| {
        logged_in_reply(tag, cmd).unwrap_or_else(|| {
            "* 1 FETCH (UID 1 FLAGS () BODY[] {100}\r\nonly part of the messCLOSE".to_owned()
        })
    });
    let mut session = establish(stream, &server(TlsMode::None, true))
        .await
        .unwrap();
    let sel = session.select("INBOX").await.unwrap();
    assert_eq!((sel.uid_validity, sel.uid_next, sel.exists), (7, 4, 3));
    let mut bodies = session
        .fetch_bodies(1..=u32::MAX, &BodyOptions::default())
        .unwrap();
    let err = bodies.next().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    drop(bodies);
    assert!(!session.is_usable());
}

#[tokio::test]
async fn a_tagged_no_keeps_the_session_usable() {
    let (stream, _seen) = fake_server("* OK ready\r\n", |tag, cmd| {
        logged_in_reply(tag, cmd).unwrap_or_else(|| match cmd {
            "NOOP" => format!("{tag} OK noop\r\n"),
            _ => format!("{tag} NO [INUSE] mailbox locked, try later\r\n"),
        })
    });
    let mut session = establish(stream, &server(TlsMode::None, true))
        .await
        .unwrap();
    let err = session.create_folder("X").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary, "{err}");
    assert!(err.to_string().contains("CREATE"), "{err}");
    assert!(session.is_usable());
    session.noop().await.unwrap();
}

#[tokio::test]
async fn login_is_used_when_auth_plain_is_absent_and_masked_in_the_trace() {
    let (stream, seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 AUTH=CRAM-MD5] ready\r\n",
        |tag, cmd| match cmd {
            _ if cmd.starts_with("LOGIN ") => format!("{tag} OK logged in\r\n"),
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
            _ => format!("{tag} BAD what\r\n"),
        },
    );
    let trace = Trace::new();
    let password = SecretString::from("hunter2-secret");
    let login = Login {
        user: "alice",
        password: &password,
        bearer: false,
    };
    let session = ImapSession::establish(
        MaybeTlsStream::Plain(stream),
        &server(TlsMode::None, true),
        &TlsConnector::new(None).unwrap(),
        &login,
        SessionOptions {
            trace: Some(trace.clone()),
            io_timeout: None,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(session.is_usable());
    assert!(sent(&seen).contains("LOGIN \"alice\" \"hunter2-secret\""));
    assert!(
        trace.commands().contains(&"LOGIN ***".to_owned()),
        "{:?}",
        trace.commands()
    );
    assert!(!trace.contains("hunter2"));
}

#[tokio::test]
async fn login_disabled_without_auth_plain_is_refused() {
    let (stream, seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] ready\r\n",
        |tag, _| format!("{tag} BAD no\r\n"),
    );
    let err = establish(stream, &server(TlsMode::None, true))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(!sent(&seen).contains("hunter2"));
}

#[tokio::test]
async fn append_waits_for_the_continuation_without_literal_plus() {
    let (stream, seen) = fake_server("* OK ready\r\n", |tag, cmd| {
        logged_in_reply(tag, cmd).unwrap_or_else(|| {
            if cmd.starts_with("APPEND") {
                assert!(cmd.ends_with("{18}"), "synchronizing literal: {cmd}");
                "+ go ahead\r\n".to_owned()
            } else if tag == "hi" {
                "A0003 OK [APPENDUID 9 77] done\r\n".to_owned()
            } else {
                String::new()
            }
        })
    });
    let mut session = establish(stream, &server(TlsMode::None, true))
        .await
        .unwrap();
    assert!(!session.capabilities().literal_plus);
    let uid = session
        .append(
            "Sent",
            &["\\Seen".into()],
            None,
            b"Subject: x\r\n\r\nhi\r\n",
        )
        .await
        .unwrap();
    assert_eq!(
        uid,
        Some(crate::proto::imap::AppendUid {
            uid_validity: 9,
            uid: 77
        })
    );
    assert!(sent(&seen).contains("APPEND \"Sent\" (\\Seen) {18}\r\nSubject: x\r\n\r\nhi\r\n"));
}

/// Logs in over a duplex stream, then hands the server side to `serve` for the rest.
async fn session_with(
    io_timeout: std::time::Duration,
    serve: impl FnOnce(
        BufReader<tokio::io::ReadHalf<DuplexStream>>,
        tokio::io::WriteHalf<DuplexStream>,
    ) -> tokio::task::JoinHandle<()>,
) -> ImapSession<MaybeTlsStream<DuplexStream>> {
    let (client, server_side) = tokio::io::duplex(64 * 1024);
    let (r, mut w) = tokio::io::split(server_side);
    let mut r = BufReader::new(r);
    let login = tokio::spawn(async move {
        w.write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
            .await
            .unwrap();
        let mut line = String::new();
        r.read_line(&mut line).await.unwrap(); // AUTHENTICATE PLAIN
        w.write_all(b"+ \r\n").await.unwrap();
        line.clear();
        r.read_line(&mut line).await.unwrap(); // SASL response
        w.write_all(b"A0001 OK Logged in\r\n").await.unwrap();
        line.clear();
        r.read_line(&mut line).await.unwrap(); // CAPABILITY
        w.write_all(b"* CAPABILITY IMAP4rev1\r\nA0002 OK done\r\n")
            .await
            .unwrap();
        line.clear();
        r.read_line(&mut line).await.unwrap(); // SELECT
        w.write_all(
            b"* 1 EXISTS\r\n* OK [UIDVALIDITY 3] v\r\n* OK [UIDNEXT 2] n\r\nA0003 OK sel\r\n",
        )
        .await
        .unwrap();
        (r, w)
    });
    let password = SecretString::from("hunter2-secret");
    let mut session = ImapSession::establish(
        MaybeTlsStream::Plain(client),
        &server(TlsMode::None, true),
        &TlsConnector::new(None).unwrap(),
        &Login {
            user: "alice",
            password: &password,
            bearer: false,
        },
        SessionOptions {
            trace: None,
            io_timeout: Some(io_timeout),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    session.select("INBOX").await.unwrap();
    let (r, w) = login.await.unwrap();
    serve(r, w);
    session
}

#[tokio::test]
async fn a_slow_but_steady_response_is_not_a_timeout_and_silence_is() {
    use std::time::Duration;
    let timeout = Duration::from_millis(300);
    // 1 s for one response, a chunk every 100 ms: longer than the timeout, never silent.
    let mut session = session_with(timeout, |mut r, mut w| {
        tokio::spawn(async move {
            let mut line = String::new();
            r.read_line(&mut line).await.unwrap();
            w.write_all(b"* 1 FETCH (UID 1 BODY[] {10}\r\n")
                .await
                .unwrap();
            for b in b"0123456789" {
                tokio::time::sleep(Duration::from_millis(100)).await;
                w.write_all(&[*b]).await.unwrap();
            }
            w.write_all(b")\r\nA0004 OK done\r\n").await.unwrap();
            // Then silence for the next command.
            line.clear();
            r.read_line(&mut line).await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
        })
    })
    .await;
    let body = session.fetch_body(1).await.unwrap().unwrap();
    assert_eq!(body, b"0123456789");
    let started = std::time::Instant::now();
    let err = session.noop().await.unwrap_err();
    assert!(matches!(err, ImapError::Timeout { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!session.is_usable());
}

#[tokio::test]
async fn without_uidnext_one_open_ended_fetch_is_sent_and_lower_uids_dropped() {
    let (stream, seen) = fake_server("* OK ready\r\n", |tag, cmd| {
        if cmd.starts_with("SELECT") {
            return format!("* 3 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n{tag} OK sel\r\n");
        }
        logged_in_reply(tag, cmd).unwrap_or_else(|| {
            // `5:*` with no UID >= 5 still returns the last message (UID 3).
            format!(
                "* 3 FETCH (UID 3 FLAGS () ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n{tag} OK f\r\n"
            )
        })
    });
    let mut session = establish(stream, &server(TlsMode::None, true))
        .await
        .unwrap();
    assert_eq!(session.select("INBOX").await.unwrap().uid_next, 0);
    let options = crate::proto::imap::EnvelopeOptions::default();
    let mut env = session.fetch_envelopes(5..=u32::MAX, &options).unwrap();
    assert_eq!(env.next().await.unwrap(), None);
    drop(env);
    let sent = sent(&seen);
    assert_eq!(sent.matches("UID FETCH").count(), 1, "{sent}");
    assert!(sent.contains("UID FETCH 5:* (UID FLAGS"), "{sent}");
}

#[path = "login_bearer_tests.rs"]
mod bearer;
