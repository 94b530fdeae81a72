//! A stream wrapper that remembers when bytes last arrived, so a timeout means "the server
//! went quiet", not "one response took long".
//!
//! Why: a 50 MB attachment over a slow link is one IMAP response that may take minutes; a
//! per-response deadline would call that connection dead, and the engine would retry the same
//! download forever. With this, the session gives up only after [`net::IO_TIMEOUT`] without a
//! single byte.
//!
//! It is also where the stream is paced ([`Paced`]: a minimum throughput and a per-reply
//! deadline, armed by the session while a reply is due) and cut into whole responses
//! ([`Framer`]) before anything parses them, so an announced literal is never allocated
//! before it arrives and an endless line fails at the line cap.
//!
//! [`net::IO_TIMEOUT`]: crate::net::IO_TIMEOUT

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::frame::{FrameLimits, Framer, mend_line_ends};
use crate::net::{PaceControl, PaceLimits, Paced};

/// When the wrapped stream last delivered bytes; cheap to clone and read from elsewhere.
#[derive(Debug, Clone)]
pub struct Activity {
    base: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Self {
            base: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Marks "now" as active (when a command is sent, the wait for its reply starts afresh).
    pub fn reset(&self) {
        self.touch();
    }

    /// How long since bytes last arrived (or since [`Activity::reset`]).
    pub fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.base.elapsed().saturating_sub(last)
    }
}

/// How much to ask the socket for at a time.
const READ_CHUNK: usize = 64 * 1024;

/// `S`, paced ([`Paced`]), recording read activity, and cut into whole responses
/// ([`Framer`]).
///
/// Invariant: `pending` holds only bytes that arrived (never room for an announced size), and
/// a reader of the [`AsyncRead`] side (async-imap, during login) gets bytes of one complete
/// response per read at most, so its own buffer never holds a partial response or the start
/// of the next one.
#[derive(Debug)]
pub struct Watched<S> {
    inner: Paced<S>,
    activity: Activity,
    framer: Framer,
    /// Bytes read from the server and not yet handed on are `pending[start..]` (an offset, so
    /// handing on many small responses from one read copies each once).
    pending: Vec<u8>,
    start: usize,
    /// A complete response being handed to the [`AsyncRead`] side, and how much of it went.
    ready: Vec<u8>,
    ready_sent: usize,
}

impl<S> Watched<S> {
    pub fn with_limits(inner: S, pace: PaceLimits, frame: FrameLimits) -> Self {
        let activity = Activity::new();
        activity.touch();
        Self {
            inner: Paced::new(inner, pace),
            activity,
            framer: Framer::new(frame),
            pending: Vec::new(),
            start: 0,
            ready: Vec::new(),
            ready_sent: 0,
        }
    }

    pub fn activity(&self) -> Activity {
        self.activity.clone()
    }

    /// The handle that says when a reply is due.
    pub fn pace(&self) -> PaceControl {
        self.inner.control()
    }

    pub fn get_ref(&self) -> &S {
        self.inner.get_ref()
    }

    /// The bare stream; whatever was read and not handed on is dropped (STARTTLS wants that).
    pub fn into_inner(self) -> S {
        self.inner.into_inner()
    }

    /// Puts bytes that followed a parsed response back in front of the unread ones.
    pub fn unread(&mut self, rest: &[u8]) {
        self.pending
            .splice(self.start..self.start, rest.iter().copied());
        self.framer = Framer::new(self.framer_limits());
    }

    fn framer_limits(&self) -> FrameLimits {
        self.framer.limits()
    }
}

impl<S: AsyncRead + Unpin> Watched<S> {
    /// The next complete response, `None` at a clean end of stream. Cancel-safe: bytes read
    /// so far stay in `pending`.
    pub async fn next_response(&mut self) -> io::Result<Option<Vec<u8>>> {
        std::future::poll_fn(|cx| self.poll_response(cx)).await
    }

    fn poll_response(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Vec<u8>>>> {
        loop {
            let complete = self.framer.complete(&self.pending[self.start..]);
            match complete {
                Ok(Some(n)) => {
                    let bare_lf = self.framer.take_bare_line_ends();
                    let mut response = if self.start == 0 && n >= self.pending.len() - n {
                        // A response at least as large as what follows it: keep its buffer and
                        // copy the smaller rest (each byte is copied a bounded number of times).
                        let rest = self.pending.split_off(n);
                        std::mem::replace(&mut self.pending, rest)
                    } else {
                        let response = self.pending[self.start..self.start + n].to_vec();
                        self.start += n;
                        response
                    };
                    if self.start == self.pending.len() {
                        self.pending.clear();
                        self.start = 0;
                    }
                    mend_line_ends(&mut response, &bare_lf);
                    // Done: the allowance was for this response only.
                    self.inner.control().allow_response(0);
                    return Poll::Ready(Ok(Some(response)));
                }
                Ok(None) => {
                    // The response in progress, announced literals included, gets its size's
                    // worth of extra time; it is capped, and forgotten when it completes.
                    let size = ((self.pending.len() - self.start) as u64)
                        .saturating_add(self.framer.literal_left());
                    self.inner.control().allow_response(size);
                }
                Err(e) => return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e))),
            }
            if self.start > 0 {
                // The response in progress starts at 0 again (the framer's offsets are
                // relative to it, so they still hold).
                self.pending.drain(..self.start);
                self.start = 0;
            }
            let len = self.pending.len();
            self.pending.resize(len + READ_CHUNK, 0);
            let mut buf = ReadBuf::new(&mut self.pending[len..]);
            let polled = Pin::new(&mut self.inner).poll_read(cx, &mut buf);
            let n = buf.filled().len();
            self.pending.truncate(len + n);
            match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if n == 0 => {
                    if self.pending.is_empty() {
                        return Poll::Ready(Ok(None));
                    }
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection in the middle of a response",
                    )));
                }
                Poll::Ready(Ok(())) => self.activity.touch(),
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.ready_sent == this.ready.len() {
            match this.poll_response(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(None)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(Some(response))) => {
                    this.ready = response;
                    this.ready_sent = 0;
                }
            }
        }
        let take = (this.ready.len() - this.ready_sent).min(buf.remaining());
        buf.put_slice(&this.ready[this.ready_sent..this.ready_sent + take]);
        this.ready_sent += take;
        if this.ready_sent == this.ready.len() {
            this.ready = Vec::new();
            this.ready_sent = 0;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn responses_come_whole_however_the_bytes_are_cut() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut w = Watched::with_limits(a, PaceLimits::default(), FrameLimits::default());
        b.write_all(b"* 1 EXISTS\r\n* 2 EXISTS\r\na1 OK done\r\n* 3 FETCH (BODY[] {3}\r\na")
            .await
            .unwrap();
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(w.next_response().await.unwrap().unwrap());
        }
        b.write_all(b"bc)\r\n").await.unwrap();
        got.push(w.next_response().await.unwrap().unwrap());
        w.unread(b"* 4 EXISTS\r\n");
        got.push(w.next_response().await.unwrap().unwrap());
        drop(b);
        assert!(w.next_response().await.unwrap().is_none());
        let expected: [&[u8]; 5] = [
            b"* 1 EXISTS\r\n",
            b"* 2 EXISTS\r\n",
            b"a1 OK done\r\n",
            b"* 3 FETCH (BODY[] {3}\r\nabc)\r\n",
            b"* 4 EXISTS\r\n",
        ];
        assert_eq!(got, expected.map(<[u8]>::to_vec));
    }

    #[tokio::test]
    async fn reads_refresh_the_activity() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut w = Watched::with_limits(a, PaceLimits::default(), FrameLimits::default());
        let act = w.activity();
        tokio::time::sleep(Duration::from_millis(10)).await;
        b.write_all(b"x\r\n").await.unwrap();
        let mut buf = [0u8; 3];
        w.read_exact(&mut buf).await.unwrap();
        assert!(act.idle_for() < Duration::from_secs(5));
    }
}
