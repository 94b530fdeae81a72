//! Filling in `messages.has_attachment` for rows stored before the column existed (schema 5),
//! so `has:attachment` finds old mail too.
//!
//! What must hold: it runs while the store opens (under the index lock; a failure is logged,
//! not fatal), only on rows whose body is stored and whose flag is not known, found through a
//! partial index (so an up-to-date store pays one empty index lookup); it is idempotent and
//! commits in batches, so an interrupted run loses nothing and the next open goes on. A file
//! that cannot be read counts as "no attachment" (otherwise it would be retried at every open).

use rusqlite::{TransactionBehavior, params};

use super::Store;
use super::error::{Result, StoreError};
use crate::mail::body::has_attachments;

/// Rows read per transaction.
const BATCH: usize = 500;

impl Store {
    /// Sets `has_attachment` on stored messages that lack it. Returns how many were set.
    pub(crate) fn backfill_attachments(&mut self) -> Result<u64> {
        let mut done = 0u64;
        loop {
            let rows: Vec<(i64, i64, String)> = self
                .conn
                .prepare_cached(
                    "SELECT id, folder_id, file FROM messages INDEXED BY messages_attachment_unknown
                     WHERE has_body = 1 AND has_attachment IS NULL LIMIT ?1",
                )
                .and_then(|mut st| {
                    st.query_map(params![BATCH as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<String>>(2)?.unwrap_or_default()))
                    })?
                    .collect()
                })
                .map_err(StoreError::db("find messages without an attachment flag"))?;
            if rows.is_empty() {
                return Ok(done);
            }
            let found: Vec<(i64, bool)> = rows
                .iter()
                .map(|(id, folder, file)| {
                    let has = self
                        .folder_row_by_id(*folder)
                        .and_then(|f| f.maildir().read(file))
                        .is_ok_and(|bytes| has_attachments(&bytes));
                    (*id, has)
                })
                .collect();
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::db("start the attachment backfill"))?;
            for (id, has) in &found {
                tx.execute(
                    "UPDATE messages SET has_attachment = ?2 WHERE id = ?1",
                    params![id, has],
                )
                .map_err(StoreError::db("record an attachment flag"))?;
            }
            tx.commit()
                .map_err(StoreError::db("commit the attachment backfill"))?;
            done += found.len() as u64;
        }
    }
}
