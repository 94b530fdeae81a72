//! The engine: joins protocols and the store, per account.
//!
//! It takes what a protocol client fetched and makes it durable in the store, replays what the
//! user did offline, and sends the outbox. It reports progress through
//! [`progress::ProgressSink`] and never formats for a terminal; errors come back as
//! [`AccountError`]s naming the account and server.
//!
//! - [`sync`]: one-shot sync of an account (`postie sync`), dispatching to [`pop3`] and
//!   [`imap`], then [`outbox`].
//! - [`outbox`]: sending queued messages (backoff, exactly once); [`sent`]: the Sent copy.
//! - [`connect`]: passwords (off the async threads) and TLS connectors; [`login`]: password or
//!   OAuth2 token, and the one fresh-token retry of a refused OAuth2 login.
//! - [`imap`]: IMAP sync ([`imap::sync`]), a body on demand ([`imap::fetch_body`]), applying
//!   queued actions at once ([`imap::replay_now`]).
//! - [`folders`]: create, rename, delete and subscribe folders (the server first on IMAP).
//! - [`lock`]: one sync per account at a time across processes (which operations lock).
//! - [`idle`]: IDLE watchers for the TUI ([`idle::spawn`] -> [`idle::WatchEvent`]s).

pub mod connect;
pub mod error;
pub mod folders;
pub mod idle;
pub mod imap;
pub mod lock;
pub mod login;
pub mod outbox;
pub mod pop3;
pub mod progress;
pub mod sent;
pub mod sync;

pub use error::{AccountError, EngineError};
