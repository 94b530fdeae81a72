//! The UI's only channel to the backend: the [`Command`]s `update` emits and the [`Event`]s the
//! backend (through the adapter the binary wires up) sends back.
//!
//! Every command that can fail is answered by an event carrying its `Result`; the UI shows the
//! failures in the status line. Events that answer a request echo enough of it (a generation,
//! the id, the prefix) for the UI to drop stale answers. A few commands are handled by the
//! terminal runner itself and never reach the backend; see [`Command::is_for_runner`].

use std::path::PathBuf;

use super::types::{
    AccountState, BackendError, Draft, Flags, FolderInfo, FolderRef, Message, MessageId,
    PathCompletion, Row, Sort,
};

/// Which messages a paged list shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListSource {
    /// A folder's messages.
    Folder(FolderRef),
    /// The messages matching `query` (full-text: subject, addresses, body) within `scope`.
    Search { scope: SearchScope, query: String },
}

/// Where a search looks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SearchScope {
    Folder(FolderRef),
    AllAccounts,
}

/// A request for rows `offset .. offset + limit` of a list, in the given order.
///
/// Offsets count every message of the list in thread order, collapsed or not; collapsing is the
/// UI's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub source: ListSource,
    pub offset: usize,
    pub limit: usize,
    pub sort: Sort,
    /// Echoed back in [`Event::Page`]; answers to an older generation are dropped.
    pub generation: u64,
}

/// A page of rows and the size of the whole list at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The offset of `rows[0]` (the request's offset).
    pub offset: usize,
    /// How many messages the whole list has (matches, for a search).
    pub total: usize,
    pub rows: Vec<Row>,
}

/// What happened to a message handed over for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// The submission server accepted it (and a copy went to Sent).
    Sent,
    /// It could not be sent now and waits in the outbox.
    Queued,
    /// Demo mode: not sent anywhere; a copy was put in the Sent folder.
    SavedOnly,
}

/// What the UI asks for. Emitted by `update`, never executed there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Send [`Event::Folders`] for one account, or for every account when `None`.
    LoadFolders { account: Option<String> },
    /// Answer with [`Event::Page`].
    LoadPage(PageRequest),
    /// Answer with [`Event::Message`]; fetch the body first if only the envelope is stored.
    OpenMessage(MessageId),
    /// Answer with [`Event::FlagsSet`]. Queued offline, like the CLI's `flag`.
    SetFlags {
        ids: Vec<MessageId>,
        add: Flags,
        remove: Flags,
    },
    /// Mark read because the message was opened (not a user action: `Undo` skips it). Answer
    /// with [`Event::FlagsSet`].
    MarkRead { ids: Vec<MessageId> },
    /// Answer with [`Event::Moved`].
    Move { ids: Vec<MessageId>, to: FolderRef },
    /// To Trash where the account has one, else flag deleted and expunge. Answer with
    /// [`Event::Deleted`].
    Delete { ids: Vec<MessageId> },
    /// Take back the session's newest flag change, move or delete (a new action the other
    /// way). Answer with [`Event::Undone`].
    Undo,
    /// Store in the account's Drafts folder (on the server for an online IMAP account),
    /// replacing the version with the same Message-ID. Answer with [`Event::DraftSaved`].
    SaveDraft(Draft),
    /// Read a stored draft back for editing. Answer with [`Event::DraftOpened`].
    EditDraft(MessageId),
    /// A new draft with these messages attached whole (`message/rfc822`, exact bytes),
    /// their bodies downloaded first where only the envelope is stored. Answer with
    /// [`Event::ForwardReady`].
    ForwardAttachment { ids: Vec<MessageId> },
    /// Submit (or queue in the outbox). Answer with [`Event::Sent`].
    Send(Draft),
    /// Write a part's decoded bytes to `path`. Answer with [`Event::AttachmentSaved`].
    SaveAttachment {
        id: MessageId,
        part: usize,
        path: PathBuf,
    },
    /// Save the part to a private temp file and open it with its mailcap entry (xdg-open when
    /// there is none). Answer with [`Event::AttachmentOpened`].
    OpenAttachment { id: MessageId, part: usize },
    /// The message's stored bytes, exactly. Answer with [`Event::Raw`].
    LoadRaw { id: MessageId },
    /// Write whole messages to `path`: into an existing directory, or a path ending in `/`
    /// (created), one `.eml` file each named from its subject; else to an mbox file (mboxrd),
    /// appended to when it exists and is one, refused when it exists and is not. Answer with
    /// [`Event::MessagesSaved`].
    SaveMessages { ids: Vec<MessageId>, path: PathBuf },
    /// Feed the messages' exact bytes (one message as is; several as an mbox), or with `part`
    /// the decoded attachment of the first one, to `sh -c command`. Answer with
    /// [`Event::Piped`]. `terminal`: the command gets the terminal instead of its output
    /// being captured.
    Pipe {
        ids: Vec<MessageId>,
        part: Option<usize>,
        command: String,
        terminal: bool,
    },
    /// Addresses from the store starting with (or whose name contains) `prefix`. Answer with
    /// [`Event::Completions`].
    CompleteAddress { prefix: String },
    /// Complete a file path typed in the attach prompt (`~/` expanded; directories end with
    /// `/`). Answer with [`Event::PathCompleted`].
    CompletePath { text: String },
    /// Whether `path` can be attached: a readable regular file. Answer with
    /// [`Event::AttachmentChecked`].
    CheckAttachment { path: PathBuf },
    /// Sync now (one account or all); progress comes as [`Event::AccountState`].
    Sync { account: Option<String> },
    /// Create, rename or delete a folder (on the server at once for IMAP accounts; refused
    /// without a connection). Answer with [`Event::FolderManaged`].
    ManageFolder(FolderChange),
    /// Send these outbox messages now, refused ones included (what `postie outbox flush ID`
    /// does). Answer with [`Event::OutboxRetried`], then [`Event::FolderChanged`] for the
    /// Outbox.
    RetryOutbox { ids: Vec<MessageId> },
    /// Take these messages out of the outbox unsent (what `postie outbox drop ID` does).
    /// Answer with [`Event::OutboxDropped`], then [`Event::FolderChanged`] for the Outbox.
    DropOutbox { ids: Vec<MessageId> },
    /// Run a search list's query on the servers too, for messages stored as envelopes only
    /// (the local index cannot see their bodies). Answer with [`Event::ServerSearched`].
    SearchServer(ListSource),
    /// Which messages of `list` (a folder, a filter, a search) match `pattern` (the filter's
    /// syntax; `None`: every message the list shows), found in the index without loading
    /// their rows. Answer with [`Event::TagMatched`], echoing `list` and `untag`.
    TagMatching {
        list: ListSource,
        pattern: Option<String>,
        untag: bool,
    },

    // --- handled by the terminal runner, never sent to the backend ---
    /// Suspend the UI, run the program with the terminal, resume; answer with
    /// [`Event::TerminalJobDone`].
    RunInTerminal(TerminalJob),
    /// Suspend the terminal, edit the draft in $VISUAL/$EDITOR, resume; answer with
    /// [`Event::DraftEdited`].
    EditExternally(Draft),
    /// Restore the terminal and stop the process (Ctrl-Z); re-enter it on resume.
    Suspend,
    /// Clear the screen and draw everything again.
    Redraw,
    /// Leave the UI.
    Quit,
}

impl Command {
    /// Whether the terminal runner handles this command itself (it never reaches the backend).
    pub fn is_for_runner(&self) -> bool {
        matches!(
            self,
            Command::EditExternally(_)
                | Command::RunInTerminal(_)
                | Command::Suspend
                | Command::Redraw
                | Command::Quit
        )
    }
}

/// What the backend (or the runner, for [`Event::DraftEdited`]) tells the UI.
// Events are moved once through a channel; boxing the big variants would only complicate the
// adapter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The folders of one account, in any order (the UI sorts them).
    Folders {
        account: String,
        result: Result<Vec<FolderInfo>, BackendError>,
    },
    /// The answer to a [`Command::LoadPage`], with the request it answers.
    Page {
        request: PageRequest,
        result: Result<Page, BackendError>,
    },
    /// The answer to [`Command::OpenMessage`].
    Message {
        id: MessageId,
        result: Result<Message, BackendError>,
    },
    FlagsSet {
        ids: Vec<MessageId>,
        result: Result<(), BackendError>,
    },
    Moved {
        ids: Vec<MessageId>,
        result: Result<(), BackendError>,
    },
    Deleted {
        ids: Vec<MessageId>,
        result: Result<(), BackendError>,
    },
    /// `Ok`: the draft's Message-ID (angle brackets), kept by the compose screen.
    DraftSaved {
        result: Result<String, BackendError>,
    },
    /// The answer to [`Command::Undo`]: what was done ("moved 3 messages back to INBOX"), or
    /// why nothing was (nothing to undo, a permanent delete).
    Undone {
        result: Result<String, BackendError>,
    },
    Sent {
        result: Result<SendOutcome, BackendError>,
    },
    AttachmentSaved {
        path: PathBuf,
        result: Result<(), BackendError>,
    },
    AttachmentOpened {
        result: Result<Launch, BackendError>,
    },
    /// The answer to [`Command::Pipe`].
    Piped {
        result: Result<Launch, BackendError>,
    },
    /// A [`Command::RunInTerminal`] program ended: `Ok` says how ("exit 0"), `Err` why it
    /// could not run or failed.
    TerminalJobDone {
        label: String,
        result: Result<String, BackendError>,
    },
    /// The answer to [`Command::LoadRaw`].
    Raw {
        id: MessageId,
        result: Result<Vec<u8>, BackendError>,
    },
    /// The answer to [`Command::SaveMessages`]: `Ok`, what was written ("Saved 2 messages to
    /// …"), for the status line.
    MessagesSaved {
        ids: Vec<MessageId>,
        result: Result<String, BackendError>,
    },
    /// Address completions for `prefix`, best first.
    Completions {
        prefix: String,
        result: Result<Vec<String>, BackendError>,
    },
    /// The answer to [`Command::CompletePath`] for `text`.
    PathCompleted {
        text: String,
        completion: PathCompletion,
    },
    /// The answer to [`Command::CheckAttachment`]: `Err` says why the file cannot be attached.
    AttachmentChecked {
        path: PathBuf,
        result: Result<(), BackendError>,
    },
    /// The external editor finished: the edited draft, or why it could not be used.
    DraftEdited(Result<Draft, BackendError>),
    /// A stored draft, read back for editing ([`Command::EditDraft`]): opens the composer.
    DraftOpened(Result<Draft, BackendError>),
    /// The answer to [`Command::ForwardAttachment`]: opens the composer.
    ForwardReady(Result<Draft, BackendError>),
    /// An account connected, disconnected, started or progressed syncing.
    AccountState {
        account: String,
        state: AccountState,
    },
    /// A folder's content changed (new mail, sync, another client): the UI reloads what it shows.
    FolderChanged(FolderRef),
    /// The server renumbered a folder (its UIDVALIDITY changed): the backend dropped its rows
    /// and fetched them again under new ids, so every id the UI holds for it is stale. The UI
    /// closes a message opened from it and shows its list afresh.
    FolderReset(FolderRef),
    /// The answer to [`Command::RetryOutbox`]: `Ok(n)`, n messages sent; `Err`: why (one
    /// still queued says the server's words).
    OutboxRetried {
        ids: Vec<MessageId>,
        result: Result<usize, BackendError>,
    },
    /// The answer to [`Command::DropOutbox`].
    OutboxDropped {
        ids: Vec<MessageId>,
        result: Result<(), BackendError>,
    },
    /// The answer to [`Command::SearchServer`]; from then on that list's pages hold what the
    /// servers found as well.
    ServerSearched {
        source: ListSource,
        result: Result<ServerSearch, BackendError>,
    },
    /// The answer to [`Command::TagMatching`]: the matching messages and their flags.
    TagMatched {
        list: ListSource,
        untag: bool,
        result: Result<Vec<(MessageId, Flags)>, BackendError>,
    },
    /// A failure not tied to a command (a background sync, IDLE...).
    Error(BackendError),
    /// The answer to [`Command::ManageFolder`], with the change it answers.
    FolderManaged {
        change: FolderChange,
        result: Result<(), BackendError>,
    },
}

/// How the backend ran (or wants the runner to run) a viewer or a pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// Started in the background, without the terminal (a GUI viewer); `program` names it.
    Detached { program: String },
    /// Needs the terminal: the UI hands the job to the runner ([`Command::RunInTerminal`]).
    InTerminal(TerminalJob),
    /// Ran to the end with its output captured, to be shown.
    Output(ProgramOutput),
}

/// A shell command to run with the terminal handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalJob {
    /// Run as `sh -c shell`; every value in it from a message is already quoted.
    pub shell: String,
    /// A file to feed on stdin; `None`: stdin is the terminal.
    pub stdin: Option<PathBuf>,
    /// Ask for a key before taking the terminal back even when the program succeeded (pipes:
    /// their output would vanish under the UI); after a failure it always asks.
    pub wait_key: bool,
    /// What the status line calls it ("| git am", "less for text/plain").
    pub label: String,
    /// Temp files to remove once the program has ended.
    pub remove_after: Vec<PathBuf>,
}

/// What a program with captured output printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramOutput {
    /// What ran ("| wc -l", "pdftotext for application/pdf").
    pub label: String,
    /// stdout then stderr, lossily decoded, at most a bounded size.
    pub text: String,
    /// "exit 0", "exit 1", "killed after 30 s"...
    pub status: String,
    pub success: bool,
}

/// A folder change the user asked for (`:mkdir`, `:rename`, `:rmdir`, `m` to a new folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderChange {
    /// Make `folder`; then move `then_move` there (empty: nothing to move).
    Create {
        folder: FolderRef,
        then_move: Vec<MessageId>,
    },
    /// Rename `folder` to `to` (same account).
    Rename { folder: FolderRef, to: String },
    /// Delete `folder`, messages and all (the user confirmed).
    Delete { folder: FolderRef },
}

impl FolderChange {
    /// The folder the change is about (for Rename: the old name).
    pub fn folder(&self) -> &FolderRef {
        match self {
            FolderChange::Create { folder, .. }
            | FolderChange::Rename { folder, .. }
            | FolderChange::Delete { folder } => folder,
        }
    }
}

/// What a server search added to a search list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerSearch {
    /// Messages the servers matched that the local search had not found.
    pub added: usize,
    /// Envelope-only messages no server searched (offline, POP3, a server not reachable):
    /// the list may miss some of them.
    pub unsearched: u64,
}
