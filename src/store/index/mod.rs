//! The SQLite index: envelopes, flags, UIDs, full-text search, the action queue and the outbox.
//!
//! Owns the schema and the row-level SQL; the [`crate::store::Store`] facade decides when to
//! call it and keeps it in step with the Maildirs. The Maildirs are the truth for message bytes;
//! everything here can be rebuilt from them (see `store::scan`).
//!
//! Connection settings: WAL (readers never block the writer: the TUI and a CLI command can use
//! one store at once), `synchronous = FULL` (a committed batch survives power loss; it costs one
//! WAL fsync per transaction, and writers batch), a 10 s busy timeout, foreign keys on.

pub mod schema;
pub mod search;
pub mod search_sql;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::mail::{Address, Envelope, Flags};
use crate::store::error::{Result, StoreError};
use crate::store::types::{MessageId, MessageSummary};

/// The index file's name inside the data dir.
pub const INDEX_FILE: &str = "index.sqlite3";

/// Opens (creating if needed) the index at `path` and migrates it. Errors that mean "this file is
/// not a usable database" come back as `StoreError::Index`; the caller decides to rebuild.
pub fn open(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path).map_err(StoreError::db("open"))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(StoreError::db("configure"))?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(StoreError::db("enable WAL"))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(StoreError::db("configure"))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(StoreError::db("configure"))?;
    schema::migrate(&mut conn)?;
    restrict_permissions(path);
    Ok(conn)
}

/// The index and its WAL hold mail text: keep them private like the Maildirs.
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
    }
}

/// Reserves `n` consecutive fresh message ids (never reused, even after deletes). Must run
/// inside the caller's write transaction.
pub fn reserve_ids(conn: &Connection, n: usize) -> Result<MessageId> {
    let next: i64 = conn
        .query_row("SELECT value FROM meta WHERE key = 'next_id'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(StoreError::db("read the id counter"))?
        .unwrap_or(1);
    let max: i64 = conn
        .query_row("SELECT coalesce(max(id), 0) FROM messages", [], |r| {
            r.get(0)
        })
        .map_err(StoreError::db("read the id counter"))?;
    let first = next.max(max + 1);
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('next_id', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![first + n as i64],
    )
    .map_err(StoreError::db("update the id counter"))?;
    Ok(first)
}

/// Makes sure the counter is past `id` (after inserting a row with an id taken from a name).
pub fn bump_counter(conn: &Connection, id: MessageId) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('next_id', ?1)
         ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
        params![id + 1],
    )
    .map_err(StoreError::db("update the id counter"))?;
    Ok(())
}

/// A message row to insert.
#[derive(Debug, Clone)]
pub struct NewRow<'a> {
    pub id: MessageId,
    pub folder_id: i64,
    pub uid: Option<u32>,
    pub uidl: Option<&'a str>,
    pub uniq: Option<&'a str>,
    pub file: Option<&'a str>,
    pub flags: &'a Flags,
    pub envelope: &'a Envelope,
    /// Body text for the full-text index ("" when only the envelope is known).
    pub body: &'a str,
    pub has_body: bool,
    /// Whether the body has an attachment; `None` while not known (envelope only).
    pub has_attachment: Option<bool>,
}

/// Inserts a message and its full-text entry.
pub fn insert_message(conn: &Connection, row: &NewRow<'_>) -> Result<()> {
    let e = row.envelope;
    conn.prepare_cached(
        "INSERT INTO messages (id, folder_id, uid, uidl, uniq, file, flags, date, tz, from_addr,
             to_addr, cc_addr, subject, message_id, in_reply_to, refs, size, has_body,
             has_attachment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19)",
    )
    .and_then(|mut st| {
        st.execute(params![
            row.id,
            row.folder_id,
            row.uid,
            row.uidl,
            row.uniq,
            row.file,
            row.flags.to_maildir_info(),
            e.date,
            e.tz_offset_minutes,
            join_addresses(&e.from),
            join_addresses(&e.to),
            join_addresses(&e.cc),
            e.subject,
            e.message_id,
            e.in_reply_to.join(" "),
            e.references.join(" "),
            e.size as i64,
            row.has_body,
            row.has_attachment,
        ])
    })
    .map_err(StoreError::db("insert a message"))?;
    put_fts(conn, row.id, e, row.body)
}

/// Replaces a message's full-text entry.
pub fn put_fts(conn: &Connection, id: MessageId, e: &Envelope, body: &str) -> Result<()> {
    delete_fts(conn, id)?;
    let recipients: Vec<Address> = e.to.iter().chain(&e.cc).cloned().collect();
    conn.prepare_cached(
        "INSERT INTO fts (rowid, subject, sender, recipients, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut st| {
        st.execute(params![
            id,
            e.subject,
            searchable(&e.from),
            searchable(&recipients),
            body
        ])
    })
    .map_err(StoreError::db("index message text"))?;
    Ok(())
}

pub fn delete_fts(conn: &Connection, id: MessageId) -> Result<()> {
    conn.prepare_cached("DELETE FROM fts WHERE rowid = ?1")
        .and_then(|mut st| st.execute(params![id]))
        .map_err(StoreError::db("remove message text"))?;
    Ok(())
}

/// Deletes a message row and its full-text entry.
pub fn delete_message(conn: &Connection, id: MessageId) -> Result<()> {
    delete_fts(conn, id)?;
    conn.prepare_cached("DELETE FROM messages WHERE id = ?1")
        .and_then(|mut st| st.execute(params![id]))
        .map_err(StoreError::db("delete a message"))?;
    Ok(())
}

fn join_addresses(list: &[Address]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Names and addresses, for the sender/recipients columns (the tokenizer splits `a@x.test`).
fn searchable(list: &[Address]) -> String {
    list.iter()
        .map(|a| format!("{} {}", a.name.as_deref().unwrap_or(""), a.email))
        .collect::<Vec<_>>()
        .join(" ")
}

fn split_lines(s: String) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split('\n').map(str::to_owned).collect()
    }
}

fn split_ids(s: String) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

/// The columns [`summary_from_row`] reads, for `SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM}`.
pub const SUMMARY_COLUMNS: &str = "m.id, a.name, f.name, m.folder_id, m.uid, m.uidl, m.date, m.tz,
    m.from_addr, m.to_addr, m.cc_addr, m.subject, m.message_id, m.in_reply_to, m.refs, m.flags,
    m.size, m.has_body, m.file";
pub const SUMMARY_FROM: &str =
    "messages m JOIN folders f ON f.id = m.folder_id JOIN accounts a ON a.id = f.account_id";

pub fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<MessageSummary> {
    Ok(MessageSummary {
        id: r.get(0)?,
        account: r.get(1)?,
        folder: r.get(2)?,
        folder_id: r.get(3)?,
        uid: r.get(4)?,
        uidl: r.get(5)?,
        date: r.get(6)?,
        tz_offset_minutes: r.get(7)?,
        from: split_lines(r.get(8)?),
        to: split_lines(r.get(9)?),
        cc: split_lines(r.get(10)?),
        subject: r.get(11)?,
        message_id: r.get(12)?,
        in_reply_to: split_ids(r.get(13)?),
        references: split_ids(r.get(14)?),
        flags: Flags::from_maildir_info(&r.get::<_, String>(15)?),
        size: r.get::<_, i64>(16)?.max(0) as u64,
        has_body: r.get(17)?,
        file: r.get(18)?,
    })
}

/// One message by id.
pub fn summary(conn: &Connection, id: MessageId) -> Result<Option<MessageSummary>> {
    conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE m.id = ?1"
    ))
    .and_then(|mut st| st.query_row(params![id], summary_from_row).optional())
    .map_err(StoreError::db("read a message"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_index_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(INDEX_FILE);
        let conn = open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema::current_version());
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(conn);
        open(&path).unwrap();
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(INDEX_FILE);
        let conn = open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(
            open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn ids_are_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join(INDEX_FILE)).unwrap();
        assert_eq!(reserve_ids(&conn, 3).unwrap(), 1);
        assert_eq!(reserve_ids(&conn, 1).unwrap(), 4);
        bump_counter(&conn, 10).unwrap();
        assert_eq!(reserve_ids(&conn, 1).unwrap(), 11);
        bump_counter(&conn, 2).unwrap();
        assert_eq!(reserve_ids(&conn, 1).unwrap(), 12);
    }
}
