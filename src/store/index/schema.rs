//! The index schema and its migrations.
//!
//! `PRAGMA user_version` is the schema version. Each entry of [`MIGRATIONS`] moves the schema one
//! version up and runs in its own transaction; never edit a shipped entry, append a new one.

use rusqlite::{Connection, TransactionBehavior};

use crate::store::error::{Result, StoreError};

/// Migrations: `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE accounts (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE,
    kind  TEXT NOT NULL,              -- imap | pop3 | maildir | local
    root  TEXT NOT NULL               -- the directory holding the account's folders
);
CREATE TABLE folders (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,      -- '/'-separated, as shown and typed
    path          TEXT NOT NULL,      -- absolute path of the Maildir
    delimiter     TEXT,               -- the server's (or Maildir++'s) hierarchy delimiter
    role          TEXT,               -- inbox | sent | drafts | trash | junk | archive | outbox
    uidvalidity   INTEGER,
    uidnext       INTEGER,
    highestmodseq INTEGER,
    new_mtime     INTEGER NOT NULL DEFAULT 0,   -- ns; see store::scan
    cur_mtime     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, name)
);
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,  -- the stable id users see
    folder_id   INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid         INTEGER,              -- IMAP UID in the folder's current UIDVALIDITY
    modseq      INTEGER,
    uidl        TEXT,                 -- POP3 UIDL
    uniq        TEXT,                 -- Maildir unique name part (NULL: envelope only)
    file        TEXT,                 -- 'new/NAME' or 'cur/NAME:2,FLAGS' (NULL: envelope only)
    flags       TEXT NOT NULL DEFAULT '',  -- Maildir info characters
    date        INTEGER,              -- seconds since the epoch, UTC
    tz          INTEGER NOT NULL DEFAULT 0,
    from_addr   TEXT NOT NULL DEFAULT '',  -- display forms, one per line
    to_addr     TEXT NOT NULL DEFAULT '',
    cc_addr     TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    message_id  TEXT,
    in_reply_to TEXT NOT NULL DEFAULT '',  -- ids separated by spaces
    refs        TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL DEFAULT 0,
    has_body    INTEGER NOT NULL
);
CREATE INDEX messages_by_date ON messages (folder_id, date DESC, id DESC);
CREATE INDEX messages_by_file ON messages (folder_id, file);
CREATE INDEX messages_by_uniq ON messages (uniq);
CREATE UNIQUE INDEX messages_by_uid ON messages (folder_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX messages_by_message_id ON messages (message_id);
CREATE VIRTUAL TABLE fts USING fts5 (
    subject, sender, recipients, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE pop3_uidls (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uidl       TEXT NOT NULL,
    downloaded INTEGER NOT NULL,     -- seconds since the epoch
    PRIMARY KEY (account_id, uidl)
) WITHOUT ROWID;
CREATE TABLE actions (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,       -- flag-add | flag-remove | move | delete
    message     INTEGER,             -- local id (may be gone by replay time)
    folder      TEXT NOT NULL,       -- remote folder the message was in
    uidvalidity INTEGER,
    uid         INTEGER,
    arg         TEXT NOT NULL DEFAULT '',  -- flag name or destination folder
    created     INTEGER NOT NULL
);
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message     INTEGER NOT NULL UNIQUE,   -- messages.id, in the account's Outbox folder
    sender      TEXT NOT NULL,
    recipients  TEXT NOT NULL,       -- one per line
    created     INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE TABLE accepted (
    message_id TEXT PRIMARY KEY,     -- Message-ID the submission server accepted
    account_id INTEGER,
    at         INTEGER NOT NULL
);
",
    // 2: outbox retry state. `next_try`: no automatic retry before this time (NULL: at the next
    // sync); `refused`: the server refused the message for good (5xx), so only an explicit
    // `postie outbox flush ID` tries again.
    "
ALTER TABLE outbox ADD COLUMN next_try INTEGER;
ALTER TABLE outbox ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
",
    // 3: POP3 downloads whose size did not match the server's LIST size (cut short by the
    // server, or far longer than announced). `suspect = 1`: the local copy may be incomplete,
    // so the server's copy is never deleted automatically (delete mode, leave_on_server_days).
    // `size`: the LIST size at download (NULL: not known), so a UIDL the server reuses for
    // another message is not taken for the one downloaded.
    "
ALTER TABLE pop3_uidls ADD COLUMN suspect INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pop3_uidls ADD COLUMN size INTEGER;
",
    // 4: the folder mapping and chained actions (issue 12, items 5 and 8).
    // `folders.server_name`: the IMAP folder's name on the wire (as LIST spelled it) that this
    // local folder mirrors; NULL for local-only folders and for folders synced before this
    // version (bound at the next sync). At most one local folder per server name, so two
    // server folders can never share one local directory. `actions.message_id`: the
    // message's Message-ID, to find a moved copy on the server by it when its UID is unknown
    // (the local row may be gone by then).
    "
ALTER TABLE folders ADD COLUMN server_name TEXT;
CREATE UNIQUE INDEX folders_by_server_name ON folders (account_id, server_name)
    WHERE server_name IS NOT NULL;
UPDATE folders SET server_name = 'INBOX'
    WHERE name = 'INBOX' AND account_id IN (SELECT id FROM accounts WHERE kind = 'imap');
ALTER TABLE actions ADD COLUMN message_id TEXT;
",
    // 5: `messages.has_attachment` for `has:attachment` (issue 14, item 7): 1 or 0 for a
    // message whose body is stored, NULL while not known (envelope only, or stored before this
    // version: `Store::backfill_attachments` fills those in from the files, found through the
    // partial index). `messages_by_day`: filter-only searches across folders (`is:unread`,
    // `after:`) walk it newest first and stop at the limit instead of sorting every match.
    "
CREATE INDEX messages_by_day ON messages (date DESC, id DESC);
ALTER TABLE messages ADD COLUMN has_attachment INTEGER;
CREATE INDEX messages_attachment_unknown ON messages (id)
    WHERE has_body = 1 AND has_attachment IS NULL;
",
];

/// The schema version this build writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the schema up to date. Refuses a schema newer than this build.
///
/// Each step runs in a `BEGIN IMMEDIATE` transaction that reads the version again, so two
/// connections migrating at once (the store's `index.lock` normally prevents it) take turns and
/// the second finds the work done instead of failing on "table already exists".
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version = read_version(conn)?;
    check_not_too_new(version)?;
    if version == current_version() {
        return Ok(()); // the common case takes no write lock
    }
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start a migration"))?;
        let version = read_version(&tx)?;
        check_not_too_new(version)?;
        let Some(sql) = MIGRATIONS.get(version as usize) else {
            return Ok(());
        };
        tx.execute_batch(sql)
            .map_err(StoreError::db("migrate the schema"))?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(StoreError::db("record the schema version"))?;
        tx.commit().map_err(StoreError::db("commit a migration"))?;
    }
}

fn read_version(conn: &Connection) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(StoreError::db("read the schema version"))
}

fn check_not_too_new(version: i64) -> Result<()> {
    if version > current_version() {
        return Err(StoreError::TooNew {
            found: version,
            supported: current_version(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store made before the folder mapping (schema 2) migrates: INBOX of an IMAP account is
    /// bound to the server's INBOX, every other folder is bound at its next sync, and queued
    /// actions keep their rows (with no Message-ID).
    #[test]
    fn a_version_2_store_gains_the_folder_mapping() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts VALUES (1, 'a', 'imap', '/r'), (2, 'p', 'pop3', '/p');
             INSERT INTO folders (id, account_id, name, path) VALUES
                 (1, 1, 'INBOX', '/r/INBOX'), (2, 1, 'Lists/rust', '/r/Lists/rust'),
                 (3, 2, 'INBOX', '/p/INBOX');
             INSERT INTO actions (account_id, kind, message, folder, uid, created)
                 VALUES (1, 'delete', 7, 'INBOX', 3, 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let names: Vec<Option<String>> = conn
            .prepare("SELECT server_name FROM folders ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(names, [Some("INBOX".to_owned()), None, None]);
        let mid: Option<String> = conn
            .query_row("SELECT message_id FROM actions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mid, None);
        // One local folder per server folder: a second binding of a name is refused.
        let twice = conn.execute("UPDATE folders SET server_name = 'INBOX' WHERE id = 2", []);
        assert!(twice.is_err());
    }

    /// A store made before `has_attachment` (schema 4) migrates: its messages keep their rows
    /// with the flag unknown (NULL), which the partial index finds for the backfill.
    #[test]
    fn a_version_4_store_gains_the_attachment_column_unknown() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts VALUES (1, 'a', 'pop3', '/r');
             INSERT INTO folders (id, account_id, name, path) VALUES (1, 1, 'INBOX', '/r/INBOX');
             INSERT INTO messages (id, folder_id, file, has_body) VALUES
                 (1, 1, 'cur/x:2,', 1), (2, 1, NULL, 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let unknown: Vec<i64> = conn
            .prepare(
                "SELECT id FROM messages INDEXED BY messages_attachment_unknown
                 WHERE has_body = 1 AND has_attachment IS NULL",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(unknown, [1]);
    }
}
