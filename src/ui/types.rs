//! The plain data the UI shows: folders, list rows, messages, drafts.
//!
//! These types are the UI's own, deliberately independent of `store` and `mail`, so the UI can be
//! built and tested before (and without) the backend. The adapter between the engine and the UI
//! converts store values into these. Nothing here does IO.

use std::path::PathBuf;

use crate::error::ErrorKind;

/// A message's id as the backend knows it: opaque to the UI, stable across runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub String);

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One folder of one account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FolderRef {
    pub account: String,
    /// The folder's name as the store knows it (`INBOX`, `Archive/2024`).
    pub folder: String,
}

impl FolderRef {
    pub fn new(account: impl Into<String>, folder: impl Into<String>) -> Self {
        Self {
            account: account.into(),
            folder: folder.into(),
        }
    }
}

/// The special-use role of a folder (RFC 6154), which decides its place in the folder pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecialUse {
    // Declaration order is display order.
    Inbox,
    /// The local queue of messages waiting to be sent (not a server folder): shown only while
    /// something waits in it.
    Outbox,
    Drafts,
    Sent,
    Archive,
    All,
    Flagged,
    Junk,
    Trash,
}

/// A folder with its counts, as shown in the folder pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderInfo {
    pub name: String,
    pub special: Option<SpecialUse>,
    pub total: u64,
    pub unread: u64,
}

/// The five IMAP system flags the UI shows and changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    pub seen: bool,
    pub answered: bool,
    pub flagged: bool,
    pub deleted: bool,
    pub draft: bool,
}

impl Flags {
    pub const SEEN: Flags = Flags {
        seen: true,
        answered: false,
        flagged: false,
        deleted: false,
        draft: false,
    };
    pub const FLAGGED: Flags = Flags {
        seen: false,
        answered: false,
        flagged: true,
        deleted: false,
        draft: false,
    };
    pub const NONE: Flags = Flags {
        seen: false,
        answered: false,
        flagged: false,
        deleted: false,
        draft: false,
    };

    /// `self` with every flag of `add` set and every flag of `remove` cleared.
    pub fn apply(self, add: Flags, remove: Flags) -> Flags {
        Flags {
            seen: (self.seen || add.seen) && !remove.seen,
            answered: (self.answered || add.answered) && !remove.answered,
            flagged: (self.flagged || add.flagged) && !remove.flagged,
            deleted: (self.deleted || add.deleted) && !remove.deleted,
            draft: (self.draft || add.draft) && !remove.draft,
        }
    }
}

/// Where a row sits in its thread. The backend sends rows already in thread order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadPos {
    /// 0 for a thread's root (or any message when the list is not threaded).
    pub depth: u16,
    /// Whether no sibling follows this message under the same parent (draws `└─` not `├─`).
    pub last_sibling: bool,
    /// On a root: how many messages follow it in its thread (hidden when collapsed). Else 0.
    pub descendants: u32,
    /// On a root: how many of those are unread (shown on a collapsed thread). Else 0.
    pub unread_descendants: u32,
}

/// One row of the message list (an envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: MessageId,
    /// Where the message lives (differs row to row in a search across accounts).
    pub folder: FolderRef,
    /// Unix seconds.
    pub date: i64,
    /// Display name, else address.
    pub from: String,
    pub subject: String,
    pub flags: Flags,
    pub has_attachments: bool,
    /// Whether the body is stored here (else only the envelope: opening it offline shows no
    /// text, so it is not marked read).
    pub has_body: bool,
    /// Bytes.
    pub size: u64,
    pub thread: ThreadPos,
}

/// What to sort the list by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Date,
    Sender,
    Subject,
    Size,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::Date,
        SortKey::Sender,
        SortKey::Subject,
        SortKey::Size,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Date => "date",
            SortKey::Sender => "sender",
            SortKey::Subject => "subject",
            SortKey::Size => "size",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// The list order. Threads are sorted by the key of their newest (date) or root message; the
/// backend decides the details, the UI only asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sort {
    pub key: SortKey,
    /// false: newest / A-Z / smallest first... except date, whose natural order is newest first.
    pub reverse: bool,
    pub threaded: bool,
}

impl Sort {
    /// Whether the values go down the list from largest to smallest (newest date first,
    /// largest size first, Z-A): what `▼` says, for every key alike. The backend's natural
    /// orders are newest first for dates, A-Z and smallest first for the others.
    pub fn descending(self) -> bool {
        (self.key == SortKey::Date) != self.reverse
    }

    /// `▼` descending, `▲` ascending.
    pub fn arrow(self) -> &'static str {
        if self.descending() { "▼" } else { "▲" }
    }

    /// What comes first, in words ("newest first", "A-Z").
    pub fn first(self) -> &'static str {
        match (self.key, self.descending()) {
            (SortKey::Date, true) => "newest first",
            (SortKey::Date, false) => "oldest first",
            (SortKey::Size, true) => "largest first",
            (SortKey::Size, false) => "smallest first",
            (_, true) => "Z-A",
            (_, false) => "A-Z",
        }
    }
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Date,
            reverse: false,
            threaded: true,
        }
    }
}

/// One attachment of an opened message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// The MIME part's index, as the backend numbers it; echoed back in Save/OpenAttachment.
    pub part: usize,
    pub name: String,
    pub mime: String,
    pub size: u64,
}

/// The replies and forward the backend prepared for a message (quoting is the backend's job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefill {
    pub reply: Draft,
    pub reply_all: Draft,
    pub forward: Draft,
    /// The reply to the mailing list (`List-Post`), or why there is none ("not a
    /// mailing-list message", the list takes no posts), for the status line.
    pub list_reply: Result<Draft, String>,
}

impl Default for Prefill {
    fn default() -> Self {
        Prefill {
            reply: Draft::default(),
            reply_all: Draft::default(),
            forward: Draft::default(),
            list_reply: Err("not a mailing-list message".to_owned()),
        }
    }
}

/// An opened message, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub folder: FolderRef,
    /// The headers to show, in order (From, To, Cc, Date, Subject...), values decoded.
    pub headers: Vec<(String, String)>,
    /// Every header of the stored message in file order, folded lines unfolded, values
    /// decoded: what the reader picks the configured headers from, and shows all of with `h`.
    /// Empty when only the envelope is stored (then `headers` is all there is).
    pub all_headers: Vec<(String, String)>,
    /// The text to show: the text/plain part, else the HTML part rendered as text.
    pub body: String,
    /// Whether `body` is the message's text; false when only the envelope is stored (then
    /// `body` says why), and the message is not marked read.
    pub downloaded: bool,
    pub attachments: Vec<AttachmentInfo>,
    pub prefill: Prefill,
}

/// An attachment of a draft: a local file, a part of a stored message (forwarding), or a
/// whole stored message, attached as `message/rfc822` with its exact bytes (forward as
/// attachment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftAttachment {
    File(PathBuf),
    Part {
        message: MessageId,
        part: usize,
        name: String,
    },
    Message {
        message: MessageId,
        name: String,
    },
}

impl DraftAttachment {
    pub fn label(&self) -> String {
        match self {
            DraftAttachment::File(p) => p.display().to_string(),
            DraftAttachment::Part { name, .. } | DraftAttachment::Message { name, .. } => {
                name.clone()
            }
        }
    }
}

/// One From an account can send as (the config's identities, the account's own first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// `Name <addr@host>` or `addr@host`.
    pub from: String,
    /// The signature, without the `-- ` line.
    pub signature: Option<String>,
}

/// A message being written. Addresses are kept as typed ("Alice <a@x.test>"), one per entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    /// The account it is sent from.
    pub account: String,
    /// The From (one of the account's identities, as written); None: the account's own.
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<DraftAttachment>,
    /// Message-ID of the message replied to, with angle brackets.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// The draft's Message-ID (angle brackets), kept across saves so that saving again
    /// replaces the stored version; None until it is first saved (or opened from Drafts).
    pub message_id: Option<String>,
    /// The body line the composer starts the cursor on (a reply: the empty line below or
    /// above the quote, per `reply_style`); 0 for the rest.
    pub body_cursor: usize,
    /// OpenPGP for this message: None until the composer opens it (then the account's
    /// `pgp_sign` / `pgp_encrypt`); the composer's `A-s` / `A-e` toggles change it.
    pub pgp: Option<PgpChoice>,
}

/// Whether the value of a message's `PGP` header line (written by the backend) says something
/// is wrong: a bad signature, a revoked key, a message that could not be decrypted. The reader
/// shows those in the error style.
pub fn pgp_line_is_alarming(value: &str) -> bool {
    ["BAD signature", "REVOKED key", "cannot decrypt"]
        .iter()
        .any(|w| value.contains(w))
}

/// Whether a message is signed and encrypted (OpenPGP), as the composer shows and toggles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PgpChoice {
    pub sign: bool,
    pub encrypt: EncryptChoice,
}

/// When the message is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncryptChoice {
    #[default]
    No,
    /// When every recipient has a key (`pgp_encrypt = "if-all-keys"`), else in clear.
    IfAllKeys,
    /// Always: a recipient without a key stops the message.
    Yes,
}

impl PgpChoice {
    /// What the compose screen shows: `sign + encrypt`, `sign`, `encrypt if all keys`, `off`.
    pub fn describe(self) -> &'static str {
        match (self.sign, self.encrypt) {
            (false, EncryptChoice::No) => "off",
            (true, EncryptChoice::No) => "sign",
            (false, EncryptChoice::Yes) => "encrypt",
            (true, EncryptChoice::Yes) => "sign + encrypt",
            (false, EncryptChoice::IfAllKeys) => "encrypt if all keys",
            (true, EncryptChoice::IfAllKeys) => "sign + encrypt if all keys",
        }
    }
}

/// A failure reported by the backend: its kind and the full chain as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    pub kind: ErrorKind,
    /// The error and its sources joined by ": ".
    pub message: String,
}

impl BackendError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The connection state of one account, for the status line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AccountState {
    #[default]
    Offline,
    Connecting,
    Online,
    /// `done` of `total` items (total unknown while listing).
    Syncing {
        done: u64,
        total: Option<u64>,
    },
    /// The last attempt failed; the engine retries later.
    Failed(String),
    /// Another postie process is syncing the account (it holds the account's lock), so this
    /// sync did not run; the backend tries again shortly. Says who holds it. Not a failure.
    Busy(String),
}

/// Split an address field at top-level commas (not inside quotes or angle brackets).
pub fn split_addresses(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut angle) = (false, false);
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' if !quoted && !angle => {
                push_trimmed(&mut out, &cur);
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    push_trimmed(&mut out, &cur);
    out
}

fn push_trimmed(out: &mut Vec<String>, s: &str) {
    let t = s.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_addresses_outside_quotes() {
        assert_eq!(
            split_addresses("\"Doe, John\" <j@x.test>, b@y.test;  ,c@z"),
            vec!["\"Doe, John\" <j@x.test>", "b@y.test", "c@z"]
        );
    }

    #[test]
    fn flags_apply() {
        let f = Flags::SEEN.apply(Flags::FLAGGED, Flags::SEEN);
        assert_eq!(f, Flags::FLAGGED);
    }
}

/// What Tab in the attach prompt found for the text typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathCompletion {
    /// The text completed as far as every candidate agrees (as typed: a `~/` stays).
    pub text: String,
    /// The names that still fit (directories end with `/`), when there are several.
    pub candidates: Vec<String>,
}
