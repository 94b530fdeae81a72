//! What the store remembers of POP3 downloads: the key (UIDL, or a key made for a server that
//! repeats or lacks UIDLs) of every message ever downloaded per account, when, and whether the
//! copy is suspect.
//!
//! What must hold: a key is recorded only in the transaction that records its message, after
//! the file is durable ([`Store::deliver_batch`]), and kept after the message is deleted
//! locally, so keep mode never downloads a message twice. A key recorded as suspect (its bytes
//! did not match the server's LIST size) stays suspect: a POP3 sync never deletes the server's
//! copy of it automatically.

use std::collections::HashSet;

use rusqlite::params;

use super::Store;
use super::error::{Result, StoreError};

impl Store {
    /// The POP3 keys ever downloaded for an account (kept after local deletion, so keep mode
    /// never downloads a message twice).
    pub fn known_uidls(&self, account: &str) -> Result<HashSet<String>> {
        self.uidl_query(
            "SELECT u.uidl FROM pop3_uidls u JOIN accounts a ON a.id = u.account_id
             WHERE a.name = ?1",
            params![account],
        )
    }

    /// Keys downloaded before `cutoff` (seconds since the epoch), for `leave_on_server_days`.
    pub fn uidls_downloaded_before(&self, account: &str, cutoff: i64) -> Result<HashSet<String>> {
        self.uidl_query(
            "SELECT u.uidl FROM pop3_uidls u JOIN accounts a ON a.id = u.account_id
             WHERE a.name = ?1 AND u.downloaded < ?2",
            params![account, cutoff],
        )
    }

    /// Keys whose download did not match the server's size: their server copies are never
    /// deleted automatically.
    pub fn suspect_uidls(&self, account: &str) -> Result<HashSet<String>> {
        self.uidl_query(
            "SELECT u.uidl FROM pop3_uidls u JOIN accounts a ON a.id = u.account_id
             WHERE a.name = ?1 AND u.suspect",
            params![account],
        )
    }

    fn uidl_query(&self, sql: &str, args: impl rusqlite::Params) -> Result<HashSet<String>> {
        let mut st = self
            .conn
            .prepare(sql)
            .map_err(StoreError::db("read UIDLs"))?;
        st.query_map(args, |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<HashSet<_>>>())
            .map_err(StoreError::db("read UIDLs"))
    }
}
