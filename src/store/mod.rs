//! The local store: one Maildir per folder plus an SQLite index. Never touches the network.

pub mod error;
pub mod index;
pub mod maildir;

pub use error::StoreError;
