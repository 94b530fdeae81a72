//! A client for the test identity provider (`scripts/test-idp`) that `scripts/mailservers`
//! starts beside Dovecot: issue tokens for a test user, set its token lifetime and refresh-token
//! rotation, revoke everything it holds, approve a device code, and read per-user counters.
//!
//! Plain HTTP/1.1 over a std `TcpStream` on 127.0.0.1, one request per connection: the harness
//! must not lean on the HTTP client it tests. Every helper panics with the IdP's answer when it
//! does not succeed (tests want a clear failure, not a `Result` to unwrap).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use super::Servers;

/// The test IdP of one server instance.
#[derive(Debug, Clone)]
pub struct Idp {
    /// Its base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
    port: u16,
}

/// An HTTP answer of the IdP.
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: u16,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpReply {
    /// The first header of that (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("test-idp: not JSON ({e}): {}", self.body))
    }
}

/// Tokens from `POST /test/issue`.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

/// What the IdP counted for one user (`GET /test/stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IdpStats {
    pub authorize: u64,
    /// `/token` requests for the user, whatever the grant.
    pub token: u64,
    pub refresh: u64,
    pub device: u64,
    /// Introspections (Dovecot's logins) of a token that is or was the user's.
    pub introspect: u64,
}

impl Servers {
    /// The instance's test identity provider.
    pub fn idp(&self) -> Idp {
        Idp {
            url: format!("http://127.0.0.1:{}", self.ports.idp),
            port: self.ports.idp,
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Idp {
    /// `GET PATH_AND_QUERY`.
    pub fn get(&self, path_and_query: &str) -> HttpReply {
        self.request("GET", path_and_query, None)
    }

    /// `POST PATH` with a form body.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> HttpReply {
        self.request("POST", path, Some(form_body(fields)))
    }

    fn request(&self, method: &str, target: &str, body: Option<String>) -> HttpReply {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("test-idp at {}: {e}", self.url));
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("set a read timeout");
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
            self.port
        );
        if let Some(body) = &body {
            request.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            request.push_str("\r\n");
        }
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("test-idp at {}: {e}", self.url));
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("test-idp at {}: {e}", self.url));
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("test-idp: no header end in {text:?}"));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("test-idp: bad status line in {head:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        HttpReply {
            status,
            headers,
            body: body.to_string(),
        }
    }

    fn post_ok(&self, path: &str, fields: &[(&str, &str)]) -> serde_json::Value {
        let reply = self.post(path, fields);
        assert_eq!(reply.status, 200, "test-idp {path}: {}", reply.body);
        reply.json()
    }

    /// Sets a user's access-token lifetime (seconds) and whether a refresh rotates the refresh
    /// token.
    pub fn set_user(&self, user: &str, access_lifetime_secs: u64, rotate: bool) {
        self.post_ok(
            "/test/user",
            &[
                ("user", user),
                ("access_lifetime", &access_lifetime_secs.to_string()),
                ("rotate", if rotate { "1" } else { "0" }),
            ],
        );
    }

    /// Issues an access token (living the user's lifetime, or `lifetime_secs`) and a refresh
    /// token for a user.
    pub fn issue(&self, user: &str, lifetime_secs: Option<u64>) -> IssuedTokens {
        let lifetime = lifetime_secs.map(|s| s.to_string());
        let mut fields = vec![("user", user)];
        if let Some(lifetime) = &lifetime {
            fields.push(("lifetime", lifetime));
        }
        let json = self.post_ok("/test/issue", &fields);
        let text = |key: &str| -> String {
            json[key]
                .as_str()
                .unwrap_or_else(|| panic!("test-idp /test/issue: no {key} in {json}"))
                .to_string()
        };
        IssuedTokens {
            access_token: text("access_token"),
            refresh_token: text("refresh_token"),
            expires_in: json["expires_in"].as_u64().unwrap_or(0),
        }
    }

    /// Every token, code and grant of the user dies.
    pub fn revoke(&self, user: &str) {
        self.post_ok("/test/revoke", &[("user", user)]);
    }

    /// Approves a pending device authorization as `user`.
    pub fn approve(&self, user_code: &str, user: &str) {
        self.post_ok("/test/approve", &[("user_code", user_code), ("user", user)]);
    }

    /// The user's counters.
    pub fn stats(&self, user: &str) -> IdpStats {
        let reply = self.get(&format!("/test/stats?user={}", form_encode(user)));
        assert_eq!(reply.status, 200, "test-idp /test/stats: {}", reply.body);
        let json = reply.json();
        let n = |key: &str| json[key].as_u64().unwrap_or(0);
        IdpStats {
            authorize: n("authorize"),
            token: n("token"),
            refresh: n("refresh"),
            device: n("device"),
            introspect: n("introspect"),
        }
    }
}
