//! POP3 OAuth2 login against the scripted server: the exact AUTH line, the error challenge
//! answered with `^A` and decoded, and a server that offers neither mechanism.

use base64::Engine as _;

use super::fake_server::*;
use super::*;
use crate::error::ErrorKind;

const CAPS_XOAUTH2: &[u8] = b"+OK\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\nRESP-CODES\r\n.\r\n";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn xoauth2_error_challenge_is_answered_and_decoded() {
    let initial = b64("user=alice\x01auth=Bearer tok-SECRET\x01\x01");
    let challenge = b64(r#"{"status":"invalid_token","scope":"mail"}"#);
    let (io, server) = serve(script(vec![
        opening(CAPS_XOAUTH2),
        vec![
            expect(&format!("AUTH XOAUTH2 {initial}")),
            send(format!("+ {challenge}\r\n").as_bytes()),
            expect("AQ=="),
            send(b"-ERR [AUTH] Authentication failed.\r\n"),
        ],
    ]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    let err = c
        .login_bearer("alice", &password("tok-SECRET"), "h", 995, false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("Authentication failed. (OAuth2 error: invalid_token (scope \"mail\"))"),
        "{text}"
    );
    assert!(!text.contains("tok-SECRET"), "{text}");
    server.await.unwrap();
}

#[tokio::test]
async fn neither_mechanism_is_an_auth_error_naming_what_is_offered() {
    let (io, server) = serve(script(vec![opening(
        b"+OK\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n",
    )]));
    let mut c = Pop3Client::connect(io, Transport::Tls, opts())
        .await
        .unwrap();
    let err = c
        .login_bearer("alice", &password("tok"), "h", 995, false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("it offers PLAIN, LOGIN"), "{err}");
    // Nothing was sent after CAPA.
    assert_eq!(server.await.unwrap().len(), 1);
}
