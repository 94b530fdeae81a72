//! IMAP client (RFC 3501 plus IDLE, CONDSTORE/QRESYNC, UIDPLUS, MOVE, SPECIAL-USE,
//! LIST-STATUS, LITERAL+, ENABLE), on async-imap 0.12 / imap-proto 0.17, generic over the
//! stream.
//!
//! Owns: connecting per the TLS mode (STARTTLS fails closed), login (AUTHENTICATE PLAIN before
//! LOGIN; never a password on a plain stream without `allow_plaintext`), and every IMAP command
//! postie sends. May not touch: the store, the engine, the UI. It returns owned records
//! ([`EnvelopeRecord`], [`FetchedBody`], [`FlagUpdate`], ...) and the engine writes them.
//!
//! # How the engine uses it
//!
//! ```text
//! let mut s = ImapSession::connect(&server, &tls, &Login { user, password: &pw }, opts).await?;
//! let folders = s.list_folders_with_status().await?;            // roles, counts
//! // per folder, with (uidvalidity, highestmodseq, max uid) from the store:
//! if s.capabilities().qresync {
//!     let r = s.select_qresync(name, Some((validity, modseq))).await?;
//!     if r.selected.uid_validity != validity { /* drop the folder's cache, full fetch */ }
//!     // apply r.vanished (expunged UIDs) and r.changed (flags); then new mail:
//! } else {
//!     let sel = s.select(name).await?;
//!     let flags = s.fetch_flags(sel.highest_modseq.and(Some(stored_modseq))).await?;
//!     let present = s.all_uids().await?;                          // expunges
//! }
//! let mut env = s.fetch_envelopes(max_uid + 1..=u32::MAX, &EnvelopeOptions::default())?;
//! while let Some(batch) = env.next_batch().await? { store.insert(batch) }  // newest first
//! // fetch_bodies = "all": s.fetch_bodies(1..=u32::MAX, &BodyOptions::default())?.next()
//! // on demand: s.fetch_body(uid), s.fetch_part(uid, "2"), s.fetch_prefix(uid, 2048)
//! // actions: s.store_flags(..), s.move_messages(..), s.expunge_uids(..), s.append(..)
//! ```
//!
//! IDLE runs on a second session: `idle.idle("INBOX", token.cancelled(), &IdleOptions::default())`
//! returns [`IdleEvent::Changed`] when the folder changes; sync on the main session, then call
//! it again.
//!
//! Errors: [`ImapError::kind`]. After any Network-kind error the session is broken
//! ([`ImapSession::is_usable`] is false): drop it and reconnect (with backoff). A response
//! imap-proto cannot parse is such an error, never a panic; the commands sent here avoid the
//! ones whose replies it is known not to parse (NAMESPACE, ESEARCH, THREAD, LIST-EXTENDED
//! selection options, STATUS SIZE, BINARY).
//!
//! Unsolicited reports (EXISTS, EXPUNGE, VANISHED, FETCH FLAGS for messages not asked about)
//! collect in the session; read them with [`ImapSession::take_unsolicited`] after a command.

mod changes;
pub mod codec;
mod error;
mod fetch;
mod folders;
mod idle;
mod select;
mod session;
mod trace;
mod types;

pub use changes::{FlagOp, Moved};
pub use codec::{decode_mailbox_name, encode_mailbox_name};
pub use error::ImapError;
pub use fetch::{BodyOptions, EnvelopeOptions, FetchStream};
pub use idle::{IdleEvent, IdleOptions};
pub use session::{ImapSession, ImapStream, Login, SessionOptions, TcpImapSession};
pub use trace::Trace;
pub use types::{
    Address, AppendUid, BodyPart, Capabilities, EnvelopeRecord, FetchedBody, FlagUpdate, Folder,
    FolderRole, FolderStatus, Resync, Selected, Unsolicited,
};
