//! OAuth2 logins (OAUTHBEARER, XOAUTH2) against the scripted server: what Dovecot will not
//! do (no SASL-IR, a garbled challenge, neither mechanism), and the exact lines sent.

use base64::Engine as _;

use super::*;

async fn establish_bearer(
    stream: DuplexStream,
) -> Result<ImapSession<MaybeTlsStream<DuplexStream>>, ImapError> {
    establish_bearer_traced(stream, None).await
}

async fn establish_bearer_traced(
    stream: DuplexStream,
    trace: Option<Trace>,
) -> Result<ImapSession<MaybeTlsStream<DuplexStream>>, ImapError> {
    let token = SecretString::from("tok-SECRET-123");
    let login = Login {
        user: "alice",
        password: &token,
        bearer: true,
    };
    let connector = TlsConnector::new(None).unwrap();
    ImapSession::establish(
        MaybeTlsStream::Plain(stream),
        &server(TlsMode::None, true),
        &connector,
        &login,
        SessionOptions {
            trace,
            ..SessionOptions::default()
        },
    )
    .await
}

#[tokio::test]
async fn bearer_without_sasl_ir_answers_the_json_error_and_decodes_it() {
    // XOAUTH2 only, no SASL-IR: the initial response goes after the empty continuation; the
    // server's JSON error challenge is answered with ^A and shows up decoded.
    let (stream, seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready\r\n",
        |tag, cmd| match (tag, cmd) {
            ("A0001", "AUTHENTICATE XOAUTH2") => "+ \r\n".to_owned(),
            ("AQ==", _) => "A0001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n".to_owned(),
            // {"status":"invalid_token","scope":"mail"}
            (_, "") => "+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJtYWlsIn0=\r\n".to_owned(),
            _ => format!("{tag} BAD unexpected\r\n"),
        },
    );
    let err = establish_bearer(stream).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("Authentication failed. (OAuth2 error: invalid_token (scope \"mail\"))"),
        "{text}"
    );
    assert!(!text.contains("tok-SECRET"), "{text}");
    let sent = sent(&seen);
    let initial = base64::engine::general_purpose::STANDARD
        .encode("user=alice\x01auth=Bearer tok-SECRET-123\x01\x01");
    assert_eq!(
        sent,
        format!("A0001 AUTHENTICATE XOAUTH2\r\n{initial}\r\nAQ==\r\n"),
        "{sent}"
    );
}

#[tokio::test]
async fn bearer_with_sasl_ir_sends_the_initial_response_on_the_command_line() {
    let (stream, seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] ready\r\n",
        |tag, cmd| match cmd {
            c if c.starts_with("AUTHENTICATE OAUTHBEARER ") => {
                format!("{tag} OK [CAPABILITY IMAP4rev1] Logged in\r\n")
            }
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
            _ => format!("{tag} BAD unexpected\r\n"),
        },
    );
    let trace = Trace::new();
    establish_bearer_traced(stream, Some(trace.clone()))
        .await
        .expect("logged in");
    assert_eq!(trace.commands()[0], "AUTHENTICATE OAUTHBEARER ***");
    assert!(!trace.commands().iter().any(|c| c.contains("SECRET")));
    let sent = sent(&seen);
    let initial = base64::engine::general_purpose::STANDARD
        .encode("n,a=alice,\x01host=imap.x.test\x01port=143\x01auth=Bearer tok-SECRET-123\x01\x01");
    assert!(
        sent.starts_with(&format!("A0001 AUTHENTICATE OAUTHBEARER {initial}\r\n")),
        "{sent}"
    );
}

#[tokio::test]
async fn bearer_with_a_garbled_error_challenge_fails_cleanly() {
    let (stream, _) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n",
        |tag, cmd| match (tag, cmd) {
            ("A0001", _) => "+ !!not base64!!\r\n".to_owned(),
            _ => "A0001 NO failed\r\n".to_owned(),
        },
    );
    let err = establish_bearer(stream).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(
        err.to_string().contains("unreadable OAuth2 error reply"),
        "{err}"
    );
}

#[tokio::test]
async fn bearer_without_either_mechanism_names_what_the_server_offers() {
    let (stream, seen) = fake_server(
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN] ready\r\n",
        |tag, _| format!("{tag} OK whatever\r\n"),
    );
    let err = establish_bearer(stream).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("OAUTHBEARER or AUTH=XOAUTH2, and it offers PLAIN, LOGIN"),
        "{text}"
    );
    assert!(!sent(&seen).contains("AUTHENTICATE"));
}
