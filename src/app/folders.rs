//! Folder changes asked by the UI (`:mkdir`, `:rename`, `:rmdir`, a move to a new folder):
//! IMAP accounts over their live connection, on the server at once and then in the store
//! ([`crate::engine::folders`]); without one (offline mode) refused, never queued. Other
//! accounts (Maildir, POP3, the demo) change the store on this thread.
//!
//! What must hold: the store thread never waits on the network (the live connection has its
//! own store handle); every change is answered with one [`Event::FolderManaged`]; a change
//! asked while its account syncs (the sync holds the account's lock) waits for the sync's end
//! instead of failing as "busy".

use crate::config::Incoming;
use crate::engine::folders::{FolderOp, apply_locally};
use crate::engine::{AccountError, EngineError};
use crate::ui::{BackendError, Event, FolderChange};

use super::{Backend, Internal};

/// The engine's operation for a UI change (the UI asked y/n before deleting, so it is forced).
fn op_of(change: &FolderChange) -> FolderOp {
    match change {
        FolderChange::Create { folder, .. } => FolderOp::Create {
            name: folder.folder.clone(),
        },
        FolderChange::Rename { folder, to } => FolderOp::Rename {
            from: folder.folder.clone(),
            to: to.clone(),
        },
        FolderChange::Delete { folder } => FolderOp::Delete {
            name: folder.folder.clone(),
            force: true,
        },
    }
}

fn backend_error(e: &AccountError) -> BackendError {
    BackendError::new(e.kind(), crate::error::chain_line(e))
}

impl Backend {
    /// Answers [`ui::Command::ManageFolder`] (at once, or from [`Backend::folder_managed`] when
    /// the live connection does it). `false` when the UI is gone.
    pub(super) async fn manage_folder(&mut self, change: FolderChange) -> bool {
        let account = change.folder().account.clone();
        let op = op_of(&change);
        let imap = self
            .options
            .config
            .account(&account)
            .is_some_and(|a| matches!(a.incoming, Incoming::Imap(_)));
        if !imap {
            let result = apply_locally(&mut self.store, &account, &op)
                .map_err(|e| backend_error(&AccountError::new(&account, None, e)));
            return self.emit(Event::FolderManaged { change, result }).await;
        }
        if !self.live.contains_key(&account) {
            let e = AccountError::new(
                &account,
                None,
                EngineError::NeedsConnection { what: op.doing() },
            );
            let result = Err(backend_error(&e));
            return self.emit(Event::FolderManaged { change, result }).await;
        }
        if self.syncing.contains(&account) {
            self.folder_changes_after_sync.push(change);
        } else {
            self.start_folder_change(change);
        }
        true
    }

    /// Hands `change` to its account's live connection; the answer comes back as
    /// [`Internal::FolderManaged`].
    fn start_folder_change(&mut self, change: FolderChange) {
        let Some(live) = self.live.get(&change.folder().account).map(|c| c.handle()) else {
            return;
        };
        let op = op_of(&change);
        let internal = self.internal.clone();
        self.network.spawn(async move {
            let result = live.manage_folder(op).await.map_err(|e| backend_error(&e));
            let _ = internal.send(Internal::FolderManaged { change, result });
        });
    }

    /// The sync of `account` ended: make the folder changes that waited for it.
    pub(super) fn folder_changes_ended_sync(&mut self, account: &str) {
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.folder_changes_after_sync)
            .into_iter()
            .partition(|c| c.folder().account == account);
        self.folder_changes_after_sync = later;
        for change in now {
            self.start_folder_change(change);
        }
    }

    /// A change made by the live connection finished: answer the UI.
    pub(super) async fn folder_managed(
        &mut self,
        change: FolderChange,
        result: Result<(), BackendError>,
    ) -> bool {
        self.emit(Event::FolderManaged { change, result }).await
    }
}
