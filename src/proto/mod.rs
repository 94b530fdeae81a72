//! Protocol clients, generic over the stream. They never import the store, the engine or the UI.

pub mod imap;
pub mod pop3;
pub mod sasl;
pub mod smtp;
