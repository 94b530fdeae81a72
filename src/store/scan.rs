//! Keeping the index in step with the Maildirs: pick-up of changes other programs made (mutt,
//! mbsync, procmail), discovery of folders, and rebuilding the whole index from the Maildirs.
//!
//! Pick-up is cheap when nothing changed: one `stat` of `new/` and `cur/` per folder, compared
//! with the modification times stored at the last scan. Only a directory whose mtime changed is
//! listed, and only names missing from the index are read and parsed. A name that appears with
//! the unique part of a vanished one is a rename (flags changed, or new/ -> cur/); one whose
//! unique part belongs to a vanished message of another folder of the account is a move.
//! A directory whose mtime is less than a second old when scanned is listed again next time, so
//! a change within the same timestamp tick is not missed. Known limit: postie's own changes
//! record the new mtimes when nothing else had changed before them, so another program's change
//! in the same tick as postie's own rename can wait for the next change of that directory;
//! [`Store::rescan`] forces a full look.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::error::{Result, StoreError};
use super::index::{self, NewRow};
use super::maildir::{self, Entry, Maildir, STALE_TMP, Sub};
use super::types::{AccountKind, Progress, RefreshStats};
use super::{FolderRow, Store, now_secs};
use crate::mail::ParsedMessage;

/// Files larger than this are indexed from their first `MAX_INDEX_READ` bytes only (the
/// envelope is in the header; the body text is cut anyway), so memory stays bounded.
const MAX_INDEX_READ: u64 = 32 * 1024 * 1024;
/// New messages are recorded in transactions of this many, so a rebuild's WAL stays small.
const CHUNK: usize = 1000;

impl Store {
    /// Picks up changes other programs made in every folder (see the module docs). Cheap when
    /// nothing changed.
    pub fn refresh(&mut self) -> Result<RefreshStats> {
        self.refresh_all(false, &mut |_| {})
    }

    /// Like [`Store::refresh`] but lists every folder whatever the directory times say.
    pub fn rescan(&mut self) -> Result<RefreshStats> {
        self.refresh_all(true, &mut |_| {})
    }

    /// Picks up changes in one account's folders only: every folder listed when `force`, else
    /// as [`Store::refresh`] decides. Reports the messages indexed so far (`total` 0: not known
    /// ahead) after each transaction, for a progress line during a long first indexing; the
    /// stats are this account's, for `postie sync` to say what it did.
    pub fn refresh_account(
        &mut self,
        account: &str,
        force: bool,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<RefreshStats> {
        self.refresh_where(force, Some(account), progress)
    }

    fn refresh_all(
        &mut self,
        force: bool,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<RefreshStats> {
        self.refresh_where(force, None, progress)
    }

    fn refresh_where(
        &mut self,
        force: bool,
        only_account: Option<&str>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<RefreshStats> {
        let mut total = RefreshStats::default();
        let mut folders = self.all_folder_rows()?;
        if let Some(account) = only_account {
            folders.retain(|f| f.account == account);
        }
        let mut done = 0u64;
        for f in folders {
            if !Maildir::is_maildir(&f.path) {
                // The folder is gone from disk: the Maildir is the truth.
                self.drop_folder(f.id)?;
                continue;
            }
            let s = self.refresh_folder(&f, force, &mut done, progress)?;
            total.folders_scanned += s.folders_scanned;
            total.added += s.added;
            total.removed += s.removed;
            total.renamed += s.renamed;
        }
        Ok(total)
    }

    /// Rebuilds the index from the Maildirs: every account directory in the data dir and every
    /// attached Maildir account is scanned again. Ids and POP3 UIDLs that postie wrote into file
    /// names are restored. IMAP UIDs are not (the next sync matches folders afresh).
    pub fn rebuild(&mut self, progress: &mut dyn FnMut(Progress)) -> Result<()> {
        self.conn
            .execute_batch(
                "DELETE FROM messages; INSERT INTO fts (fts) VALUES ('delete-all');
                 UPDATE folders SET new_mtime = 0, cur_mtime = 0;",
            )
            .map_err(StoreError::db("clear the index"))?;
        // Accounts in the data dir.
        let rd = std::fs::read_dir(&self.data_dir)
            .map_err(StoreError::io("list", self.data_dir.clone()))?;
        let mut dirs: Vec<(String, PathBuf)> = rd
            .flatten()
            .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
            .filter(|(name, _)| !name.starts_with('.'))
            .collect();
        dirs.sort();
        for (name, path) in dirs {
            let kind = self.account_kind(&name)?.unwrap_or(AccountKind::Local);
            let account_id = self.upsert_account(&name, kind, &path)?;
            for (folder, fpath) in nested_maildirs(&path) {
                self.insert_folder(account_id, &folder, &fpath, Some("/"))?;
            }
        }
        // Attached Maildir accounts: find their folders again.
        let attached: Vec<(String, String)> = self
            .conn
            .prepare("SELECT name, root FROM accounts WHERE kind = 'maildir'")
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(StoreError::db("list accounts"))?;
        for (name, root) in attached {
            self.attach_maildir_account(&name, Path::new(&root))?;
        }
        let total: u64 = self
            .all_folder_rows()?
            .iter()
            .map(|f| {
                let md = f.maildir();
                ["new", "cur"]
                    .iter()
                    .filter_map(|s| std::fs::read_dir(md.root().join(s)).ok())
                    .map(|rd| rd.count() as u64)
                    .sum::<u64>()
            })
            .sum();
        progress(Progress { done: 0, total });
        let mut counting = |p: Progress| {
            progress(Progress {
                done: p.done,
                total,
            })
        };
        self.refresh_all(true, &mut counting)?;
        Ok(())
    }

    /// Indexes an existing Maildir tree in place as account `name`: the root (if it is a
    /// Maildir) is INBOX; Maildir++ subfolders (`.Sub.Folder`) and nested Maildirs
    /// (`Sub/Folder`) become `Sub/Folder`. Folders that vanished from disk are dropped. Call
    /// [`Store::refresh`] afterwards to index their messages.
    pub fn attach_maildir_account(&mut self, name: &str, root: &Path) -> Result<()> {
        let account_id = self.upsert_account(name, AccountKind::Maildir, root)?;
        let mut found: Vec<(String, PathBuf, &str)> = Vec::new();
        if Maildir::is_maildir(root) {
            found.push(("INBOX".to_owned(), root.to_owned(), "/"));
        }
        if let Ok(rd) = std::fs::read_dir(root) {
            let mut pp: Vec<(String, PathBuf)> = rd
                .flatten()
                .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
                .filter(|(n, p)| {
                    n.len() > 1 && n.starts_with('.') && n != ".." && Maildir::is_maildir(p)
                })
                .collect();
            pp.sort();
            for (n, p) in pp {
                let folder = n[1..]
                    .split('.')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("/");
                if !folder.is_empty() {
                    found.push((folder, p, "."));
                }
            }
        }
        for (folder, p) in nested_maildirs(root) {
            found.push((folder, p, "/"));
        }
        for (folder, p, delim) in &found {
            self.insert_folder(account_id, folder, p, Some(delim))?;
        }
        for f in self.all_folder_rows()? {
            if f.account_id == account_id && !found.iter().any(|(n, _, _)| *n == f.name) {
                self.drop_folder(f.id)?;
            }
        }
        Ok(())
    }

    fn account_kind(&self, name: &str) -> Result<Option<AccountKind>> {
        self.conn
            .query_row(
                "SELECT kind FROM accounts WHERE name = ?1",
                params![name],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map(|k| k.map(|k| AccountKind::parse(&k)))
            .map_err(StoreError::db("find an account"))
    }

    /// Forgets a folder and its messages (not its files).
    pub(crate) fn drop_folder(&mut self, folder: i64) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start dropping a folder"))?;
        tx.execute(
            "DELETE FROM fts WHERE rowid IN (SELECT id FROM messages WHERE folder_id = ?1)",
            params![folder],
        )
        .map_err(StoreError::db("drop a folder"))?;
        tx.execute("DELETE FROM folders WHERE id = ?1", params![folder])
            .map_err(StoreError::db("drop a folder"))?;
        tx.commit().map_err(StoreError::db("drop a folder"))
    }

    fn refresh_folder(
        &mut self,
        f: &FolderRow,
        force: bool,
        done: &mut u64,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<RefreshStats> {
        let md = f.maildir();
        let now = md.mtimes();
        let stored: (i64, i64) = self
            .conn
            .query_row(
                "SELECT new_mtime, cur_mtime FROM folders WHERE id = ?1",
                params![f.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(StoreError::db("read folder times"))?;
        if !force && now == stored {
            return Ok(RefreshStats::default());
        }
        let _ = md.clean_tmp(STALE_TMP);
        let mut stats = RefreshStats {
            folders_scanned: 1,
            ..RefreshStats::default()
        };
        let mut subs = Vec::new();
        if force || now.0 != stored.0 {
            subs.push(Sub::New);
        }
        if force || now.1 != stored.1 {
            subs.push(Sub::Cur);
        }
        // What is on disk and what the index says, for the changed directories.
        let mut on_disk: HashMap<String, Entry> = HashMap::new();
        let mut indexed: HashMap<String, (i64, String)> = HashMap::new();
        for sub in &subs {
            for e in md.scan_sub(*sub)? {
                on_disk.insert(e.file.clone(), e);
            }
            let (lo, hi) = match sub {
                Sub::New => ("new/", "new0"),
                Sub::Cur => ("cur/", "cur0"),
            };
            let mut st = self
                .conn
                .prepare_cached(
                    "SELECT id, file, coalesce(uniq, '') FROM messages
                     WHERE folder_id = ?1 AND file >= ?2 AND file < ?3",
                )
                .map_err(StoreError::db("read a folder"))?;
            let rows = st
                .query_map(params![f.id, lo, hi], |r| {
                    Ok((
                        r.get::<_, String>(1)?,
                        (r.get::<_, i64>(0)?, r.get::<_, String>(2)?),
                    ))
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(StoreError::db("read a folder"))?;
            indexed.extend(rows);
        }
        let mut gone: HashMap<String, (i64, String)> = HashMap::new();
        for (file, (id, uniq)) in indexed.iter() {
            if !on_disk.contains_key(file) {
                gone.insert(uniq.clone(), (*id, file.clone()));
            }
        }
        let mut added: Vec<Entry> = on_disk
            .into_iter()
            .filter(|(file, _)| !indexed.contains_key(file))
            .map(|(_, e)| e)
            .collect();
        added.sort_by(|a, b| a.file.cmp(&b.file));
        let account_kind = f.kind;
        let mut pending: Vec<Entry> = Vec::new();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start a pick-up"))?;
        for e in added {
            // A rename within this folder (flags changed by another program, new/ -> cur/)?
            let known = match gone.remove(&e.uniq) {
                Some((id, _)) => Some((id, f.id)),
                None => tx
                    .prepare_cached(
                        "SELECT m.id, m.folder_id FROM messages m JOIN folders g ON g.id = m.folder_id
                         WHERE m.uniq = ?1 AND g.account_id = ?2",
                    )
                    .and_then(|mut st| {
                        st.query_row(params![e.uniq, f.account_id], |r| Ok((r.get(0)?, r.get(1)?)))
                            .optional()
                    })
                    .map_err(StoreError::db("look up a file"))?
                    .filter(|(_, folder): &(i64, i64)| {
                        // Another folder's row whose file is gone: a move. Same folder: a rename
                        // in a directory we did not list.
                        *folder == f.id || !file_of_row_exists(&tx, (*folder, e.uniq.as_str()))
                    }),
            };
            match known {
                Some((id, old_folder)) => {
                    let uid_reset = if old_folder == f.id { "uid" } else { "NULL" };
                    tx.execute(
                        &format!(
                            "UPDATE messages SET folder_id = ?2, file = ?3, flags = ?4, uid = {uid_reset}
                             WHERE id = ?1"
                        ),
                        params![id, f.id, e.file, e.flags.to_maildir_info()],
                    )
                    .map_err(StoreError::db("record a rename"))?;
                    stats.renamed += 1;
                }
                None => pending.push(e),
            }
        }
        for (_, (id, _)) in gone {
            index::delete_message(&tx, id)?;
            stats.removed += 1;
        }
        tx.commit().map_err(StoreError::db("commit a pick-up"))?;
        // New files, in chunks.
        for chunk in pending.chunks(CHUNK) {
            let parsed: Vec<(ParsedMessage, u64)> = chunk
                .iter()
                .map(|e| read_for_index(&md.path_of(&e.file)))
                .collect();
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::db("start indexing"))?;
            let mut fresh = None;
            for (e, (pm, size)) in chunk.iter().zip(&parsed) {
                // Another process (the TUI's engine and a CLI command share a store) may have
                // indexed this file since we listed the directory.
                if already_indexed(&tx, f.id, &e.uniq)? {
                    continue;
                }
                let mut env = pm.envelope.clone();
                env.size = *size;
                let id = match maildir::embedded_id(&e.uniq).filter(|id| !id_taken(&tx, *id)) {
                    Some(id) => {
                        index::bump_counter(&tx, id)?;
                        id
                    }
                    None => {
                        let first = match fresh {
                            Some(n) => n,
                            None => index::reserve_ids(&tx, chunk.len())?,
                        };
                        fresh = Some(first + 1);
                        first
                    }
                };
                let uidl = maildir::embedded_uidl(&e.uniq);
                index::insert_message(
                    &tx,
                    &NewRow {
                        id,
                        folder_id: f.id,
                        uid: None,
                        uidl: uidl.as_deref(),
                        uniq: Some(&e.uniq),
                        file: Some(&e.file),
                        flags: &e.flags,
                        envelope: &env,
                        body: &pm.text,
                        has_body: true,
                        has_attachment: Some(!pm.attachments.is_empty()),
                    },
                )?;
                if let (Some(uidl), AccountKind::Pop3 | AccountKind::Local) = (&uidl, account_kind)
                {
                    // A suspect mark in the name is kept (see `pop3_uidls`).
                    tx.execute(
                        "INSERT INTO pop3_uidls (account_id, uidl, downloaded, suspect)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (account_id, uidl)
                         DO UPDATE SET suspect = suspect OR excluded.suspect",
                        params![
                            f.account_id,
                            uidl,
                            now_secs(),
                            maildir::embedded_suspect(&e.uniq)
                        ],
                    )
                    .map_err(StoreError::db("record a UIDL"))?;
                }
                stats.added += 1;
            }
            tx.commit().map_err(StoreError::db("commit indexing"))?;
            *done += chunk.len() as u64;
            progress(Progress {
                done: *done,
                total: 0,
            });
        }
        // A directory changed less than a second ago may change again within the same
        // timestamp tick without its mtime moving: store a time that will not match, so the
        // next pick-up lists that directory again (notmuch does the same).
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        let settle = |m: i64| if wall - m < 1_000_000_000 { m - 1 } else { m };
        self.conn
            .execute(
                "UPDATE folders SET new_mtime = ?2, cur_mtime = ?3 WHERE id = ?1",
                params![f.id, settle(now.0), settle(now.1)],
            )
            .map_err(StoreError::db("record folder times"))?;
        Ok(stats)
    }
}

fn already_indexed(conn: &rusqlite::Connection, folder: i64, uniq: &str) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM messages WHERE uniq = ?1 AND folder_id = ?2")
        .and_then(|mut st| st.query_row(params![uniq, folder], |_| Ok(())).optional())
        .map(|r| r.is_some())
        .map_err(StoreError::db("look up a file"))
}

fn id_taken(conn: &rusqlite::Connection, id: i64) -> bool {
    conn.query_row("SELECT 1 FROM messages WHERE id = ?1", params![id], |_| {
        Ok(())
    })
    .optional()
    .map(|r| r.is_some())
    .unwrap_or(true)
}

/// Whether the row of `uniq` in `folder` still has its file on disk.
fn file_of_row_exists(conn: &rusqlite::Connection, (folder, uniq): (i64, &str)) -> bool {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT f.path, m.file FROM messages m JOIN folders f ON f.id = m.folder_id
             WHERE m.folder_id = ?1 AND m.uniq = ?2",
            params![folder, uniq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ok()
        .flatten();
    match row {
        Some((path, file)) => Path::new(&path).join(file).exists(),
        None => false,
    }
}

/// Reads at most [`MAX_INDEX_READ`] bytes and parses them; returns the parse and the real size.
/// An unreadable file is indexed as empty (it is still listed, and `read` reports the error).
fn read_for_index(path: &Path) -> (ParsedMessage, u64) {
    let mut buf = Vec::new();
    let size = match std::fs::File::open(path) {
        Ok(f) => {
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = f.take(MAX_INDEX_READ).read_to_end(&mut buf);
            size
        }
        Err(_) => 0,
    };
    (ParsedMessage::parse_for_index(&buf), size)
}

/// Maildirs nested below `root` (not `root` itself), as (`a/b` name, path), sorted. Skips
/// `cur`/`new`/`tmp` and hidden directories; does not follow symlinks.
fn nested_maildirs(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), root.to_owned(), 0usize)];
    while let Some((prefix, dir, depth)) = stack.pop() {
        if depth > 32 {
            continue;
        }
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if !is_dir || name.starts_with('.') || matches!(name.as_str(), "cur" | "new" | "tmp") {
                continue;
            }
            let full = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let path = e.path();
            if Maildir::is_maildir(&path) {
                let folder = if full.eq_ignore_ascii_case("inbox") {
                    "INBOX".to_owned()
                } else {
                    full.clone()
                };
                out.push((folder, path.clone()));
            }
            stack.push((full, path, depth + 1));
        }
    }
    out.sort();
    out
}
