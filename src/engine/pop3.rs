//! POP3 download into the local store (issue #4): keep and delete modes.

use super::AccountError;
use super::progress::ProgressSink;
use super::sync::SyncSummary;
use crate::config::{Account, Pop3Incoming};
use crate::store::Store;

/// Downloads every message not yet in the store; in delete mode, deletes what is durable.
pub async fn sync(
    _store: &mut Store,
    account: &Account,
    _pop3: &Pop3Incoming,
    _progress: &dyn ProgressSink,
    summary: &mut SyncSummary,
) -> Result<(), AccountError> {
    summary
        .warnings
        .push(format!("POP3 sync of {} is not built yet", account.name));
    Ok(())
}
