//! Search that does not miss (issue #13): a search list's query also runs on the IMAP servers
//! of the accounts in its scope that hold envelope-only messages (the local index cannot see
//! their bodies), over each account's live connection; the hits join that list's pages.
//!
//! What must hold: the store thread never waits on the network (the searches run on the
//! network runtime and report back as [`Internal::ServerSearched`]); hits are ids the store
//! already holds (the engine maps UIDs back), never invented rows; what no server searched
//! (offline, POP3, a server not reachable) is counted and said, so the user knows the list
//! may miss messages.

use std::collections::HashMap;

use crate::store;
use crate::ui::{Event, ListSource, SearchScope, ServerSearch};

use super::{Backend, Internal};

/// The hits of the latest server search per list, kept while the list may be shown.
#[derive(Debug, Default)]
pub(super) struct ServerHits {
    by_source: HashMap<ListSource, Vec<store::MessageId>>,
}

/// How many lists' server hits are kept (older searches are forgotten).
const KEPT: usize = 8;

impl ServerHits {
    /// What the servers found for `source` (empty when not searched).
    pub(super) fn get(&self, source: &ListSource) -> &[store::MessageId] {
        self.by_source.get(source).map_or(&[], |v| v)
    }

    fn insert(&mut self, source: ListSource, ids: Vec<store::MessageId>) {
        if self.by_source.len() >= KEPT {
            self.by_source.clear();
        }
        self.by_source.insert(source, ids);
    }
}

impl Backend {
    /// Answers [`crate::ui::Command::SearchServer`]: starts one search per IMAP account in scope
    /// with envelope-only messages and a live connection; the answer comes from
    /// [`Backend::server_searched`].
    pub(super) async fn search_server(&mut self, source: ListSource) -> bool {
        let ListSource::Search { scope, query } = &source else {
            return true;
        };
        let (accounts, folder): (Vec<String>, Option<String>) = match scope {
            SearchScope::Folder(f) => (vec![f.account.clone()], Some(f.folder.clone())),
            SearchScope::AllAccounts => (self.options.accounts.clone(), None),
        };
        let mut unsearched = 0u64;
        let mut asks = Vec::new();
        for account in accounts {
            let missing = self
                .store
                .bodies_missing(Some(&account), folder.as_deref())
                .unwrap_or(0);
            if missing == 0 {
                continue;
            }
            match self.live.get(&account) {
                Some(conn) => asks.push((conn.handle(), missing)),
                None => unsearched += missing,
            }
        }
        if asks.is_empty() {
            return self.server_searched(source, Vec::new(), unsearched).await;
        }
        let internal = self.internal.clone();
        let query = query.clone();
        self.network.spawn(async move {
            let mut ids = Vec::new();
            for (handle, missing) in asks {
                match handle.search(query.clone(), folder.clone()).await {
                    Ok(found) => ids.extend(found),
                    Err(e) => {
                        tracing::warn!("server search: {}", crate::error::chain_line(&e));
                        unsearched += missing;
                    }
                }
            }
            let _ = internal.send(Internal::ServerSearched {
                source,
                ids,
                unsearched,
            });
        });
        true
    }

    /// A server search ended: keep its hits for the list's pages and tell the UI.
    pub(super) async fn server_searched(
        &mut self,
        source: ListSource,
        ids: Vec<store::MessageId>,
        unsearched: u64,
    ) -> bool {
        let local = self.local_hits(&source);
        let mut added: Vec<store::MessageId> =
            ids.into_iter().filter(|id| !local.contains(id)).collect();
        added.sort_unstable();
        added.dedup();
        let result = Ok(ServerSearch {
            added: added.len(),
            unsearched,
        });
        self.server_hits.insert(source.clone(), added);
        self.emit(Event::ServerSearched { source, result }).await
    }

    fn local_hits(&self, source: &ListSource) -> Vec<store::MessageId> {
        let ListSource::Search { scope, query } = source else {
            return Vec::new();
        };
        let (account, folder) = match scope {
            SearchScope::Folder(f) => (Some(f.account.as_str()), Some(f.folder.as_str())),
            SearchScope::AllAccounts => (None, None),
        };
        self.store
            .search(query, account, folder, Some(super::SEARCH_LIMIT))
            .map(|msgs| msgs.into_iter().map(|m| m.id).collect())
            .unwrap_or_default()
    }
}
