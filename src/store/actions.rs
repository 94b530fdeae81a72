//! User actions (flag, move, delete) that change the Maildir and the index at once and queue
//! the same action for the server on IMAP accounts; the queue itself; the outbox and the record
//! of accepted Message-IDs.
//!
//! POP3 accounts have no server-side flags or folders, so their actions stay local; Maildir
//! accounts are the server (the file renames are the action).

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::deliver::{FileRow, apply_flags};
use super::error::{Result, StoreError};
use super::index;
use super::maildir::Maildir;
use super::types::{AccountKind, Action, ActionKind, MessageId, NewMessage, OutboxItem};
use super::{FolderRow, Store, now_secs};
use crate::mail::{Flag, Flags};

impl Store {
    /// Sets (`on`) or clears a flag on messages. Unknown ids fail before anything changes.
    pub fn set_flag(&mut self, ids: &[MessageId], flag: Flag, on: bool) -> Result<()> {
        let rows = self.rows_for(ids)?;
        for (folder, row) in rows {
            let md = folder.maildir();
            let before = md.mtimes();
            let mut flags = row.flags.clone();
            if on {
                flags.insert(flag);
            } else {
                flags.remove(flag);
            }
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::db("start a flag change"))?;
            if apply_flags(&tx, &md, &row, &flags)? {
                let kind = if on {
                    ActionKind::AddFlag(flag)
                } else {
                    ActionKind::RemoveFlag(flag)
                };
                enqueue(&tx, &folder, &row, &kind)?;
            }
            tx.commit()
                .map_err(StoreError::db("commit a flag change"))?;
            self.note_own_change(folder.id, &md, before)?;
        }
        Ok(())
    }

    /// Moves messages to `dest` (a folder name in each message's own account; created if
    /// missing). The Maildir name, and so the id, is kept.
    pub fn move_messages(&mut self, ids: &[MessageId], dest: &str) -> Result<()> {
        let rows = self.rows_for(ids)?;
        for (folder, row) in rows {
            if folder.name == dest {
                continue;
            }
            let dest_id = self.ensure_folder_any(&folder, dest)?;
            self.move_one(&folder, &row, dest_id, ActionKind::Move(dest.to_owned()))?;
        }
        Ok(())
    }

    /// Deletes messages: moved to the account's Trash (a folder with role `trash`) when there
    /// is one and the message is not already there; otherwise removed for good. Queued for the
    /// server as a delete (the engine moves to the server's Trash or flags + expunges).
    pub fn delete_messages(&mut self, ids: &[MessageId]) -> Result<()> {
        let rows = self.rows_for(ids)?;
        for (folder, row) in rows {
            let trash: Option<i64> = self
                .conn
                .query_row(
                    "SELECT id FROM folders WHERE account_id = ?1 AND role = 'trash' ORDER BY id",
                    params![folder.account_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(StoreError::db("find the trash"))?;
            match trash {
                Some(t) if t != folder.id => {
                    self.move_one(&folder, &row, t, ActionKind::Delete)?;
                }
                _ => self.remove_for_good(&folder, &row)?,
            }
        }
        Ok(())
    }

    /// Removes a message without going through Trash; queued for the server as a delete.
    pub(super) fn remove_for_good(&mut self, folder: &FolderRow, row: &FileRow) -> Result<()> {
        let md = folder.maildir();
        let before = md.mtimes();
        if let Some(file) = &row.file {
            md.remove(file)?;
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start a delete"))?;
        enqueue(&tx, folder, row, &ActionKind::Delete)?;
        index::delete_message(&tx, row.id)?;
        tx.commit().map_err(StoreError::db("commit a delete"))?;
        self.note_own_change(folder.id, &md, before)
    }

    fn move_one(
        &mut self,
        folder: &FolderRow,
        row: &FileRow,
        dest: i64,
        kind: ActionKind,
    ) -> Result<()> {
        let dest_row = self.folder_row_by_id(dest)?;
        let (src_md, dest_md) = (folder.maildir(), Maildir::create(&dest_row.path)?);
        let (b1, b2) = (src_md.mtimes(), dest_md.mtimes());
        let new_file = match &row.file {
            Some(file) => Some(src_md.move_to(file, &dest_md)?),
            None => None,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start a move"))?;
        enqueue(&tx, folder, row, &kind)?;
        // The server assigns a new UID in the destination; sync fills it in.
        tx.execute(
            "UPDATE messages SET folder_id = ?2, file = ?3, uid = NULL, modseq = NULL WHERE id = ?1",
            params![row.id, dest, new_file],
        )
        .map_err(StoreError::db("move a message"))?;
        tx.commit().map_err(StoreError::db("commit a move"))?;
        self.note_own_change(folder.id, &src_md, b1)?;
        self.note_own_change(dest, &dest_md, b2)?;
        Ok(())
    }

    /// `ensure_folder` for the account of `like` (which may be a Maildir account rooted
    /// elsewhere).
    fn ensure_folder_any(&mut self, like: &FolderRow, name: &str) -> Result<i64> {
        if let Some(f) = self.folder_row(&like.account, name)? {
            return Ok(f.id);
        }
        if like.kind == AccountKind::Maildir {
            return Err(StoreError::NoSuchFolder {
                account: like.account.clone(),
                folder: name.to_owned(),
            });
        }
        self.ensure_folder(&like.account, name)
    }

    /// Looks every id up first, so that a bad id changes nothing.
    pub(super) fn rows_for(&self, ids: &[MessageId]) -> Result<Vec<(FolderRow, FileRow)>> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let m = self.get(id)?;
            let folder = self.folder_row_by_id(m.folder_id)?;
            out.push((
                folder,
                FileRow {
                    id,
                    file: m.file,
                    flags: m.flags,
                },
            ));
        }
        Ok(out)
    }

    /// Queued actions of an account, oldest first.
    pub fn pending_actions(&self, account: &str) -> Result<Vec<Action>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT q.id, a.name, q.kind, q.message, q.folder, q.uidvalidity, q.uid, q.arg,
                        q.created, q.message_id
                 FROM actions q JOIN accounts a ON a.id = q.account_id
                 WHERE a.name = ?1 ORDER BY q.id",
            )
            .map_err(StoreError::db("read the action queue"))?;
        let rows = st
            .query_map(params![account], |r| {
                let kind: String = r.get(2)?;
                let arg: String = r.get(7)?;
                Ok((
                    kind,
                    arg,
                    Action {
                        id: r.get(0)?,
                        account: r.get(1)?,
                        kind: ActionKind::Delete,
                        message: r.get(3)?,
                        folder: r.get(4)?,
                        uidvalidity: r.get(5)?,
                        uid: r.get(6)?,
                        message_id: r.get(9)?,
                        created: r.get(8)?,
                    },
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(StoreError::db("read the action queue"))?;
        Ok(rows
            .into_iter()
            .filter_map(|(kind, arg, mut action)| {
                action.kind = match kind.as_str() {
                    "flag-add" => ActionKind::AddFlag(Flag::parse(&arg)?),
                    "flag-remove" => ActionKind::RemoveFlag(Flag::parse(&arg)?),
                    "move" => ActionKind::Move(arg),
                    _ => ActionKind::Delete,
                };
                Some(action)
            })
            .collect())
    }

    /// Drops a replayed (or obsolete) action from the queue.
    pub fn remove_action(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM actions WHERE id = ?1", params![id])
            .map_err(StoreError::db("remove a queued action"))?;
        Ok(())
    }

    /// Takes several actions out of the queue in one transaction (one commit for a bulk
    /// action the server confirmed with one command, instead of one per message).
    pub fn remove_actions(&mut self, ids: &[i64]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start removing queued actions"))?;
        {
            let mut st = tx
                .prepare_cached("DELETE FROM actions WHERE id = ?1")
                .map_err(StoreError::db("remove a queued action"))?;
            for id in ids {
                st.execute(params![id])
                    .map_err(StoreError::db("remove a queued action"))?;
            }
        }
        tx.commit()
            .map_err(StoreError::db("commit removing queued actions"))
    }

    /// Queues a message for sending: stored in the account's local `Outbox` folder (with the
    /// envelope sender and all recipients, Bcc included, beside it). Returns its id.
    pub fn outbox_add(
        &mut self,
        account: &str,
        bytes: &[u8],
        sender: &str,
        recipients: &[String],
    ) -> Result<MessageId> {
        let folder = self.ensure_folder(account, "Outbox")?;
        let mut flags = Flags::empty();
        flags.insert(Flag::Seen);
        let msg = NewMessage {
            flags,
            ..NewMessage::new(bytes)
        };
        let id = self.deliver(folder, &msg)?;
        self.conn
            .execute(
                "INSERT INTO outbox (account_id, message, sender, recipients, created)
                 SELECT account_id, ?2, ?3, ?4, ?5 FROM folders WHERE id = ?1",
                params![folder, id, sender, recipients.join("\n"), now_secs()],
            )
            .map_err(StoreError::db("queue a message"))?;
        Ok(id)
    }

    /// Messages waiting to be sent, oldest first.
    pub fn outbox(&self, account: Option<&str>) -> Result<Vec<OutboxItem>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT o.message, a.name, o.sender, o.recipients, o.created, o.attempts,
                        o.last_error, o.next_try, o.refused
                 FROM outbox o JOIN accounts a ON a.id = o.account_id
                 WHERE ?1 IS NULL OR a.name = ?1 ORDER BY o.id",
            )
            .map_err(StoreError::db("read the outbox"))?;
        st.query_map([account], |r| {
            Ok(OutboxItem {
                id: r.get(0)?,
                account: r.get(1)?,
                sender: r.get(2)?,
                recipients: r
                    .get::<_, String>(3)?
                    .split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                created: r.get(4)?,
                attempts: r.get(5)?,
                last_error: r.get(6)?,
                next_try: r.get(7)?,
                refused: r.get(8)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(StoreError::db("read the outbox"))
    }

    /// Records a failed attempt (the message stays queued).
    pub fn outbox_failed(&mut self, id: MessageId, error: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE message = ?1",
                params![id, error],
            )
            .map_err(StoreError::db("update the outbox"))?;
        Ok(())
    }

    /// The message was accepted: takes it out of the outbox and, when `keep_in_sent` (accounts
    /// without IMAP, where the local Sent folder is the copy), moves it to the local `Sent`
    /// folder; otherwise deletes the local copy (the engine has APPENDed it to the server).
    pub fn outbox_sent(&mut self, id: MessageId, keep_in_sent: bool) -> Result<()> {
        let m = self.get(id)?;
        self.conn
            .execute("DELETE FROM outbox WHERE message = ?1", params![id])
            .map_err(StoreError::db("update the outbox"))?;
        if let Some(mid) = &m.message_id {
            self.record_accepted(mid, &m.account)?;
        }
        if keep_in_sent {
            let sent = self.sent_folder(&m.account)?;
            let sent_name = self.folder_row_by_id(sent)?.name;
            self.move_messages(&[id], &sent_name)
        } else {
            let folder = self.folder_row_by_id(m.folder_id)?;
            let md = folder.maildir();
            if let Some(file) = &m.file {
                md.remove(file)?;
            }
            index::delete_message(&self.conn, id)
        }
    }

    /// Saves a copy of a sent message in the account's local Sent folder (the folder with role
    /// `sent`, else `Sent`, created if needed), flagged seen. For accounts without IMAP; IMAP
    /// accounts APPEND to the server and let sync bring the copy down.
    pub fn save_sent(&mut self, account: &str, bytes: &[u8]) -> Result<MessageId> {
        let folder = self.sent_folder(account)?;
        let msg = NewMessage {
            flags: Flags::from_flags(&[Flag::Seen]),
            ..NewMessage::new(bytes)
        };
        self.deliver(folder, &msg)
    }

    /// The account's Sent folder: the one with role `sent`, else `Sent` (created if needed).
    pub fn sent_folder(&mut self, account: &str) -> Result<i64> {
        let by_role: Option<i64> = self
            .conn
            .query_row(
                "SELECT f.id FROM folders f JOIN accounts a ON a.id = f.account_id
                 WHERE a.name = ?1 AND f.role = 'sent' ORDER BY f.id",
                params![account],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::db("find the Sent folder"))?;
        match by_role {
            Some(id) => Ok(id),
            None => self.ensure_folder(account, "Sent"),
        }
    }

    /// Records that the submission server accepted a Message-ID, so a retry after a crash
    /// between "accepted" and "removed from the outbox" does not send it twice.
    pub fn record_accepted(&mut self, message_id: &str, account: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO accepted (message_id, account_id, at)
                 VALUES (?1, (SELECT id FROM accounts WHERE name = ?2), ?3)",
                params![message_id, account, now_secs()],
            )
            .map_err(StoreError::db("record an accepted message"))?;
        Ok(())
    }

    /// Whether a Message-ID was accepted before.
    pub fn was_accepted(&self, message_id: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM accepted WHERE message_id = ?1",
                params![message_id],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(StoreError::db("read accepted messages"))
    }
}

/// Queues `kind` for an IMAP account's server copy of `row` (no-op for other accounts).
///
/// A message without a UID is queued only when an earlier queued action on it is what took its
/// UID away (a move, or a delete to Trash, not replayed yet, or replayed without the server
/// saying the new UID): the action is chained, with no UID, and the replay resolves it from the
/// earlier action's result. A message that never had a UID (saved here, not yet synced) is
/// reconciled by the next sync instead.
fn enqueue(
    conn: &rusqlite::Connection,
    folder: &FolderRow,
    row: &FileRow,
    kind: &ActionKind,
) -> Result<()> {
    if folder.kind != AccountKind::Imap {
        return Ok(());
    }
    let (uid, message_id): (Option<u32>, Option<String>) = conn
        .query_row(
            "SELECT uid, message_id FROM messages WHERE id = ?1",
            params![row.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(StoreError::db("read a UID"))?
        .unwrap_or_default();
    if uid.is_none() && !super::chain::has_pending(conn, row.id)? {
        return Ok(());
    }
    let (name, arg) = match kind {
        ActionKind::AddFlag(f) => ("flag-add", f.name().to_owned()),
        ActionKind::RemoveFlag(f) => ("flag-remove", f.name().to_owned()),
        ActionKind::Move(dest) => ("move", dest.clone()),
        ActionKind::Delete => ("delete", String::new()),
    };
    conn.execute(
        "INSERT INTO actions (account_id, kind, message, folder, uidvalidity, uid, arg, created,
                              message_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            folder.account_id,
            name,
            row.id,
            folder.name,
            folder.uidvalidity,
            uid,
            arg,
            now_secs(),
            message_id
        ],
    )
    .map_err(StoreError::db("queue an action"))?;
    Ok(())
}
