//! The virtualised message list: only the pages of rows near the viewport are held, the rest is
//! asked for (`LoadPage`) as the cursor moves, so a 100,000-message folder costs a few hundred
//! rows of memory.
//!
//! Two index spaces: a *full* index counts every message of the list in the backend's thread
//! order (what `LoadPage` offsets mean); a *visible* index skips the messages hidden under
//! collapsed threads (what the cursor and the screen use). Collapsing is done here, on thread
//! roots only, so collapsed ranges never nest.

use std::collections::{BTreeMap, BTreeSet};

use super::protocol::{ListSource, Page, PageRequest};
use super::types::{MessageId, Row, Sort};

/// Rows per `LoadPage` request; requests are page-aligned.
pub const PAGE_SIZE: usize = 100;
/// Pages kept on each side of the viewport before being dropped.
const KEEP_PAGES: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageList {
    pub source: ListSource,
    pub sort: Sort,
    /// Bumped whenever the cached pages become invalid; pages of other generations are dropped.
    pub generation: u64,
    /// The list's length (full index space); None until the first page arrives.
    pub total: Option<usize>,
    pages: BTreeMap<usize, Vec<Row>>,
    /// The pages of the previous generation, shown and used (the cursor's row, Enter) until
    /// the first page of the new one arrives: a reload never leaves a moment where a key
    /// finds no row (new mail or a sync reloads the list while the user types).
    stale: BTreeMap<usize, Vec<Row>>,
    pending: BTreeSet<usize>,
    /// Whether a page of this generation has arrived. An empty folder is asked again after
    /// [`MessageList::invalidate`]: without this, `total == Some(0)` asks for nothing and new
    /// mail into an empty open folder stays invisible until the folder is reopened.
    answered: bool,
    /// Collapsed roots: full index -> (root id, messages hidden after it).
    collapsed: BTreeMap<usize, (MessageId, usize)>,
    /// The cursor, a visible index.
    pub selected: usize,
    /// The first visible index on screen.
    pub scroll: usize,
    /// The last page request's failure, shown while no row is loaded.
    pub error: Option<String>,
}

impl MessageList {
    pub fn new(source: ListSource, sort: Sort, generation: u64) -> Self {
        MessageList {
            source,
            sort,
            generation,
            total: None,
            pages: BTreeMap::new(),
            stale: BTreeMap::new(),
            pending: BTreeSet::new(),
            answered: false,
            collapsed: BTreeMap::new(),
            selected: 0,
            scroll: 0,
            error: None,
        }
    }

    fn hidden(&self) -> usize {
        self.collapsed.values().map(|(_, h)| h).sum()
    }

    /// How many rows the list shows.
    pub fn visible_len(&self) -> usize {
        self.total.unwrap_or(0).saturating_sub(self.hidden())
    }

    /// The full index of a visible index.
    pub fn full_index(&self, visible: usize) -> usize {
        let mut f = visible;
        for (&root, (_, hidden)) in &self.collapsed {
            if root < f {
                f += hidden;
            } else {
                break;
            }
        }
        f
    }

    /// The visible index of a full index, or None when it is hidden in a collapsed thread.
    pub fn visible_index(&self, full: usize) -> Option<usize> {
        let mut v = full;
        for (&root, (_, hidden)) in &self.collapsed {
            if root >= full {
                break;
            }
            if full <= root + hidden {
                return None;
            }
            v -= hidden;
        }
        Some(v)
    }

    pub fn row_full(&self, full: usize) -> Option<&Row> {
        self.pages
            .get(&(full / PAGE_SIZE))
            .or_else(|| self.stale.get(&(full / PAGE_SIZE)))
            .and_then(|p| p.get(full % PAGE_SIZE))
    }

    /// The row at a visible index, if loaded.
    pub fn row(&self, visible: usize) -> Option<&Row> {
        self.row_full(self.full_index(visible))
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.row(self.selected)
    }

    /// How many messages a visible row's collapsed thread hides (0 when not collapsed).
    pub fn hidden_under(&self, visible: usize) -> usize {
        self.collapsed
            .get(&self.full_index(visible))
            .map_or(0, |(_, h)| *h)
    }

    /// All loaded rows.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.pages.values().flatten()
    }

    /// All loaded rows, mutably (to apply flag changes optimistically).
    pub fn rows_mut(&mut self) -> impl Iterator<Item = &mut Row> {
        self.pages.values_mut().flatten()
    }

    /// A loaded reply became unread (`+1`) or read (`-1`): its thread root's count of unread
    /// replies follows, when the root is loaded, so a collapsed thread shows it at once (the
    /// backend's count comes with the next reload).
    pub fn note_unread_change(&mut self, id: &MessageId, delta: i32) {
        let Some(mut f) = self.pages.iter().find_map(|(p, rows)| {
            rows.iter()
                .position(|r| &r.id == id)
                .map(|i| p * PAGE_SIZE + i)
        }) else {
            return;
        };
        if self.row_full(f).is_none_or(|r| r.thread.depth == 0) {
            return;
        }
        while f > 0 {
            f -= 1;
            match self.row_full(f) {
                Some(r) if r.thread.depth == 0 => break,
                Some(_) => {}
                None => return,
            }
        }
        if let Some(root) = self
            .pages
            .get_mut(&(f / PAGE_SIZE))
            .and_then(|p| p.get_mut(f % PAGE_SIZE))
            .filter(|r| r.thread.depth == 0)
        {
            let n = &mut root.thread.unread_descendants;
            *n = n.saturating_add_signed(delta).min(root.thread.descendants);
        }
    }

    /// How many pages are held (for tests and the benchmark).
    pub fn cached_pages(&self) -> usize {
        self.pages.len()
    }

    /// Move the cursor to `visible` (clamped) and scroll so it is on screen.
    pub fn select(&mut self, visible: usize, height: usize) {
        let len = self.visible_len();
        self.selected = if len == 0 { 0 } else { visible.min(len - 1) };
        let h = height.max(1);
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + h {
            self.scroll = self.selected + 1 - h;
        }
        self.scroll = self.scroll.min(len.saturating_sub(h));
    }

    pub fn move_by(&mut self, delta: isize, height: usize) {
        let target = self.selected.saturating_add_signed(delta);
        self.select(target, height);
    }

    /// Scroll the viewport by `delta` rows, keeping the cursor on screen (mouse wheel).
    pub fn scroll_by(&mut self, delta: isize, height: usize) {
        let h = height.max(1);
        let max = self.visible_len().saturating_sub(h);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
        let sel = self.selected.clamp(self.scroll, self.scroll + h - 1);
        self.select(sel, h);
    }

    /// Ask for the pages the viewport (plus one page either side) needs and are neither held
    /// nor requested; drop pages far from it.
    pub fn requests(&mut self, height: usize) -> Vec<PageRequest> {
        let wanted: Vec<usize> = match self.total {
            None => vec![0],
            Some(0) if self.answered => vec![],
            Some(0) => vec![0],
            Some(total) => {
                let first_v = self.scroll.saturating_sub(PAGE_SIZE);
                let last_v =
                    (self.scroll + height + PAGE_SIZE).min(self.visible_len().saturating_sub(1));
                let first = self.full_index(first_v) / PAGE_SIZE;
                let last = self.full_index(last_v).min(total.saturating_sub(1)) / PAGE_SIZE;
                self.pages
                    .retain(|p, _| *p + KEEP_PAGES >= first && *p <= last + KEEP_PAGES);
                (first..=last).collect()
            }
        };
        let mut out = Vec::new();
        for p in wanted {
            if !self.pages.contains_key(&p) && self.pending.insert(p) {
                out.push(PageRequest {
                    source: self.source.clone(),
                    offset: p * PAGE_SIZE,
                    limit: PAGE_SIZE,
                    sort: self.sort,
                    generation: self.generation,
                });
            }
        }
        out
    }

    /// Take in a page of this generation. Rows are stored page by page; the total is updated
    /// and the cursor clamped. Collapsed roots found at another index (after a reload) are moved
    /// or dropped.
    pub fn apply(&mut self, page: Page, height: usize) {
        self.stale.clear();
        let first = page.offset / PAGE_SIZE;
        for (i, chunk) in page.rows.chunks(PAGE_SIZE).enumerate() {
            self.pending.remove(&(first + i));
            self.pages.insert(first + i, chunk.to_vec());
        }
        self.pending.remove(&first);
        if page.rows.is_empty() && page.offset < page.total {
            // A short answer: nothing to store, but do not ask again forever.
            self.pages.insert(first, Vec::new());
        }
        self.total = Some(page.total);
        self.answered = true;
        self.error = None;
        self.revalidate_collapsed();
        self.select(self.selected, height);
    }

    fn revalidate_collapsed(&mut self) {
        let stale: Vec<usize> = self
            .collapsed
            .iter()
            .filter(|(f, (id, _))| {
                self.row_full(**f).is_some_and(|r| &r.id != id) || **f >= self.total.unwrap_or(0)
            })
            .map(|(f, _)| *f)
            .collect();
        for f in stale {
            if let Some((id, _)) = self.collapsed.remove(&f) {
                let found = self.pages.iter().find_map(|(p, rows)| {
                    rows.iter()
                        .position(|r| r.id == id)
                        .map(|i| (p * PAGE_SIZE + i, rows[i].thread.descendants))
                });
                if let Some((nf, d)) = found {
                    self.collapsed.insert(nf, (id, d as usize));
                }
            }
        }
    }

    /// A page request failed: forget it, so that moving the cursor asks again (no retry loop:
    /// only the user's next move does).
    pub fn failed(&mut self, offset: usize, error: String) {
        self.pending.remove(&(offset / PAGE_SIZE));
        self.error = Some(error);
    }

    /// Drop every cached page (the folder changed) and start a new generation; the cursor,
    /// scroll and collapsed threads stay, and so do the old rows until a new page arrives.
    pub fn invalidate(&mut self, generation: u64) {
        self.generation = generation;
        self.stale = std::mem::take(&mut self.pages);
        self.pending.clear();
        self.answered = false;
    }

    /// Collapse the selected row's thread, or expand it if collapsed. The root must be loaded.
    /// Returns whether anything changed.
    pub fn toggle_collapse(&mut self, height: usize) -> bool {
        let mut f = self.full_index(self.selected);
        loop {
            match self.row_full(f) {
                Some(r) if r.thread.depth == 0 => break,
                Some(_) if f > 0 => f -= 1,
                _ => return false,
            }
        }
        if self.collapsed.remove(&f).is_none() {
            let Some(root) = self.row_full(f) else {
                return false;
            };
            let total = self.total.unwrap_or(0);
            let hidden = (root.thread.descendants as usize).min(total.saturating_sub(f + 1));
            if hidden == 0 {
                return false;
            }
            self.collapsed.insert(f, (root.id.clone(), hidden));
        }
        if let Some(v) = self.visible_index(f) {
            self.select(v, height);
        }
        true
    }

    /// The loaded rows of the selected row's thread (its root and every message after it in
    /// the thread, collapsed or not), and how many of them are not loaded. In a flat list
    /// every message is its own thread.
    pub fn selected_thread(&self) -> (Vec<&Row>, usize) {
        let mut root = self.full_index(self.selected);
        loop {
            match self.row_full(root) {
                Some(r) if r.thread.depth == 0 => break,
                Some(_) if root > 0 => root -= 1,
                _ => return (Vec::new(), 0),
            }
        }
        let descendants = self
            .row_full(root)
            .map_or(0, |r| r.thread.descendants as usize);
        let end = (root + descendants).min(self.total.unwrap_or(0).saturating_sub(1));
        let rows: Vec<&Row> = (root..=end).filter_map(|f| self.row_full(f)).collect();
        let missing = (end + 1 - root).saturating_sub(rows.len());
        (rows, missing)
    }

    /// Whether the root at this visible index is collapsed.
    pub fn is_collapsed(&self, visible: usize) -> bool {
        self.collapsed.contains_key(&self.full_index(visible))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::types::{Flags, FolderRef, ThreadPos};

    pub(crate) fn row(i: usize, depth: u16, descendants: u32) -> Row {
        Row {
            id: MessageId(format!("m{i}")),
            folder: FolderRef::new("a", "INBOX"),
            date: 1_700_000_000 - i as i64 * 60,
            from: format!("Sender {i}"),
            subject: format!("Subject {i}"),
            flags: Flags::NONE,
            has_attachments: false,
            has_body: true,
            size: 1000,
            thread: ThreadPos {
                depth,
                last_sibling: true,
                descendants,
                unread_descendants: 0,
            },
        }
    }

    fn list_with(total: usize, rows: Vec<Row>) -> MessageList {
        let src = ListSource::Folder(FolderRef::new("a", "INBOX"));
        let mut l = MessageList::new(src, Sort::default(), 1);
        l.apply(
            Page {
                offset: 0,
                total,
                rows,
            },
            10,
        );
        l
    }

    #[test]
    fn asks_only_for_pages_near_the_viewport() {
        let src = ListSource::Folder(FolderRef::new("a", "INBOX"));
        let mut l = MessageList::new(src, Sort::default(), 7);
        let r = l.requests(20);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].offset, r[0].limit, r[0].generation),
            (0, PAGE_SIZE, 7)
        );
        assert!(
            l.requests(20).is_empty(),
            "a pending page is not asked twice"
        );
        l.apply(
            Page {
                offset: 0,
                total: 100_000,
                rows: (0..100).map(|i| row(i, 0, 0)).collect(),
            },
            20,
        );
        let r = l.requests(20);
        assert_eq!(r.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![100]);
        l.select(99_999, 20);
        assert_eq!(l.scroll, 99_980);
        let r = l.requests(20);
        assert_eq!(
            r.iter().map(|r| r.offset).collect::<Vec<_>>(),
            vec![99_800, 99_900]
        );
        assert_eq!(
            l.cached_pages(),
            0,
            "pages far from the viewport are dropped"
        );
    }

    #[test]
    fn collapse_maps_indices() {
        // 0 root(2 desc) 1 2 | 3 root(1) 4 | 5
        let rows = vec![
            row(0, 0, 2),
            row(1, 1, 0),
            row(2, 1, 0),
            row(3, 0, 1),
            row(4, 1, 0),
            row(5, 0, 0),
        ];
        let mut l = list_with(6, rows);
        l.select(2, 10);
        assert!(l.toggle_collapse(10));
        assert_eq!(l.selected, 0);
        assert_eq!(l.visible_len(), 4);
        assert_eq!(l.row(1).unwrap().id.0, "m3");
        assert_eq!(l.visible_index(1), None);
        assert_eq!(l.visible_index(4), Some(2));
        l.select(1, 10);
        l.toggle_collapse(10);
        assert_eq!(l.visible_len(), 3);
        assert_eq!(l.row(2).unwrap().id.0, "m5");
        assert_eq!(l.visible_index(5), Some(2));
        l.select(0, 10);
        l.toggle_collapse(10);
        assert_eq!(l.visible_len(), 5);
        assert_eq!(l.row(4).unwrap().id.0, "m5");
    }

    #[test]
    fn collapsed_root_follows_a_reload() {
        let rows = vec![row(0, 0, 0), row(1, 0, 1), row(2, 1, 0)];
        let mut l = list_with(3, rows);
        l.select(1, 10);
        l.toggle_collapse(10);
        assert_eq!(l.visible_len(), 2);
        l.invalidate(2);
        // m0 was deleted: the thread moved up by one.
        l.apply(
            Page {
                offset: 0,
                total: 2,
                rows: vec![row(1, 0, 1), row(2, 1, 0)],
            },
            10,
        );
        assert_eq!(l.visible_len(), 1);
        assert_eq!(l.row(0).unwrap().id.0, "m1");
    }

    #[test]
    fn a_reload_keeps_the_old_rows_usable_until_the_new_page_arrives() {
        let mut l = list_with(3, vec![row(0, 0, 0), row(1, 0, 0), row(2, 0, 0)]);
        l.select(1, 10);
        l.invalidate(2);
        // A key pressed now (Enter) still finds the row under the cursor.
        assert_eq!(l.selected_row().map(|r| r.id.0.as_str()), Some("m1"));
        assert_eq!(l.requests(10).len(), 1, "the new page is still asked for");
        l.apply(
            Page {
                offset: 0,
                total: 2,
                rows: vec![row(0, 0, 0), row(2, 0, 0)],
            },
            10,
        );
        assert_eq!(l.selected_row().map(|r| r.id.0.as_str()), Some("m2"));
        assert!(l.row(2).is_none(), "nothing of the old generation is left");
    }

    #[test]
    fn an_empty_folder_is_asked_again_after_a_reload() {
        let mut l = list_with(0, vec![]);
        assert!(
            l.requests(10).is_empty(),
            "an answered empty folder asks for nothing"
        );
        // New mail arrives: the folder changed, the list is invalidated.
        l.invalidate(2);
        let asked = l.requests(10);
        assert_eq!(asked.len(), 1, "the first page is asked for again");
        assert_eq!((asked[0].offset, asked[0].generation), (0, 2));
        assert!(
            l.requests(10).is_empty(),
            "asked once, not again while pending"
        );
        l.apply(
            Page {
                offset: 0,
                total: 1,
                rows: vec![row(0, 0, 0)],
            },
            10,
        );
        assert_eq!(l.selected_row().map(|r| r.id.0.as_str()), Some("m0"));
    }
}
