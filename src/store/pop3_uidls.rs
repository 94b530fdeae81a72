//! What the store remembers of POP3 downloads: the key (UIDL, or a key made for a server that
//! repeats or lacks UIDLs) of every message ever downloaded per account, when, and whether the
//! copy is suspect.
//!
//! What must hold: a key is recorded only in the transaction that records its message, after
//! the file is durable ([`Store::deliver_batch`]), and kept after the message is deleted
//! locally, so keep mode never downloads a message twice. A key recorded as suspect (its bytes
//! did not match the server's LIST size) stays suspect: a POP3 sync never deletes the server's
//! copy of it automatically. The LIST size at download is kept too, to tell a reused UIDL from
//! the message first downloaded under it (`engine::pop3::keys`). Both survive an index rebuilt from the Maildirs: the key and the
//! mark are in the file name (`maildir::Tags`).

use std::collections::{HashMap, HashSet};

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

    /// The LIST size each key had when it was downloaded, where known.
    pub fn uidl_sizes(&self, account: &str) -> Result<HashMap<String, u64>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT u.uidl, u.size FROM pop3_uidls u JOIN accounts a ON a.id = u.account_id
                 WHERE a.name = ?1 AND u.size IS NOT NULL",
            )
            .map_err(StoreError::db("read UIDLs"))?;
        st.query_map(params![account], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .and_then(|rows| {
            rows.map(|r| r.map(|(k, s)| (k, u64::try_from(s).unwrap_or(0))))
                .collect::<rusqlite::Result<HashMap<_, _>>>()
        })
        .map_err(StoreError::db("read UIDLs"))
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

#[cfg(test)]
mod tests {
    use crate::store::{AccountKind, NewMessage, Store, index};

    fn raw(n: u32) -> Vec<u8> {
        format!("Subject: s{n}\r\nMessage-ID: <m{n}@x.test>\r\n\r\nbody {n}\r\n").into_bytes()
    }

    #[test]
    fn a_suspect_key_stays_suspect_and_made_keys_survive_a_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        // A key made for a repeated 70-character UIDL (the longest RFC 1939 allows).
        let made = format!("{} 0123456789abcdef#2", "u".repeat(70));
        {
            let mut store = Store::open(dir.path()).unwrap();
            store.ensure_account("pop", AccountKind::Pop3).unwrap();
            let f = store.ensure_folder("pop", "INBOX").unwrap();
            let (a, b, c) = (raw(1), raw(2), raw(3));
            let msgs = [
                NewMessage {
                    uidl: Some("whole"),
                    listed_size: Some(1234),
                    ..NewMessage::new(&a)
                },
                NewMessage {
                    uidl: Some("cut"),
                    suspect: true,
                    ..NewMessage::new(&b)
                },
                NewMessage {
                    uidl: Some(&made),
                    ..NewMessage::new(&c)
                },
            ];
            store.deliver_batch(f, &msgs).unwrap();
            // The same key delivered again whole does not clear the mark.
            store
                .deliver(
                    f,
                    &NewMessage {
                        uidl: Some("cut"),
                        ..NewMessage::new(&b)
                    },
                )
                .unwrap();
            assert_eq!(
                store.suspect_uidls("pop").unwrap(),
                ["cut".to_owned()].into()
            );
            assert_eq!(store.known_uidls("pop").unwrap().len(), 3);
            assert_eq!(
                store.uidl_sizes("pop").unwrap(),
                [("whole".to_owned(), 1234)].into()
            );
            assert!(store.uidls_downloaded_before("pop", 0).unwrap().is_empty());
            assert_eq!(
                store
                    .uidls_downloaded_before("pop", i64::MAX)
                    .unwrap()
                    .len(),
                3
            );
        }
        // The index is lost: the keys come back from the file names.
        std::fs::remove_file(dir.path().join(index::INDEX_FILE)).unwrap();
        let _ = std::fs::remove_file(dir.path().join("index.sqlite3-wal"));
        let _ = std::fs::remove_file(dir.path().join("index.sqlite3-shm"));
        let store = Store::open(dir.path()).unwrap();
        let known = store.known_uidls("pop").unwrap();
        assert!(known.contains(&made), "{known:?}");
        assert!(known.contains("cut"));
        assert_eq!(
            store.suspect_uidls("pop").unwrap(),
            ["cut".to_owned()].into(),
            "the mark is in the file name too"
        );
    }
}
