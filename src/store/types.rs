//! The plain values the [`crate::store::Store`] API takes and returns.

use crate::mail::{Flags, envelope::rfc3339};

/// A message's stable id: unique in one store, never reused, kept across runs, moves, flag
/// changes and (for messages whose file postie named) index rebuilds.
pub type MessageId = i64;
/// A folder's row id (valid for one index; use names across rebuilds).
pub type FolderId = i64;

/// What kind of account a store account mirrors; decides whether user actions are queued for a
/// server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Imap,
    Pop3,
    /// An existing Maildir indexed in place (`protocol = "maildir"`).
    Maildir,
    /// Only local (the demo, or an account found on disk that the config no longer names).
    Local,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Imap => "imap",
            AccountKind::Pop3 => "pop3",
            AccountKind::Maildir => "maildir",
            AccountKind::Local => "local",
        }
    }

    pub fn parse(s: &str) -> AccountKind {
        match s {
            "imap" => AccountKind::Imap,
            "pop3" => AccountKind::Pop3,
            "maildir" => AccountKind::Maildir,
            _ => AccountKind::Local,
        }
    }
}

/// A folder with its counts, as `postie folders` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderInfo {
    pub id: FolderId,
    pub account: String,
    /// `/`-separated name (`INBOX`, `Lists/Rust`).
    pub name: String,
    pub role: Option<String>,
    pub delimiter: Option<String>,
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    pub total: u64,
    pub unread: u64,
}

/// The server-side state of an IMAP folder that sync keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderState {
    /// The IMAP folder's name on the wire that this local folder mirrors (see the store's
    /// folder mapping: one local folder per server folder, and the other way round).
    pub server_name: Option<String>,
    pub delimiter: Option<String>,
    pub role: Option<String>,
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
}

/// One message row: everything a list, `--json` or a message view header needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    pub id: MessageId,
    pub account: String,
    pub folder: String,
    pub folder_id: FolderId,
    pub uid: Option<u32>,
    pub uidl: Option<String>,
    /// Seconds since the epoch; `None` when the message has no usable Date.
    pub date: Option<i64>,
    /// The Date header's zone, minutes east of UTC.
    pub tz_offset_minutes: i32,
    /// Display forms (`Name <addr>`), in header order.
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub flags: Flags,
    pub size: u64,
    /// Whether the full message is stored locally (else only its envelope).
    pub has_body: bool,
    /// The Maildir file, relative to the folder (`cur/NAME:2,S`), when `has_body`.
    pub file: Option<String>,
}

impl MessageSummary {
    /// The date as RFC 3339 in the message's own zone.
    pub fn date_rfc3339(&self) -> Option<String> {
        rfc3339(self.date?, self.tz_offset_minutes)
    }

    /// The first sender's display form, or "".
    pub fn from_display(&self) -> String {
        self.from.join(", ")
    }
}

/// Which messages `Store::list` returns (newest first).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Restrict to one account (by name).
    pub account: Option<String>,
    /// Restrict to one folder (needs an account, or matches that name in every account).
    pub folder: Option<String>,
    /// At most this many (`None`: all).
    pub limit: Option<u64>,
    pub offset: u64,
}

/// A message to deliver into a folder.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// The exact bytes (the server's, or the composed message).
    pub bytes: &'a [u8],
    pub flags: Flags,
    /// IMAP UID, when the message came from an IMAP folder.
    pub uid: Option<u32>,
    /// POP3 UIDL, recorded as downloaded in the same transaction.
    pub uidl: Option<&'a str>,
    /// POP3: the bytes received did not match the server's LIST size, so this copy may be
    /// incomplete. Recorded with the UIDL; the server's copy is then never deleted
    /// automatically ([`Store::suspect_uidls`](crate::store::Store::suspect_uidls)).
    pub suspect: bool,
    /// POP3: the message's size by LIST, recorded with the UIDL
    /// ([`Store::uidl_sizes`](crate::store::Store::uidl_sizes)).
    pub listed_size: Option<u64>,
}

impl<'a> NewMessage<'a> {
    pub fn new(bytes: &'a [u8]) -> NewMessage<'a> {
        NewMessage {
            bytes,
            flags: Flags::empty(),
            uid: None,
            uidl: None,
            suspect: false,
            listed_size: None,
        }
    }
}

/// A user action queued for replay on the server (IMAP accounts only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub id: i64,
    pub account: String,
    pub kind: ActionKind,
    /// The local message id (it may no longer exist locally when replayed).
    pub message: Option<MessageId>,
    /// The remote folder, UIDVALIDITY and UID the message had when the action was taken.
    pub folder: String,
    pub uidvalidity: Option<u32>,
    /// `None` for an action chained after an earlier one on the same message that has not
    /// reached the server yet (a move gives the message a new UID only when it is applied):
    /// the replay takes it from the earlier action's result, or finds the message by its
    /// Message-ID.
    pub uid: Option<u32>,
    /// The message's Message-ID when the action was taken.
    pub message_id: Option<String>,
    pub created: i64,
}

/// What a queued action does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    AddFlag(crate::mail::Flag),
    RemoveFlag(crate::mail::Flag),
    /// Move to the named remote folder.
    Move(String),
    /// Delete: to the account's Trash, else `\Deleted` + expunge (the engine decides).
    Delete,
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: MessageId,
    pub account: String,
    /// SMTP envelope sender and recipients (Bcc included; the stored message has no Bcc).
    pub sender: String,
    pub recipients: Vec<String>,
    pub created: i64,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// No automatic retry (sync) before this time, seconds since the epoch; `None`: due now.
    pub next_try: Option<i64>,
    /// The server refused it for good (5xx): kept, but retried only when asked by id.
    pub refused: bool,
}

/// Progress of a long operation (a rebuild), for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// What a pick-up of external changes found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshStats {
    pub folders_scanned: u64,
    pub added: u64,
    pub removed: u64,
    pub renamed: u64,
}
