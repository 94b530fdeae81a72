//! One task per account: connections, sync, the offline action queue and the outbox.
//!
//! The engine is the only layer that joins protocols and the store: it takes what a protocol
//! client fetched and makes it durable in the store, and replays what the user did offline.
//! It reports progress through [`progress::ProgressSink`] and never formats for a terminal.

pub mod progress;
