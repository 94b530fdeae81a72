//! Chained queued actions (issue 12, item 8): a second action on a message whose first one
//! (a move, a delete to Trash) has not reached the server yet, or reached it without the
//! server naming the new UID.
//!
//! What must hold: such an action is queued with no UID and waits for the earlier one; when
//! the replay learns where the earlier one put the message (COPYUID, or a search by
//! Message-ID), [`Store::record_location`] hands the new UID to the actions that follow it in
//! that folder, and to the local row when the message is still there. An action that cannot
//! be applied is never dropped without a word: the engine warns and calls
//! [`Store::resync_after_refusal`] so the next sync reads the folder again from the server.

use rusqlite::{OptionalExtension, params};

use super::Store;
use super::error::{Result, StoreError};
use super::types::MessageId;

/// Whether `message` has an action in the queue (a later one must then wait for it).
pub(super) fn has_pending(conn: &rusqlite::Connection, message: MessageId) -> Result<bool> {
    conn.query_row(
        "SELECT 1 FROM actions WHERE message = ?1 LIMIT 1",
        params![message],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
    .map_err(StoreError::db("read the action queue"))
}

impl Store {
    /// The queued action `applied` (on `message`) put the message in local folder `folder`
    /// under (`uidvalidity`, `uid`) on the server. The actions queued after it on the same
    /// message that name that folder get the UID — up to and including the next move or
    /// delete, which takes the message elsewhere again — and so does the local row, when the
    /// message is still in that folder here and nothing queued moves it on.
    pub fn record_location(
        &mut self,
        applied: i64,
        message: MessageId,
        folder: &str,
        uidvalidity: u32,
        uid: u32,
    ) -> Result<()> {
        self.record_locations(folder, uidvalidity, &[(applied, message, uid)])
    }

    /// [`Store::record_location`] for every `(applied, message, uid)` one command put in
    /// `folder`, in one transaction (a bulk move of 200 messages commits once, not 200 times).
    pub fn record_locations(
        &mut self,
        folder: &str,
        uidvalidity: u32,
        located: &[(i64, MessageId, u32)],
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("start recording a UID"))?;
        for &(applied, message, uid) in located {
            record_in(&tx, applied, message, folder, uidvalidity, uid)?;
        }
        tx.commit().map_err(StoreError::db("commit a UID"))
    }

    /// Undoes a local move the server refused: the message (still without a UID wherever the
    /// user put it) goes back to `folder` under the (`uidvalidity`, `uid`) it has there on the
    /// server, keeping its id and body. False (nothing changed) when that is not possible: the
    /// row is gone or has a UID, the folder is gone or was renumbered, or another row holds the
    /// UID.
    pub fn undo_move(
        &mut self,
        message: MessageId,
        account: &str,
        folder: &str,
        uidvalidity: Option<u32>,
        uid: u32,
    ) -> Result<bool> {
        let Ok(m) = self.get(message) else {
            return Ok(false);
        };
        let Some(home) = self.folder_row(account, folder)? else {
            return Ok(false);
        };
        let renumbered = matches!((uidvalidity, home.uidvalidity), (Some(a), Some(b)) if a != b);
        if m.uid.is_some() || renumbered {
            return Ok(false);
        }
        let taken: bool = self
            .conn
            .query_row(
                "SELECT 1 FROM messages WHERE folder_id = ?1 AND uid = ?2",
                params![home.id, uid],
                |_| Ok(()),
            )
            .optional()
            .map_err(StoreError::db("look up a UID"))?
            .is_some();
        if taken {
            return Ok(false);
        }
        let here = self.folder_row_by_id(m.folder_id)?;
        let (from, to) = (here.maildir(), home.maildir());
        let (b1, b2) = (from.mtimes(), to.mtimes());
        let file = match &m.file {
            Some(f) if here.id != home.id => Some(from.move_to(f, &to)?),
            other => other.clone(),
        };
        self.conn
            .execute(
                "UPDATE messages SET folder_id = ?2, file = ?3, uid = ?4 WHERE id = ?1",
                params![message, home.id, file, uid],
            )
            .map_err(StoreError::db("undo a move"))?;
        self.note_own_change(here.id, &from, b1)?;
        self.note_own_change(home.id, &to, b2)?;
        Ok(true)
    }

    /// A queued action on a message of `folder` (an account's local folder name) could not be
    /// applied on the server, so the local change it stood for must give way to the server's
    /// state: the folder's flags are read afresh at the next sync (its HIGHESTMODSEQ is
    /// forgotten) and, with `uid`, the message of that UID is fetched again (UIDNEXT is
    /// lowered to it, so the sync's new-mail range covers it).
    pub fn resync_after_refusal(
        &mut self,
        account: &str,
        folder: &str,
        uidvalidity: Option<u32>,
        uid: Option<u32>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE folders SET highestmodseq = NULL,
                     uidnext = CASE WHEN ?4 IS NULL OR uidnext IS NULL THEN uidnext
                                    ELSE min(uidnext, ?4) END
                 WHERE name = ?2 AND account_id = (SELECT id FROM accounts WHERE name = ?1)
                   AND (?3 IS NULL OR uidvalidity IS NULL OR uidvalidity = ?3)",
                params![account, folder, uidvalidity, uid],
            )
            .map_err(StoreError::db("mark a folder for a resync"))?;
        Ok(())
    }
}

/// One [`Store::record_location`], inside the caller's transaction.
fn record_in(
    tx: &rusqlite::Transaction<'_>,
    applied: i64,
    message: MessageId,
    folder: &str,
    uidvalidity: u32,
    uid: u32,
) -> Result<()> {
    let later: Vec<(i64, String, String, Option<u32>)> = tx
        .prepare(
            "SELECT id, folder, kind, uid FROM actions WHERE message = ?1 AND id > ?2
             ORDER BY id",
        )
        .and_then(|mut st| {
            st.query_map(params![message, applied], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(StoreError::db("read the action queue"))?;
    let mut moves_on = false;
    for (id, in_folder, kind, has_uid) in later {
        if in_folder != folder {
            moves_on = true;
            break;
        }
        if has_uid.is_none() {
            tx.execute(
                "UPDATE actions SET uid = ?2, uidvalidity = ?3 WHERE id = ?1",
                params![id, uid, uidvalidity],
            )
            .map_err(StoreError::db("record a UID"))?;
        }
        if kind == "move" || kind == "delete" {
            moves_on = true;
            break;
        }
    }
    if !moves_on {
        // OR IGNORE: a row of that UID already there (a sync fetched the copy before this
        // replay learned its UID) keeps it; this row stays UID-less for the sync to settle.
        tx.execute(
            "UPDATE OR IGNORE messages SET uid = ?2
             WHERE id = ?1 AND uid IS NULL AND folder_id = (
                 SELECT f.id FROM folders f
                 WHERE f.name = ?3 AND (f.uidvalidity IS NULL OR f.uidvalidity = ?4)
                   AND f.account_id = (SELECT g.account_id FROM folders g
                                       JOIN messages m ON m.folder_id = g.id
                                       WHERE m.id = ?1))",
            params![message, uid, folder, uidvalidity],
        )
        .map_err(StoreError::db("record a UID"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::mail::Flag;
    use crate::store::{AccountKind, FolderState, NewMessage};

    /// Moved to Archive, flagged there, moved on to Junk, all offline: the flag and the second
    /// move wait for the first move's UID; the row gets a UID only from the move that left it
    /// where it is.
    #[test]
    fn a_learned_uid_reaches_the_chained_actions_and_then_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.ensure_account("a", AccountKind::Imap).unwrap();
        let inbox = store.ensure_folder("a", "INBOX").unwrap();
        let state = FolderState {
            uidvalidity: Some(1),
            ..FolderState::default()
        };
        store.set_folder_state(inbox, &state).unwrap();
        let raw = b"Subject: s\r\nMessage-ID: <m@x.test>\r\n\r\nbody\r\n";
        let msg = NewMessage {
            uid: Some(5),
            ..NewMessage::new(raw)
        };
        let id = store.deliver(inbox, &msg).unwrap();
        store.move_messages(&[id], "Archive").unwrap();
        store.set_flag(&[id], Flag::Flagged, true).unwrap();
        store.move_messages(&[id], "Junk").unwrap();
        let q = store.pending_actions("a").unwrap();
        let uids: Vec<Option<u32>> = q.iter().map(|a| a.uid).collect();
        assert_eq!(uids, [Some(5), None, None], "chained behind the first move");
        assert_eq!(q[1].message_id.as_deref(), Some("m@x.test"));

        store
            .record_location(q[0].id, id, "Archive", 9, 42)
            .unwrap();
        let q = store.pending_actions("a").unwrap();
        let got: Vec<(Option<u32>, Option<u32>)> =
            q.iter().map(|a| (a.uid, a.uidvalidity)).collect();
        assert_eq!(got[1..], [(Some(42), Some(9)), (Some(42), Some(9))]);
        assert_eq!(
            store.get(id).unwrap().uid,
            None,
            "the row is in Junk, not Archive"
        );

        store.record_location(q[2].id, id, "Junk", 3, 7).unwrap();
        assert_eq!(store.get(id).unwrap().uid, Some(7));
    }
}
