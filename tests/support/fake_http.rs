//! A fake HTTP/1.1 server for discovery tests: serves fixed bodies by path (the query string
//! is ignored for routing but recorded), 404 for the rest, one request per connection.
//!
//! Point postie at it with `POSTIE_AUTOCONFIG_BASE=http://ADDR` (the test hook of
//! `src/discover/hooks.rs`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

/// The running server; it lives as long as the test process.
pub struct FakeHttp {
    pub addr: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeHttp {
    pub fn start() -> FakeHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind http");
        let addr = listener.local_addr().expect("addr");
        let routes: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, q) = (routes.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (r, q) = (r.clone(), q.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream);
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).is_err() {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        match reader.read_line(&mut header) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if header == "\r\n" || header == "\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let target = request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("")
                        .to_owned();
                    q.lock().expect("requests").push(target.clone());
                    let path = target.split('?').next().unwrap_or("").to_owned();
                    let body = r.lock().expect("routes").get(&path).cloned();
                    let mut stream = reader.into_inner();
                    let (status, body) = match body {
                        Some(body) => ("200 OK", body),
                        None => ("404 Not Found", b"not here".to_vec()),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(&body);
                });
            }
        });
        FakeHttp {
            addr,
            routes,
            requests,
        }
    }

    /// Serves `body` at `path` (without query string).
    pub fn serve(&self, path: &str, body: impl Into<Vec<u8>>) -> &Self {
        self.routes
            .lock()
            .expect("routes")
            .insert(path.to_owned(), body.into());
        self
    }

    /// The request targets (path and query) received so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("requests").clone()
    }

    /// The base URL for `POSTIE_AUTOCONFIG_BASE`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}
