//! The outbox's retry state (issue #5): what a failed attempt leaves behind, and dropping a
//! queued message. Queueing, listing and the accepted record are in `actions.rs`.
//!
//! What must hold: a queued message leaves the outbox only through [`Store::outbox_sent`]
//! (after the server accepted it) or [`Store::outbox_drop`] (the user said so).

use rusqlite::params;

use super::Store;
use super::error::{Result, StoreError};
use super::index;
use super::types::{MessageId, OutboxItem};

impl Store {
    /// Records a failed attempt that may succeed later: counts it, keeps the error, and puts
    /// off automatic retries (sync) until `next_try` (`None`: the next sync may try).
    pub fn outbox_retry_later(
        &mut self,
        id: MessageId,
        error: &str,
        next_try: Option<i64>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_try = ?3,
                     refused = 0
                 WHERE message = ?1",
                params![id, error, next_try],
            )
            .map_err(StoreError::db("update the outbox"))?;
        Ok(())
    }

    /// Records that the server refused the message for good (5xx): it stays in the outbox,
    /// marked refused with the server's words, and is retried only when asked by id.
    pub fn outbox_refused(&mut self, id: MessageId, error: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_try = NULL,
                     refused = 1
                 WHERE message = ?1",
                params![id, error],
            )
            .map_err(StoreError::db("update the outbox"))?;
        Ok(())
    }

    /// One queued message, if it is (still) in the outbox.
    pub fn outbox_item(&self, id: MessageId) -> Result<Option<OutboxItem>> {
        Ok(self.outbox(None)?.into_iter().find(|i| i.id == id))
    }

    /// Takes a message out of the outbox without sending it, deleting its local copy.
    /// `StoreError::NoSuchMessage` when it is not queued.
    pub fn outbox_drop(&mut self, id: MessageId) -> Result<()> {
        let removed = self
            .conn
            .execute("DELETE FROM outbox WHERE message = ?1", params![id])
            .map_err(StoreError::db("update the outbox"))?;
        if removed == 0 {
            return Err(StoreError::NoSuchMessage(id));
        }
        let Ok(m) = self.get(id) else {
            return Ok(()); // the file was already gone
        };
        let folder = self.folder_row_by_id(m.folder_id)?;
        if let Some(file) = &m.file {
            folder.maildir().remove(file)?;
        }
        index::delete_message(&self.conn, id)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{AccountKind, Store};

    fn queued() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.ensure_account("acc", AccountKind::Pop3).unwrap();
        let raw = b"From: me@x.test\nTo: a@x.test\nSubject: hi\nMessage-ID: <q1@x.test>\n\nbody\n";
        let id = store
            .outbox_add("acc", raw, "me@x.test", &["a@x.test".into()])
            .unwrap();
        (dir, store, id)
    }

    #[test]
    fn retry_state_is_recorded_and_cleared() {
        let (_dir, mut store, id) = queued();
        let item = store.outbox_item(id).unwrap().unwrap();
        assert_eq!(
            (item.attempts, item.next_try, item.refused),
            (0, None, false)
        );
        store
            .outbox_retry_later(id, "connection refused", Some(1234))
            .unwrap();
        let item = store.outbox_item(id).unwrap().unwrap();
        assert_eq!(item.attempts, 1);
        assert_eq!(item.next_try, Some(1234));
        assert_eq!(item.last_error.as_deref(), Some("connection refused"));
        store.outbox_refused(id, "554 relay denied").unwrap();
        let item = store.outbox_item(id).unwrap().unwrap();
        assert_eq!(
            (item.attempts, item.next_try, item.refused),
            (2, None, true)
        );
        store.outbox_retry_later(id, "421 busy", None).unwrap();
        assert!(!store.outbox_item(id).unwrap().unwrap().refused);
    }

    #[test]
    fn drop_removes_the_row_and_the_file() {
        let (dir, mut store, id) = queued();
        let outbox_dir = dir.path().join("acc/Outbox/cur");
        assert_eq!(std::fs::read_dir(&outbox_dir).unwrap().count(), 1);
        store.outbox_drop(id).unwrap();
        assert!(store.outbox(None).unwrap().is_empty());
        assert!(store.get(id).is_err());
        assert_eq!(std::fs::read_dir(&outbox_dir).unwrap().count(), 0);
        assert!(store.outbox_drop(id).is_err(), "dropping twice says so");
    }
}
