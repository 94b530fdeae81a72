//! The two ways `postie login` gets a grant: the authorization code flow with PKCE and a
//! loopback redirect (RFC 8252; a browser on this machine), and the device authorization grant
//! (RFC 8628; the browser is elsewhere). Both end by storing the refresh token and caching the
//! access token (see `cache`).
//!
//! Each flow is split in a start (which gives the CLI what to show: a URL, a user code) and a
//! finish (which waits), so the CLI prints and opens the browser and this module does no
//! terminal IO.

use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::endpoint::{DeviceAuthorization, Endpoint, TokenReply, Tokens, host_of};
use super::loopback::{Callback, Loopback, WaitError};
use super::pkce::{Pkce, new_state};
use super::query::with_query;
use super::{OAuth2Error, save};
use crate::config::{OAuth2Provider, Server};

/// How long the browser login may take.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// A started authorization code login: open [`BrowserLogin::url`], then [`BrowserLogin::finish`].
pub struct BrowserLogin<'a> {
    endpoint: Endpoint<'a>,
    user: &'a str,
    loopback: Loopback,
    pkce: Pkce,
    state: String,
    /// The authorization URL to open in a browser.
    pub url: String,
}

impl<'a> BrowserLogin<'a> {
    /// Listens on the loopback and builds the authorization URL.
    pub fn start(account: &'a str, server: &'a Server) -> Result<BrowserLogin<'a>, OAuth2Error> {
        let endpoint = Endpoint::new(account, server)?;
        let listen = |source| OAuth2Error::Listen {
            account: account.to_owned(),
            source,
        };
        let loopback = Loopback::bind().map_err(listen)?;
        let pkce = Pkce::generate().map_err(listen)?;
        let state = new_state().map_err(listen)?;
        let client = endpoint.client;
        let scope = client.scopes.join(" ");
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", loopback.redirect_uri.as_str()),
            ("state", state.as_str()),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("login_hint", server.user.as_str()),
        ];
        if !scope.is_empty() {
            pairs.push(("scope", scope.as_str()));
        }
        if client.provider == OAuth2Provider::Google {
            // Google gives a refresh token only for offline access, and again only on consent.
            pairs.push(("access_type", "offline"));
            pairs.push(("prompt", "consent"));
        }
        let url = with_query(&client.auth_url, &pairs);
        Ok(BrowserLogin {
            endpoint,
            user: &server.user,
            loopback,
            pkce,
            state,
            url,
        })
    }

    /// Waits (up to `timeout`) for the browser to come back, exchanges the code and stores
    /// the grant.
    pub fn finish(self, timeout: Duration) -> Result<(), OAuth2Error> {
        let account = self.endpoint.account;
        let host = host_of(&self.endpoint.client.auth_url);
        let code = match self.loopback.wait(&self.state, Instant::now() + timeout) {
            Ok(Callback::Code(code)) => code,
            Ok(Callback::Error(error, description)) => {
                return Err(OAuth2Error::Denied {
                    account: account.to_owned(),
                    host,
                    error: match description {
                        Some(d) => format!("{error}: {d}"),
                        None => error,
                    },
                });
            }
            Ok(Callback::StateMismatch) => {
                return Err(OAuth2Error::StateMismatch {
                    account: account.to_owned(),
                });
            }
            Err(WaitError::Timeout) => {
                return Err(OAuth2Error::Timeout {
                    account: account.to_owned(),
                    timeout,
                });
            }
            Err(WaitError::Io(source)) => {
                return Err(OAuth2Error::Listen {
                    account: account.to_owned(),
                    source,
                });
            }
        };
        let grant = [
            ("grant_type", SecretString::from("authorization_code")),
            ("code", code),
            (
                "redirect_uri",
                SecretString::from(self.loopback.redirect_uri.clone()),
            ),
            ("code_verifier", self.pkce.verifier.clone()),
        ];
        let reply = self.endpoint.token(&grant)?;
        store_grant(&self.endpoint, self.user, reply)
    }
}

/// A started device login: show [`DeviceLogin::authorization`], then [`DeviceLogin::finish`].
pub struct DeviceLogin<'a> {
    endpoint: Endpoint<'a>,
    user: &'a str,
    authorization: DeviceAuthorization,
}

impl<'a> DeviceLogin<'a> {
    /// Asks the device endpoint for a user code.
    pub fn start(account: &'a str, server: &'a Server) -> Result<DeviceLogin<'a>, OAuth2Error> {
        let endpoint = Endpoint::new(account, server)?;
        let url =
            endpoint
                .client
                .device_url
                .clone()
                .ok_or_else(|| OAuth2Error::NoDeviceEndpoint {
                    account: account.to_owned(),
                })?;
        let authorization = endpoint.device_authorization(&url)?;
        Ok(DeviceLogin {
            endpoint,
            user: &server.user,
            authorization,
        })
    }

    /// Where to go and what to type.
    pub fn authorization(&self) -> &DeviceAuthorization {
        &self.authorization
    }

    /// Polls the token endpoint at the provider's interval (slower on `slow_down`) until the
    /// user approves, refuses, or the code expires; then stores the grant.
    pub fn finish(self) -> Result<(), OAuth2Error> {
        let account = self.endpoint.account;
        let deadline = Instant::now() + Duration::from_secs(self.authorization.expires_in.max(1));
        let mut interval = Duration::from_secs(self.authorization.interval.unwrap_or(5).max(1));
        let grant = [
            (
                "grant_type",
                SecretString::from("urn:ietf:params:oauth:grant-type:device_code"),
            ),
            (
                "device_code",
                SecretString::from(self.authorization.device_code.clone()),
            ),
        ];
        loop {
            std::thread::sleep(interval);
            match self.endpoint.token(&grant)? {
                TokenReply::Error { error, .. } if error == "authorization_pending" => {}
                // RFC 8628 §3.5: every slow_down adds 5 seconds, for good.
                TokenReply::Error { error, .. } if error == "slow_down" => {
                    interval += Duration::from_secs(5);
                }
                TokenReply::Error { error, .. } if error == "expired_token" => {
                    return Err(OAuth2Error::DeviceExpired {
                        account: account.to_owned(),
                    });
                }
                reply @ (TokenReply::Tokens(_) | TokenReply::Error { .. }) => {
                    return store_grant(&self.endpoint, self.user, reply);
                }
            }
            if Instant::now() + interval > deadline {
                return Err(OAuth2Error::DeviceExpired {
                    account: account.to_owned(),
                });
            }
        }
    }
}

/// The end of both flows: a token reply with a refresh token is stored; an error is the
/// user's refusal or the provider's.
fn store_grant(endpoint: &Endpoint<'_>, user: &str, reply: TokenReply) -> Result<(), OAuth2Error> {
    let account = endpoint.account;
    let host = host_of(&endpoint.client.token_url);
    let tokens: Tokens = match reply {
        TokenReply::Tokens(tokens) => tokens,
        TokenReply::Error { error, .. } if error == "access_denied" => {
            return Err(OAuth2Error::Denied {
                account: account.to_owned(),
                host,
                error,
            });
        }
        TokenReply::Error { error, description } => {
            return Err(OAuth2Error::Refused {
                account: account.to_owned(),
                host,
                error,
                description,
            });
        }
    };
    if tokens.refresh_token.is_none() {
        return Err(OAuth2Error::BadReply {
            account: account.to_owned(),
            host,
            status: 200,
            reason: "no refresh_token, so the grant could not be renewed (does the scope include offline access?)".to_owned(),
        });
    }
    save(account, user, tokens)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The device grant's polling against a canned token endpoint: `slow_down`,
    //! `expired_token` and `access_denied` (the test IdP only ever says "pending").

    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::config::{AuthMethod, OAuth2Client, TlsMode};

    /// Serves `replies` in order to the token polls (after one device authorization), and
    /// records when each poll came.
    fn canned(replies: Vec<&'static str>) -> (u16, Arc<Mutex<Vec<Instant>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let polls = Arc::new(Mutex::new(Vec::new()));
        let seen = polls.clone();
        std::thread::spawn(move || {
            let device = r#"{"device_code":"dc-1","user_code":"ABCD-EFGH","verification_uri":"http://127.0.0.1/verify","expires_in":60,"interval":1}"#;
            let mut bodies = std::iter::once(device).chain(replies);
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                let mut path = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if path.is_empty() {
                        path = line.split(' ').nth(1).unwrap_or_default().to_owned();
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                if path == "/token" {
                    seen.lock().unwrap().push(Instant::now());
                }
                let Some(reply) = bodies.next() else { break };
                let status = if reply.contains("\"error\"") {
                    "400 Bad Request"
                } else {
                    "200 OK"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        (port, polls)
    }

    fn server(port: u16) -> Server {
        let base = format!("http://127.0.0.1:{port}");
        Server {
            host: "imap.example.test".into(),
            port: 993,
            tls: TlsMode::Implicit,
            allow_plaintext: false,
            ca_file: None,
            oauth2: Some(OAuth2Client {
                provider: OAuth2Provider::Custom,
                client_id: "id".into(),
                client_secret_command: None,
                auth_url: format!("{base}/authorize"),
                token_url: format!("{base}/token"),
                device_url: Some(format!("{base}/device")),
                scopes: vec!["mail".into()],
            }),
            user: "alice@example.test".into(),
            password_command: None,
            auth: AuthMethod::OAuth2,
            oauth2_token_command: None,
        }
    }

    #[test]
    fn device_polling_slows_down_and_stops_when_the_code_expires() {
        let (port, polls) = canned(vec![
            r#"{"error":"authorization_pending"}"#,
            r#"{"error":"slow_down"}"#,
            r#"{"error":"expired_token"}"#,
        ]);
        let server = server(port);
        let login = DeviceLogin::start("work", &server).unwrap();
        assert_eq!(login.authorization().user_code, "ABCD-EFGH");
        let err = login.finish().expect_err("expired");
        assert!(matches!(err, OAuth2Error::DeviceExpired { .. }), "{err}");
        assert!(
            err.to_string().contains("postie login work --device"),
            "{err}"
        );
        let polls = polls.lock().unwrap();
        assert_eq!(polls.len(), 3);
        // interval 1 s, then 1 + 5 s after slow_down (RFC 8628 §3.5).
        assert!(polls[2] - polls[1] >= Duration::from_secs(6), "{polls:?}");
    }

    #[test]
    fn device_polling_stops_when_the_user_refuses() {
        let (port, polls) = canned(vec![r#"{"error":"access_denied"}"#]);
        let server = server(port);
        let err = DeviceLogin::start("work", &server)
            .unwrap()
            .finish()
            .expect_err("denied");
        assert!(matches!(err, OAuth2Error::Denied { .. }), "{err}");
        assert_eq!(err.kind(), crate::error::ErrorKind::Auth);
        assert_eq!(polls.lock().unwrap().len(), 1);
    }
}
