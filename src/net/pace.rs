//! A stream wrapper that ends a reply which arrives too slowly, not only one that stops.
//!
//! Why: a read timeout counts silence only, so a server that trickles one byte every 20 s, or
//! floods untagged responses that never complete the command, keeps a client forever. While a
//! reply is due ([`PaceControl::expect`]), [`Paced`] enforces two limits:
//!
//! - a minimum throughput, averaged over a window of *waiting* time: each time the reader has
//!   waited [`PaceLimits::window`] for the server in total, at least `min_rate * window` bytes
//!   must have arrived in that window (a short stall is fine; time the caller spends elsewhere,
//!   writing to disk, is never blamed on the server);
//! - a deadline for the whole reply, `base_deadline + expected_bytes / min_rate` after it was
//!   asked for, so a fast flood that never ends the command ends all the same.
//!
//! Time the caller spends away from the stream between two reads ([`PaceControl::hold`] to
//! [`PaceControl::resume`]) is not counted either.
//!
//! Both fail the read with an [`io::Error`] of kind `TimedOut` carrying a [`PaceError`]
//! (find it with [`pace_error`]); the protocol clients turn that into their own
//! connection-kind error. Between replies ([`PaceControl::pause`], e.g. during IDLE) nothing is
//! enforced. Writes pass through untouched.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The limits of one connection. The defaults suit real servers on slow links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaceLimits {
    /// Bytes per second the server must sustain, averaged over `window`.
    pub min_rate: u64,
    /// How much waiting time one throughput average covers.
    pub window: Duration,
    /// What a reply of unknown or zero size gets; larger ones get `size / min_rate` more.
    pub base_deadline: Duration,
}

impl Default for PaceLimits {
    /// 1 KiB/s over 60 s (a stall of a minute is the silence timeout's business anyway) and
    /// 120 s plus the size at that rate per reply.
    fn default() -> Self {
        PaceLimits {
            min_rate: 1024,
            window: Duration::from_secs(60),
            base_deadline: Duration::from_secs(120),
        }
    }
}

impl PaceLimits {
    /// How long a reply of about `expected` bytes may take in all.
    pub fn deadline_for(&self, expected: u64) -> Duration {
        let extra = expected / self.min_rate.max(1);
        self.base_deadline
            .saturating_add(Duration::from_secs(extra.min(u64::from(u32::MAX))))
    }
}

/// Why [`Paced`] failed a read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaceError {
    #[error("the server sent less than {} for {} s", rate_text(*.min_rate), .window.as_secs())]
    TooSlow { min_rate: u64, window: Duration },
    #[error("the server did not finish its reply within {} s{}", .after.as_secs(), size_text(*.expected))]
    Deadline { after: Duration, expected: u64 },
}

fn size_text(expected: u64) -> String {
    if expected == 0 {
        String::new()
    } else {
        format!(" (allowed for about {expected} bytes)")
    }
}

fn rate_text(rate: u64) -> String {
    if rate >= 1024 && rate.is_multiple_of(1024) {
        format!("{} KiB/s", rate / 1024)
    } else {
        format!("{rate} B/s")
    }
}

/// The [`PaceError`] inside an IO error from a [`Paced`] stream, if that is what it is.
pub fn pace_error(e: &io::Error) -> Option<&PaceError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<PaceError>())
}

/// One reply being waited for.
#[derive(Debug)]
struct Due {
    deadline: Instant,
    expected: u64,
    /// The size of the response in progress ([`PaceControl::allow_response`]).
    response: u64,
    /// Since when the caller has been busy with something else ([`PaceControl::hold`]).
    held_since: Option<Instant>,
    /// Waiting time and bytes of the current throughput window.
    waited: Duration,
    bytes: u64,
    /// Since when the reader has been waiting (a read returned Pending), if it is.
    waiting_since: Option<Instant>,
}

#[derive(Debug)]
struct PaceState {
    limits: PaceLimits,
    due: Option<Due>,
}

/// The handle a protocol client uses to say when a reply is due; cheap to clone.
#[derive(Debug, Clone)]
pub struct PaceControl(Arc<Mutex<PaceState>>);

impl PaceControl {
    fn lock(&self) -> std::sync::MutexGuard<'_, PaceState> {
        // The state is plain numbers: a panic elsewhere cannot leave it inconsistent.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A reply of about `expected_bytes` is due from now: a fresh deadline and window.
    pub fn expect(&self, expected_bytes: u64) {
        let mut state = self.lock();
        let now = Instant::now();
        let deadline = now + state.limits.deadline_for(expected_bytes);
        // A caller away from the stream stays away: the new deadline waits for its return.
        let held_since = state.due.as_ref().and_then(|d| d.held_since).map(|_| now);
        state.due = Some(Due {
            deadline,
            expected: expected_bytes,
            response: 0,
            held_since,
            waited: Duration::ZERO,
            bytes: 0,
            waiting_since: None,
        });
    }

    /// The response now being received is `bytes` large so far (announced literals
    /// included): the deadline allows `bytes / min_rate` more for it. Set to what the next one
    /// has when a response completes, so only the response in progress (whose size the
    /// caller's framing caps) is ever allowed for: a flood of complete responses gets nothing.
    pub fn allow_response(&self, bytes: u64) {
        if let Some(due) = &mut self.lock().due {
            due.response = bytes;
        }
    }

    /// The caller stops reading for a while (it writes a batch to disk): until
    /// [`PaceControl::resume`], the time is not counted against the reply's deadline.
    pub fn hold(&self) {
        self.lock().hold_at(Instant::now());
    }

    /// The caller reads again: the deadline moves by the time it was away.
    pub fn resume(&self) {
        self.lock().resume_at(Instant::now());
    }

    /// No reply is due (between commands, during IDLE): nothing is enforced.
    pub fn pause(&self) {
        self.lock().due = None;
    }

    /// The limits in force.
    pub fn limits(&self) -> PaceLimits {
        self.lock().limits
    }
}

/// What the state says about a read, now.
enum Verdict {
    Fail(PaceError),
    /// Fine; look again at this instant if still waiting.
    WakeAt(Option<Instant>),
}

impl PaceState {
    fn hold_at(&mut self, now: Instant) {
        if let Some(due) = &mut self.due {
            due.held_since.get_or_insert(now);
        }
    }

    fn resume_at(&mut self, now: Instant) {
        if let Some(due) = &mut self.due
            && let Some(since) = due.held_since.take()
        {
            due.deadline += now.saturating_duration_since(since);
        }
    }

    fn received(&mut self, n: usize, now: Instant) {
        if let Some(due) = &mut self.due {
            if let Some(since) = due.waiting_since.take() {
                due.waited += now.saturating_duration_since(since);
            }
            due.bytes = due.bytes.saturating_add(n as u64);
        }
    }

    fn waiting(&mut self, now: Instant) {
        if let Some(due) = &mut self.due {
            due.waiting_since.get_or_insert(now);
        }
    }

    fn judge(&mut self, now: Instant) -> Verdict {
        let limits = self.limits;
        let Some(due) = &mut self.due else {
            return Verdict::WakeAt(None);
        };
        let allowance = limits.deadline_for(due.response) - limits.base_deadline;
        let deadline = due.deadline + allowance;
        if now >= deadline {
            let expected = due.expected.saturating_add(due.response);
            return Verdict::Fail(PaceError::Deadline {
                after: limits.deadline_for(expected),
                expected,
            });
        }
        let ongoing = due
            .waiting_since
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        let waited = due.waited + ongoing;
        if waited >= limits.window {
            let needed = limits
                .min_rate
                .saturating_mul(limits.window.as_secs().max(1));
            if due.bytes < needed {
                return Verdict::Fail(PaceError::TooSlow {
                    min_rate: limits.min_rate,
                    window: limits.window,
                });
            }
            // A new window starts now.
            due.waited = Duration::ZERO;
            due.bytes = 0;
            if due.waiting_since.is_some() {
                due.waiting_since = Some(now);
            }
        }
        let window_end = due
            .waiting_since
            .map(|_| now + limits.window.saturating_sub(due.waited));
        let wake = match window_end {
            Some(end) => end.min(deadline),
            None => deadline,
        };
        Verdict::WakeAt(Some(wake))
    }
}

/// `S`, with its reads held to the limits of a [`PaceControl`].
pub struct Paced<S> {
    inner: S,
    control: PaceControl,
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S: fmt::Debug> fmt::Debug for Paced<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paced")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S> Paced<S> {
    /// Wraps `inner`; nothing is enforced until [`PaceControl::expect`].
    pub fn new(inner: S, limits: PaceLimits) -> Self {
        Paced {
            inner,
            control: PaceControl(Arc::new(Mutex::new(PaceState { limits, due: None }))),
            timer: None,
        }
    }

    pub fn control(&self) -> PaceControl {
        self.control.clone()
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

fn failed(e: PaceError) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, e)
}

impl<S: AsyncRead + Unpin> AsyncRead for Paced<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len() - before;
                let now = Instant::now();
                let mut state = this.control.lock();
                state.received(n, now);
                if let Verdict::Fail(e) = state.judge(now) {
                    return Poll::Ready(Err(failed(e)));
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => loop {
                let now = Instant::now();
                let wake = {
                    let mut state = this.control.lock();
                    state.waiting(now);
                    match state.judge(now) {
                        Verdict::Fail(e) => return Poll::Ready(Err(failed(e))),
                        Verdict::WakeAt(at) => at,
                    }
                };
                let Some(at) = wake else {
                    this.timer = None;
                    return Poll::Pending;
                };
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
                if timer.deadline() != at {
                    timer.as_mut().reset(at);
                }
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                // The timer fired: judge again (it fails or moves the next look).
            },
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Paced<S> {
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
#[path = "pace_tests.rs"]
mod tests;
