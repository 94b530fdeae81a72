//! The POP3 session: a tokio client generic over the stream (plain TCP, TLS, a test duplex),
//! from the greeting to QUIT. It owns the read buffer and the command/reply bookkeeping; the
//! bytes are parsed by the pure [`codec`](super::codec) and [`replies`](super::replies).
//!
//! What must hold:
//! - No password ever leaves over an unencrypted stream unless the caller said
//!   `allow_plaintext`, and none is ever logged (PASS and AUTH lines are masked).
//! - A reply is either read whole or the call fails: a connection cut mid-RETR is an error,
//!   never a shorter message. After a transport or framing failure, or a cancelled call, the
//!   client refuses further use ([`Pop3Error::Broken`]) instead of misreading replies.
//! - Every wait for the server is bounded by [`ClientOptions::read_timeout`] (silence) and
//!   by [`ClientOptions::pace`] (a minimum throughput, and a deadline per reply scaled by its
//!   LIST size, or by its byte cap when unknown): a trickling server cannot hold us forever.
//!
//! It never touches the store, the engine or the terminal.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::net::{PaceControl, PaceLimits, Paced, pace_error};

use super::codec::{
    CodecError, Greeting, MAX_STATUS_LINE, MultilineDecoder, Status, StatusKind, check_line,
    parse_status_line,
};
use super::error::{Pop3Error, invalid, server_error};
use super::replies::{
    Capabilities, ListEntry, Stat, UidlEntry, parse_list, parse_list_line, parse_stat, parse_uidl,
    parse_uidl_line,
};
pub use super::retrieve::{Retrieval, RetrievedMessage};
pub(super) use super::secrets::redact;
use super::secrets::secret_line;

/// How much to ask the socket for at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Whether the stream handed to [`Pop3Client::connect`] is already encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Plain TCP: [`Pop3Client::login`] refuses unless plaintext is explicitly allowed.
    Plain,
    /// Implicit TLS (port 995) or any stream the caller vouches for.
    Tls,
}

/// Limits and timeouts of one session.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Longest wait for the next bytes while a reply is due (an idle timeout: a large message
    /// arriving steadily never times out, a stalled server always does).
    pub read_timeout: Duration,
    /// Largest message (and longest line in it) accepted from RETR/TOP; bounds memory.
    pub max_message_bytes: usize,
    /// RETR commands kept in flight when the server offers PIPELINING (1 = no pipelining).
    pub pipeline_window: usize,
    /// The minimum throughput and per-reply deadline.
    pub pace: PaceLimits,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            read_timeout: Duration::from_secs(60),
            max_message_bytes: 256 * 1024 * 1024,
            pipeline_window: 64,
            pace: PaceLimits::default(),
        }
    }
}

/// One POP3 session over the stream `S`.
pub struct Pop3Client<S> {
    stream: Paced<S>,
    /// Says when a reply is due (armed per command, and per message body).
    pace: PaceControl,
    /// Sizes from the last LIST: a RETR's deadline scales with its message's size.
    sizes: HashMap<u32, u64>,
    /// Bytes read but not consumed are `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    opts: ClientOptions,
    greeting: Option<Greeting>,
    /// `None`: the server does not support CAPA (RFC 1939-only), so nothing is known.
    caps: Option<Capabilities>,
    secure: bool,
    authenticated: bool,
    /// Set while a call is in progress and left set when it fails fatally or is cancelled.
    poisoned: bool,
    /// Multi-line replies still due from a [`Retrieval`] dropped early; discarded before the
    /// next command.
    pub(super) owed: usize,
}

impl<S> fmt::Debug for Pop3Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pop3Client")
            .field("secure", &self.secure)
            .field("authenticated", &self.authenticated)
            .field("greeting", &self.greeting)
            .field("caps", &self.caps)
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Pop3Client<S> {
    /// Reads the greeting and the capabilities (CAPA) of a freshly connected stream.
    /// A `-ERR` greeting (e.g. `[SYS/TEMP]` too many connections) is an error.
    pub async fn connect(
        stream: S,
        transport: Transport,
        opts: ClientOptions,
    ) -> Result<Self, Pop3Error> {
        let mut client = Self::new(stream, transport == Transport::Tls, opts);
        let status = client.read_status().await?;
        if !status.is_ok() {
            return Err(server_error("connect", status));
        }
        client.greeting = Some(Greeting::from_status(&status));
        client.load_capabilities().await?;
        Ok(client)
    }

    /// Continues a session over the TLS stream that wraps the one [`stls`](Self::stls)
    /// returned: no greeting comes, and CAPA is asked again (RFC 2595: the pre-TLS list must
    /// be forgotten).
    pub async fn after_stls(tls_stream: S, opts: ClientOptions) -> Result<Self, Pop3Error> {
        let mut client = Self::new(tls_stream, true, opts);
        client.load_capabilities().await?;
        Ok(client)
    }

    fn new(stream: S, secure: bool, opts: ClientOptions) -> Self {
        let stream = Paced::new(stream, opts.pace);
        Pop3Client {
            pace: stream.control(),
            sizes: HashMap::new(),
            stream,
            buf: Vec::with_capacity(READ_CHUNK),
            start: 0,
            opts,
            greeting: None,
            caps: None,
            secure,
            authenticated: false,
            poisoned: false,
            owed: 0,
        }
    }

    /// The greeting (`None` after [`after_stls`](Self::after_stls)).
    pub fn greeting(&self) -> Option<&Greeting> {
        self.greeting.as_ref()
    }

    /// The last CAPA list; `None` when the server does not support CAPA.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }

    /// Whether the stream is encrypted (implicit TLS or after STLS).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Whether RETRs will be pipelined (the server lists PIPELINING).
    pub fn supports_pipelining(&self) -> bool {
        self.caps.as_ref().is_some_and(|c| c.has("PIPELINING"))
    }

    /// Asks CAPA again (capabilities may change after login; the client does this itself).
    pub async fn capa(&mut self) -> Result<Option<&Capabilities>, Pop3Error> {
        self.enter().await?;
        let r = self.load_capabilities().await;
        self.leave(r)?;
        Ok(self.caps.as_ref())
    }

    /// Sends STLS and hands back the raw stream for the caller's TLS handshake; continue with
    /// [`after_stls`](Self::after_stls) over the TLS stream.
    ///
    /// Refuses when CAPA was answered without STLS (a stripping attacker, or a server without
    /// TLS): the caller must not fall back to a plain login.
    pub async fn stls(mut self) -> Result<S, Pop3Error> {
        if self.poisoned {
            return Err(Pop3Error::Broken);
        }
        if self.caps.as_ref().is_some_and(|c| !c.has("STLS")) {
            return Err(Pop3Error::StlsNotOffered);
        }
        self.enter().await?;
        self.send(b"STLS\r\n").await?;
        let status = self.read_status().await?;
        if !status.is_ok() {
            return Err(Pop3Error::StlsRefused(status.text));
        }
        if self.start < self.buf.len() {
            return Err(Pop3Error::StlsInjection);
        }
        Ok(self.stream.into_inner())
    }

    /// Logs in: AUTH PLAIN (RFC 5034) when CAPA offers SASL PLAIN, else USER/PASS.
    ///
    /// On a plain stream this fails with [`Pop3Error::PlaintextRefused`] before anything is
    /// sent unless `allow_plaintext` is true. A wrong password is a [`Pop3Error::Server`] of
    /// kind Auth (or Temporary for `[IN-USE]`, `[LOGIN-DELAY]`, `[SYS/TEMP]`).
    pub async fn login(
        &mut self,
        user: &str,
        password: &SecretString,
        allow_plaintext: bool,
    ) -> Result<(), Pop3Error> {
        if !self.secure && !allow_plaintext {
            return Err(Pop3Error::PlaintextRefused);
        }
        let bad = |s: &str| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        if user.is_empty() || bad(user) || bad(password.expose_secret()) {
            return Err(Pop3Error::BadCredentials);
        }
        self.enter().await?;
        let use_sasl = self.caps.as_ref().is_some_and(|c| c.has_sasl("PLAIN"));
        let r = async {
            if use_sasl {
                self.auth_plain(user, password).await?;
            } else {
                self.user_pass(user, password).await?;
            }
            self.authenticated = true;
            if self.caps.is_some() {
                self.load_capabilities().await?;
            }
            Ok(())
        }
        .await;
        self.leave(r)
    }

    async fn auth_plain(&mut self, user: &str, password: &SecretString) -> Result<(), Pop3Error> {
        // Sized up front so no reallocation leaves an unzeroed copy of the secret behind.
        let secret = password.expose_secret();
        let mut raw = Zeroizing::new(Vec::with_capacity(user.len() + secret.len() + 2));
        raw.push(0);
        raw.extend_from_slice(user.as_bytes());
        raw.push(0);
        raw.extend_from_slice(secret.as_bytes());
        let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*raw));
        let line = secret_line("AUTH PLAIN ", &b64);
        // RFC 5034 section 4: no initial response if the command would exceed 255 octets.
        let status = if line.len() <= 255 {
            self.send(line.as_bytes()).await?;
            self.read_status().await?
        } else {
            self.send(b"AUTH PLAIN\r\n").await?;
            let challenge = self.read_status().await?;
            if challenge.kind != StatusKind::Continue {
                return Err(server_error("log in", challenge));
            }
            let response = secret_line("", &b64);
            self.send(response.as_bytes()).await?;
            self.read_status().await?
        };
        match status.kind {
            StatusKind::Ok => Ok(()),
            StatusKind::Err => Err(server_error("log in", status)),
            StatusKind::Continue => {
                // PLAIN has one step; cancel the exchange (RFC 5034 "*") and report it.
                self.send(b"*\r\n").await?;
                self.read_status().await?;
                Err(invalid("unexpected SASL challenge after AUTH PLAIN"))
            }
        }
    }

    async fn user_pass(&mut self, user: &str, password: &SecretString) -> Result<(), Pop3Error> {
        self.simple(&format!("USER {user}"), "log in").await?;
        let line = secret_line("PASS ", password.expose_secret());
        self.send(line.as_bytes()).await?;
        let status = self.read_status().await?;
        match status.kind {
            StatusKind::Ok => Ok(()),
            _ => Err(server_error("log in", status)),
        }
    }

    /// STAT: message count and total size.
    pub async fn stat(&mut self) -> Result<Stat, Pop3Error> {
        self.enter().await?;
        let r = async { Ok(parse_stat(&self.simple("STAT", "STAT").await?.text)?) }.await;
        self.leave(r)
    }

    /// LIST: every message's number and size.
    pub async fn list(&mut self) -> Result<Vec<ListEntry>, Pop3Error> {
        self.enter().await?;
        let r = async { Ok(parse_list(&self.listing("LIST", "LIST").await?)?) }.await;
        if let Ok(entries) = &r {
            self.sizes = entries.iter().map(|e| (e.number, e.size)).collect();
        }
        self.leave(r)
    }

    /// LIST n: one message's size.
    pub async fn list_one(&mut self, number: u32) -> Result<ListEntry, Pop3Error> {
        self.enter().await?;
        let r = async {
            let cmd = format!("LIST {number}");
            Ok(parse_list_line(
                self.simple(&cmd, &cmd).await?.text.as_bytes(),
            )?)
        }
        .await;
        self.leave(r)
    }

    /// UIDL: every message's unique id. [`Pop3Error::Unsupported`] when CAPA lacks UIDL, or
    /// the server (without CAPA) answers a bare `-ERR`: the caller falls back to its own key.
    pub async fn uidl(&mut self) -> Result<Vec<UidlEntry>, Pop3Error> {
        self.require("UIDL")?;
        self.enter().await?;
        let r = async {
            let body = self
                .listing("UIDL", "UIDL")
                .await
                .map_err(|e| self.unsupported(e, "UIDL"))?;
            Ok(parse_uidl(&body)?)
        }
        .await;
        self.leave(r)
    }

    /// UIDL n: one message's unique id.
    pub async fn uidl_one(&mut self, number: u32) -> Result<UidlEntry, Pop3Error> {
        self.require("UIDL")?;
        self.enter().await?;
        let r = async {
            let cmd = format!("UIDL {number}");
            let status = self.simple(&cmd, &cmd).await?;
            Ok(parse_uidl_line(status.text.as_bytes())?)
        }
        .await;
        self.leave(r)
    }

    /// TOP n lines: the header and the first `lines` body lines, exact bytes.
    pub async fn top(&mut self, number: u32, lines: u32) -> Result<Vec<u8>, Pop3Error> {
        self.require("TOP")?;
        self.enter().await?;
        let r = async {
            let cmd = format!("TOP {number} {lines}");
            let max = self.opts.max_message_bytes;
            self.multi(&cmd, &cmd, max)
                .await
                .map_err(|e| self.unsupported(e, "TOP"))
        }
        .await;
        self.leave(r)
    }

    /// RETR n: the message exactly as the server sent it, dot-unstuffed, final CRLF kept.
    pub async fn retr(&mut self, number: u32) -> Result<Vec<u8>, Pop3Error> {
        self.enter().await?;
        let r = async {
            let cmd = format!("RETR {number}");
            let max = self.opts.max_message_bytes;
            self.simple(&cmd, &cmd).await?;
            self.expect_message(number);
            self.read_body(max).await
        }
        .await;
        self.leave(r)
    }

    /// Retrieves many messages in order, pipelined when the server offers PIPELINING, one
    /// at a time otherwise. Pull them with [`Retrieval::next`]; only one message is held in
    /// memory at a time.
    pub fn retrieve(&mut self, numbers: impl IntoIterator<Item = u32>) -> Retrieval<'_, S> {
        let window = if self.supports_pipelining() {
            self.opts.pipeline_window.max(1)
        } else {
            1
        };
        Retrieval::new(self, numbers.into_iter().collect(), window)
    }

    /// DELE n: marks the message; the server removes it only at a successful QUIT.
    pub async fn dele(&mut self, number: u32) -> Result<(), Pop3Error> {
        self.enter().await?;
        let cmd = format!("DELE {number}");
        let r = self.simple(&cmd, &cmd).await.map(drop);
        self.leave(r)
    }

    /// RSET: unmarks every message marked for deletion in this session.
    pub async fn rset(&mut self) -> Result<(), Pop3Error> {
        self.enter().await?;
        let r = self.simple("RSET", "RSET").await.map(drop);
        self.leave(r)
    }

    /// NOOP: keeps the session alive.
    pub async fn noop(&mut self) -> Result<(), Pop3Error> {
        self.enter().await?;
        let r = self.simple("NOOP", "NOOP").await.map(drop);
        self.leave(r)
    }

    /// QUIT: ends the session; after login this is when DELE-marked messages are removed.
    /// `Ok` means the server confirmed the UPDATE; any error means deletions may not have
    /// happened (a dropped connection deletes nothing).
    pub async fn quit(mut self) -> Result<(), Pop3Error> {
        self.enter().await?;
        self.simple("QUIT", "QUIT").await?;
        // The server closes its side; a failure to close ours changes nothing.
        let _ = self.stream.shutdown().await;
        Ok(())
    }

    // ---- plumbing shared with Retrieval ----

    /// Starts a call: refuses a poisoned session, discards replies owed by an abandoned
    /// [`Retrieval`], and marks the session busy until [`leave`](Self::leave).
    pub(super) async fn enter(&mut self) -> Result<(), Pop3Error> {
        if self.poisoned {
            return Err(Pop3Error::Broken);
        }
        self.poisoned = true;
        // The time since the last call was the caller's, not the server's.
        self.pace.resume();
        while self.owed > 0 {
            let status = self.read_status().await?;
            if status.is_ok() {
                self.read_body(self.opts.max_message_bytes).await?;
            }
            self.owed -= 1;
        }
        Ok(())
    }

    /// Ends a call: the session stays usable unless the error was fatal.
    pub(super) fn leave<T>(&mut self, r: Result<T, Pop3Error>) -> Result<T, Pop3Error> {
        self.pace.hold();
        if !matches!(&r, Err(e) if e.is_fatal()) {
            self.poisoned = false;
        }
        r
    }

    /// The body of message `number` is due: its deadline scales with its LIST size (or, not
    /// listed, with the largest message accepted).
    pub(super) fn expect_message(&mut self, number: u32) {
        let size = self
            .sizes
            .get(&number)
            .copied()
            .unwrap_or(self.opts.max_message_bytes as u64);
        self.pace.expect(size);
    }

    pub(super) fn max_message_bytes(&self) -> usize {
        self.opts.max_message_bytes
    }

    fn require(&self, capability: &'static str) -> Result<(), Pop3Error> {
        match &self.caps {
            Some(caps) if !caps.has(capability) => Err(Pop3Error::Unsupported(capability)),
            _ => Ok(()),
        }
    }

    /// Without CAPA, a bare `-ERR` to an optional command means "not implemented".
    fn unsupported(&self, e: Pop3Error, capability: &'static str) -> Pop3Error {
        match e {
            Pop3Error::Server { code: None, .. } if self.caps.is_none() => {
                Pop3Error::Unsupported(capability)
            }
            e => e,
        }
    }

    async fn load_capabilities(&mut self) -> Result<(), Pop3Error> {
        self.send(b"CAPA\r\n").await?;
        let status = self.read_status().await?;
        self.caps = match status.kind {
            StatusKind::Ok => Some(Capabilities::parse(&self.read_body(MAX_STATUS_LINE).await?)),
            _ => None,
        };
        Ok(())
    }

    /// Sends a single-line command and requires `+OK`.
    async fn simple(&mut self, cmd: &str, name: &str) -> Result<Status, Pop3Error> {
        self.send(format!("{cmd}\r\n").as_bytes()).await?;
        let status = self.read_status().await?;
        match status.kind {
            StatusKind::Ok => Ok(status),
            StatusKind::Err => Err(server_error(name, status)),
            StatusKind::Continue => Err(invalid("unexpected continuation")),
        }
    }

    /// Sends a command whose `+OK` carries a listing (LIST, UIDL).
    async fn listing(&mut self, cmd: &str, name: &str) -> Result<Vec<u8>, Pop3Error> {
        let max = self.opts.max_message_bytes;
        self.simple(cmd, name).await?;
        // Its length is unknown; it is bounded by `max` bytes and by the throughput floor.
        self.pace.expect(max as u64);
        self.read_lines(MAX_STATUS_LINE, max).await
    }

    /// Sends a command whose `+OK` carries a message (RETR, TOP).
    async fn multi(&mut self, cmd: &str, name: &str, max: usize) -> Result<Vec<u8>, Pop3Error> {
        self.simple(cmd, name).await?;
        self.pace.expect(max as u64);
        self.read_body(max).await
    }

    pub(super) async fn send(&mut self, bytes: &[u8]) -> Result<(), Pop3Error> {
        tracing::debug!(target: "postie::pop3", "C: {}", redact(bytes));
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        let r = match tokio::time::timeout(self.opts.read_timeout, write).await {
            Err(_) => Err(Pop3Error::Timeout(self.opts.read_timeout)),
            Ok(r) => r.map_err(Pop3Error::Io),
        };
        // A status line is due from now.
        self.pace.expect(0);
        r
    }

    /// Reads one status line.
    pub(super) async fn read_status(&mut self) -> Result<Status, Pop3Error> {
        loop {
            match check_line(&self.buf[self.start..], MAX_STATUS_LINE) {
                Ok(len) => {
                    let line = &self.buf[self.start..self.start + len];
                    self.start += len;
                    let status = parse_status_line(line)?;
                    tracing::trace!(target: "postie::pop3", "S: {:?} {}", status.kind, status.text);
                    return Ok(status);
                }
                Err(CodecError::Incomplete) => self.fill().await?,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads a multi-line body whose lines may be as long as the body itself.
    pub(super) async fn read_body(&mut self, max: usize) -> Result<Vec<u8>, Pop3Error> {
        self.read_lines(max, max).await
    }

    async fn read_lines(&mut self, max_line: usize, max: usize) -> Result<Vec<u8>, Pop3Error> {
        let mut decoder = MultilineDecoder::new(max_line, max);
        loop {
            self.start += decoder.decode(&self.buf[self.start..])?;
            if decoder.is_done() {
                return Ok(decoder.into_data());
            }
            self.fill().await?;
        }
    }

    /// Reads more bytes into the buffer; end of stream mid-reply is [`Pop3Error::Closed`].
    async fn fill(&mut self) -> Result<(), Pop3Error> {
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start >= READ_CHUNK {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.reserve(READ_CHUNK);
        let read = self.stream.read_buf(&mut self.buf);
        match tokio::time::timeout(self.opts.read_timeout, read).await {
            Err(_) => Err(Pop3Error::Timeout(self.opts.read_timeout)),
            Ok(Err(e)) => Err(match pace_error(&e) {
                Some(limit) => Pop3Error::GaveUp(limit.to_string()),
                None => Pop3Error::Io(e),
            }),
            Ok(Ok(0)) => Err(Pop3Error::Closed),
            Ok(Ok(_)) => Ok(()),
        }
    }
}

#[path = "bearer.rs"]
mod bearer;
