//! IMAP sync into the local store (issue #6).

use super::AccountError;
use super::progress::ProgressSink;
use super::sync::{SyncOptions, SyncSummary};
use crate::config::{Account, ImapIncoming};
use crate::store::Store;

/// Folder list, envelopes, flags, expunges, bodies per `fetch_bodies`, and the offline queue.
pub async fn sync(
    _store: &mut Store,
    account: &Account,
    _imap: &ImapIncoming,
    _options: &SyncOptions,
    _progress: &dyn ProgressSink,
    summary: &mut SyncSummary,
) -> Result<(), AccountError> {
    summary
        .warnings
        .push(format!("IMAP sync of {} is not built yet", account.name));
    Ok(())
}
