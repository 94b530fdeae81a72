//! The backend half of tagging (issue #14 item 1): which messages of a list match a pattern,
//! for `:tag PATTERN` / `:untag PATTERN` ([`Command::TagMatching`](crate::ui::Command)).
//!
//! What must hold: the match is the index's (the same query syntax and search as the `/`
//! filter, [`Store::search`](crate::store::Store::search)), so a 100,000-message folder is
//! never loaded row by row; only messages the list shows can match (a pattern within a filter
//! matches within what the filter shows, the server's hits included); the answer is ids and
//! flags only. A bulk action on the tags skips a message the store no longer has (expunged
//! meanwhile) instead of failing for all the others ([`Backend::still_here`]).

use std::collections::HashSet;

use crate::store::{self, MessageSummary, StoreError};
use crate::ui::{self, Event, ListSource, SearchScope};

use super::{Backend, SEARCH_LIMIT, convert, store_error};

impl Backend {
    /// Answers [`crate::ui::Command::TagMatching`] with [`Event::TagMatched`].
    pub(super) async fn tag_matching(
        &mut self,
        list: ListSource,
        pattern: Option<String>,
        untag: bool,
    ) -> bool {
        let result = self
            .matching(&list, pattern.as_deref())
            .map(|found| {
                found
                    .iter()
                    .map(|m| (convert::ui_id(m.id), convert::flags_to_ui(&m.flags)))
                    .collect()
            })
            .map_err(store_error);
        self.emit(Event::TagMatched {
            list,
            untag,
            result,
        })
        .await
    }

    /// The messages of `list` matching `pattern` (`None`: all the list shows, for a search
    /// list; a folder list needs a pattern).
    pub(super) fn matching(
        &self,
        list: &ListSource,
        pattern: Option<&str>,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let (scope, shown) = match list {
            ListSource::Folder(f) => (SearchScope::Folder(f.clone()), None),
            ListSource::Search { scope, query } => {
                let mut shown = self.search_in(scope, query, Some(SEARCH_LIMIT))?;
                let local: HashSet<store::MessageId> = shown.iter().map(|m| m.id).collect();
                let extra: Vec<MessageSummary> = self
                    .server_hits
                    .get(list)
                    .iter()
                    .filter(|id| !local.contains(*id))
                    .filter_map(|id| self.store.get(*id).ok())
                    .collect();
                shown.extend(extra);
                (scope.clone(), Some(shown))
            }
        };
        match (pattern, shown) {
            (None, Some(shown)) => Ok(shown),
            (None, None) => Ok(Vec::new()),
            (Some(p), None) => self.search_in(&scope, p, None),
            (Some(p), Some(shown)) => {
                let hits: HashSet<store::MessageId> = self
                    .search_in(&scope, p, None)?
                    .iter()
                    .map(|m| m.id)
                    .collect();
                Ok(shown.into_iter().filter(|m| hits.contains(&m.id)).collect())
            }
        }
    }

    /// The ids of a bulk action (several messages, as tags make) that the store still has: a
    /// tagged message expunged since by another client or a sync is left out, instead of
    /// failing the action for every other one. One id is kept as it is (its error says it is
    /// gone).
    pub(super) fn still_here(&self, ids: Vec<ui::MessageId>) -> Vec<ui::MessageId> {
        if ids.len() < 2 {
            return ids;
        }
        ids.into_iter()
            .filter(|id| convert::store_id(id).is_some_and(|sid| self.store.get(sid).is_ok()))
            .collect()
    }

    fn search_in(
        &self,
        scope: &SearchScope,
        query: &str,
        limit: Option<u64>,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let (account, folder) = match scope {
            SearchScope::Folder(f) => (Some(f.account.as_str()), Some(f.folder.as_str())),
            SearchScope::AllAccounts => (None, None),
        };
        self.store.search(query, account, folder, limit)
    }
}
