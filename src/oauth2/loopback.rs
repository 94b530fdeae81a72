//! The loopback redirect of RFC 8252 §7.3: a listener on 127.0.0.1 (random port) that waits
//! for the browser to come back from the provider with `?code=...&state=...`.
//!
//! What must hold: only a request whose `state` equals ours is taken (another one is refused
//! and ends the login: it may be a forged redirect); the browser always gets a short page
//! back; requests that are not the callback (a favicon) get a 404 and waiting goes on; the
//! wait ends at the deadline. The code never reaches a log line.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::pkce::state_matches;
use super::query::decode_pairs;

/// What the browser brought back.
pub enum Callback {
    /// The authorization code.
    Code(SecretString),
    /// The provider's `error` (e.g. `access_denied`) and its description.
    Error(String, Option<String>),
    /// A callback with another `state`.
    StateMismatch,
}

/// Why waiting ended without a callback.
pub enum WaitError {
    Timeout,
    Io(io::Error),
}

/// The listener, bound.
pub struct Loopback {
    listener: TcpListener,
    /// `http://127.0.0.1:PORT/`, the `redirect_uri` of the request.
    pub redirect_uri: String,
}

impl Loopback {
    /// Listens on 127.0.0.1 at a port the kernel picks.
    pub fn bind() -> io::Result<Loopback> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        Ok(Loopback {
            listener,
            redirect_uri: format!("http://127.0.0.1:{port}/"),
        })
    }

    /// Waits until `deadline` for the callback carrying `state`.
    pub fn wait(&self, state: &str, deadline: Instant) -> Result<Callback, WaitError> {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(callback) = answer(stream, state) {
                        return Ok(callback);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(WaitError::Timeout);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(WaitError::Io(e)),
            }
        }
    }
}

/// Reads one request and answers it; the callback if it was one.
fn answer(mut stream: TcpStream, state: &str) -> Option<Callback> {
    // A browser that connects and says nothing must not hold up the login.
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut request = Vec::new();
    let mut buf = [0u8; 2048];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&request);
    let line = line.lines().next().unwrap_or_default();
    let callback = parse_request_line(line, state);
    let (status, text) = match &callback {
        None => ("404 Not Found", "Not found."),
        Some(Callback::Code(_)) => (
            "200 OK",
            "postie is logged in. You can close this tab and return to the terminal.",
        ),
        Some(Callback::Error(..)) => (
            "200 OK",
            "The login was not granted. You can close this tab; the terminal says more.",
        ),
        Some(Callback::StateMismatch) => (
            "400 Bad Request",
            "This answer does not belong to postie's login request; it was ignored and the login stopped.",
        ),
    };
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>postie</title></head><body><p>{text}</p></body></html>"
    );
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.flush();
    callback
}

/// The callback in a request line `GET /?code=..&state=.. HTTP/1.1`; None for any other
/// request (another path, a favicon, no code and no error).
pub fn parse_request_line(line: &str, state: &str) -> Option<Callback> {
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    if method != "GET" {
        return None;
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/" {
        return None;
    }
    let pairs = decode_pairs(query)?;
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let code = get("code");
    let error = get("error");
    if code.is_none() && error.is_none() {
        return None;
    }
    if !get("state").is_some_and(|got| state_matches(state, &got)) {
        return Some(Callback::StateMismatch);
    }
    match (code, error) {
        (_, Some(error)) => Some(Callback::Error(error, get("error_description"))),
        (Some(code), None) => Some(Callback::Code(SecretString::from(code))),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn code_with_our_state() {
        match parse_request_line("GET /?code=abc%2F1&state=S1 HTTP/1.1", "S1") {
            Some(Callback::Code(code)) => assert_eq!(code.expose_secret(), "abc/1"),
            _ => panic!("expected the code"),
        }
    }

    #[test]
    fn state_mismatch_is_refused() {
        assert!(matches!(
            parse_request_line("GET /?code=abc&state=other HTTP/1.1", "S1"),
            Some(Callback::StateMismatch)
        ));
        assert!(matches!(
            parse_request_line("GET /?code=abc HTTP/1.1", "S1"),
            Some(Callback::StateMismatch)
        ));
    }

    #[test]
    fn provider_error_and_other_requests() {
        match parse_request_line(
            "GET /?error=access_denied&error_description=no+thanks&state=S1 HTTP/1.1",
            "S1",
        ) {
            Some(Callback::Error(e, d)) => {
                assert_eq!(e, "access_denied");
                assert_eq!(d.as_deref(), Some("no thanks"));
            }
            _ => panic!("expected the error"),
        }
        assert!(parse_request_line("GET /favicon.ico HTTP/1.1", "S1").is_none());
        assert!(parse_request_line("GET / HTTP/1.1", "S1").is_none());
        assert!(parse_request_line("POST /?code=a&state=S1 HTTP/1.1", "S1").is_none());
        assert!(parse_request_line("", "S1").is_none());
    }

    #[test]
    fn listener_answers_the_browser_and_skips_other_requests() {
        let loopback = Loopback::bind().unwrap();
        let addr = loopback
            .redirect_uri
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let browser = std::thread::spawn(move || {
            let mut pages = Vec::new();
            for target in ["/favicon.ico", "/?code=C0DE&state=S1"] {
                let mut s = TcpStream::connect(&addr).unwrap();
                write!(s, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
                let mut page = String::new();
                s.read_to_string(&mut page).unwrap();
                pages.push(page);
            }
            pages
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        match loopback.wait("S1", deadline) {
            Ok(Callback::Code(code)) => assert_eq!(code.expose_secret(), "C0DE"),
            _ => panic!("expected the code"),
        }
        let pages = browser.join().unwrap();
        assert!(pages[0].starts_with("HTTP/1.1 404"), "{}", pages[0]);
        assert!(pages[1].starts_with("HTTP/1.1 200") && pages[1].contains("close this tab"));
    }

    #[test]
    fn wait_ends_at_the_deadline() {
        let loopback = Loopback::bind().unwrap();
        let started = Instant::now();
        let result = loopback.wait("S1", Instant::now() + Duration::from_millis(200));
        assert!(matches!(result, Err(WaitError::Timeout)));
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
