//! The test identity provider (`scripts/test-idp`) and Dovecot's oauth2 passdb, driven over raw
//! protocol lines (no postie code): the loop the OAuth2 tests of postie stand on. IdP flows
//! (authorization code with PKCE, refresh with rotation, device grant, revocation) and the
//! servers' answers to XOAUTH2 / OAUTHBEARER over IMAP, POP3 and Postfix submission.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use support::idp::{Idp, form_encode};
use support::wire::LineConn;
use support::{TestUser, new_user, servers};

fn xoauth2(user: &TestUser, token: &str) -> String {
    B64.encode(format!(
        "user={}\x01auth=Bearer {token}\x01\x01",
        user.login
    ))
}

fn oauthbearer(user: &TestUser, port: u16, token: &str) -> String {
    B64.encode(format!(
        "n,a={},\x01host=127.0.0.1\x01port={port}\x01auth=Bearer {token}\x01\x01",
        user.login
    ))
}

/// AUTHENTICATE over plain IMAP (loopback counts as secure for Dovecot). Returns the tagged
/// status and, on a failure, the decoded error challenge.
async fn imap_auth(mechanism: &str, initial: &str) -> (String, Option<String>) {
    let s = servers();
    let mut conn = LineConn::new(s.connect(s.ports.imap).await);
    let greeting = conn.read_line().await;
    assert!(greeting.contains("AUTH=XOAUTH2"), "{greeting}");
    assert!(greeting.contains("AUTH=OAUTHBEARER"), "{greeting}");
    conn.send(&format!("A AUTHENTICATE {mechanism} {initial}"))
        .await;
    let line = conn.read_line().await;
    if let Some(challenge) = line.strip_prefix("+ ") {
        let json = String::from_utf8(B64.decode(challenge).expect("base64 challenge"))
            .expect("UTF-8 challenge");
        conn.send("AQ==").await;
        let status = conn.read_line().await;
        return (status, Some(json));
    }
    (line, None)
}

#[tokio::test]
async fn dovecot_imap_accepts_issued_tokens_with_both_mechanisms() {
    let user = new_user("idp-imap");
    let idp = servers().idp();
    let token = idp.issue(&user.login, None).access_token;
    let (status, _) = imap_auth("XOAUTH2", &xoauth2(&user, &token)).await;
    assert!(status.starts_with("A OK"), "{status}");
    let port = servers().ports.imap;
    let (status, _) = imap_auth("OAUTHBEARER", &oauthbearer(&user, port, &token)).await;
    assert!(status.starts_with("A OK"), "{status}");
    assert_eq!(idp.stats(&user.login).introspect, 2);
}

#[tokio::test]
async fn dovecot_refuses_revoked_expired_and_foreign_tokens_with_a_json_challenge() {
    let user = new_user("idp-refuse");
    let other = new_user("idp-other");
    let idp = servers().idp();
    let port = servers().ports.imap;

    let revoked = idp.issue(&user.login, None).access_token;
    idp.revoke(&user.login);
    let (status, json) = imap_auth("OAUTHBEARER", &oauthbearer(&user, port, &revoked)).await;
    assert!(status.starts_with("A NO"), "{status}");
    let json = json.expect("an error challenge");
    assert!(json.contains("\"status\":\"invalid_token\""), "{json}");
    assert!(json.contains("openid-configuration"), "{json}");

    let expired = idp.issue(&user.login, Some(0)).access_token;
    let (status, json) = imap_auth("XOAUTH2", &xoauth2(&user, &expired)).await;
    assert!(status.starts_with("A NO"), "{status}");
    assert!(json.expect("an error challenge").contains("\"status\""));

    // A good token of another user does not log this one in.
    let foreign = idp.issue(&other.login, None).access_token;
    let (status, _) = imap_auth("XOAUTH2", &xoauth2(&user, &foreign)).await;
    assert!(status.starts_with("A NO"), "{status}");
}

#[tokio::test]
async fn dovecot_pop3_and_postfix_submission_accept_tokens() {
    let user = new_user("idp-pop-smtp");
    let s = servers();
    let token = s.idp().issue(&user.login, None).access_token;

    let mut pop = LineConn::new(s.connect(s.ports.pop3).await);
    assert!(pop.read_line().await.starts_with("+OK"));
    pop.send(&format!("AUTH XOAUTH2 {}", xoauth2(&user, &token)))
        .await;
    let reply = pop.read_line().await;
    assert!(reply.starts_with("+OK"), "{reply}");

    let mut plain = LineConn::new(s.connect(s.ports.submission).await);
    assert_eq!(plain.smtp_reply().await.0, 220);
    assert_eq!(plain.smtp("EHLO postie-test").await.0, 250);
    assert_eq!(plain.smtp("STARTTLS").await.0, 220);
    let mut conn = LineConn::new(s.tls_upgrade(plain.into_inner()).await);
    let (code, lines) = conn.smtp("EHLO postie-test").await;
    assert_eq!(code, 250);
    let auth = lines
        .iter()
        .find(|l| l.starts_with("AUTH "))
        .expect("AUTH offered");
    assert!(
        auth.contains("XOAUTH2") && auth.contains("OAUTHBEARER"),
        "{auth}"
    );
    let bad = oauthbearer(&user, s.ports.submission, "not-a-token");
    let (code, lines) = conn.smtp(&format!("AUTH OAUTHBEARER {bad}")).await;
    assert_eq!(code, 334, "{lines:?}");
    let json = String::from_utf8(B64.decode(&lines[0]).expect("base64")).expect("UTF-8");
    assert!(json.contains("invalid_token"), "{json}");
    assert_eq!(conn.smtp("AQ==").await.0, 535);
    let good = oauthbearer(&user, s.ports.submission, &token);
    let (code, lines) = conn.smtp(&format!("AUTH OAUTHBEARER {good}")).await;
    assert_eq!(code, 235, "{lines:?}");
}

fn authorize(idp: &Idp, user: &str, challenge: &str) -> String {
    let redirect = "http://127.0.0.1:9/callback";
    let reply = idp.get(&format!(
        "/authorize?response_type=code&client_id=postie&redirect_uri={}&state=xyz&code_challenge={challenge}&code_challenge_method=S256&scope=mail&login_hint={}",
        form_encode(redirect),
        form_encode(user)
    ));
    assert_eq!(reply.status, 302, "{}", reply.body);
    let location = reply.header("location").expect("a Location").to_string();
    assert!(location.starts_with(redirect), "{location}");
    assert!(location.contains("state=xyz"), "{location}");
    location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .expect("a code")
        .to_string()
}

#[test]
fn idp_code_flow_checks_pkce_and_rotates_refresh_tokens() {
    use sha2::Digest as _;
    let user = format!("code-flow-{}@example.test", std::process::id());
    let idp = servers().idp();
    idp.set_user(&user, 60, true);
    let verifier = "a-verifier-that-is-long-enough-for-rfc7636-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));

    let code = authorize(&idp, &user, &challenge);
    let wrong = idp.post(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("code_verifier", "wrong"),
        ],
    );
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.json()["error"], "invalid_grant");

    let code = authorize(&idp, &user, &challenge);
    let ok = idp.post(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("code_verifier", verifier),
            ("client_id", "postie"),
        ],
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let tokens = ok.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 60);
    let first = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();

    let refreshed = idp.post(
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &first)],
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let second = refreshed.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    assert_ne!(first, second, "rotate=1 gives a new refresh token");
    let stale = idp.post(
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &first)],
    );
    assert_eq!(stale.json()["error"], "invalid_grant");

    let stats = idp.stats(&user);
    assert_eq!(
        (stats.authorize, stats.token, stats.refresh),
        (2, 4, 2),
        "{stats:?}"
    );
}

#[test]
fn idp_device_flow_is_pending_until_approved() {
    let user = format!("device-flow-{}@example.test", std::process::id());
    let idp = servers().idp();
    let device = idp
        .post("/device", &[("client_id", "postie"), ("scope", "mail")])
        .json();
    let device_code = device["device_code"].as_str().expect("device_code");
    let user_code = device["user_code"].as_str().expect("user_code");
    assert_eq!(device["interval"], 1);
    let poll = || {
        idp.post(
            "/token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", device_code),
            ],
        )
    };
    let pending = poll();
    assert_eq!(pending.status, 400);
    assert_eq!(pending.json()["error"], "authorization_pending");
    idp.approve(user_code, &user);
    let done = poll();
    assert_eq!(done.status, 200, "{}", done.body);
    let access = done.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let active = idp.post("/introspect", &[("token", &access)]).json();
    assert_eq!(active["active"], true);
    assert_eq!(active["username"], user.as_str());
    idp.revoke(&user);
    let dead = idp.post("/introspect", &[("token", &access)]).json();
    assert_eq!(dead["active"], false);
    assert_eq!(idp.stats(&user).device, 1);
}
