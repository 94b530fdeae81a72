//! A scripted POP3 server on 127.0.0.1 (plain TCP, USER/PASS) for what a real server will not
//! do: list two messages under one UIDL, announce sizes that are wrong, end a message early.
//!
//! It behaves like a real maildrop otherwise: one mailbox shared by every connection, message
//! numbers counted afresh per session, DELE marks and QUIT removes (a session that ends without
//! QUIT removes nothing). Each message has a stable id (its index in the list given to
//! [`FakePop3::start`]); the server records the ids its DELEs named and the ids QUIT removed,
//! so a test asserts *which* messages were deleted, not only how many.
//!
//! Like the rest of `tests/support`, it uses none of postie's own modules.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;

/// How the server sends a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Send {
    /// Dot-stuffed, whole.
    Whole,
    /// Only the first `n` bytes (up to a line end), then the terminator: a server that lost
    /// the message's tail.
    CutAfter(usize),
    /// Without dot-stuffing: a line of a single "." in the message ends it early, and the
    /// rest follows as if it were the next reply.
    Unstuffed,
}

/// One message of the maildrop.
#[derive(Debug, Clone)]
pub struct FakeMessage {
    pub uidl: String,
    /// The message (CRLF line ends).
    pub bytes: Vec<u8>,
    /// What LIST says (default: the exact size).
    pub listed: Option<u64>,
    pub send: Send,
}

impl FakeMessage {
    /// A small message with this UIDL and subject (and a Message-ID made from the subject).
    pub fn new(uidl: &str, subject: &str) -> FakeMessage {
        let bytes = format!(
            "From: sender@example.test\r\nTo: user@example.test\r\nSubject: {subject}\r\n\
             Message-ID: <{subject}@example.test>\r\n\r\nBody of {subject}.\r\nSecond line.\r\n"
        )
        .into_bytes();
        FakeMessage {
            uidl: uidl.to_owned(),
            bytes,
            listed: None,
            send: Send::Whole,
        }
    }

    /// The same, with `body` as the body.
    pub fn with_body(mut self, body: &str) -> FakeMessage {
        let head_end = find(&self.bytes, b"\r\n\r\n").map_or(0, |i| i + 4);
        self.bytes.truncate(head_end);
        self.bytes.extend_from_slice(body.as_bytes());
        self
    }

    pub fn listed_as(mut self, size: u64) -> FakeMessage {
        self.listed = Some(size);
        self
    }

    pub fn sent(mut self, send: Send) -> FakeMessage {
        self.send = send;
        self
    }

    fn list_size(&self) -> u64 {
        self.listed.unwrap_or(self.bytes.len() as u64)
    }

    /// The RETR body as it goes on the wire, terminator included.
    fn wire(&self) -> Vec<u8> {
        let (bytes, stuff) = match self.send {
            Send::Whole => (&self.bytes[..], true),
            Send::CutAfter(n) => {
                let n = n.min(self.bytes.len());
                let end = self.bytes[..n]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
                (&self.bytes[..end], true)
            }
            Send::Unstuffed => (&self.bytes[..], false),
        };
        let mut out = Vec::with_capacity(bytes.len() + 8);
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            if stuff && line.starts_with(b".") {
                out.push(b'.');
            }
            out.extend_from_slice(line);
        }
        if !out.is_empty() && !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        out
    }
}

#[derive(Default)]
struct State {
    /// (id, message) in maildrop order.
    mailbox: Vec<(usize, FakeMessage)>,
    /// Ids named by DELE commands, in order, over all sessions.
    dele: Vec<usize>,
    /// Ids removed at QUIT.
    removed: Vec<usize>,
    /// Optional commands this server lacks (`UIDL`, `TOP`): left out of CAPA, `-ERR` if sent.
    lacks: Vec<&'static str>,
}

/// A running fake server; it stops accepting when dropped (its thread ends with the test).
pub struct FakePop3 {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl FakePop3 {
    pub fn start(messages: Vec<FakeMessage>) -> FakePop3 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake POP3 server");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(Mutex::new(State {
            mailbox: messages.into_iter().enumerate().collect(),
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let state = Arc::clone(&shared);
                thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        FakePop3 { port, state }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server lacks these optional commands (`UIDL`, `TOP`), as GNU Mailutils' pop3d can
    /// be set up to, or as old servers do: CAPA leaves them out and they answer `-ERR`.
    pub fn lacking(self, commands: &[&'static str]) -> FakePop3 {
        self.state().lacks = commands.to_vec();
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ids named by DELE commands so far (every session; committed or not).
    pub fn dele_received(&self) -> Vec<usize> {
        self.state().dele.clone()
    }

    /// Ids removed from the maildrop by a QUIT.
    pub fn removed(&self) -> Vec<usize> {
        let mut ids = self.state().removed.clone();
        ids.sort_unstable();
        ids
    }

    /// Ids still in the maildrop.
    pub fn remaining(&self) -> Vec<usize> {
        self.state().mailbox.iter().map(|(id, _)| *id).collect()
    }

    /// A new message arrives (its id is the next one); returns the id.
    pub fn arrive(&self, message: FakeMessage) -> usize {
        let mut st = self.state();
        let id = st.mailbox.iter().map(|(id, _)| id + 1).max().unwrap_or(0);
        let id = id.max(st.removed.iter().map(|id| id + 1).max().unwrap_or(0));
        st.mailbox.push((id, message));
        id
    }

    /// Removes a message as another client would.
    pub fn remove_by_other_client(&self, id: usize) {
        self.state().mailbox.retain(|(i, _)| *i != id);
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"+OK fake POP3 ready\r\n")?;
    // The session's view: ids in maildrop order at login; numbers are 1-based positions.
    let mut view: Vec<usize> = Vec::new();
    let mut marked: Vec<usize> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut words = line.split_whitespace();
        let command = words.next().unwrap_or("").to_ascii_uppercase();
        let arg: Option<usize> = words.next().and_then(|w| w.parse().ok());
        let st = lock();
        let reply: Vec<u8> = match command.as_str() {
            "CAPA" => {
                let mut r = b"+OK\r\nUSER\r\n".to_vec();
                for optional in ["UIDL", "TOP"] {
                    if !st.lacks.contains(&optional) {
                        r.extend(format!("{optional}\r\n").as_bytes());
                    }
                }
                r.extend_from_slice(b".\r\n");
                r
            }
            c if st.lacks.contains(&c) => b"-ERR not implemented\r\n".to_vec(),
            "USER" => b"+OK\r\n".to_vec(),
            "PASS" => {
                view = st.mailbox.iter().map(|(id, _)| *id).collect();
                b"+OK logged in\r\n".to_vec()
            }
            "STAT" => {
                let live: Vec<_> = (1..=view.len())
                    .filter_map(|n| lookup(&st, &view, &marked, Some(n)))
                    .collect();
                let total: u64 = live.iter().map(|(_, m)| m.list_size()).sum();
                format!("+OK {} {total}\r\n", live.len()).into_bytes()
            }
            "LIST" | "UIDL" => {
                let mut r = b"+OK\r\n".to_vec();
                for n in 1..=view.len() {
                    if let Some((_, m)) = lookup(&st, &view, &marked, Some(n)) {
                        let value = if command == "LIST" {
                            m.list_size().to_string()
                        } else {
                            m.uidl.clone()
                        };
                        r.extend(format!("{n} {value}\r\n").as_bytes());
                    }
                }
                r.extend_from_slice(b".\r\n");
                r
            }
            "TOP" => match lookup(&st, &view, &marked, arg) {
                Some((_, m)) => {
                    let head_end = find(&m.bytes, b"\r\n\r\n").map_or(m.bytes.len(), |i| i + 4);
                    let head = FakeMessage {
                        bytes: m.bytes[..head_end].to_vec(),
                        send: Send::Whole,
                        ..m
                    };
                    let mut r = b"+OK\r\n".to_vec();
                    r.extend(head.wire());
                    r
                }
                None => b"-ERR no such message\r\n".to_vec(),
            },
            "RETR" => match lookup(&st, &view, &marked, arg) {
                Some((_, m)) => {
                    let mut r = format!("+OK {} octets\r\n", m.list_size()).into_bytes();
                    r.extend(m.wire());
                    r
                }
                None => b"-ERR no such message\r\n".to_vec(),
            },
            "DELE" => match lookup(&st, &view, &marked, arg) {
                Some((id, _)) => {
                    marked.push(id);
                    drop(st);
                    lock().dele.push(id);
                    out.write_all(b"+OK marked\r\n")?;
                    continue;
                }
                None => b"-ERR no such message\r\n".to_vec(),
            },
            "NOOP" => b"+OK\r\n".to_vec(),
            "RSET" => {
                marked.clear();
                b"+OK\r\n".to_vec()
            }
            "QUIT" => {
                drop(st);
                let mut st = lock();
                st.mailbox.retain(|(id, _)| !marked.contains(id));
                st.removed.extend(marked.iter().copied());
                drop(st);
                out.write_all(b"+OK bye\r\n")?;
                return Ok(());
            }
            _ => b"-ERR unknown command\r\n".to_vec(),
        };
        drop(st);
        out.write_all(&reply)?;
    }
}

/// Message number `n` of the session (1-based), unless marked deleted.
fn lookup(
    st: &State,
    view: &[usize],
    marked: &[usize],
    n: Option<usize>,
) -> Option<(usize, FakeMessage)> {
    let id = *view.get(n?.checked_sub(1)?)?;
    if marked.contains(&id) {
        return None;
    }
    st.mailbox.iter().find(|(i, _)| *i == id).cloned()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
