//! POP3 client (RFC 1939, 2449 CAPA, 2595 STLS, 3206 response codes, 5034 AUTH).
//!
//! - [`codec`]: pure framing (status lines, response codes, multi-line bodies with
//!   dot-unstuffing), tested with byte literals.
//! - [`replies`]: pure typed replies (CAPA, STAT, LIST, UIDL).
//! - [`client`]: the tokio session, generic over the stream; [`Retrieval`] pipelines RETR.
//!
//! Owns the POP3 wire protocol only: it never imports the store, the engine or the UI. TCP,
//! TLS and TCP_NODELAY are the caller's ([`crate::net`]).

pub mod client;
pub mod codec;
pub mod error;
pub mod replies;
mod retrieve;
mod secrets;

pub use client::{ClientOptions, Pop3Client, Transport};
pub use codec::{CodecError, Greeting, ResponseCode};
pub use error::Pop3Error;
pub use replies::{Capabilities, ListEntry, Stat, UidlEntry};
pub use retrieve::{Retrieval, RetrievedMessage};

#[cfg(test)]
mod bearer_tests;
#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod fake_server;
#[cfg(test)]
mod retrieve_tests;
