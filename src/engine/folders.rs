//! Folder management for every kind of account (issue 13, item 5): what `postie folder` and
//! the TUI's `:mkdir`, `:rename`, `:rmdir` do.
//!
//! IMAP: the server is the truth, so the operation goes to the server at once and the store
//! follows (`imap/manage.rs`); with no connection it is refused
//! ([`EngineError::NeedsConnection`]): folder changes are never queued, unlike message
//! actions, because replaying a rename or delete later could hit folders changed meanwhile.
//! Maildir accounts (their directories are the server) and POP3 and local accounts (folders
//! are local only) change the store alone.

use std::time::Duration;

use super::imap::ConnectOptions;
use super::{AccountError, EngineError};
use crate::config::{Account, Incoming};
use crate::store::Store;

/// One folder operation; names are local (`/`-separated) folder names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderOp {
    Create {
        name: String,
    },
    Rename {
        from: String,
        to: String,
    },
    /// `force`: delete a folder that still holds messages.
    Delete {
        name: String,
        force: bool,
    },
    /// SUBSCRIBE (`on`) or UNSUBSCRIBE (IMAP only).
    Subscribe {
        name: String,
        on: bool,
    },
}

impl FolderOp {
    /// What was done, for a confirmation line: `folder "X" created`.
    pub fn done_line(&self) -> String {
        match self {
            FolderOp::Create { name } => format!("folder {name:?} created"),
            FolderOp::Rename { from, to } => format!("folder {from:?} renamed to {to:?}"),
            FolderOp::Delete { name, .. } => format!("folder {name:?} deleted"),
            FolderOp::Subscribe { name, on: true } => format!("subscribed to folder {name:?}"),
            FolderOp::Subscribe { name, on: false } => {
                format!("unsubscribed from folder {name:?}")
            }
        }
    }

    /// The operation as a gerund, for "… needs a connection".
    pub fn doing(&self) -> &'static str {
        match self {
            FolderOp::Create { .. } => "creating a folder",
            FolderOp::Rename { .. } => "renaming a folder",
            FolderOp::Delete { .. } => "deleting a folder",
            FolderOp::Subscribe { .. } => "subscribing to a folder",
        }
    }
}

/// Applies `op` to `account`. IMAP accounts connect (with `connect_timeout`) unless `online`
/// is false, which refuses; the account's lock is held meanwhile, so no sync in another process
/// maps folders at the same time. Other accounts change the store only.
pub async fn manage_folder(
    store: &mut Store,
    account: &Account,
    op: &FolderOp,
    online: bool,
    connect_timeout: Duration,
) -> Result<(), AccountError> {
    let imap = match &account.incoming {
        Incoming::Imap(imap) => imap,
        _ => {
            return apply_locally(store, &account.name, op)
                .map_err(|e| AccountError::new(&account.name, None, e));
        }
    };
    let err = |e: EngineError| AccountError::new(&account.name, Some(&imap.server), e);
    if !online {
        return Err(err(EngineError::NeedsConnection { what: op.doing() }));
    }
    let _managing = super::lock::lock_account(
        store.data_dir(),
        &account.name,
        super::lock::WAIT_FOR_OTHER_SYNC,
    )
    .await?;
    let options = ConnectOptions {
        connect_timeout: Some(connect_timeout),
        ..ConnectOptions::default()
    };
    let mut session = match super::imap::open(account, imap, &options).await {
        Ok(session) => session,
        Err(e) if e.kind() == crate::error::ErrorKind::Network => {
            tracing::debug!("cannot connect for a folder change: {e}");
            return Err(AccountError {
                source: EngineError::NeedsConnection { what: op.doing() },
                ..e
            });
        }
        Err(e) => return Err(e),
    };
    let result = async {
        let listed = session.list_folders().await?;
        session.take_unsolicited();
        super::imap::manage::apply(&mut session, store, account, &listed, op).await
    }
    .await;
    if session.is_usable() {
        session.logout().await;
    }
    result.map_err(err)
}

/// The store-only half, for accounts whose folders are local.
pub fn apply_locally(store: &mut Store, account: &str, op: &FolderOp) -> Result<(), EngineError> {
    match op {
        FolderOp::Create { name } => store.create_folder(account, name).map(|_| ())?,
        FolderOp::Rename { from, to } => store.rename_folder(account, from, to, None)?,
        FolderOp::Delete { name, force } => store.delete_folder(account, name, *force)?,
        FolderOp::Subscribe { .. } => return Err(EngineError::NoSubscriptions),
    }
    Ok(())
}
