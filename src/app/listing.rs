//! The message list's side of the backend: the folder list with its counts, a list's order
//! (computed once per list generation and cached: threading a folder is the costly part), and
//! the pages of rows the UI asks for by position in that order.

use super::*;

impl Backend {
    pub(super) async fn load_folders(&mut self, account: Option<String>) -> bool {
        // Pick up what other programs changed (mutt, a second postie) before counting.
        if account.is_none()
            && let Err(e) = self.store.refresh()
        {
            tracing::warn!("cannot pick up external changes: {e}");
        }
        let accounts = match account {
            Some(a) => vec![a],
            None => self.options.accounts.clone(),
        };
        for account in accounts {
            let result = self
                .store
                .folders(Some(&account))
                .map(|fs| {
                    fs.iter()
                        // The outbox is the engine's queue: shown (as a pseudo-folder of its
                        // queued messages) only while something waits in it.
                        .filter(|f| f.role.as_deref() != Some(outbox::ROLE) || f.total > 0)
                        .map(convert::folder_info)
                        .collect()
                })
                .map_err(store_error);
            if !self.emit(Event::Folders { account, result }).await {
                return false;
            }
        }
        true
    }

    /// The order of a list: cached for the request's generation, else computed from the index.
    pub(super) fn order(
        &mut self,
        req: &PageRequest,
    ) -> Result<Arc<Vec<(store::MessageId, ThreadPos)>>, StoreError> {
        if let Some(c) = self.orders.iter().find(|c| {
            c.generation == req.generation && c.source == req.source && c.sort == req.sort
        }) {
            return Ok(Arc::clone(&c.ids));
        }
        let ids = match &req.source {
            // The default and the common case, and the one a 100,000-message folder must open
            // with fast: only the columns threading needs.
            ListSource::Folder(f) if req.sort.key == SortKey::Date => {
                let keys = self.store.thread_keys(&f.account, &f.folder)?;
                convert::order_by_date(&keys, req.sort.threaded, req.sort.reverse)
            }
            ListSource::Folder(f) => {
                let msgs = self.store.list(&ListQuery {
                    account: Some(f.account.clone()),
                    folder: Some(f.folder.clone()),
                    limit: None,
                    offset: 0,
                })?;
                convert::order(&msgs, req.sort)
            }
            ListSource::Search { scope, query } => {
                let mut msgs = server_search::local_search(&self.store, scope, query)?;
                // Then what only the servers found (bodies not stored), newest first.
                let local: std::collections::HashSet<_> = msgs.iter().map(|m| m.id).collect();
                let mut extra: Vec<_> = self
                    .server_hits
                    .get(&req.source)
                    .iter()
                    .filter(|id| !local.contains(*id))
                    .filter_map(|id| self.store.get(*id).ok())
                    .collect();
                extra.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
                msgs.extend(extra);
                // Search results are a flat list (a thread's other messages may not match).
                let sort = Sort {
                    threaded: false,
                    ..req.sort
                };
                convert::order(&msgs, sort)
            }
        };
        let ids = Arc::new(ids);
        self.orders.insert(
            0,
            CachedOrder {
                source: req.source.clone(),
                sort: req.sort,
                generation: req.generation,
                ids: Arc::clone(&ids),
            },
        );
        self.orders.truncate(ORDERS_KEPT);
        Ok(ids)
    }

    pub(super) fn page(&mut self, req: &PageRequest) -> Result<Page, StoreError> {
        if let ListSource::Folder(f) = &req.source
            && self.is_outbox(f)
        {
            return self.outbox_page(f, req);
        }
        // Newest first, flat: straight from the index's date order, only the rows asked for,
        // whatever the folder's size.
        if let ListSource::Folder(f) = &req.source
            && req.sort.key == SortKey::Date
            && !req.sort.threaded
            && !req.sort.reverse
        {
            let msgs = self.store.list(&ListQuery {
                account: Some(f.account.clone()),
                folder: Some(f.folder.clone()),
                limit: Some(req.limit as u64),
                offset: req.offset as u64,
            })?;
            let total = self.store.folder_total(&f.account, &f.folder)?;
            return Ok(Page {
                offset: req.offset,
                total,
                rows: msgs
                    .iter()
                    .map(|m| convert::row(m, ThreadPos::default()))
                    .collect(),
            });
        }
        let order = self.order(req)?;
        let end = req.offset.saturating_add(req.limit).min(order.len());
        let mut rows = Vec::with_capacity(end.saturating_sub(req.offset));
        for (id, pos) in order.get(req.offset..end).unwrap_or_default() {
            match self.store.get(*id) {
                Ok(m) => rows.push(convert::row(&m, *pos)),
                // Gone since the order was computed (another program moved it): the next
                // reload drops it from the order too.
                Err(StoreError::NoSuchMessage(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Page {
            offset: req.offset,
            total: order.len(),
            rows,
        })
    }
}
