//! SMTP OAuth2 login against a scripted loopback server: what Postfix will not do (a server
//! offering only XOAUTH2, a garbled error challenge, neither mechanism).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

use super::super::{SmtpError, Submission};
use crate::config::TlsMode;
use crate::error::ErrorKind;

/// Serves one connection offering `auth` in EHLO; AUTH gets a garbled 334, `AQ==` a 535.
async fn server(auth: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let mut stream = BufReader::new(stream);
        let _ = stream.write_all(b"220 fake ESMTP\r\n").await;
        let mut line = String::new();
        loop {
            line.clear();
            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end().to_owned();
            log.lock().expect("lock").push(line.clone());
            let reply = if line.starts_with("EHLO") {
                format!("250-fake\r\n250 AUTH {auth}\r\n")
            } else if line.starts_with("AUTH ") {
                "334 !!not base64!!\r\n".to_owned()
            } else if line == "AQ==" {
                "535 5.7.8 Error: authentication failed\r\n".to_owned()
            } else {
                "502 5.5.2 unknown\r\n".to_owned()
            };
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    (port, seen)
}

fn submission(port: u16) -> Submission {
    Submission {
        host: "127.0.0.1".into(),
        port,
        tls: TlsMode::None,
        allow_plaintext: true,
        ca_file: None,
        user: "alice".into(),
        password: SecretString::from("tok-SECRET"),
        bearer: true,
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn xoauth2_alone_is_used_and_a_garbled_challenge_is_a_clean_refusal() {
    let (port, seen) = server("PLAIN XOAUTH2").await;
    let err = submission(port).connect().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(matches!(err, SmtpError::AuthRefused { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("535 5.7.8 Error: authentication failed (OAuth2 error: an unreadable OAuth2 error reply)"),
        "{text}"
    );
    assert!(!text.contains("tok-SECRET"), "{text}");
    let lines = seen.lock().expect("lock").clone();
    // EHLO twice (lettre keeps only the mechanisms it knows), AUTH, ^A, then QUIT.
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines[2].starts_with("AUTH XOAUTH2 "), "{lines:?}");
    assert_eq!(lines[3], "AQ==");
    assert_eq!(lines[4], "QUIT");
}

#[tokio::test]
async fn neither_mechanism_names_what_the_server_offers() {
    let (port, seen) = server("PLAIN LOGIN").await;
    let err = submission(port).connect().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("it offers PLAIN, LOGIN"), "{err}");
    let lines = seen.lock().expect("lock").clone();
    assert!(!lines.iter().any(|l| l.starts_with("AUTH")), "{lines:?}");
}
