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
//! // The password comes from credentials::password (blocking: call it via spawn_blocking).
//! let login = Login { user: &server.user, password: &password };
//! let mut s = ImapSession::connect(&server, &tls, &login, SessionOptions::default()).await?;
//! let folders = s.list_folders_with_status().await?;      // Vec<(Folder, Option<FolderStatus>)>
//!
//! // Per folder, with (uidvalidity, highestmodseq, highest stored uid) from the store:
//! let sel = if s.capabilities().qresync {
//!     let r = s.select_qresync(&f.name, Some((validity, modseq))).await?;
//!     if r.selected.uid_validity != validity { /* drop the folder's cache; full fetch */ }
//!     // apply r.vanished (expunged UID ranges) and r.changed (new flags) to the store
//!     r.selected
//! } else {
//!     let sel = s.select(&f.name).await?;
//!     let since = sel.highest_modseq.map(|_| modseq);      // CHANGEDSINCE with CONDSTORE
//!     let flags = s.fetch_flags(since).await?;             // else UID FETCH 1:* (UID FLAGS)
//!     let present = s.all_uids().await?;                   // stored UIDs missing: expunged
//!     sel
//! };
//! // New mail, newest batch first, written to the index while the rest arrives:
//! let mut env = s.fetch_envelopes(max_uid + 1..=u32::MAX, &EnvelopeOptions::default())?;
//! while let Some(batch) = env.next_batch().await? { /* index.insert(batch) */ }
//! // Store the new (uid_validity, highest_modseq) from `sel` once the batch is durable.
//!
//! // fetch_bodies = "all": one pipelined stream of exact bytes + flags + INTERNALDATE
//! let mut bodies = s.fetch_bodies(1..=u32::MAX, &BodyOptions::default())?;
//! while let Some(b) = bodies.next().await? { /* maildir.write(b) */ }
//! // On demand: s.fetch_body(uid), s.fetch_part(uid, "2"), s.fetch_prefix(uid, 4096)
//! // Actions:   s.store_flags(&uids, FlagOp::Add, &flags), s.move_messages(&uids, "Trash"),
//! //            s.expunge_uids(&uids), s.append("Sent", &flags, Some(date), &bytes)
//! ```
//!
//! IDLE runs on a second session: `idle.idle("INBOX", token.cancelled(), &IdleOptions::default())`
//! returns [`IdleEvent::Changed`] when the folder changes (sync it on the main session, then
//! call `idle` again) or [`IdleEvent::Stopped`] when the future given completes.
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
mod frame;
mod idle;
mod login;
mod search;
mod select;
mod session;
mod trace;
mod types;
mod watch;

pub use changes::{FlagOp, Moved};
pub use codec::{decode_mailbox_name, encode_mailbox_name};
pub use error::ImapError;
pub use fetch::{BodyOptions, EnvelopeOptions, FetchStream, HasUid};
pub use frame::{FrameError, FrameLimits};
pub use idle::{IdleEvent, IdleOptions};
pub use login::{Login, SessionOptions};
pub use search::{SearchToken, encode_search};
pub use session::{ImapSession, ImapStream, TcpImapSession};
pub use trace::Trace;
pub use types::{
    Address, AppendUid, BodyPart, Capabilities, EnvelopeRecord, FetchedBody, FlagUpdate, Folder,
    FolderRole, FolderStatus, Resync, Selected, Unsolicited,
};
