//! Reading on demand: opening an IMAP message whose body is not stored yet downloads it first,
//! on the network runtime with its own store handle (the store thread keeps serving the list),
//! then answers with the message as usual.
//!
//! What must hold: the store thread never waits on the network; a fetch that fails (offline,
//! server gone, message expunged) still answers, with the headers and the reason in the body.

use std::time::Duration;

use crate::config::Incoming;
use crate::engine::imap::{ConnectOptions, fetch_body};
use crate::store::Store;
use crate::ui::{self, Event};

use super::{Backend, Internal, Mode, convert};

/// How long opening a message waits for the server before showing the headers only.
const FETCH_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

impl Backend {
    /// Opens a message: straight from the store, or — for an envelope-only IMAP message in
    /// online mode — after downloading its body (the answer then comes from
    /// [`Backend::body_fetched`]). `false` when the UI is gone.
    pub(super) async fn open(&mut self, id: ui::MessageId) -> bool {
        if self.start_body_fetch(&id) {
            return true;
        }
        let result = self.open_message(&id, None);
        self.emit(Event::Message { id, result }).await
    }

    /// Spawns the download of the body of `id` when it is an envelope-only row of an IMAP
    /// account and postie may connect; `false` when there is nothing to download.
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
        let Some(account) = self.options.config.account(&summary.account).cloned() else {
            return false;
        };
        let Incoming::Imap(imap) = account.incoming.clone() else {
            return false;
        };
        let data_dir = self.store.data_dir().to_owned();
        let config = self.options.config.clone();
        let internal = self.internal.clone();
        let id = id.clone();
        self.network.spawn(async move {
            let options = ConnectOptions {
                connect_timeout: Some(FETCH_CONNECT_TIMEOUT),
                ..ConnectOptions::default()
            };
            let result = async {
                let mut store = Store::open(&data_dir).map_err(|e| crate::error::chain_line(&e))?;
                store
                    .register_accounts(&config)
                    .map_err(|e| crate::error::chain_line(&e))?;
                fetch_body(&mut store, &account, &imap, sid, &options)
                    .await
                    .map_err(|e| crate::error::chain_line(&e))
            }
            .await;
            let _ = internal.send(Internal::BodyFetched { id, result });
        });
        true
    }

    /// A download started by [`Backend::open`] finished: answer the open.
    pub(super) async fn body_fetched(
        &mut self,
        id: ui::MessageId,
        result: Result<(), String>,
    ) -> bool {
        if let Err(why) = &result {
            tracing::warn!("cannot download the body of message {id}: {why}");
        }
        let result = self.open_message(&id, result.err().as_deref());
        self.emit(Event::Message { id, result }).await
    }
}
