//! Drafts kept as versions of one message (issue #13): a draft keeps its Message-ID across
//! saves, and saving it again (or sending it) removes the stored versions with that
//! Message-ID from the Drafts folder.
//!
//! What must hold: only messages of the given folder with exactly that Message-ID go; they
//! go for good (a replaced draft is not deleted mail, so not to Trash), and a version the
//! server has (a UID) is queued as a delete so the server loses it too.

use rusqlite::params;

use super::Store;
use super::error::{Result, StoreError};
use super::types::{FolderId, MessageId};

impl Store {
    /// The messages of `folder` whose Message-ID is `message_id` (angle brackets or not).
    pub fn with_message_id(&self, folder: FolderId, message_id: &str) -> Result<Vec<MessageId>> {
        let bare = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        let mut st = self
            .conn
            .prepare("SELECT id FROM messages WHERE folder_id = ?1 AND message_id = ?2 ORDER BY id")
            .map_err(StoreError::db("look up a Message-ID"))?;
        let ids = st
            .query_map(params![folder, bare], |r| r.get(0))
            .and_then(|rows| rows.collect::<std::result::Result<Vec<MessageId>, _>>())
            .map_err(StoreError::db("look up a Message-ID"))?;
        Ok(ids)
    }

    /// Removes the versions of the draft `message_id` from `folder` (see the module notes);
    /// returns how many went.
    pub fn discard_draft_versions(&mut self, folder: FolderId, message_id: &str) -> Result<usize> {
        let ids = self.with_message_id(folder, message_id)?;
        self.discard_ids(&ids)?;
        Ok(ids.len())
    }

    /// Removes these messages for good (not to Trash); queued as deletes for the server.
    pub fn discard_ids(&mut self, ids: &[MessageId]) -> Result<()> {
        for (folder_row, row) in self.rows_for(ids)? {
            self.remove_for_good(&folder_row, &row)?;
        }
        Ok(())
    }

    /// The messages of `folder` the server has not seen (no UID) whose body is stored.
    pub fn local_only(&self, folder: FolderId) -> Result<Vec<MessageId>> {
        let mut st = self
            .conn
            .prepare("SELECT id FROM messages WHERE folder_id = ?1 AND uid IS NULL AND has_body = 1 ORDER BY id")
            .map_err(StoreError::db("list the messages without a UID"))?;
        let ids = st
            .query_map(params![folder], |r| r.get(0))
            .and_then(|rows| rows.collect::<std::result::Result<Vec<MessageId>, _>>())
            .map_err(StoreError::db("list the messages without a UID"))?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::types::{AccountKind, ActionKind, NewMessage};
    use crate::store::{ListQuery, Store};

    fn draft(message_id: &str, text: &str) -> Vec<u8> {
        format!(
            "From: a@x.test\r\nTo: b@x.test\r\nSubject: Plans\r\nMessage-ID: <{message_id}>\r\n\
             \r\n{text}\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn saving_again_removes_every_version_of_that_draft_and_queues_the_synced_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.ensure_account("acc", AccountKind::Imap).unwrap();
        let drafts = store.ensure_folder("acc", "Drafts").unwrap();
        let (v1, v2, other) = (
            draft("d@x.test", "first"),
            draft("d@x.test", "second"),
            draft("o@x.test", "another draft"),
        );
        let synced = store
            .deliver(
                drafts,
                &NewMessage {
                    uid: Some(7),
                    ..NewMessage::new(&v1)
                },
            )
            .unwrap();
        let local = store.deliver(drafts, &NewMessage::new(&v2)).unwrap();
        let kept = store.deliver(drafts, &NewMessage::new(&other)).unwrap();
        assert_eq!(store.local_only(drafts).unwrap(), vec![local, kept]);
        assert_eq!(
            store.with_message_id(drafts, "<d@x.test>").unwrap(),
            vec![synced, local]
        );

        assert_eq!(
            store.discard_draft_versions(drafts, "<d@x.test>").unwrap(),
            2
        );

        let left: Vec<_> = store
            .list(&ListQuery::default())
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(left, vec![kept], "only the other draft is left");
        // The version the server has goes there as a delete; the local-only one had nothing
        // to tell the server.
        let queued = store.pending_actions("acc").unwrap();
        assert_eq!(queued.len(), 1, "{queued:?}");
        assert_eq!(
            (queued[0].uid, &queued[0].kind),
            (Some(7), &ActionKind::Delete)
        );
        // Not to Trash: no folder but Drafts was made.
        let folders = store.folders(Some("acc")).unwrap();
        assert_eq!(folders.len(), 1, "{folders:?}");
    }
}
