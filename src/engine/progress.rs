//! What a running sync tells whoever watches it: the CLI draws a progress bar or prints lines,
//! the TUI updates its status line. The engine only sends; it never formats for a terminal.

/// One step of a sync, for one account (and folder, where there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    /// Work on a folder begins; `total` messages to transfer when known.
    Started {
        account: String,
        folder: String,
        total: Option<u64>,
    },
    /// `done` of `total` messages (and `bytes` so far) are now durable.
    Progress {
        account: String,
        folder: String,
        done: u64,
        total: Option<u64>,
        bytes: u64,
    },
    /// A folder is done; `summary` is a short human sentence ("12 new, 0 deleted").
    Finished {
        account: String,
        folder: String,
        summary: String,
    },
    /// Something the user should know that did not stop the sync.
    Warning { account: String, message: String },
}

/// Receives sync events. Implementations must be cheap: they are called from the download loop.
pub trait ProgressSink: Send + Sync {
    fn event(&self, event: SyncEvent);
}

/// A sink that drops everything (tests, `--quiet`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn event(&self, _event: SyncEvent) {}
}
