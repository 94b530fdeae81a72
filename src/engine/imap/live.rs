//! The live command connection of an IMAP account (issue #13): one long-lived, logged-in
//! session per account while the TUI runs online, beside the IDLE watcher
//! ([`crate::engine::idle`]). Bodies opened on demand and the offline action queue go over it,
//! so opening an envelope-only message costs one round trip (a SELECT more when another folder
//! is selected), not a login, and what the user does reaches the server at once.
//!
//! Shape: [`spawn`] starts one task that owns the session, its own [`Store`] handle (SQLite WAL
//! lets it share the store with the UI's thread) and the connection state (`link.rs`). The
//! caller talks to it through a [`LiveHandle`]: [`LiveHandle::fetch_body`] answers with a
//! `Result`; [`LiveHandle::replay`] asks for the queue to be applied, and every replay reports a
//! [`LiveEvent`] (errors travel as events). Requests queued while one runs are served together:
//! several replay requests become one replay (whose runs of like actions are single commands).
//! Folder changes ([`LiveHandle::manage_folder`]: create, rename, delete, subscribe) go over it
//! too, at once and never queued (`manage.rs` does the work).
//!
//! What must hold:
//! - the queue stays the record: an action leaves it only once the server confirmed it
//!   (`replay.rs` does that), so a cut, a crash or a quit in the middle loses nothing and
//!   the next start (or `postie sync`) applies the rest;
//! - a session that broke in use is replaced at once and the request retried once; a connect
//!   that fails starts a doubling backoff, and actions still queued are retried when it ends;
//! - the queue is replayed in one place only, `Live::replay_queue`, under the account's lock
//!   ([`crate::engine::lock`]), so a `postie sync` in another process never replays the same
//!   actions at the same time (within this process the app keeps syncs and replays apart);
//! - no password in any event or error (they come from [`open`], which never shows one).

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

mod search;
mod work;

use super::link::Link;
use super::manage;
use super::mapping::{self, ServerFolders};
use super::replay;
use super::{ConnectOptions, Work, convert, open};
use crate::config::{Account, ImapIncoming};
use crate::engine::folders::FolderOp;
use crate::engine::progress::NoProgress;
use crate::engine::sync::SyncSummary;
use crate::engine::{AccountError, EngineError};
use crate::proto::imap::{ImapError, TcpImapSession};
use crate::store::{MessageId, Store};

/// How the live connection behaves. The defaults suit the TUI.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub connect: ConnectOptions,
    /// First wait after a failed connect; doubles after each failure up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            connect: ConnectOptions {
                connect_timeout: Some(Duration::from_secs(15)),
                ..ConnectOptions::default()
            },
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// What the live connection reports on its own.
#[derive(Debug)]
pub enum LiveEvent {
    /// The queue was replayed (asked for, or retried after a failure). `result` is the
    /// summary (actions applied, warnings for refused ones) or one line saying why nothing
    /// could be applied; `queued` actions remain; `retry_in` when a retry is scheduled.
    Replayed {
        account: String,
        result: Result<SyncSummary, String>,
        queued: usize,
        retry_in: Option<Duration>,
    },
}

enum Request {
    FetchBody {
        id: MessageId,
        reply: oneshot::Sender<Result<(), AccountError>>,
    },
    Replay {
        /// Told how many actions remain queued once the replay ran.
        done: Option<oneshot::Sender<usize>>,
    },
    AppendSent {
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<String, AccountError>>,
    },
    ManageFolder {
        op: FolderOp,
        reply: oneshot::Sender<Result<(), AccountError>>,
    },
    /// `bytes`: the new version (None: only remove the draft, it was sent).
    ReplaceDraft {
        bytes: Option<Vec<u8>>,
        message_id: String,
        reply: oneshot::Sender<Result<String, AccountError>>,
    },
    Search {
        query: String,
        folder: Option<String>,
        reply: oneshot::Sender<Result<Vec<MessageId>, AccountError>>,
    },
}

/// Where requests for one account's live connection go. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveHandle {
    account: String,
    requests: mpsc::UnboundedSender<Request>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::FetchBody { id, .. } => write!(f, "FetchBody({id})"),
            Request::Replay { .. } => write!(f, "Replay"),
            Request::AppendSent { bytes, .. } => write!(f, "AppendSent({} bytes)", bytes.len()),
            Request::ManageFolder { op, .. } => write!(f, "ManageFolder({op:?})"),
            Request::ReplaceDraft { message_id, .. } => write!(f, "ReplaceDraft({message_id})"),
            Request::Search { .. } => write!(f, "Search"),
        }
    }
}

impl LiveHandle {
    /// Downloads the body of an envelope-only message into the store over the live session (a
    /// message whose body is stored already is left alone).
    pub async fn fetch_body(&self, id: MessageId) -> Result<(), AccountError> {
        let (reply, answer) = oneshot::channel();
        let closed = || AccountError::new(&self.account, None, EngineError::ConnectionClosed);
        self.requests
            .send(Request::FetchBody { id, reply })
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// APPENDs the Sent copy of a message the submission server accepted (`\Seen`) to the
    /// server's Sent folder (created when there is none); returns the folder's wire name. Never
    /// repeated after a connection broke during the APPEND (the copy may be stored already).
    pub async fn append_sent(&self, bytes: Vec<u8>) -> Result<String, AccountError> {
        let (reply, answer) = oneshot::channel();
        let closed = || AccountError::new(&self.account, None, EngineError::ConnectionClosed);
        self.requests
            .send(Request::AppendSent { bytes, reply })
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Creates, renames, deletes or subscribes a folder on the server, then in the store
    /// ([`crate::engine::folders`]); never queued: no connection is an error
    /// ([`EngineError::NeedsConnection`]).
    pub async fn manage_folder(&self, op: FolderOp) -> Result<(), AccountError> {
        let (reply, answer) = oneshot::channel();
        let closed = || AccountError::new(&self.account, None, EngineError::ConnectionClosed);
        self.requests
            .send(Request::ManageFolder { op, reply })
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Stores `bytes` as the new version of the draft `message_id` in the server's Drafts
    /// folder (`super::drafts`), expunging the earlier versions; with `bytes` None only
    /// removes it (it was sent). Returns the folder's wire name.
    pub async fn replace_draft(
        &self,
        bytes: Option<Vec<u8>>,
        message_id: String,
    ) -> Result<String, AccountError> {
        let (reply, answer) = oneshot::channel();
        let closed = || AccountError::new(&self.account, None, EngineError::ConnectionClosed);
        self.requests
            .send(Request::ReplaceDraft {
                bytes,
                message_id,
                reply,
            })
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Asks for the queued actions to be applied now; the outcome comes as a
    /// [`LiveEvent::Replayed`]. Returns at once.
    pub fn replay(&self) {
        let _ = self.requests.send(Request::Replay { done: None });
    }

    /// Applies the queued actions now and waits: how many remain queued, or None when the
    /// connection's task has ended.
    pub async fn flush(&self) -> Option<usize> {
        let (done, answer) = oneshot::channel();
        self.requests
            .send(Request::Replay { done: Some(done) })
            .ok()?;
        answer.await.ok()
    }
}

/// The running connection of one account; [`LiveConnection::stop`] logs out.
#[derive(Debug)]
pub struct LiveConnection {
    handle: LiveHandle,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl LiveConnection {
    pub fn handle(&self) -> LiveHandle {
        self.handle.clone()
    }

    /// Stops after the request being served (LOGOUT when connected) and waits for the task.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Starts the account's live connection on the current runtime. It connects on the first
/// request, not before (an account the user only reads costs nothing more). `store` is the
/// task's own handle on the store; `events` receives every [`LiveEvent`].
pub fn spawn(
    account: Account,
    imap: ImapIncoming,
    store: Store,
    events: mpsc::UnboundedSender<LiveEvent>,
    options: LiveOptions,
) -> LiveConnection {
    let (requests, rx) = mpsc::unbounded_channel();
    let (stop, stop_rx) = oneshot::channel();
    let handle = LiveHandle {
        account: account.name.clone(),
        requests,
    };
    let live = Live {
        link: Link::new(options.backoff, options.max_backoff),
        account,
        imap,
        store,
        events,
        options,
        session: None,
        folders: None,
        retry_queue: false,
    };
    let task = tokio::spawn(live.run(rx, stop_rx));
    LiveConnection { handle, stop, task }
}

/// The task's state: everything it owns.
struct Live {
    account: Account,
    imap: ImapIncoming,
    store: Store,
    events: mpsc::UnboundedSender<LiveEvent>,
    options: LiveOptions,
    link: Link,
    /// Present while logged in and usable.
    session: Option<TcpImapSession>,
    /// The server's folders (LIST), read on the first replay of a session.
    folders: Option<ServerFolders>,
    /// A replay failed with actions left: retry when the backoff ends.
    retry_queue: bool,
}

impl Live {
    async fn run(
        mut self,
        mut requests: mpsc::UnboundedReceiver<Request>,
        mut stop: oneshot::Receiver<()>,
    ) {
        loop {
            let retry_at = self.link.retry_at().filter(|_| self.retry_queue);
            let retry = async move {
                match retry_at {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = &mut stop => break,
                request = requests.recv() => match request {
                    Some(first) => {
                        let mut batch = vec![first];
                        while let Ok(more) = requests.try_recv() {
                            batch.push(more);
                        }
                        self.serve(batch).await;
                    }
                    None => break,
                },
                () = retry => {
                    self.replay_and_report(false).await;
                }
            }
        }
        if let Some(session) = self.session.take()
            && session.is_usable()
        {
            session.logout().await;
        }
    }

    /// Serves a batch in order; all the replay requests in it are one replay, after the rest.
    async fn serve(&mut self, batch: Vec<Request>) {
        let mut replay = false;
        let mut waiting = Vec::new();
        for request in batch {
            match request {
                Request::FetchBody { id, reply } => {
                    let result = self.fetch_body(id).await.map_err(|e| {
                        AccountError::new(&self.account.name, Some(&self.imap.server), e)
                    });
                    let _ = reply.send(result);
                }
                Request::Search {
                    query,
                    folder,
                    reply,
                } => {
                    let result = self.search(&query, folder.as_deref()).await.map_err(|e| {
                        AccountError::new(&self.account.name, Some(&self.imap.server), e)
                    });
                    let _ = reply.send(result);
                }
                Request::Replay { done } => {
                    replay = true;
                    waiting.extend(done);
                }
                Request::AppendSent { bytes, reply } => {
                    let result = self.append_sent(&bytes).await.map_err(|e| {
                        AccountError::new(&self.account.name, Some(&self.imap.server), e)
                    });
                    let _ = reply.send(result);
                }
                Request::ManageFolder { op, reply } => {
                    let result = self.manage_folder(&op).await.map_err(|e| {
                        AccountError::new(&self.account.name, Some(&self.imap.server), e)
                    });
                    let _ = reply.send(result);
                }
                Request::ReplaceDraft {
                    bytes,
                    message_id,
                    reply,
                } => {
                    let result = self
                        .replace_draft(bytes.as_deref(), &message_id)
                        .await
                        .map_err(|e| {
                            AccountError::new(&self.account.name, Some(&self.imap.server), e)
                        });
                    let _ = reply.send(result);
                }
            }
        }
        if replay {
            let queued = self.replay_and_report(true).await;
            for w in waiting {
                let _ = w.send(queued);
            }
        }
    }

    /// Replays, reports the outcome as an event (unless there was nothing to do), and returns
    /// how many actions remain queued.
    async fn replay_and_report(&mut self, urgent: bool) -> usize {
        let result = self.replay_queue(urgent).await;
        let queued = self
            .store
            .pending_actions(&self.account.name)
            .map(|a| a.len())
            .unwrap_or(0);
        self.retry_queue = result.is_err() && queued > 0;
        let retry_in = self
            .link
            .retry_at()
            .filter(|_| self.retry_queue)
            .map(|at| at.saturating_duration_since(Instant::now()));
        let result = result.map_err(|e| {
            crate::error::chain_line(&AccountError::new(
                &self.account.name,
                Some(&self.imap.server),
                e,
            ))
        });
        let quiet = matches!(&result, Ok(s) if s.actions_replayed == 0 && s.warnings.is_empty());
        if !quiet {
            let _ = self.events.send(LiveEvent::Replayed {
                account: self.account.name.clone(),
                result,
                queued,
                retry_in,
            });
        }
        queued
    }

    /// Applies the account's queued actions on the live session: the only place this
    /// connection replays the queue. A session that breaks is replaced and the replay run
    /// once more (what was confirmed is already out of the queue, so nothing goes twice).
    async fn replay_queue(&mut self, urgent: bool) -> Result<SyncSummary, EngineError> {
        let mut summary = SyncSummary::new(&self.account);
        if self.store.pending_actions(&self.account.name)?.is_empty() {
            return Ok(summary);
        }
        // Another process syncing this account replays the same queue itself: wait briefly,
        // then leave the actions to it (they stay queued; the error says who holds it).
        let _replaying =
            crate::engine::lock::lock_account(self.store.data_dir(), &self.account.name, LOCK_WAIT)
                .await
                .map_err(|e| e.source)?;
        for attempt in 0..2 {
            self.ensure_session(urgent).await?;
            let Some(session) = self.session.as_mut() else {
                return Err(EngineError::ConnectionClosed);
            };
            if self.folders.is_none() {
                match session.list_folders().await {
                    Ok(listed) => {
                        self.folders = Some(mapping::map_listed(
                            &mut self.store,
                            &self.account,
                            &listed,
                        )?)
                    }
                    Err(e) if !session.is_usable() && attempt == 0 => {
                        tracing::debug!("live connection broke on LIST, reconnecting: {e}");
                        self.drop_session();
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
                session.take_unsolicited();
            }
            let Some(folders) = self.folders.as_mut() else {
                return Err(EngineError::ConnectionClosed);
            };
            let mut work = Work {
                store: &mut self.store,
                account: &self.account,
                progress: &NoProgress,
                summary: &mut summary,
                fetch_all: false,
            };
            let result = replay::replay(session, &mut work, folders).await;
            session.take_unsolicited();
            let usable = session.is_usable();
            match result {
                Ok(()) => return Ok(summary),
                Err(e) if !usable && attempt == 0 => {
                    tracing::debug!("live connection broke in a replay, reconnecting: {e}");
                    self.drop_session();
                }
                Err(e) => {
                    if !usable {
                        self.drop_session();
                    }
                    return Err(e);
                }
            }
        }
        Err(EngineError::ConnectionClosed)
    }

    /// Before a write that must not be repeated: a usable session with the folders mapped
    /// (LIST the first time, else NOOP), replaced once if the server had dropped it.
    async fn check_session(&mut self) -> Result<(), EngineError> {
        for attempt in 0..2 {
            self.ensure_session(true).await?;
            let Some(session) = self.session.as_mut() else {
                return Err(EngineError::ConnectionClosed);
            };
            let checked = if self.folders.is_none() {
                session.list_folders().await.map(Some)
            } else {
                session.noop().await.map(|()| None)
            };
            session.take_unsolicited();
            match checked {
                Ok(Some(listed)) => {
                    self.folders = Some(mapping::map_listed(
                        &mut self.store,
                        &self.account,
                        &listed,
                    )?)
                }
                Ok(None) => {}
                Err(e) if !session.is_usable() && attempt == 0 => {
                    tracing::debug!("live connection found broken before an APPEND: {e}");
                    self.drop_session();
                    continue;
                }
                Err(e) => {
                    if !session.is_usable() {
                        self.drop_session();
                    }
                    return Err(e.into());
                }
            }
            break;
        }
        Ok(())
    }

    /// Makes sure a usable session is open: connects when the link allows it (always when
    /// `urgent`), else says when the next try is.
    async fn ensure_session(&mut self, urgent: bool) -> Result<(), EngineError> {
        if self.session.as_ref().is_some_and(|s| s.is_usable()) {
            return Ok(());
        }
        if self.session.is_some() {
            self.drop_session();
        }
        let now = Instant::now();
        if !self.link.should_connect(now, urgent) {
            let (error, retry_in) = match self.link.state() {
                super::link::LinkState::Backoff { retry_at, error } => {
                    (error.clone(), retry_at.saturating_duration_since(now))
                }
                _ => (String::new(), Duration::ZERO),
            };
            return Err(EngineError::Reconnecting { error, retry_in });
        }
        match open(&self.account, &self.imap, &self.options.connect).await {
            Ok(session) => {
                self.session = Some(session);
                self.folders = None;
                self.link.connected();
                Ok(())
            }
            Err(e) => {
                let line = crate::error::chain_line(&e.source);
                self.link.connect_failed(Instant::now(), line);
                Err(e.source)
            }
        }
    }

    /// Forgets a broken session (no LOGOUT: it cannot be sent).
    fn drop_session(&mut self) {
        self.session = None;
        self.folders = None;
        self.link.dropped();
    }
}

/// How long a replay waits for another process's sync of the account before leaving the
/// queue to that sync.
const LOCK_WAIT: Duration = Duration::from_secs(1);
