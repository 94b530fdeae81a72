//! The OAuth2 SASL mechanisms shared by IMAP, POP3 and SMTP: OAUTHBEARER (RFC 7628) and
//! Google's XOAUTH2, which providers still offer alone.
//!
//! Owns: choosing a mechanism from what a server advertises (OAUTHBEARER first, then XOAUTH2),
//! the client's initial response, the dummy response that ends a failed exchange, and turning
//! the server's JSON error challenge (RFC 7628 §3.2.2) into one line for an error message.
//!
//! What must hold: an initial response holds the access token, so it lives only in a
//! [`BearerResponse`] (no Debug, no Display) and is sent, never logged; the decoded error line
//! is built only from the server's JSON fields (it never echoes our token) and is one line of
//! printable text whatever the server sent.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::{ExposeSecret as _, SecretString};

/// One of the two bearer-token mechanisms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerMechanism {
    /// RFC 7628: `n,a=USER,^Ahost=H^Aport=P^Aauth=Bearer TOKEN^A^A`.
    OAuthBearer,
    /// Google's (also Microsoft's): `user=USER^Aauth=Bearer TOKEN^A^A`.
    XOAuth2,
}

/// The environment variable that restricts the choice to one mechanism (`OAUTHBEARER` or
/// `XOAUTH2`): for a server that advertises a mechanism it mishandles, and for tests.
pub const MECHANISM_ENV: &str = "POSTIE_SASL_MECHANISM";

/// The response that ends an exchange after the server's error challenge (RFC 7628 §3.2.3:
/// a single ^A); the server then sends its final failure.
pub const ABORT_RESPONSE: &[u8] = b"\x01";

impl BearerMechanism {
    /// The mechanism's SASL name.
    pub fn name(self) -> &'static str {
        match self {
            BearerMechanism::OAuthBearer => "OAUTHBEARER",
            BearerMechanism::XOAuth2 => "XOAUTH2",
        }
    }

    /// The first of OAUTHBEARER, XOAUTH2 that `offered` says the server advertises, limited
    /// to the one named by [`MECHANISM_ENV`] when that is set.
    pub fn choose(offered: impl Fn(&str) -> bool) -> Option<BearerMechanism> {
        let forced = std::env::var(MECHANISM_ENV).ok();
        Self::choose_among(offered, forced.as_deref())
    }

    fn choose_among(offered: impl Fn(&str) -> bool, forced: Option<&str>) -> Option<Self> {
        [BearerMechanism::OAuthBearer, BearerMechanism::XOAuth2]
            .into_iter()
            .filter(|m| forced.is_none_or(|f| f.trim().eq_ignore_ascii_case(m.name())))
            .find(|m| offered(m.name()))
    }

    /// The client's initial response, base64-encoded as every protocol sends it.
    pub fn initial_response(
        self,
        user: &str,
        host: &str,
        port: u16,
        token: &SecretString,
    ) -> BearerResponse {
        let token = token.expose_secret();
        let raw = match self {
            BearerMechanism::OAuthBearer => format!(
                "n,a={},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01",
                gs2_escape(user)
            ),
            BearerMechanism::XOAuth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
        };
        BearerResponse(SecretString::from(B64.encode(raw)))
    }
}

/// A base64 initial response: holds the token, so it has no Debug or Display.
pub struct BearerResponse(SecretString);

impl BearerResponse {
    /// The base64 text to send.
    pub fn base64(&self) -> &str {
        self.0.expose_secret()
    }
}

/// RFC 5801 saslname: ',' and '=' in the authorization identity are escaped.
fn gs2_escape(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// The server's error challenge (already base64-decoded) as one line, e.g.
/// `invalid_token (scope "mail")`. Anything that is not the JSON object RFC 7628 describes
/// gives a fixed text rather than the server's bytes.
pub fn describe_error_challenge(challenge: &[u8]) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(challenge) else {
        return "an unreadable OAuth2 error reply".to_owned();
    };
    let text = |key: &str| -> Option<String> {
        match fields.get(key)? {
            serde_json::Value::String(s) => Some(printable(s)),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let status = match text("status").as_deref() {
        Some("401") => "401 (the token was refused)".to_owned(),
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => "no status".to_owned(),
    };
    match text("scope") {
        Some(scope) if !scope.is_empty() => format!("{status} (scope \"{scope}\")"),
        _ => status,
    }
}

/// The base64 challenge text as sent on the wire, decoded and described.
pub fn describe_error_challenge_base64(challenge: &str) -> String {
    match B64.decode(challenge.trim()) {
        Ok(bytes) => describe_error_challenge(&bytes),
        Err(_) => "an unreadable OAuth2 error reply".to_owned(),
    }
}

/// At most 200 printable characters: a server's text must not break the one-line error.
fn printable(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(r: &BearerResponse) -> String {
        String::from_utf8(B64.decode(r.base64()).unwrap()).unwrap()
    }

    #[test]
    fn initial_responses_follow_rfc7628_and_xoauth2() {
        let token = SecretString::from("tok-123".to_owned());
        let bearer = BearerMechanism::OAuthBearer.initial_response("a,b=c@x", "h", 993, &token);
        assert_eq!(
            decoded(&bearer),
            "n,a=a=2Cb=3Dc@x,\x01host=h\x01port=993\x01auth=Bearer tok-123\x01\x01"
        );
        let x = BearerMechanism::XOAuth2.initial_response("u@x", "h", 993, &token);
        assert_eq!(decoded(&x), "user=u@x\x01auth=Bearer tok-123\x01\x01");
    }

    #[test]
    fn oauthbearer_is_preferred_and_the_knob_restricts() {
        let both = |m: &str| m == "XOAUTH2" || m == "OAUTHBEARER";
        assert_eq!(
            BearerMechanism::choose_among(both, None),
            Some(BearerMechanism::OAuthBearer)
        );
        assert_eq!(
            BearerMechanism::choose_among(both, Some("xoauth2")),
            Some(BearerMechanism::XOAuth2)
        );
        assert_eq!(
            BearerMechanism::choose_among(|m| m == "XOAUTH2", None),
            Some(BearerMechanism::XOAuth2)
        );
        assert_eq!(
            BearerMechanism::choose_among(|m| m == "XOAUTH2", Some("OAUTHBEARER")),
            None
        );
        assert_eq!(BearerMechanism::choose_among(|m| m == "PLAIN", None), None);
    }

    #[test]
    fn error_challenges_become_one_line() {
        let json =
            br#"{"status":"invalid_token","scope":"mail","openid-configuration":"http://x"}"#;
        assert_eq!(
            describe_error_challenge(json),
            "invalid_token (scope \"mail\")"
        );
        assert_eq!(
            describe_error_challenge(br#"{"status":"401","schemes":"bearer"}"#),
            "401 (the token was refused)"
        );
        assert_eq!(
            describe_error_challenge(b"\x00garbage\n"),
            "an unreadable OAuth2 error reply"
        );
        assert_eq!(
            describe_error_challenge_base64("!!!"),
            "an unreadable OAuth2 error reply"
        );
        let line = describe_error_challenge(b"{\"status\":\"bad\\nline\\u0007\"}");
        assert_eq!(line, "badline");
    }
}
