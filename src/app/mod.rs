//! The backend side of the terminal UI: takes the UI's [`Command`]s, runs them against the
//! store and the engine, and answers with [`Event`]s.
//!
//! # Shape
//! [`start`] spawns one thread that owns the [`Store`] (rusqlite's connection is not `Sync`)
//! and runs a current-thread runtime. Store work is done there, one command at a time, in
//! order: each store call is short (a page is 100 rows by id; a folder's order is computed once
//! per list generation). Network work — SMTP submission and sync — runs as tasks on the
//! caller's multi-threaded runtime; a sync task opens its own handle on the store (SQLite WAL
//! lets two connections share it), so reading mail never waits for a sync. Network tasks
//! report back to the store thread through an internal channel when the store must record
//! their result (a sent message goes to Sent; a failed one to the outbox).
//! Online, each IMAP account also has an IDLE watcher (`watch`) whose reports start a sync
//! of the folder named, and a live command connection (`live`): opening an envelope-only
//! message downloads its body over it first (`body`), and flag changes, moves and deletes are
//! applied on the server over it as they happen; both run on the network runtime too.
//! Every account with a `check_interval` is also synced on its clock (`check`), and new mail
//! a sync brings runs the account's `notify_command`.
//!
//! # What it may touch
//! The store, `mail` (parsing, composing, threading), the engine (sync, passwords) and the SMTP
//! submission client. It never draws: `ui` gets only its own plain types, converted in
//! [`convert`]. A closed event channel means the UI is gone: the thread ends quietly.

mod address_book;
mod attach_paths;
mod autoview;
mod body;
mod check;
pub mod convert;
mod drafts;
mod external;
mod files;
mod folders;
mod forward;
mod identities;
mod listing;
mod live;
mod mailcap;
mod outbox;
mod pgp;
mod pgp_check;
mod pipe;
mod prefill;
mod reading;
mod save;
mod send;

pub use pgp::defaults as pgp_defaults;
mod server_search;
mod sync;
mod tags;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_check;
#[cfg(test)]
mod tests_forward;
#[cfg(test)]
mod tests_outbox;
#[cfg(test)]
mod tests_pgp;
#[cfg(test)]
mod tests_pipe;
#[cfg(test)]
mod tests_save;
#[cfg(test)]
mod tests_search;
#[cfg(test)]
mod tests_start;
#[cfg(test)]
mod tests_tags;
#[cfg(test)]
mod tests_undo;
mod undo;
mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::error::ErrorKind;
use crate::mail::ParsedMessage;
use crate::mail::compose::Mailbox;
use crate::store::{self, ListQuery, Store, StoreError};
use crate::ui::{
    self, BackendError, Command, Event, ListSource, Page, PageRequest, Sort, SortKey, ThreadPos,
};

/// How the backend may reach the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The configured accounts: sync and send over the network.
    Online,
    /// `--offline`: never connects. Sync answers "offline"; Send queues in the outbox.
    Offline,
    /// `postie demo`: the demo store, no config, no network. Send puts the message in Sent.
    Demo,
}

/// The account the demo mailbox belongs to, and who "you" are in it.
pub const DEMO_ACCOUNT: &str = store::demo::ACCOUNT;
const DEMO_ME: (&str, &str) = ("Alex Demo", "alex@demo.test");
/// The From the demo account sends as, for the composer's From line.
pub const DEMO_FROM: &str = "Alex Demo <alex@demo.test>";
/// At most this many search results make a list (the best ones; the UI pages through them).
const SEARCH_LIMIT: u64 = 10_000;
/// How long the backend waits at exit for submissions in flight.
const SEND_DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);
/// List orders kept, so that going back to a folder or scrolling never recomputes one.
const ORDERS_KEPT: usize = 4;

/// What the backend needs to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    /// The accounts (none in demo mode); the first is the default.
    pub config: Config,
    /// The accounts the UI shows, in order (the config's, or the demo account).
    pub accounts: Vec<String>,
    /// Sync every account once at start-up ([`Mode::Online`] only).
    pub initial_sync: bool,
}

/// The running backend: where the UI sends commands and receives events.
pub struct Handles {
    pub commands: mpsc::Sender<Command>,
    pub events: mpsc::Receiver<Event>,
    /// Ends with the lines to print once the terminal is restored (actions still queued).
    pub thread: std::thread::JoinHandle<Vec<String>>,
}

/// Starts the backend thread on `store`. Network tasks are spawned on `network` (a
/// multi-threaded runtime). The thread ends when the command sender is dropped or the event
/// receiver is closed, after the submissions in flight have finished (sent, or queued in the
/// outbox): join it before shutting `network` down.
pub fn start(store: Store, options: Options, network: Handle) -> std::io::Result<Handles> {
    let gpg = crate::pgp::gpg::Gpg::with_peers(&options.config.data_dir);
    start_with_gpg(store, options, network, gpg)
}

/// [`start`] with the `gpg` to run (tests give a slow one).
pub(crate) fn start_with_gpg(
    store: Store,
    options: Options,
    network: Handle,
    gpg: crate::pgp::gpg::Gpg,
) -> std::io::Result<Handles> {
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(256);
    let (ev_tx, ev_rx) = mpsc::channel::<Event>(1024);
    let thread = std::thread::Builder::new()
        .name("postie-store".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ev_tx.blocking_send(Event::Error(BackendError::new(
                        ErrorKind::Internal,
                        format!("cannot start the backend: {e}"),
                    )));
                    return Vec::new();
                }
            };
            let (int_tx, int_rx) = mpsc::unbounded_channel();
            let backend = Backend {
                store,
                options,
                events: ev_tx,
                internal: int_tx,
                network,
                orders: Vec::new(),
                parents: HashMap::new(),
                syncing: Default::default(),
                resync: Default::default(),
                watchers: Vec::new(),
                live: HashMap::new(),
                server_hits: Default::default(),
                replay_after_sync: Default::default(),
                folder_changes_after_sync: Vec::new(),
                replaying: Default::default(),
                replay_again: Default::default(),
                sends_in_flight: 0,
                scratch: None,
                clock: Default::default(),
                synced_once: Default::default(),
                undo: Default::default(),
                draft_versions: HashMap::new(),
                gpg,
            };
            rt.block_on(backend.run(cmd_rx, int_rx))
        })?;
    Ok(Handles {
        commands: cmd_tx,
        events: ev_rx,
        thread,
    })
}

/// What network tasks report back to the store thread.
#[derive(Debug)]
enum Internal {
    /// A submission finished (or failed before reaching the server).
    SendDone(send::Outcome),
    /// One account's sync finished.
    SyncDone {
        account: String,
        /// The folder synced, when only one was (an IDLE report).
        folder: Option<String>,
        result: Result<crate::engine::sync::SyncSummary, BackendError>,
        /// `Some(holder's pid)`: it did not run, another postie process is syncing the account
        /// (it holds the account's lock). Shown as [`ui::AccountState::Busy`], tried again
        /// later.
        busy: Option<Option<u32>>,
    },
    /// Time to try again a sync that found the account busy.
    RetrySync {
        account: String,
        folder: Option<String>,
    },
    /// A send-now from the Outbox finished.
    OutboxFlushed {
        account: String,
        ids: Vec<ui::MessageId>,
        result: Result<crate::engine::outbox::FlushReport, BackendError>,
    },
    /// A body download started by opening a message finished (`Err`: one line saying why).
    BodyFetched {
        id: ui::MessageId,
        result: Result<(), String>,
        /// The server no longer has the message under the UID we hold (expunged, or its
        /// folder renumbered): the folder is synced so the stale rows go.
        gone: bool,
    },
    /// The bodies a save needed were downloaded (or failed to): save now.
    SaveFetched {
        ids: Vec<ui::MessageId>,
        path: std::path::PathBuf,
    },
    /// The downloads a forward as attachment needed finished (`Err`: one line saying why).
    ForwardFetched {
        ids: Vec<ui::MessageId>,
        result: Result<(), String>,
    },
    /// A replay of the account's queue asked of its live connection ended.
    Replayed { account: String },
    /// A folder change made over the live connection finished.
    FolderManaged {
        change: crate::ui::FolderChange,
        result: Result<(), BackendError>,
    },
    /// A draft's APPEND (or removal) on the server ended (`Err`: one line saying why).
    DraftOnServer {
        account: String,
        result: Result<(), String>,
    },
    /// The server searches for a search list ended: the stored messages they matched, and
    /// how many envelope-only messages no server searched.
    ServerSearched {
        source: ListSource,
        ids: Vec<store::MessageId>,
        unsearched: u64,
    },
    /// gpg finished with an opened message (`pgp.rs`): the reader's view of it, ready but
    /// for the OpenPGP result.
    PgpChecked(Box<pgp_check::Checked>),
    /// A message to send was signed and/or encrypted on a worker (`send.rs`).
    Protected {
        draft: Box<ui::Draft>,
        result: Result<crate::mail::compose::Composed, BackendError>,
    },
}

/// A computed list order, valid for one list generation.
struct CachedOrder {
    source: ListSource,
    sort: Sort,
    generation: u64,
    ids: Arc<Vec<(store::MessageId, ThreadPos)>>,
}

struct Backend {
    store: Store,
    options: Options,
    events: mpsc::Sender<Event>,
    internal: mpsc::UnboundedSender<Internal>,
    network: Handle,
    /// Most recent first.
    orders: Vec<CachedOrder>,
    /// Message-ID -> store id of the messages opened, so a sent reply can mark its original
    /// answered.
    parents: HashMap<String, store::MessageId>,
    syncing: std::collections::HashSet<String>,
    /// Folder changes asked while their account synced (the sync holds the account's lock):
    /// made when that sync ends (`folders.rs`).
    folder_changes_after_sync: Vec<crate::ui::FolderChange>,
    /// Accounts whose server reported a change while their sync ran: synced again after it.
    resync: std::collections::HashMap<String, Option<String>>,
    /// The IDLE watchers of the IMAP accounts ([`Mode::Online`] only); stopped at exit.
    watchers: Vec<crate::engine::idle::IdleWatcher>,
    /// The live command connection of each IMAP account ([`Mode::Online`] only).
    live: HashMap<String, crate::engine::imap::live::LiveConnection>,
    /// What the servers found for search lists ([`Command::SearchServer`]).
    server_hits: server_search::ServerHits,
    /// Accounts whose queue is to be replayed when their running sync ends.
    replay_after_sync: std::collections::HashSet<String>,
    /// Accounts whose live connection is replaying the queue (a sync waits for it), and those
    /// to replay again when it ends (actions made meanwhile).
    replaying: std::collections::HashSet<String>,
    replay_again: std::collections::HashSet<String>,
    /// Submissions running on the network runtime; the thread waits for them before ending.
    sends_in_flight: usize,
    /// The private directory attachments are opened from (created on first use).
    scratch: Option<PathBuf>,
    /// When each account is next checked for new mail ([`Mode::Online`] only).
    clock: check::CheckClock,
    /// Accounts synced at least once in this session (their next new mail is news).
    synced_once: std::collections::HashSet<String>,
    /// The session's flag changes, moves and deletes, for `z` / `:undo`.
    undo: undo::UndoStack,
    /// A replaced draft's store id -> its newer version's, so that the composer's
    /// attachments naming the old version's parts are still found.
    draft_versions: HashMap<ui::MessageId, ui::MessageId>,
    /// The OpenPGP backend; reading runs it on a blocking worker, never on this thread.
    gpg: crate::pgp::gpg::Gpg,
}

impl Backend {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut internal: mpsc::UnboundedReceiver<Internal>,
    ) -> Vec<String> {
        // The first screen first: the start-up sync waits for the first page (`sync.rs`).
        let mut initial_sync =
            sync::InitialSync::new(self.options.mode == Mode::Online && self.options.initial_sync);
        let mut watch_events = self.start_watchers();
        let mut live_events = self.start_live();
        self.start_clocks();
        loop {
            let next_check = self.clock.next();
            let (sync_pending, sync_deadline) = (initial_sync.pending(), initial_sync.deadline());
            let alive = tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(cmd) => {
                        let page = matches!(cmd, Command::LoadPage(_));
                        let alive = self.handle(cmd).await;
                        if page && initial_sync.due() {
                            alive && self.sync(None).await
                        } else {
                            alive
                        }
                    }
                    None => false,
                },
                () = tokio::time::sleep_until(sync_deadline), if sync_pending => {
                    initial_sync.due();
                    self.sync(None).await
                }
                Some(msg) = internal.recv() => self.internal(msg).await,
                Some(ev) = watch_events.recv() => self.watch_event(ev).await,
                Some(ev) = live_events.recv() => self.live_event(ev).await,
                () = check::sleep_until(next_check) => self.check_due().await,
            };
            if !alive {
                break;
            }
        }
        self.stop_watchers().await;
        // The UI is gone. A message handed over for sending must end up sent or in the
        // outbox, never lost with the process: wait for the submissions still running.
        // SMTP has its own timeouts; this bound is for a task that never reports at all.
        let drain = async {
            while self.sends_in_flight > 0 {
                match internal.recv().await {
                    Some(msg @ (Internal::SendDone(_) | Internal::Protected { .. })) => {
                        self.internal(msg).await;
                    }
                    Some(Internal::SyncDone { account, .. }) => {
                        self.syncing.remove(&account);
                    }
                    Some(
                        Internal::BodyFetched { .. }
                        | Internal::SaveFetched { .. }
                        | Internal::ForwardFetched { .. }
                        | Internal::OutboxFlushed { .. }
                        | Internal::RetrySync { .. }
                        | Internal::Replayed { .. }
                        | Internal::FolderManaged { .. }
                        | Internal::DraftOnServer { .. }
                        | Internal::ServerSearched { .. }
                        | Internal::PgpChecked(_),
                    ) => {}
                    None => break,
                }
            }
        };
        if tokio::time::timeout(SEND_DRAIN_LIMIT, drain).await.is_err() {
            tracing::warn!("gave up waiting for messages being sent");
        }
        // After the submissions: their Sent copies and answered marks go over the live
        // connections too.
        self.finish_live().await
    }

    /// Sends an event; `false` when the UI is gone.
    async fn emit(&self, ev: Event) -> bool {
        self.events.send(ev).await.is_ok()
    }

    /// Runs one command and sends its answer(s). `false` when the UI is gone.
    async fn handle(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::LoadFolders { account } => self.load_folders(account).await,
            Command::LoadPage(request) => {
                let result = self.page(&request).map_err(store_error);
                self.emit(Event::Page { request, result }).await
            }
            Command::OpenMessage(id) => self.open(id).await,
            Command::SetFlags { ids, add, remove } => {
                self.set_flags_now(ids, add, remove, true).await
            }
            Command::MarkRead { ids } => {
                self.set_flags_now(ids, ui::Flags::SEEN, ui::Flags::NONE, false)
                    .await
            }
            Command::Undo => self.undo_now().await,
            Command::Move { ids, to } => self.move_now(ids, to).await,
            Command::Delete { ids } => self.delete_now(ids).await,
            Command::SaveDraft(draft) => {
                let result = self.save_draft(&draft);
                let changed = result.as_ref().ok().map(|(f, _)| f.clone());
                let ok = self
                    .emit(Event::DraftSaved {
                        result: result.map(|(_, message_id)| message_id),
                    })
                    .await;
                match changed {
                    Some(folder) => self.emit(Event::FolderChanged(folder)).await,
                    None => ok,
                }
            }
            Command::Send(draft) => self.send(draft).await,
            Command::ForwardAttachment { ids } => self.forward_attachment(ids).await,
            Command::EditDraft(id) => {
                let result = self.read_draft(&id);
                self.emit(Event::DraftOpened(result)).await
            }
            Command::SaveAttachment { id, part, path } => {
                let result = self.save_attachment(&id, part, &path);
                self.emit(Event::AttachmentSaved { path, result }).await
            }
            Command::LoadRaw { id } => {
                let result = self.raw_bytes(&id);
                self.emit(Event::Raw { id, result }).await
            }
            Command::SaveMessages { ids, path } => {
                // Envelope-only messages are downloaded first; the save answers then.
                if self.start_save_fetch(&ids, &path) {
                    true
                } else {
                    let result = self.save_messages(&ids, &path);
                    self.emit(Event::MessagesSaved { ids, result }).await
                }
            }
            Command::OpenAttachment { id, part } => self.open_attachment(id, part).await,
            Command::Pipe {
                ids,
                part,
                command,
                terminal,
            } => self.pipe(ids, part, command, terminal).await,
            Command::CompleteAddress { prefix } => self.complete_address(prefix).await,
            Command::CompletePath { text } => self.complete_path(text).await,
            Command::CheckAttachment { path } => self.check_attachment(path).await,
            Command::Sync { account } => self.sync(account).await,
            Command::ManageFolder(change) => self.manage_folder(change).await,
            Command::RetryOutbox { ids } => self.retry_outbox(ids).await,
            Command::DropOutbox { ids } => self.drop_outbox(ids).await,
            Command::SearchServer(source) => self.search_server(source).await,
            Command::TagMatching {
                list,
                pattern,
                untag,
            } => self.tag_matching(list, pattern, untag).await,
            // The terminal runner handles these; nothing to do if one arrives.
            Command::EditExternally(_)
            | Command::RunInTerminal(_)
            | Command::Suspend
            | Command::Redraw
            | Command::Quit => true,
        }
    }

    async fn internal(&mut self, msg: Internal) -> bool {
        match msg {
            Internal::SendDone(outcome) => self.send_done(outcome).await,
            Internal::SyncDone {
                account,
                folder,
                result,
                busy,
            } => self.sync_done(account, folder, result, busy).await,
            Internal::RetrySync { account, folder } => {
                let state = self.start_sync(&account, folder);
                self.emit(Event::AccountState { account, state }).await
            }
            Internal::BodyFetched { id, result, gone } => self.body_fetched(id, result, gone).await,
            Internal::SaveFetched { ids, path } => {
                let result = self.save_messages(&ids, &path);
                self.emit(Event::MessagesSaved { ids, result }).await
            }
            Internal::ForwardFetched { ids, result } => self.forward_fetched(ids, result).await,
            Internal::Replayed { account } => self.replayed(account).await,
            Internal::FolderManaged { change, result } => self.folder_managed(change, result).await,
            Internal::OutboxFlushed {
                account,
                ids,
                result,
            } => self.outbox_flushed(account, ids, result).await,
            Internal::DraftOnServer { account, result } => {
                self.draft_on_server(account, result).await
            }
            Internal::ServerSearched {
                source,
                ids,
                unsearched,
            } => self.server_searched(source, ids, unsearched).await,
            Internal::PgpChecked(checked) => self.pgp_checked(*checked).await,
            Internal::Protected { draft, result } => self.protected(*draft, result).await,
        }
    }
}

/// A store failure as the UI shows it: its kind and the whole chain on one line.
pub(crate) fn store_error(e: StoreError) -> BackendError {
    BackendError::new(e.kind(), crate::error::chain_line(&e))
}

fn store_id_of(id: &ui::MessageId) -> Result<store::MessageId, BackendError> {
    convert::store_id(id)
        .ok_or_else(|| BackendError::new(ErrorKind::Internal, format!("no message with id {id}")))
}

fn store_ids(ids: &[ui::MessageId]) -> Result<Vec<store::MessageId>, BackendError> {
    ids.iter().map(store_id_of).collect()
}

/// A Message-ID without its angle brackets (the store keeps them off, drafts keep them on).
pub(super) fn bare_id(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}
