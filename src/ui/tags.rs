//! Tagging (issue #14 item 1): the set of messages the user marked with `T`, `C-t` or
//! `:tag PATTERN`, which the message actions (delete, move, flag, read/unread, and whatever
//! else asks [`Model::action_targets`]) then apply to all at once.
//!
//! What must hold:
//! - the set belongs to the open folder: it survives paging, sorting, threading and filtering
//!   that folder (rows come and go, ids stay), and is emptied when another folder opens or the
//!   folder is renumbered (its ids mean nothing then);
//! - it holds ids, never rows: `:tag` over a 100,000-message folder costs a map of ids, and
//!   none of their rows need be loaded;
//! - each id keeps the flags it had when tagged, updated by every flag change the UI makes, so
//!   that `s`/`u` on the set can decide "all on" or "all off" without the rows.

use std::collections::BTreeMap;

use super::model::{Focus, Model};
use super::types::{Flags, FolderRef, MessageId};

/// The tagged messages of one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// The folder the tags were made in (the list's folder when the first one was added).
    pub folder: Option<FolderRef>,
    ids: BTreeMap<MessageId, Flags>,
}

impl Tags {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn contains(&self, id: &MessageId) -> bool {
        self.ids.contains_key(id)
    }

    /// The tagged ids, in a stable order.
    pub fn ids(&self) -> Vec<MessageId> {
        self.ids.keys().cloned().collect()
    }

    /// The flags each tagged message had when last seen.
    pub fn flags(&self) -> impl Iterator<Item = &Flags> {
        self.ids.values()
    }

    pub fn insert(&mut self, id: MessageId, flags: Flags) {
        self.ids.insert(id, flags);
    }

    pub fn remove(&mut self, id: &MessageId) -> bool {
        self.ids.remove(id).is_some()
    }

    /// Forget every tag (and the folder they were made in).
    pub fn clear(&mut self) {
        self.ids.clear();
        self.folder = None;
    }

    /// A flag change made by the UI, applied to the tagged copies too.
    pub fn apply_flags(&mut self, ids: &[MessageId], add: Flags, remove: Flags) {
        for id in ids {
            if let Some(f) = self.ids.get_mut(id) {
                *f = f.apply(add, remove);
            }
        }
    }
}

impl Model {
    /// What a message action applies to: every tagged message when there is one, else the open
    /// message when it has the focus, else the list's selected row (a collapsed thread's row
    /// stands for its root, as before tagging existed).
    pub fn action_targets(&self) -> Vec<MessageId> {
        if !self.tags.is_empty() {
            return self.tags.ids();
        }
        if self.focus == Focus::Message
            && let Some(m) = &self.message
        {
            return vec![m.id.clone()];
        }
        self.list
            .as_ref()
            .and_then(|l| l.selected_row())
            .map(|r| vec![r.id.clone()])
            .unwrap_or_default()
    }

    /// Whether the next message action applies to the tagged set (not one message).
    pub fn acts_on_tags(&self) -> bool {
        !self.tags.is_empty()
    }
}
