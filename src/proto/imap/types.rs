//! Owned values the IMAP layer hands to its caller: no lifetimes, no imap-proto types, so the
//! engine can keep them, send them across tasks and write them to the store.

use std::ops::RangeInclusive;

use chrono::{DateTime, FixedOffset};

/// What the server offers, read once after login (the pre-login list is only used for
/// STARTTLS and the login mechanism). Absent extensions mean the plain-IMAP4rev1 fallback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub idle: bool,
    pub condstore: bool,
    pub qresync: bool,
    pub uidplus: bool,
    pub r#move: bool,
    pub special_use: bool,
    pub list_status: bool,
    pub literal_plus: bool,
    pub enable: bool,
    pub starttls: bool,
    pub sasl_ir: bool,
    pub login_disabled: bool,
    /// `AUTH=` mechanisms, upper-cased.
    pub auth: Vec<String>,
    /// Every capability as sent, upper-cased (for anything not broken out above).
    pub all: Vec<String>,
}

impl Capabilities {
    /// Builds the set from capability atoms as the server sent them (`AUTH=PLAIN` included).
    pub fn from_atoms<I, S>(atoms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut caps = Capabilities::default();
        for atom in atoms {
            let atom = atom.as_ref().to_ascii_uppercase();
            match atom.as_str() {
                "IDLE" => caps.idle = true,
                "CONDSTORE" => caps.condstore = true,
                // QRESYNC implies CONDSTORE (RFC 7162 3.2.3).
                "QRESYNC" => {
                    caps.qresync = true;
                    caps.condstore = true;
                }
                "UIDPLUS" => caps.uidplus = true,
                "MOVE" => caps.r#move = true,
                "SPECIAL-USE" => caps.special_use = true,
                "LIST-STATUS" => caps.list_status = true,
                "LITERAL+" => caps.literal_plus = true,
                "ENABLE" => caps.enable = true,
                "STARTTLS" => caps.starttls = true,
                "SASL-IR" => caps.sasl_ir = true,
                "LOGINDISABLED" => caps.login_disabled = true,
                _ => {}
            }
            if let Some(mech) = atom.strip_prefix("AUTH=") {
                caps.auth.push(mech.to_owned());
            }
            caps.all.push(atom);
        }
        caps
    }

    pub fn has(&self, name: &str) -> bool {
        self.all.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    pub fn has_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m.eq_ignore_ascii_case(mechanism))
    }
}

/// The role a folder plays, from its SPECIAL-USE attribute or, without one, its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FolderRole {
    Inbox,
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
    All,
    Flagged,
}

/// One LIST entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The name exactly as the server spells it on the wire (modified UTF-7): pass this back to
    /// every command (select, status, move, ...). INBOX is always spelled `INBOX`.
    pub name: String,
    /// `name` decoded from modified UTF-7 for display and for the Maildir path.
    pub display_name: String,
    /// Hierarchy delimiter (`/` or `.`), None for a flat namespace.
    pub delimiter: Option<char>,
    /// Attributes as sent (`\HasNoChildren`, `\Sent`, ...).
    pub attributes: Vec<String>,
    pub role: Option<FolderRole>,
    /// False for `\Noselect` / `\NonExistent` entries (a hierarchy node only).
    pub selectable: bool,
}

/// STATUS of a folder (HIGHESTMODSEQ only when the server has CONDSTORE).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderStatus {
    pub messages: u32,
    pub unseen: u32,
    pub uid_next: u32,
    pub uid_validity: u32,
    pub highest_modseq: Option<u64>,
}

/// What SELECT reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selected {
    pub name: String,
    pub uid_validity: u32,
    /// 0 when the server did not say (then fetch `UID 1:*` to learn it).
    pub uid_next: u32,
    pub exists: u32,
    /// None when the server has no CONDSTORE or the mailbox has NOMODSEQ.
    pub highest_modseq: Option<u64>,
    pub read_only: bool,
    pub flags: Vec<String>,
    pub permanent_flags: Vec<String>,
}

/// The outcome of a QRESYNC SELECT (RFC 7162): the changes since the caller's known state.
///
/// When `selected.uid_validity` differs from the value the caller passed, the server sends
/// no changes: `vanished` and `changed` are empty and the caller must drop its cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resync {
    pub selected: Selected,
    /// UIDs expunged since the known modseq (`VANISHED (EARLIER)`).
    pub vanished: Vec<RangeInclusive<u32>>,
    /// Messages whose flags changed (or that are new) since the known modseq.
    pub changed: Vec<FlagUpdate>,
}

/// A message's current flags (from a flag diff, a QRESYNC SELECT or an unsolicited FETCH).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagUpdate {
    pub uid: u32,
    pub flags: Vec<String>,
    pub modseq: Option<u64>,
}

/// An address from an ENVELOPE. Bytes, not strings: names may be RFC 2047 encoded or raw
/// 8-bit; decoding is the mail layer's job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub name: Option<Vec<u8>>,
    pub mailbox: Option<Vec<u8>>,
    pub host: Option<Vec<u8>>,
}

/// One leaf of BODYSTRUCTURE, flattened: enough to show an attachment list and to fetch one
/// part with [`crate::proto::imap::ImapSession::fetch_part`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyPart {
    /// The IMAP section number (`1`, `2.1`; `1` for a single-part message).
    pub section: String,
    /// Lower-case `type/subtype`.
    pub mime_type: String,
    /// Transfer-encoded size in bytes.
    pub size: u32,
    /// Lower-case Content-Transfer-Encoding.
    pub encoding: String,
    pub charset: Option<String>,
    /// Lower-case disposition (`attachment`, `inline`).
    pub disposition: Option<String>,
    /// From the disposition's `filename` or the type's `name` parameter (may be RFC 2231/2047
    /// encoded as sent).
    pub filename: Option<String>,
    pub content_id: Option<String>,
}

/// The envelope-level record of one message, from the envelope fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeRecord {
    pub uid: u32,
    pub flags: Vec<String>,
    pub internal_date: Option<DateTime<FixedOffset>>,
    pub size: u32,
    pub modseq: Option<u64>,
    /// The Date header as sent (unparsed).
    pub date: Option<Vec<u8>>,
    pub subject: Option<Vec<u8>>,
    pub from: Vec<Address>,
    pub sender: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub in_reply_to: Option<Vec<u8>>,
    pub message_id: Option<Vec<u8>>,
    /// The raw `References`, `In-Reply-To` and `List-Id` header lines (CRLF-terminated, empty
    /// when the message has none), for threading and list detection.
    pub thread_headers: Vec<u8>,
    /// Leaf parts; empty when the fetch was made without BODYSTRUCTURE.
    pub parts: Vec<BodyPart>,
}

/// A message's full bytes (or a part or a partial range), exactly as the server sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedBody {
    pub uid: u32,
    /// Present in bulk downloads (so the Maildir file name carries them); may be empty for
    /// single fetches.
    pub flags: Vec<String>,
    pub internal_date: Option<DateTime<FixedOffset>>,
    pub bytes: Vec<u8>,
}

/// What APPEND reported (UIDPLUS): the new message's UID, to record it without a refetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendUid {
    pub uid_validity: u32,
    pub uid: u32,
}

/// A server-initiated report seen while running other commands (or while idling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsolicited {
    /// The mailbox now has this many messages (new mail when it grows).
    Exists(u32),
    /// A message (by sequence number) was expunged.
    Expunge(u32),
    /// UIDs expunged (QRESYNC sessions report VANISHED instead of EXPUNGE).
    Vanished(Vec<RangeInclusive<u32>>),
    /// Flags of a message changed; `uid` is None when the server did not include it.
    Flags {
        seq: u32,
        uid: Option<u32>,
        flags: Vec<String>,
        modseq: Option<u64>,
    },
}
