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

use crate::engine::imap::search::search_keys;
use crate::store;
use crate::store::index::search::Query;
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
        // A query the syntax refuses: the list's own search says what is wrong. One the
        // servers cannot add to (no body words): the store saw every envelope, flag and date.
        let Some(parsed) = Query::parse(query)
            .ok()
            .filter(|q| search_keys(q).is_some())
        else {
            return self.server_searched(source, Vec::new(), 0).await;
        };
        let mut unsearched = 0u64;
        let mut asks = Vec::new();
        for account in accounts {
            if !parsed.admits_account(&account) {
                continue;
            }
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
        local_search(&self.store, scope, query)
            .map(|msgs| msgs.into_iter().map(|m| m.id).collect())
            .unwrap_or_default()
    }
}

/// A search list's local results (the best [`super::SEARCH_LIMIT`]). In one folder (`/`) a
/// `folder:` or `account:` clause is an error saying to use `S`: the filter searches the open
/// folder only, and silently ignoring the clause, or finding nothing, would mislead.
pub(super) fn local_search(
    store: &store::Store,
    scope: &SearchScope,
    query: &str,
) -> Result<Vec<store::MessageSummary>, store::StoreError> {
    let query = Query::parse(query)?;
    let (account, folder) = match scope {
        SearchScope::Folder(f) => {
            query.check_in_folder()?;
            (Some(f.account.as_str()), Some(f.folder.as_str()))
        }
        SearchScope::AllAccounts => (None, None),
    };
    store.search_query(&query, account, folder, Some(super::SEARCH_LIMIT))
}
