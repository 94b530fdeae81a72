//! Pure mail logic: envelopes, flags, body text and attachments, threading, composing. No IO,
//! no async.
//!
//! Everything that reads messages is total over arbitrary bytes: malformed, truncated or
//! hostile messages give the best result available, never an error and never a panic. The
//! store, the CLI and the TUI all read messages through these types.

pub mod body;
pub mod compose;
pub mod envelope;
pub mod flags;
pub mod headers;
mod html_render;
pub mod mailcap;
pub mod mbox;
pub mod thread;

pub use body::{Attachment, ParsedMessage};
pub use envelope::{Address, Envelope};
pub use flags::{Flag, Flags};
pub use thread::{Thread, ThreadInput, ThreadLine, thread};
