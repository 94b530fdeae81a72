//! A fault-injecting TCP proxy for integration tests: listens on 127.0.0.1:0, forwards every
//! connection to a target, and can cut, stall, delay or truncate the stream, or strip a
//! capability from the server's replies (a STARTTLS-stripping attacker).
//!
//! Standalone on purpose: include it with `mod fault_proxy;` (from tests/support/mod.rs) or
//! `#[path = "support/fault_proxy.rs"] mod fault_proxy;`. It needs only tokio.
//!
//! Faults count bytes per connection and per direction. [`FaultProxy::set_fault`] changes the
//! fault for connections accepted afterwards, so a test can cut the first run and let the
//! retry through. Dropping the proxy stops it and closes every forwarded connection.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// Which way bytes flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

/// What the proxy does to each new connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward faithfully.
    None,
    /// Forward `after` bytes in `dir`, then close both sides at once.
    Cut { dir: Direction, after: usize },
    /// Forward `after` bytes in `dir`, then forward nothing more that way, keeping both
    /// connections open (a hung server or network): the peer must time out.
    Stall { dir: Direction, after: usize },
    /// Hold every chunk this long before forwarding it (both directions).
    Delay(Duration),
    /// Server to client: forward `after` bytes, then continue to the first byte of line
    /// content at or after that point, forward it, and close: the client is left holding a
    /// line without its end.
    TruncateMidLine { after: usize },
    /// Server to client: remove a capability, as a STARTTLS-stripping attacker does. POP3: a
    /// CAPA line that is exactly the name (or starts with it and a space) is dropped. SMTP:
    /// `250-NAME` is dropped, a final `250 NAME` becomes `250 XXXX`. IMAP: the token is
    /// removed from `CAPABILITY` lists (untagged or in a `[CAPABILITY ...]` code).
    /// Every server line is filtered (a message line that is just the name is dropped too),
    /// except binary data such as a TLS handshake, which passes untouched.
    StripCapability(String),
}

#[derive(Debug, Default)]
struct Stats {
    connections: AtomicUsize,
    to_server: AtomicUsize,
    to_client: AtomicUsize,
    fired: AtomicUsize,
}

/// A running proxy; see the module docs.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    fault: Arc<Mutex<Fault>>,
    stats: Arc<Stats>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1:0 forwarding to `target`.
    pub async fn start(target: SocketAddr, fault: Fault) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let fault = Arc::new(Mutex::new(fault));
        let stats = Arc::new(Stats::default());
        let task = tokio::spawn(accept_loop(listener, target, fault.clone(), stats.clone()));
        Ok(FaultProxy {
            addr,
            fault,
            stats,
            task,
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The fault for connections accepted from now on (open ones keep theirs).
    pub fn set_fault(&self, fault: Fault) {
        *lock(&self.fault) = fault;
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// Bytes forwarded to the server, all connections together.
    pub fn bytes_to_server(&self) -> usize {
        self.stats.to_server.load(Ordering::SeqCst)
    }

    /// Bytes forwarded to the client, all connections together.
    pub fn bytes_to_client(&self) -> usize {
        self.stats.to_client.load(Ordering::SeqCst)
    }

    /// How many times a fault took effect (a cut, a stall, a truncation, a stripped line).
    pub fn faults_fired(&self) -> usize {
        self.stats.fired.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

fn lock(fault: &Mutex<Fault>) -> std::sync::MutexGuard<'_, Fault> {
    fault
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(
    listener: TcpListener,
    target: SocketAddr,
    fault: Arc<Mutex<Fault>>,
    stats: Arc<Stats>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                stats.connections.fetch_add(1, Ordering::SeqCst);
                let fault = lock(&fault).clone();
                connections.spawn(forward(client, target, fault, stats.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn forward(client: TcpStream, target: SocketAddr, fault: Fault, stats: Arc<Stats>) {
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let (close_tx, close_rx) = watch::channel(false);
    let up = Pump {
        dir: Direction::ClientToServer,
        fault: fault.clone(),
        stats: stats.clone(),
        close: close_tx.clone(),
    };
    let down = Pump {
        dir: Direction::ServerToClient,
        fault,
        stats,
        close: close_tx,
    };
    tokio::join!(
        up.run(client_read, server_write, close_rx.clone()),
        down.run(server_read, client_write, close_rx),
    );
}

/// One direction of one connection.
struct Pump {
    dir: Direction,
    fault: Fault,
    stats: Arc<Stats>,
    close: watch::Sender<bool>,
}

/// What the pump does after filtering a chunk.
enum After {
    Continue,
    /// Close both directions now.
    Close,
    /// Stop forwarding this way but keep everything open.
    Stall,
}

impl Pump {
    async fn run(
        self,
        mut from: OwnedReadHalf,
        mut to: OwnedWriteHalf,
        mut closed: watch::Receiver<bool>,
    ) {
        let mut state = FilterState::default();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = tokio::select! {
                r = from.read(&mut buf) => r.unwrap_or(0),
                _ = closed.wait_for(|c| *c) => return,
            };
            if n == 0 {
                // Orderly end of this direction: pass the half-close on, keep the other way.
                if let Some(rest) = state.flush() {
                    let _ = to.write_all(&rest).await;
                }
                let _ = to.shutdown().await;
                return;
            }
            let (out, after) = self.filter(&mut state, &buf[..n]);
            if let Fault::Delay(d) = self.fault {
                tokio::time::sleep(d).await;
            }
            if !out.is_empty() {
                if to.write_all(&out).await.is_err() {
                    let _ = self.close.send(true);
                    return;
                }
                let counter = match self.dir {
                    Direction::ClientToServer => &self.stats.to_server,
                    Direction::ServerToClient => &self.stats.to_client,
                };
                counter.fetch_add(out.len(), Ordering::SeqCst);
            }
            match after {
                After::Continue => {}
                After::Close => {
                    self.stats.fired.fetch_add(1, Ordering::SeqCst);
                    let _ = self.close.send(true);
                    return;
                }
                After::Stall => {
                    self.stats.fired.fetch_add(1, Ordering::SeqCst);
                    // Keep both halves open until the connection is closed for another reason.
                    let _ = closed.wait_for(|c| *c).await;
                    return;
                }
            }
        }
    }

    fn filter(&self, state: &mut FilterState, chunk: &[u8]) -> (Vec<u8>, After) {
        let start = state.seen;
        state.seen += chunk.len();
        match &self.fault {
            Fault::Cut { dir, after } if *dir == self.dir => cut_at(chunk, start, *after)
                .map_or((chunk.to_vec(), After::Continue), |k| {
                    (chunk[..k].to_vec(), After::Close)
                }),
            Fault::Stall { dir, after } if *dir == self.dir => cut_at(chunk, start, *after)
                .map_or((chunk.to_vec(), After::Continue), |k| {
                    (chunk[..k].to_vec(), After::Stall)
                }),
            Fault::TruncateMidLine { after } if self.dir == Direction::ServerToClient => {
                let from = if state.truncating {
                    Some(0)
                } else {
                    cut_at(chunk, start, *after)
                };
                let Some(from) = from else {
                    return (chunk.to_vec(), After::Continue);
                };
                state.truncating = true;
                match chunk[from..].iter().position(|&b| b != b'\r' && b != b'\n') {
                    Some(i) => (chunk[..from + i + 1].to_vec(), After::Close),
                    None => (chunk.to_vec(), After::Continue),
                }
            }
            Fault::StripCapability(name) if self.dir == Direction::ServerToClient => {
                let (out, stripped) = state.strip(chunk, name);
                self.stats.fired.fetch_add(stripped, Ordering::SeqCst);
                (out, After::Continue)
            }
            _ => (chunk.to_vec(), After::Continue),
        }
    }
}

/// Where in `chunk` (which starts at stream offset `start`) the byte budget `after` runs out.
fn cut_at(chunk: &[u8], start: usize, after: usize) -> Option<usize> {
    (start + chunk.len() > after).then(|| after.saturating_sub(start))
}

#[derive(Default)]
struct FilterState {
    /// Bytes of this direction seen so far.
    seen: usize,
    truncating: bool,
    /// An incomplete line held back by [`Fault::StripCapability`].
    partial: Vec<u8>,
}

impl FilterState {
    fn flush(&mut self) -> Option<Vec<u8>> {
        (!self.partial.is_empty()).then(|| std::mem::take(&mut self.partial))
    }

    /// Filters complete lines; returns the bytes to forward and how many lines were altered.
    fn strip(&mut self, chunk: &[u8], name: &str) -> (Vec<u8>, usize) {
        self.partial.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(self.partial.len());
        let mut stripped = 0;
        let mut rest = std::mem::take(&mut self.partial);
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = rest.drain(..=i).collect();
            match strip_line(&line, name) {
                Some(new) => {
                    stripped += 1;
                    out.extend_from_slice(&new);
                }
                None => out.extend_from_slice(&line),
            }
        }
        // Binary data (a TLS handshake) has no lines to filter: never hold it back.
        if rest
            .iter()
            .any(|&b| !(b.is_ascii_graphic() || b == b' ' || b == b'\t' || b == b'\r'))
        {
            out.append(&mut rest);
        }
        self.partial = rest;
        (out, stripped)
    }
}

/// The replacement for `line` (with its line end) if it advertises capability `name`.
fn strip_line(line: &[u8], name: &str) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(line).ok()?;
    let eol_at = text.trim_end_matches(['\r', '\n']).len();
    let (content, eol) = text.split_at(eol_at);
    let is_name = |word: &str| {
        word.eq_ignore_ascii_case(name)
            || (word.len() > name.len()
                && word.is_char_boundary(name.len())
                && word[..name.len()].eq_ignore_ascii_case(name)
                && word.as_bytes()[name.len()] == b' ')
    };
    // POP3 CAPA line.
    if is_name(content) {
        return Some(Vec::new());
    }
    // SMTP EHLO line: "250-NAME" or "250 NAME".
    let bytes = content.as_bytes();
    if bytes.len() > 4 && bytes[..3].iter().all(u8::is_ascii_digit) && is_name(&content[4..]) {
        return match bytes[3] {
            b'-' => Some(Vec::new()),
            b' ' => Some(format!("{} {}{eol}", &content[..3], "X".repeat(name.len())).into_bytes()),
            _ => None,
        };
    }
    // IMAP CAPABILITY list.
    if content.to_ascii_uppercase().contains("CAPABILITY") {
        let mut changed = false;
        let mut words: Vec<String> = Vec::new();
        for word in content.split(' ') {
            let bare = word.trim_end_matches(']');
            if bare.eq_ignore_ascii_case(name) {
                changed = true;
                let brackets = &word[bare.len()..];
                if let Some(last) = words.last_mut() {
                    last.push_str(brackets);
                }
            } else {
                words.push(word.to_owned());
            }
        }
        if changed {
            return Some(format!("{}{eol}", words.join(" ")).into_bytes());
        }
    }
    None
}
