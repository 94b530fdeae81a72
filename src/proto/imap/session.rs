//! The session and the command/response loop every other file builds on (getting one:
//! login.rs).
//!
//! Commands go out through async-imap's `run_command` (its tags). Replies come back whole
//! through the stream's own framing (`Watched::next_response`: line and literal caps, nothing
//! announced allocated before it arrives) and are parsed once by imap-proto, never by
//! async-imap's reader, which allocates announced literals up front and re-parses its whole
//! buffer after every 4 KiB read. While a reply is due the stream is paced (`net::Paced`):
//! each command, and each response the caller asked for, gets a fresh deadline, so a flood of
//! unsolicited responses ends; this file matches tags, turns tagged
//! NO/BAD into [`ImapError`], and keeps every server-initiated report (EXISTS, EXPUNGE,
//! VANISHED, FETCH FLAGS) in an unbounded list the caller drains with
//! [`ImapSession::take_unsolicited`]. (async-imap's own unsolicited channel holds 100 items and
//! drops the rest; the typed calls that feed it are not used, and it is drained after every
//! command anyway.)
//!
//! What must hold: a password goes out only on a TLS stream, or with `allow_plaintext`;
//! STARTTLS that is not offered is an error, never a silent downgrade; any IO error, EOF,
//! timeout, pace or framing limit, or unparsable response marks the session broken (kind
//! Network) and every later call fails fast with [`ImapError::Broken`]; an error line quotes
//! at most the first 100 bytes of a response.

use std::fmt::Debug;
use std::time::Duration;

use async_imap::Session;
use async_imap::imap_proto::{self, RequestId, Response, ResponseCode, Status};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::codec;
use super::error::ImapError;
use super::frame::excerpt;
use super::trace::{Trace, mask};
use super::types::{AppendUid, Capabilities, Unsolicited};
use super::watch::{Activity, Watched};
use crate::net::{MaybeTlsStream, PaceControl};

/// Why a session broke when imap-proto panicked on a response instead of returning an error
/// (it unwraps a NIL INTERNALDATE, for one): the session is dropped as after any response it
/// cannot parse, and the process lives on.
pub(crate) const UNPARSABLE: &str = "a response that cannot be parsed (the parser panicked)";

/// How much of a response an error line may quote.
const EXCERPT: usize = 100;

/// Parses one framed response (and what followed it in the frame, if anything). The error is
/// one readable line quoting at most the start of the response: never message content in bulk.
pub(crate) fn parse_frame(frame: &[u8]) -> Result<(Response<'_>, &[u8]), String> {
    // imap-proto panics on some malformed responses (e.g. `INTERNALDATE NIL`, found by
    // fuzz/imap_codec): a hostile server must break the session, not the process.
    match std::panic::catch_unwind(|| Response::parse(frame)) {
        Ok(Ok((rest, response))) => Ok((response, rest)),
        Ok(Err(_)) => Err(format!(
            "the server sent a response that cannot be parsed: {}",
            excerpt(frame, EXCERPT)
        )),
        Err(_) => Err(format!("{UNPARSABLE}: {}", excerpt(frame, EXCERPT))),
    }
}

/// The stream bound every session needs (async-imap wants Debug and Send).
pub trait ImapStream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> ImapStream for T {}

/// The session type [`ImapSession::connect`] returns.
pub type TcpImapSession = ImapSession<MaybeTlsStream<TcpStream>>;

/// What a tagged OK carried that callers need.
#[derive(Debug, Default)]
pub(crate) struct Done {
    pub append_uid: Option<AppendUid>,
    /// COPYUID: (uidvalidity, source UIDs, destination UIDs).
    pub copy_uid: Option<(u32, Vec<u32>, Vec<u32>)>,
    /// `[READ-ONLY]` on a SELECT.
    pub read_only: bool,
}

/// One logged-in IMAP connection. Not `Clone`; one command at a time (`&mut self`). IDLE needs a
/// session of its own.
pub struct ImapSession<S: ImapStream> {
    pub(crate) inner: Session<Watched<S>>,
    /// When bytes last arrived: the IO timeout counts silence, not response size.
    pub(crate) activity: Activity,
    /// Armed while a reply is due: the minimum throughput and the per-reply deadline.
    pub(crate) pace: PaceControl,
    pub(crate) server: String,
    pub(crate) caps: Capabilities,
    pub(crate) trace: Option<Trace>,
    pub(crate) io_timeout: Duration,
    pub(crate) broken: bool,
    pub(crate) unsolicited: Vec<Unsolicited>,
    /// The selected mailbox (wire name) and what SELECT said.
    pub(crate) selected: Option<super::types::Selected>,
    pub(crate) qresync_enabled: bool,
    /// Tags of pipelined commands whose completion nobody has read yet (a fetch stream that
    /// was dropped early); read and discarded before the next command.
    pub(crate) orphans: Vec<RequestId>,
    /// COPYUID seen in an untagged OK (UID MOVE reports it before the expunges).
    pub(crate) pending_copy_uid: Option<(u32, Vec<u32>, Vec<u32>)>,
}

impl<S: ImapStream> Debug for ImapSession<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSession")
            .field("server", &self.server)
            .field("caps", &self.caps)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

/// imap-proto's `Status` is not `Clone`.
pub(crate) fn own_status(s: &Status) -> Status {
    match s {
        Status::Ok => Status::Ok,
        Status::No => Status::No,
        Status::Bad => Status::Bad,
        Status::PreAuth => Status::PreAuth,
        Status::Bye => Status::Bye,
    }
}

/// Records a response as unsolicited if it is one of the reports the caller cares about.
/// Returns true when it was taken.
pub(crate) fn note_unsolicited(r: &Response<'_>, sink: &mut Vec<Unsolicited>) -> bool {
    match r {
        Response::MailboxData(imap_proto::MailboxDatum::Exists(n)) => {
            sink.push(Unsolicited::Exists(*n));
            true
        }
        Response::Expunge(n) => {
            sink.push(Unsolicited::Expunge(*n));
            true
        }
        Response::Vanished { uids, .. } => {
            sink.push(Unsolicited::Vanished(uids.clone()));
            true
        }
        Response::Fetch(seq, attrs) => {
            let (uid, flags, modseq) = codec::flag_update(attrs);
            if let Some(flags) = flags {
                sink.push(Unsolicited::Flags {
                    seq: *seq,
                    uid,
                    flags,
                    modseq,
                });
            }
            true
        }
        _ => false,
    }
}

/// One response, classified by the closure given to [`ImapSession::read_with`].
pub(crate) enum Step<R> {
    /// Not the end of the command yet.
    More(Option<R>),
    /// The tagged completion of a command.
    Done {
        tag: RequestId,
        result: Result<Done, (Status, String)>,
    },
    /// The server said BYE.
    Bye(String),
}

impl<S: ImapStream> ImapSession<S> {
    /// What the server offers (read once, after login).
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// `host:port`, for messages.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// False once a network-kind error happened: drop the session and connect a new one.
    pub fn is_usable(&self) -> bool {
        !self.broken
    }

    /// Server-initiated reports gathered since the last call (EXISTS, EXPUNGE, VANISHED,
    /// FETCH FLAGS of messages the caller did not ask about).
    pub fn take_unsolicited(&mut self) -> Vec<Unsolicited> {
        std::mem::take(&mut self.unsolicited)
    }

    /// Sends LOGOUT and closes; errors are ignored (the connection is going away anyway).
    pub async fn logout(mut self) {
        if self.broken {
            return;
        }
        if let Ok(tag) = self.send("LOGOUT").await {
            let _ = self.finish(&tag, "LOGOUT", |_| true).await;
        }
    }

    pub(crate) fn fail(&mut self, reason: impl std::fmt::Display) -> ImapError {
        self.broken = true;
        ImapError::Connection {
            server: self.server.clone(),
            reason: reason.to_string(),
        }
    }

    /// The error for a failed read: the pace and framing limits say what happened in words
    /// of their own; anything else is a broken connection.
    pub(crate) fn fail_io(&mut self, e: std::io::Error) -> ImapError {
        self.broken = true;
        gave_up_or_broken(&self.server, e)
    }

    pub(crate) fn record(&self, command: &str) {
        let shown = mask(command);
        tracing::debug!(server = %self.server, "C: {shown}");
        if let Some(t) = &self.trace {
            t.record(shown);
        }
    }

    /// Sends one tagged command (after settling any orphaned pipelined commands).
    pub(crate) async fn send(&mut self, command: &str) -> Result<RequestId, ImapError> {
        if self.broken {
            return Err(ImapError::Broken {
                server: self.server.clone(),
            });
        }
        self.settle().await?;
        self.send_now(command).await
    }

    /// Sends without settling orphans (the pipelined fetch streams use it).
    pub(crate) async fn send_now(&mut self, command: &str) -> Result<RequestId, ImapError> {
        if self.broken {
            return Err(ImapError::Broken {
                server: self.server.clone(),
            });
        }
        self.record(command);
        self.activity.reset();
        self.pace.expect(0);
        match self.inner.run_command(command).await {
            Ok(tag) => Ok(tag),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Writes raw bytes (a literal's payload, `DONE`) straight to the stream.
    pub(crate) async fn write_raw(&mut self, bytes: &[u8]) -> Result<(), ImapError> {
        let stream = self.inner.get_mut();
        let result = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        }
        .await;
        // A literal's payload or DONE: the reply to it is due from now.
        self.pace.expect(0);
        result.map_err(|e| self.fail(e))
    }

    /// Reads one response (within the IO timeout) and hands it to `f` with the unsolicited
    /// sink. EOF, IO errors, parse failures and timeouts break the session. The time between
    /// two reads is the caller's, not counted against the reply's deadline.
    pub(crate) async fn read_with<R>(
        &mut self,
        timeout: Option<Duration>,
        f: impl FnOnce(&Response<'_>, &mut Vec<Unsolicited>) -> R,
    ) -> Result<R, ImapError> {
        self.pace.resume();
        let result = self.read_one(timeout, f).await;
        self.pace.hold();
        result
    }

    async fn read_one<R>(
        &mut self,
        timeout: Option<Duration>,
        f: impl FnOnce(&Response<'_>, &mut Vec<Unsolicited>) -> R,
    ) -> Result<R, ImapError> {
        if self.broken {
            return Err(ImapError::Broken {
                server: self.server.clone(),
            });
        }
        let activity = self.activity.clone();
        // Silence is counted from the later of the last byte and the start of this wait, so
        // a caller that paused between two reads (writing a batch to disk) is not blamed on
        // the server.
        activity.reset();
        let resp = {
            // Whole responses only (see `watch`): nothing announced is allocated before it
            // arrives, and the read is cancel-safe.
            let read = self.inner.get_mut().next_response();
            tokio::pin!(read);
            match timeout {
                Some(t) => loop {
                    // Re-armed while bytes keep arriving: only silence for `t` times out.
                    let wait = t
                        .saturating_sub(activity.idle_for())
                        .max(Duration::from_millis(1));
                    match tokio::time::timeout(wait, &mut read).await {
                        Ok(r) => break Some(r),
                        Err(_) if activity.idle_for() < t => {}
                        Err(_) => break None,
                    }
                },
                None => Some(read.await),
            }
        };
        let Some(resp) = resp else {
            self.broken = true;
            return Err(ImapError::Timeout {
                server: self.server.clone(),
            });
        };
        let frame = match resp {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                self.broken = true;
                return Err(ImapError::Closed {
                    server: self.server.clone(),
                    message: None,
                });
            }
            Err(e) => return Err(self.fail_io(e)),
        };
        match parse_frame(&frame) {
            Ok((response, rest)) => {
                if !rest.is_empty() {
                    self.inner.get_mut().unread(rest);
                }
                Ok(f(&response, &mut self.unsolicited))
            }
            Err(reason) => {
                self.broken = true;
                Err(ImapError::GaveUp {
                    server: self.server.clone(),
                    reason,
                })
            }
        }
    }

    /// Reads one response, classifying it: completion of any tag, BYE, data for `on_data`
    /// (which returns `Some(item)` or `None` when it does not want the response: then it is
    /// noted as unsolicited if it is a report).
    pub(crate) async fn step<R>(
        &mut self,
        on_data: impl FnOnce(&Response<'_>) -> Option<R>,
    ) -> Result<Step<R>, ImapError> {
        let timeout = self.io_timeout;
        let (step, copy_uid) = self
            .read_with(Some(timeout), |r, sink| match r {
                Response::Done {
                    tag,
                    status,
                    outcome,
                } => {
                    let info = outcome.information.as_deref().unwrap_or("").to_owned();
                    let result = if *status == Status::Ok {
                        let mut done = Done::default();
                        match &outcome.code {
                            Some(ResponseCode::AppendUid(validity, uids)) => {
                                let uid = codec::expand(&codec::uid_ranges(uids))
                                    .first()
                                    .copied()
                                    .unwrap_or(0);
                                done.append_uid = Some(AppendUid {
                                    uid_validity: *validity,
                                    uid,
                                });
                            }
                            Some(ResponseCode::CopyUid(validity, from, to)) => {
                                done.copy_uid = Some((
                                    *validity,
                                    codec::expand(&codec::uid_ranges(from)),
                                    codec::expand(&codec::uid_ranges(to)),
                                ));
                            }
                            Some(ResponseCode::ReadOnly) => done.read_only = true,
                            _ => {}
                        }
                        Ok(done)
                    } else {
                        let code = match &outcome.code {
                            Some(c) => format!("[{c:?}] "),
                            None => String::new(),
                        };
                        Err((own_status(status), format!("{code}{info}")))
                    };
                    (
                        Step::Done {
                            tag: tag.clone(),
                            result,
                        },
                        None,
                    )
                }
                Response::Data {
                    status: Status::Bye,
                    outcome,
                } => (
                    Step::Bye(outcome.information.as_deref().unwrap_or("").to_owned()),
                    None,
                ),
                Response::Data {
                    outcome:
                        imap_proto::Outcome {
                            code: Some(ResponseCode::CopyUid(validity, from, to)),
                            ..
                        },
                    ..
                } => (
                    Step::More(None),
                    Some((
                        *validity,
                        codec::expand(&codec::uid_ranges(from)),
                        codec::expand(&codec::uid_ranges(to)),
                    )),
                ),
                other => match on_data(other) {
                    Some(item) => (Step::More(Some(item)), None),
                    None => {
                        note_unsolicited(other, sink);
                        (Step::More(None), None)
                    }
                },
            })
            .await?;
        if copy_uid.is_some() {
            self.pending_copy_uid = copy_uid;
        }
        match &step {
            // Progress: the next response the caller wants gets a fresh deadline, so only a
            // flood of responses nobody asked for runs into it.
            Step::More(Some(_)) => self.pace.expect(0),
            Step::Done { tag, .. } => self.progress_after(tag),
            _ => {}
        }
        if let Step::Bye(m) = &step {
            // A BYE is followed by the server closing; the tagged reply may never come.
            tracing::debug!(server = %self.server, "S: BYE {m}");
        }
        Ok(step)
    }

    /// Turns a tagged NO/BAD into an error for `command`.
    pub(crate) fn refused(&self, command: &str, status: Status, message: String) -> ImapError {
        let verb = command.split(' ').take(2).collect::<Vec<_>>().join(" ");
        match status {
            Status::No => ImapError::No {
                server: self.server.clone(),
                command: verb,
                temporary: codec::is_temporary(&message),
                message,
            },
            _ => ImapError::Bad {
                server: self.server.clone(),
                command: verb,
                message,
            },
        }
    }

    /// Reads up to the tagged completion of `tag`, passing every other response to `on_data`
    /// (return true to consume it; false leaves it to the unsolicited sink).
    pub(crate) async fn finish(
        &mut self,
        tag: &RequestId,
        command: &str,
        mut on_data: impl FnMut(&Response<'_>) -> bool,
    ) -> Result<Done, ImapError> {
        let mut bye = None;
        loop {
            let step = self
                .step(|r| if on_data(r) { Some(()) } else { None })
                .await;
            let step = match step {
                Ok(s) => s,
                Err(ImapError::Closed { server, .. }) if bye.is_some() => {
                    return Err(ImapError::Closed {
                        server,
                        message: bye,
                    });
                }
                Err(e) => return Err(e),
            };
            match step {
                Step::More(_) => {}
                Step::Bye(m) => bye = Some(m),
                Step::Done { tag: t, result } if &t == tag => {
                    self.drain_channel();
                    return match result {
                        Ok(done) => Ok(done),
                        Err((status, message)) => Err(self.refused(command, status, message)),
                    };
                }
                Step::Done { tag: t, .. } => {
                    self.orphans.retain(|o| o != &t);
                }
            }
        }
    }

    /// Empties async-imap's bounded unsolicited channel (fed only by its typed calls), keeping
    /// the reports we track.
    fn drain_channel(&mut self) {
        while let Ok(u) = self.inner.unsolicited_responses.try_recv() {
            match u {
                async_imap::types::UnsolicitedResponse::Exists(n) => {
                    self.unsolicited.push(Unsolicited::Exists(n))
                }
                async_imap::types::UnsolicitedResponse::Expunge(n) => {
                    self.unsolicited.push(Unsolicited::Expunge(n))
                }
                _ => {}
            }
        }
    }

    /// After the completion of `tag`: a fresh deadline if other commands are still in
    /// flight, else nothing is due until the next command.
    fn progress_after(&self, tag: &RequestId) {
        if self.orphans.iter().any(|o| o != tag) {
            self.pace.expect(0);
        } else {
            self.pace.pause();
        }
    }

    /// Reads and discards the completions of pipelined commands nobody waited for.
    async fn settle(&mut self) -> Result<(), ImapError> {
        while !self.orphans.is_empty() {
            let timeout = Some(self.io_timeout);
            let done = self
                .read_with(timeout, |r, sink| match r {
                    Response::Done { tag, .. } => Some(tag.clone()),
                    // The abandoned fetch's own records: not news about the mailbox.
                    Response::Fetch(..) => None,
                    other => {
                        note_unsolicited(other, sink);
                        None
                    }
                })
                .await?;
            if let Some(tag) = done {
                self.progress_after(&tag);
                self.orphans.retain(|o| o != &tag);
            }
        }
        Ok(())
    }

    /// Runs a command whose only interesting answer is OK.
    pub(crate) async fn simple(&mut self, command: &str) -> Result<Done, ImapError> {
        let tag = self.send(command).await?;
        self.finish(&tag, command, |_| false).await
    }

    /// Sends NOOP: lets the server report changes to the selected mailbox (then read them with
    /// [`ImapSession::take_unsolicited`]) and keeps the connection alive.
    pub async fn noop(&mut self) -> Result<(), ImapError> {
        self.simple("NOOP").await.map(|_| ())
    }
}

/// [`ImapError::GaveUp`] when the pace or framing limits failed the read, else
/// [`ImapError::Connection`].
pub(crate) fn gave_up_or_broken(server: &str, e: std::io::Error) -> ImapError {
    let limit = crate::net::pace_error(&e)
        .map(ToString::to_string)
        .or_else(|| {
            e.get_ref()
                .and_then(|inner| inner.downcast_ref::<super::frame::FrameError>())
                .map(ToString::to_string)
        });
    match limit {
        Some(reason) => ImapError::GaveUp {
            server: server.to_owned(),
            reason,
        },
        None => ImapError::Connection {
            server: server.to_owned(),
            reason: e.to_string(),
        },
    }
}
