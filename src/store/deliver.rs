//! Writing messages into the store: deliveries (POP3, IMAP bodies, Sent, Outbox, demo),
//! IMAP envelope rows, remote flag updates and expunges.
//!
//! Order of writes, so that a crash at any point leaves the index and the Maildirs agreeing
//! after the next pick-up (see `scan`): message files become durable and visible first, the
//! index transaction commits second; removals delete the file first and the row second.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::error::{Result, StoreError};
use super::index::{self, NewRow};
use super::maildir::{Maildir, Sub, Tags};
use super::types::{FolderId, MessageId, NewMessage};
use super::{Store, now_secs};
use crate::mail::{Envelope, Flags, ParsedMessage};

/// An envelope IMAP sync fetched (without the body).
#[derive(Debug, Clone)]
pub struct RemoteEnvelope<'a> {
    pub uid: u32,
    pub flags: Flags,
    pub modseq: Option<u64>,
    pub envelope: &'a Envelope,
}

/// One row of [`Store::uid_map`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidEntry {
    pub uid: u32,
    pub id: MessageId,
    pub flags: Flags,
    pub has_body: bool,
}

enum Planned {
    /// The body is already stored (an IMAP re-fetch): nothing to write.
    Have(MessageId),
    Write {
        id: MessageId,
        /// An envelope-only row of the same UID gets the body.
        existing: bool,
        index: usize,
    },
}

impl Store {
    /// Delivers one message into a folder; see [`Store::deliver_batch`].
    pub fn deliver(&mut self, folder: FolderId, msg: &NewMessage<'_>) -> Result<MessageId> {
        let ids = self.deliver_batch(folder, std::slice::from_ref(msg))?;
        ids.into_iter()
            .next()
            .ok_or_else(|| StoreError::NoSuchMessage(0))
    }

    /// Delivers many messages into one folder with grouped syncs (see `maildir::Batch`) and one
    /// index transaction. When this returns, every message is durable and indexed, and POP3
    /// UIDLs (`NewMessage::uidl`) are recorded as downloaded: a POP3 client may now DELE them.
    /// A message with a UID whose body is already stored is skipped (its id is returned); a
    /// UID not seen before first claims a row of the same Message-ID that has no UID yet.
    /// Returns the ids in input order.
    pub fn deliver_batch(
        &mut self,
        folder: FolderId,
        msgs: &[NewMessage<'_>],
    ) -> Result<Vec<MessageId>> {
        if msgs.is_empty() {
            return Ok(Vec::new());
        }
        let f = self.folder_row_by_id(folder)?;
        let md = Maildir::create(&f.path)?;
        // Parse before taking the write lock: it is the CPU-heavy part.
        let parsed: Vec<ParsedMessage> = msgs
            .iter()
            .map(|m| ParsedMessage::parse_for_index(m.bytes))
            .collect();
        let before = md.mtimes();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start a delivery"))?;
        let first = index::reserve_ids(&tx, msgs.len())?;
        let mut plan = Vec::with_capacity(msgs.len());
        let mut batch = md.batch();
        let mut entries = Vec::with_capacity(msgs.len());
        // A UID twice in one batch (a server that answers a FETCH twice) is one message: the
        // second copy is taken as the first, never a second row (the index would refuse it).
        let mut in_batch: HashMap<u32, MessageId> = HashMap::new();
        for (i, m) in msgs.iter().enumerate() {
            if let Some(id) = m.uid.and_then(|uid| in_batch.get(&uid)) {
                plan.push(Planned::Have(*id));
                continue;
            }
            let existing: Option<(MessageId, bool)> = match m.uid {
                Some(uid) => tx
                    .prepare_cached(
                        "SELECT id, has_body FROM messages WHERE folder_id = ?1 AND uid = ?2",
                    )
                    .and_then(|mut st| {
                        st.query_row(params![folder, uid], |r| Ok((r.get(0)?, r.get(1)?)))
                            .optional()
                    })
                    .map_err(StoreError::db("look up a UID"))?,
                None => None,
            };
            let existing = match (existing, m.uid) {
                (None, Some(uid)) => {
                    adopt(&tx, folder, uid, parsed[i].envelope.message_id.as_deref())?
                }
                (e, _) => e,
            };
            if let Some((id, true)) = existing {
                plan.push(Planned::Have(id));
                continue;
            }
            let id = existing.map(|e| e.0).unwrap_or(first + i as i64);
            if let Some(uid) = m.uid {
                in_batch.insert(uid, id);
            }
            let sub = if m.flags.is_empty() {
                Sub::New
            } else {
                Sub::Cur
            };
            let tags = Tags {
                id: Some(id),
                uidl: m.uidl,
                suspect: m.suspect,
            };
            entries.push(batch.add(m.bytes, sub, &m.flags, &tags)?);
            plan.push(Planned::Write {
                id,
                existing: existing.is_some(),
                index: i,
            });
        }
        batch.commit()?;
        // Every file is durable and visible now; record them.
        let mut ids = Vec::with_capacity(msgs.len());
        let mut written = entries.iter();
        let now = now_secs();
        for p in &plan {
            let (id, existing, i) = match p {
                Planned::Have(id) => {
                    ids.push(*id);
                    continue;
                }
                Planned::Write {
                    id,
                    existing,
                    index,
                } => (*id, *existing, *index),
            };
            let Some(entry) = written.next() else { break };
            let m = &msgs[i];
            let pm = &parsed[i];
            if existing {
                update_with_body(&tx, id, &entry.uniq, &entry.file, &entry.flags, pm)?;
            } else {
                index::insert_message(
                    &tx,
                    &NewRow {
                        id,
                        folder_id: folder,
                        uid: m.uid,
                        uidl: m.uidl,
                        uniq: Some(&entry.uniq),
                        file: Some(&entry.file),
                        flags: &entry.flags,
                        envelope: &pm.envelope,
                        body: &pm.text,
                        has_body: true,
                        has_attachment: Some(!pm.attachments.is_empty()),
                    },
                )?;
            }
            if let Some(uidl) = m.uidl {
                // A suspect mark is never cleared by a later delivery of the same key.
                let size = m.listed_size.and_then(|s| i64::try_from(s).ok());
                tx.prepare_cached(
                    "INSERT INTO pop3_uidls (account_id, uidl, downloaded, suspect, size)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (account_id, uidl) DO UPDATE
                     SET suspect = suspect OR excluded.suspect, size = coalesce(size, excluded.size)",
                )
                .and_then(|mut st| st.execute(params![f.account_id, uidl, now, m.suspect, size]))
                .map_err(StoreError::db("record a UIDL"))?;
            }
            ids.push(id);
        }
        tx.commit().map_err(StoreError::db("commit a delivery"))?;
        self.note_own_change(folder, &md, before)?;
        Ok(ids)
    }

    /// Attaches a downloaded body to an envelope-only IMAP row (same id from then on). A row
    /// that already has its body is left alone.
    pub fn attach_body(&mut self, id: MessageId, bytes: &[u8]) -> Result<()> {
        let m = self.get(id)?;
        if m.has_body {
            return Ok(());
        }
        let Some(uid) = m.uid else {
            return Err(StoreError::NoBody(id));
        };
        let msg = NewMessage {
            uid: Some(uid),
            flags: m.flags.clone(),
            ..NewMessage::new(bytes)
        };
        self.deliver_batch(m.folder_id, std::slice::from_ref(&msg))?;
        Ok(())
    }

    /// Adds envelope-only rows for new UIDs (`has_body = false`) and updates flags and modseq of
    /// known ones (renaming their files when the body is stored). A new UID whose Message-ID
    /// matches a row of this folder without a UID (moved here offline) claims that row instead.
    /// Returns ids in input order.
    pub fn upsert_envelopes(
        &mut self,
        folder: FolderId,
        items: &[RemoteEnvelope<'_>],
    ) -> Result<Vec<MessageId>> {
        let f = self.folder_row_by_id(folder)?;
        let md = f.maildir();
        let before = md.mtimes();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start an envelope update"))?;
        let first = index::reserve_ids(&tx, items.len())?;
        let mut ids = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut existing = row_by_uid(&tx, folder, item.uid)?;
            if existing.is_none()
                && adopt(&tx, folder, item.uid, item.envelope.message_id.as_deref())?.is_some()
            {
                existing = row_by_uid(&tx, folder, item.uid)?;
            }
            let id = match existing {
                Some(row) => {
                    apply_flags(&tx, &md, &row, &item.flags)?;
                    row.id
                }
                None => {
                    let id = first + i as i64;
                    index::insert_message(
                        &tx,
                        &NewRow {
                            id,
                            folder_id: folder,
                            uid: Some(item.uid),
                            uidl: None,
                            uniq: None,
                            file: None,
                            flags: &item.flags,
                            envelope: item.envelope,
                            body: "",
                            has_body: false,
                            has_attachment: None,
                        },
                    )?;
                    id
                }
            };
            if let Some(modseq) = item.modseq {
                tx.execute(
                    "UPDATE messages SET modseq = ?2 WHERE id = ?1",
                    params![id, modseq as i64],
                )
                .map_err(StoreError::db("update a modseq"))?;
            }
            ids.push(id);
        }
        tx.commit().map_err(StoreError::db("commit envelopes"))?;
        self.note_own_change(folder, &md, before)?;
        Ok(ids)
    }

    /// Applies the server's flags to messages by UID (Maildir-only characters are kept).
    /// Unknown UIDs are ignored. Returns how many messages changed.
    pub fn set_remote_flags(&mut self, folder: FolderId, items: &[(u32, Flags)]) -> Result<usize> {
        let f = self.folder_row_by_id(folder)?;
        let md = f.maildir();
        let before = md.mtimes();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start a flag update"))?;
        let mut changed = 0;
        for (uid, flags) in items {
            if let Some(row) = row_by_uid(&tx, folder, *uid)?
                && apply_flags(&tx, &md, &row, flags)?
            {
                changed += 1;
            }
        }
        tx.commit().map_err(StoreError::db("commit flags"))?;
        self.note_own_change(folder, &md, before)?;
        Ok(changed)
    }

    /// Every UID known in a folder, ascending.
    pub fn uid_map(&self, folder: FolderId) -> Result<Vec<UidEntry>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT uid, id, flags, has_body FROM messages
                 WHERE folder_id = ?1 AND uid IS NOT NULL ORDER BY uid",
            )
            .map_err(StoreError::db("read UIDs"))?;
        st.query_map(params![folder], |r| {
            Ok(UidEntry {
                uid: r.get(0)?,
                id: r.get(1)?,
                flags: Flags::from_maildir_info(&r.get::<_, String>(2)?),
                has_body: r.get(3)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(StoreError::db("read UIDs"))
    }

    /// Removes messages the server expunged (files first, then rows). Returns how many.
    pub fn expunge_uids(&mut self, folder: FolderId, uids: &[u32]) -> Result<usize> {
        let f = self.folder_row_by_id(folder)?;
        let md = f.maildir();
        let before = md.mtimes();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start an expunge"))?;
        let mut n = 0;
        for uid in uids {
            if let Some(row) = row_by_uid(&tx, folder, *uid)? {
                if let Some(file) = &row.file {
                    md.remove(file)?;
                }
                index::delete_message(&tx, row.id)?;
                n += 1;
            }
        }
        tx.commit().map_err(StoreError::db("commit an expunge"))?;
        self.note_own_change(folder, &md, before)?;
        Ok(n)
    }

    /// Forgets everything in a folder (files and rows) and its IMAP state: for a changed
    /// UIDVALIDITY, after which sync starts the folder afresh.
    pub fn clear_folder(&mut self, folder: FolderId) -> Result<()> {
        let f = self.folder_row_by_id(folder)?;
        let md = f.maildir();
        let before = md.mtimes();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start clearing a folder"))?;
        let rows: Vec<(MessageId, Option<String>)> = tx
            .prepare("SELECT id, file FROM messages WHERE folder_id = ?1")
            .and_then(|mut st| {
                st.query_map(params![folder], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(StoreError::db("list a folder"))?;
        for (id, file) in rows {
            if let Some(file) = file {
                md.remove(&file)?;
            }
            index::delete_message(&tx, id)?;
        }
        tx.execute(
            "UPDATE folders SET uidvalidity = NULL, uidnext = NULL, highestmodseq = NULL
             WHERE id = ?1",
            params![folder],
        )
        .map_err(StoreError::db("reset a folder"))?;
        tx.commit()
            .map_err(StoreError::db("commit clearing a folder"))?;
        self.note_own_change(folder, &md, before)?;
        Ok(())
    }

    /// Removes a message that was moved locally (so it has no UID yet) when the server says the
    /// original is gone: the server wins, and no UID will ever claim the row. Rows that have a
    /// UID are left alone (returns false). Nothing is queued.
    pub fn forget_unsynced(&mut self, id: MessageId) -> Result<bool> {
        let m = self.get(id)?;
        if m.uid.is_some() {
            return Ok(false);
        }
        let f = self.folder_row_by_id(m.folder_id)?;
        let md = f.maildir();
        let before = md.mtimes();
        if let Some(file) = &m.file {
            md.remove(file)?;
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start forgetting a message"))?;
        index::delete_message(&tx, id)?;
        tx.commit()
            .map_err(StoreError::db("commit forgetting a message"))?;
        self.note_own_change(f.id, &md, before)?;
        Ok(true)
    }

    /// Removes a folder entirely: its messages' files, its Maildir directories (for folders in
    /// the data dir; a Maildir account's directories are left to their owner) and its rows.
    /// For a folder deleted on the server.
    pub fn remove_folder(&mut self, folder: FolderId) -> Result<()> {
        let f = self.folder_row_by_id(folder)?;
        self.clear_folder(folder)?;
        if f.path.starts_with(&self.data_dir) && f.kind != super::types::AccountKind::Maildir {
            for sub in ["cur", "new", "tmp"] {
                let dir = f.path.join(sub);
                // Only empty directories go; anything another program left stays.
                let _ = std::fs::remove_dir(&dir);
            }
            let _ = std::fs::remove_dir(&f.path);
        }
        self.drop_folder(folder)
    }

    /// After postie itself changed a folder's directories: if nobody else had changed them since
    /// the last scan (stored mtimes == `before`), store the new mtimes so the next pick-up does
    /// not rescan for our own change. Otherwise leave them, so the pick-up does its work.
    pub(crate) fn note_own_change(
        &mut self,
        folder: FolderId,
        md: &Maildir,
        before: (i64, i64),
    ) -> Result<()> {
        let after = md.mtimes();
        self.conn
            .execute(
                "UPDATE folders SET new_mtime = ?4, cur_mtime = ?5
                 WHERE id = ?1 AND new_mtime = ?2 AND cur_mtime = ?3",
                params![folder, before.0, before.1, after.0, after.1],
            )
            .map_err(StoreError::db("record folder times"))?;
        Ok(())
    }
}

/// The parts of a message row that flag and file operations need.
#[derive(Debug, Clone)]
pub(crate) struct FileRow {
    pub id: MessageId,
    pub file: Option<String>,
    pub flags: Flags,
}

fn row_by_uid(conn: &rusqlite::Connection, folder: FolderId, uid: u32) -> Result<Option<FileRow>> {
    conn.prepare_cached("SELECT id, file, flags FROM messages WHERE folder_id = ?1 AND uid = ?2")
        .and_then(|mut st| {
            st.query_row(params![folder, uid], |r| {
                Ok(FileRow {
                    id: r.get(0)?,
                    file: r.get(1)?,
                    flags: Flags::from_maildir_info(&r.get::<_, String>(2)?),
                })
            })
            .optional()
        })
        .map_err(StoreError::db("look up a UID"))
}

/// A row moved here locally (or saved here) before the server gave it a UID: the first UID
/// that arrives with the same Message-ID claims it, so a synced move does not duplicate the
/// message. Returns the claimed row's id and whether its body is stored.
fn adopt(
    conn: &rusqlite::Connection,
    folder: FolderId,
    uid: u32,
    message_id: Option<&str>,
) -> Result<Option<(MessageId, bool)>> {
    let Some(mid) = message_id else {
        return Ok(None);
    };
    let row: Option<(MessageId, bool)> = conn
        .prepare_cached(
            "SELECT id, has_body FROM messages
             WHERE folder_id = ?1 AND uid IS NULL AND message_id = ?2 ORDER BY id LIMIT 1",
        )
        .and_then(|mut st| {
            st.query_row(params![folder, mid], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(StoreError::db("look up a Message-ID"))?;
    if let Some((id, _)) = row {
        conn.execute(
            "UPDATE messages SET uid = ?2 WHERE id = ?1",
            params![id, uid],
        )
        .map_err(StoreError::db("record a UID"))?;
    }
    Ok(row)
}

/// Sets a row's known flags to `flags` (keeping Maildir-only characters), renaming its file.
/// Returns whether anything changed.
pub(crate) fn apply_flags(
    conn: &rusqlite::Connection,
    md: &Maildir,
    row: &FileRow,
    flags: &Flags,
) -> Result<bool> {
    let merged = flags.with_other_from(&row.flags);
    if merged == row.flags {
        return Ok(false);
    }
    let new_file = match &row.file {
        Some(file) => Some(rename_for_flags(md, file, &merged)?),
        None => None,
    };
    conn.prepare_cached("UPDATE messages SET flags = ?2, file = coalesce(?3, file) WHERE id = ?1")
        .and_then(|mut st| st.execute(params![row.id, merged.to_maildir_info(), new_file]))
        .map_err(StoreError::db("update flags"))?;
    Ok(true)
}

/// Renames a file for new flags; if another program renamed it meanwhile, finds it by its
/// unique name first.
pub(crate) fn rename_for_flags(md: &Maildir, file: &str, flags: &Flags) -> Result<String> {
    match md.set_flags(file, flags) {
        Ok(f) => Ok(f),
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            let base = file.rsplit('/').next().unwrap_or(file);
            let (uniq, _) = super::maildir::split_name(base);
            match md.locate(uniq)? {
                Some(entry) => md.set_flags(&entry.file, flags),
                None => Err(StoreError::Io {
                    action: "find",
                    path: md.path_of(file),
                    source,
                }),
            }
        }
        Err(e) => Err(e),
    }
}

fn update_with_body(
    conn: &rusqlite::Connection,
    id: MessageId,
    uniq: &str,
    file: &str,
    flags: &Flags,
    pm: &ParsedMessage,
) -> Result<()> {
    let e = &pm.envelope;
    conn.prepare_cached(
        "UPDATE messages SET uniq = ?2, file = ?3, flags = ?4, has_body = 1, size = ?5,
             date = coalesce(?6, date), tz = ?7, subject = ?8, message_id = coalesce(?9, message_id),
             has_attachment = ?10
         WHERE id = ?1",
    )
    .and_then(|mut st| {
        st.execute(params![
            id,
            uniq,
            file,
            flags.to_maildir_info(),
            e.size as i64,
            e.date,
            e.tz_offset_minutes,
            e.subject,
            e.message_id,
            !pm.attachments.is_empty()
        ])
    })
    .map_err(StoreError::db("attach a body"))?;
    index::put_fts(conn, id, e, &pm.text)
}
