//! Server search over the live connection ([`LiveHandle::search`]): the TUI's search asks
//! here for the messages whose bodies are not stored. Nothing is written; a session that broke
//! is replaced and the search run once more (repeating a search is harmless).

use tokio::sync::oneshot;

use super::{Live, LiveHandle, Request};
use crate::engine::imap::search::{plan, search_keys, search_on};
use crate::engine::{AccountError, EngineError};
use crate::store::MessageId;
use crate::store::index::search::Query;

impl LiveHandle {
    /// Runs `query` on the server in the folders (only `folder` when given) holding
    /// envelope-only messages ([`crate::engine::imap::search`]): the stored messages it matched.
    pub async fn search(
        &self,
        query: String,
        folder: Option<String>,
    ) -> Result<Vec<MessageId>, AccountError> {
        let (reply, answer) = oneshot::channel();
        let closed = || AccountError::new(&self.account, None, EngineError::ConnectionClosed);
        self.requests
            .send(Request::Search {
                query,
                folder,
                reply,
            })
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

impl Live {
    /// Serves a search request on the live session.
    pub(super) async fn search(
        &mut self,
        query: &str,
        folder: Option<&str>,
    ) -> Result<Vec<MessageId>, EngineError> {
        let Ok(query) = Query::parse(query) else {
            return Ok(Vec::new()); // the local search reports the error
        };
        let Some(keys) = search_keys(&query) else {
            return Ok(Vec::new());
        };
        let plan = plan(&self.store, &self.account.name, folder, &query)?;
        if plan.is_empty() {
            return Ok(Vec::new());
        }
        let mut last = EngineError::ConnectionClosed;
        for _attempt in 0..2 {
            self.ensure_session(true).await?;
            let Some(session) = self.session.as_mut() else {
                return Err(EngineError::ConnectionClosed);
            };
            match search_on(session, &plan, &keys).await {
                Ok(hits) => return Ok(hits),
                Err(e) => {
                    last = e.into();
                    self.drop_session();
                }
            }
        }
        Err(last)
    }
}
