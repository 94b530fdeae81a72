//! The few columns a threaded list needs of every message of a folder, read in one light
//! query: what the terminal UI orders a 100,000-message folder by without loading 100,000
//! full summaries; and a folder's message count for paging without one. Read-only.

use rusqlite::{OptionalExtension as _, params};

use super::Store;
use super::error::{Result, StoreError};
use super::types::MessageId;

/// What threading and date order need of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadKey {
    pub id: MessageId,
    pub date: Option<i64>,
    /// Without angle brackets, as the index keeps it.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Not seen (no `S` in its Maildir flags): what a collapsed thread counts as unread.
    pub unread: bool,
}

impl Store {
    /// How many messages one folder holds (an index count, no unread scan).
    pub fn folder_total(&self, account: &str, folder: &str) -> Result<usize> {
        let f = self
            .folder_row(account, folder)?
            .ok_or_else(|| StoreError::NoSuchFolder {
                account: account.to_owned(),
                folder: folder.to_owned(),
            })?;
        self.conn
            .prepare_cached("SELECT count(*) FROM messages WHERE folder_id = ?1")
            .and_then(|mut st| st.query_row(params![f.id], |r| r.get::<_, i64>(0)))
            .map(|n| n.max(0) as usize)
            .map_err(StoreError::db("count messages"))
    }

    /// The name of the account's folder with `role` (e.g. the outbox), without counting any
    /// folder's messages (what [`Store::folders`] does): asked on every page the UI loads.
    pub fn folder_with_role(&self, account: &str, role: &str) -> Result<Option<String>> {
        self.conn
            .prepare_cached(
                "SELECT f.name FROM folders f JOIN accounts a ON a.id = f.account_id
                 WHERE a.name = ?1 AND f.role = ?2 ORDER BY f.name <> 'INBOX', f.name LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row(params![account, role], |r| r.get(0))
                    .optional()
            })
            .map_err(StoreError::db("find a folder by role"))
    }

    /// The thread keys of every message of one folder, newest first (the order of
    /// [`Store::list`]).
    pub fn thread_keys(&self, account: &str, folder: &str) -> Result<Vec<ThreadKey>> {
        let f = self
            .folder_row(account, folder)?
            .ok_or_else(|| StoreError::NoSuchFolder {
                account: account.to_owned(),
                folder: folder.to_owned(),
            })?;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, date, message_id, in_reply_to, refs, instr(flags, 'S') = 0
                 FROM messages
                 WHERE folder_id = ?1 ORDER BY date DESC, id DESC",
            )
            .map_err(StoreError::db("list thread keys"))?;
        let split =
            |s: String| -> Vec<String> { s.split_whitespace().map(str::to_owned).collect() };
        st.query_map(params![f.id], |r| {
            Ok(ThreadKey {
                id: r.get(0)?,
                date: r.get(1)?,
                message_id: r.get(2)?,
                in_reply_to: split(r.get(3)?),
                references: split(r.get(4)?),
                unread: r.get(5)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(StoreError::db("list thread keys"))
    }
}
