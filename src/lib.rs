//! postie: a terminal mail client.
//!
//! The crate is layered, and the arrows point one way only:
//!
//! ```text
//!   app ──► ui   (the UI's plain types; ui imports none of the layers below)
//!    └──►  engine  ──►  proto (imap, pop3, smtp) ──► net
//!             └─►  store (maildir, index)   ──► mail
//! ```
//!
//! - [`ui`] is an Elm-style state machine (`update(&mut Model, Msg) -> Vec<Command>`): it never
//!   does IO. It sends commands to the backend and renders the events the backend sends back.
//! - [`app`] is that backend: a thread owning the store that runs the UI's commands against the
//!   store and the engine and converts their results into the UI's plain types.
//! - [`engine`] owns one task per account: the connections, the store, the offline action queue
//!   and the outbox. Every finished job comes back as an event carrying its `Result`.
//! - [`proto`] speaks IMAP, POP3 and SMTP over any `AsyncRead + AsyncWrite` stream, so STARTTLS
//!   upgrades and fault-injecting tests are easy. It knows nothing of the store or the terminal.
//! - [`store`] is the local copy: one Maildir per folder (the truth for message bytes) plus an
//!   SQLite index (envelopes, flags, UIDs, full-text search, queues). It never touches the network.
//! - [`net`] makes TCP and TLS connections; [`mail`] is pure mail logic (parsing, composing,
//!   threading) with no IO at all.
//! - [`config`] and [`credentials`] turn the user's config file and keyring into typed values;
//!   [`cli`] is the clap definition shared by the binary, the man page and shell completions.
//!
//! Errors: every layer has its own `thiserror` enum with a `kind()` ([`error::ErrorKind`]);
//! the binary maps kinds to the sysexits exit codes of the spec.

pub mod app;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod engine;
pub mod error;
pub mod mail;
pub mod net;
pub mod proto;
pub mod store;
pub mod ui;
