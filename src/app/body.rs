//! Reading on demand: opening an IMAP message whose body is not stored yet downloads it first,
//! over the account's live command connection (`live`: no login per message; it has its own
//! store handle, so the store thread keeps serving the list), then answers with the message as
//! usual.
//!
//! What must hold: the store thread never waits on the network; a fetch that fails (offline,
//! server gone, message expunged) still answers, with the headers and the reason in the body;
//! a message the server no longer has under its UID (expunged elsewhere, or its folder
//! renumbered) gets its folder synced, so stale rows do not stay in the list.

use crate::engine::EngineError;
use crate::ui::{self, Event};

use super::{Backend, Internal, Mode, convert};

impl Backend {
    /// Opens a message: straight from the store, or — for an envelope-only IMAP message in
    /// online mode — after downloading its body (the answer then comes from
    /// [`Backend::body_fetched`]). `false` when the UI is gone.
    pub(super) async fn open(&mut self, id: ui::MessageId) -> bool {
        if self.start_body_fetch(&id) {
            return true;
        }
        let result = self.open_message(&id, None);
        self.answer_open(id, result).await
    }

    /// Asks the account's live connection for the body of `id` when it is an envelope-only row
    /// of an IMAP account and postie is online; `false` when there is nothing to download.
    fn start_body_fetch(&mut self, id: &ui::MessageId) -> bool {
        if self.options.mode != Mode::Online {
            return false;
        }
        let Some(sid) = convert::store_id(id) else {
            return false;
        };
        let Ok(summary) = self.store.get(sid) else {
            return false;
        };
        if summary.has_body {
            return false;
        }
        let Some(live) = self.live.get(&summary.account).map(|c| c.handle()) else {
            return false;
        };
        let internal = self.internal.clone();
        let id = id.clone();
        self.network.spawn(async move {
            let result = live.fetch_body(sid).await;
            let gone = matches!(
                &result,
                Err(e) if matches!(e.source, EngineError::NotOnServer { .. })
            );
            let result = result.map_err(|e| crate::error::chain_line(&e));
            let _ = internal.send(Internal::BodyFetched { id, result, gone });
        });
        true
    }

    /// A download started by [`Backend::open`] finished: answer the open.
    /// A download started by [`Backend::open`] finished: answer the open. When the server no
    /// longer has the message, its folder is synced too: that drops the stale rows (and, when
    /// the folder was renumbered, makes the UI show it afresh).
    pub(super) async fn body_fetched(
        &mut self,
        id: ui::MessageId,
        result: Result<(), String>,
        gone: bool,
    ) -> bool {
        if let Err(why) = &result {
            tracing::warn!("cannot download the body of message {id}: {why}");
        }
        let answer = self.open_message(&id, result.err().as_deref());
        let folder = answer.as_ref().ok().map(|m| m.folder.clone());
        if !self.answer_open(id, answer).await {
            return false;
        }
        match folder.filter(|_| gone) {
            Some(f) => {
                if self.syncing.contains(&f.account) {
                    self.defer_sync(&f.account, Some(f.folder));
                    return true;
                }
                let state = self.start_sync(&f.account, Some(f.folder));
                self.emit(Event::AccountState {
                    account: f.account,
                    state,
                })
                .await
            }
            None => true,
        }
    }
}
