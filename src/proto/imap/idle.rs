//! IDLE (RFC 2177) on a session of its own: wait until the server reports a change.
//!
//! The server ends an IDLE after 30 minutes of silence, so we send DONE and IDLE again before
//! that ([`IdleOptions::refresh`], 28 minutes by default). A dead connection (suspend, NAT
//! timeout) shows at the latest at that refresh, when DONE gets no answer within the IO
//! timeout; callers that want to notice sooner pass a shorter refresh.

use std::future::Future;
use std::time::Duration;

use async_imap::imap_proto::{MailboxDatum, Response, Status};

use super::error::ImapError;
use super::session::{ImapSession, ImapStream, note_unsolicited};
use super::types::Unsolicited;

#[derive(Debug, Clone)]
pub struct IdleOptions {
    /// Re-IDLE after this long (must stay under the server's 30-minute limit).
    pub refresh: Duration,
}

impl Default for IdleOptions {
    fn default() -> Self {
        Self {
            refresh: Duration::from_secs(28 * 60),
        }
    }
}

/// Why [`ImapSession::idle`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdleEvent {
    /// The folder changed: these are the reports (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS).
    /// Sync the folder on the main session.
    Changed(Vec<Unsolicited>),
    /// The `stop` future completed; the session is out of IDLE and still usable.
    Stopped,
}

impl<S: ImapStream> ImapSession<S> {
    /// Selects `folder` (unless it already is) and idles until it changes or `stop`
    /// completes (e.g. `token.cancelled()`, a channel's `recv()`). Call it again after
    /// handling a change; reports that arrived in between are returned at once.
    ///
    /// Needs the IDLE capability; without it, poll with [`ImapSession::noop`].
    pub async fn idle<F: Future<Output = ()>>(
        &mut self,
        folder: &str,
        stop: F,
        options: &IdleOptions,
    ) -> Result<IdleEvent, ImapError> {
        if !self.caps.idle {
            return Err(ImapError::Unexpected {
                server: self.server.clone(),
                reason: "the server does not offer IDLE".into(),
            });
        }
        if self.selected.as_ref().is_none_or(|s| s.name != folder) {
            self.select(folder).await?;
        }
        let pending = self.take_unsolicited();
        if !pending.is_empty() {
            return Ok(IdleEvent::Changed(pending));
        }
        tokio::pin!(stop);
        loop {
            let tag = self.send("IDLE").await?;
            // Wait for the continuation.
            loop {
                let r = self
                    .read_with(Some(self.io_timeout), |r, sink| match r {
                        Response::Continue(_) => Some(Ok(())),
                        Response::Done {
                            tag: t,
                            status,
                            outcome,
                        } if t == &tag => Some(Err((
                            super::session::own_status(status),
                            outcome.information.as_deref().unwrap_or("").to_owned(),
                        ))),
                        other => {
                            note_unsolicited(other, sink);
                            None
                        }
                    })
                    .await?;
                match r {
                    Some(Ok(())) => break,
                    Some(Err((status, message))) => {
                        return Err(self.refused("IDLE", status, message));
                    }
                    None => {}
                }
            }
            // Idling: no reply is due, so no pace limit (the silence is the point).
            self.pace.pause();
            let deadline = tokio::time::sleep(options.refresh);
            tokio::pin!(deadline);
            let mut stopped = false;
            loop {
                if !self.unsolicited.is_empty() {
                    break;
                }
                tokio::select! {
                    r = self.read_with(None, |r, sink| {
                        if let Response::Data { status: Status::Bye, .. } = r {
                            return true;
                        }
                        // RECENT comes with EXISTS; keepalive "OK Still here" is ignored.
                        if matches!(r, Response::MailboxData(MailboxDatum::Recent(_))) {
                            return false;
                        }
                        note_unsolicited(r, sink);
                        false
                    }) => {
                        if r? {
                            self.broken = true;
                            return Err(ImapError::Closed {
                                server: self.server.clone(),
                                message: Some("BYE during IDLE".into()),
                            });
                        }
                    }
                    _ = &mut deadline => break,
                    _ = &mut stop => {
                        stopped = true;
                        break;
                    }
                }
            }
            self.record("DONE");
            self.write_raw(b"DONE\r\n").await?;
            self.finish(&tag, "IDLE", |_| false).await?;
            if stopped {
                return Ok(IdleEvent::Stopped);
            }
            let changes = self.take_unsolicited();
            if !changes.is_empty() {
                return Ok(IdleEvent::Changed(changes));
            }
            // Refresh: IDLE again.
        }
    }
}
