//! The store's error type.

use std::path::PathBuf;

use crate::error::ErrorKind;

/// Everything that can go wrong in the local store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory operation failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The SQLite index failed.
    #[error("cannot {action} in the index")]
    Index {
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// Another process kept the index locked past the busy timeout (never a sign of damage).
    #[error("cannot {action} in the index: another postie process keeps it busy; try again")]
    IndexBusy {
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// The index was written by a newer postie.
    #[error(
        "cannot use the index: its schema version {found} is newer than this postie ({supported})"
    )]
    TooNew { found: i64, supported: i64 },
    #[error("cannot find message {0}")]
    NoSuchMessage(i64),
    #[error("cannot find folder {folder:?} in account {account:?}")]
    NoSuchFolder { account: String, folder: String },
    #[error("cannot find account {0:?} in the store")]
    NoSuchAccount(String),
    /// The message's envelope is cached but its body was never downloaded.
    #[error("cannot read message {0}: only its envelope is stored locally")]
    NoBody(i64),
    /// A folder name that would escape the data dir or is otherwise unusable.
    #[error("cannot use {0:?} as a folder name")]
    BadFolderName(String),
    #[error("folder {folder:?} exists already in account {account:?}")]
    FolderExists { account: String, folder: String },
    /// INBOX stays where it is: `action` is what was asked ("rename", "delete").
    #[error("cannot {action} INBOX: every account keeps its inbox")]
    InboxFixed { action: &'static str },
    #[error("cannot delete folder {folder:?}: it has subfolder {subfolder:?} (delete that first)")]
    FolderHasSubfolders { folder: String, subfolder: String },
    #[error(
        "folder {folder:?} holds {messages} message{}; delete it with --force to lose them",
        if *messages == 1 { "" } else { "s" }
    )]
    FolderNotEmpty { folder: String, messages: u64 },
    /// A search query the syntax cannot use (a bad date, an unknown `is:` state).
    #[error(transparent)]
    Query(#[from] crate::store::index::search::QueryError),
}

impl StoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Io { .. } | StoreError::Index { .. } | StoreError::TooNew { .. } => {
                ErrorKind::Io
            }
            StoreError::NoSuchMessage(_)
            | StoreError::NoSuchFolder { .. }
            | StoreError::NoSuchAccount(_)
            | StoreError::BadFolderName(_)
            | StoreError::FolderExists { .. }
            | StoreError::InboxFixed { .. }
            | StoreError::FolderHasSubfolders { .. }
            | StoreError::FolderNotEmpty { .. }
            | StoreError::Query(_) => ErrorKind::Usage,
            StoreError::NoBody(_) | StoreError::IndexBusy { .. } => ErrorKind::Temporary,
        }
    }

    /// Whether this error means the index file is damaged (so it may be set aside and rebuilt).
    /// Busy, locked, permission, read-only, full-disk and out-of-memory failures say nothing
    /// about the file and are not damage; what SQLite reports about the content is.
    pub(crate) fn is_damage(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            StoreError::Index { source, .. } => !matches!(
                source.sqlite_error_code(),
                Some(
                    C::DatabaseBusy
                        | C::DatabaseLocked
                        | C::PermissionDenied
                        | C::ReadOnly
                        | C::DiskFull
                        | C::OutOfMemory
                        | C::CannotOpen
                        | C::OperationInterrupted
                        | C::FileLockingProtocolFailed
                )
            ),
            _ => false,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }

    /// An index failure; SQLITE_BUSY/LOCKED (after the busy timeout) become
    /// [`StoreError::IndexBusy`], so they are retried later and never taken for damage.
    pub(crate) fn db(action: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode as C;
        move |source| match source.sqlite_error_code() {
            Some(C::DatabaseBusy | C::DatabaseLocked) => StoreError::IndexBusy { action, source },
            _ => StoreError::Index { action, source },
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
