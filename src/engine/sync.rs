//! One-shot sync of one account (what `postie sync` runs for each account): the protocol's
//! download, replay of queued offline actions, and the outbox flush, in that order.
//!
//! Each protocol's sync lives in its own module ([`super::pop3`], [`super::imap`]); this one
//! only dispatches and gathers the summary.

use serde::Serialize;

use super::progress::{ProgressSink, SyncEvent};
use super::{AccountError, EngineError};
use crate::config::{Account, Incoming};
use crate::store::Store;

/// What the user asked `postie sync` to do.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Only this folder (IMAP); POP3 has only INBOX, Maildir accounts are rescanned whole.
    pub folder: Option<String>,
}

/// What one account's sync did: printed as a line, or as JSON with `--json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    pub account: String,
    pub protocol: &'static str,
    /// Messages newly stored (POP3 downloads, IMAP envelopes of new messages).
    pub new: u64,
    /// Maildir accounts: messages another program delivered that are now in the index.
    pub indexed: u64,
    /// Maildir accounts: messages gone from the Maildir, dropped from the index.
    pub unindexed: u64,
    /// Bytes of message bodies downloaded.
    pub bytes: u64,
    /// Messages deleted on the server (POP3 delete mode, `leave_on_server_days`).
    pub deleted: u64,
    /// Messages whose flags changed from the server's side.
    pub flags_changed: u64,
    /// Messages removed locally because the server expunged them.
    pub expunged: u64,
    /// Queued offline actions replayed to the server.
    pub actions_replayed: u64,
    /// Outbox messages the server accepted.
    pub outbox_sent: u64,
    /// Things the user should know that did not stop the sync.
    pub warnings: Vec<String>,
    /// Folders (store names) the server renumbered (UIDVALIDITY changed): their rows were
    /// dropped and fetched again under new ids, so anything holding the old ids must reload.
    pub renumbered: Vec<String>,
}

impl SyncSummary {
    pub fn new(account: &Account) -> Self {
        SyncSummary {
            account: account.name.clone(),
            protocol: account.incoming.protocol(),
            ..SyncSummary::default()
        }
    }
}

/// Syncs one account. The store is the one the CLI opened (accounts registered). Holds the
/// account's lock throughout ([`super::lock`]): a second sync of the account, here or in
/// another process, waits [`super::lock::WAIT_FOR_OTHER_SYNC`] and then fails with
/// [`EngineError::AccountBusy`].
pub async fn sync_account(
    store: &mut Store,
    account: &Account,
    options: &SyncOptions,
    progress: &dyn ProgressSink,
) -> Result<SyncSummary, AccountError> {
    let _syncing = super::lock::lock_account(
        store.data_dir(),
        &account.name,
        super::lock::WAIT_FOR_OTHER_SYNC,
    )
    .await?;
    let mut summary = SyncSummary::new(account);
    match &account.incoming {
        Incoming::Pop3(pop3) => {
            super::pop3::sync(store, account, pop3, progress, &mut summary).await?;
        }
        Incoming::Imap(imap) => {
            super::imap::sync(store, account, imap, options, progress, &mut summary).await?;
        }
        Incoming::Maildir(_) => {
            let folder = "(index)".to_owned();
            progress.event(SyncEvent::Started {
                account: account.name.clone(),
                folder: folder.clone(),
                total: None,
            });
            let stats = store
                .refresh_account(&account.name, true, &mut |p| {
                    progress.event(SyncEvent::Progress {
                        account: account.name.clone(),
                        folder: folder.clone(),
                        done: p.done,
                        total: (p.total > 0).then_some(p.total),
                        bytes: 0,
                    });
                })
                .map_err(|e| AccountError::new(&account.name, None, EngineError::from(e)))?;
            summary.indexed = stats.added;
            summary.unindexed = stats.removed;
            // Ends the progress line; the counts are in the account's summary, so no
            // folder line repeats them.
            progress.event(SyncEvent::Finished {
                account: account.name.clone(),
                folder,
                summary: String::new(),
            });
        }
    }
    super::outbox::flush(store, account, progress, &mut summary).await?;
    Ok(summary)
}
