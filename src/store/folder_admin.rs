//! Folder management in the store (issue 13, item 5): create, rename and delete a folder with
//! its Maildir directories and index rows.
//!
//! Why here: a folder is a Maildir directory plus a `folders` row (and, on IMAP accounts, the
//! stored binding to its server folder, `folders.server_name`); only the store can change the
//! three together. The engine does the server half first and calls these for the local half.
//!
//! What must hold:
//! - a rename keeps the folder's id, so every message keeps its id and its row (the files move
//!   with their directory; nothing is copied or refetched). Subfolders (`Old/...`) follow.
//!   Queued actions naming the old folder are renamed with it, so a replay finds the folder.
//! - the index changes in one transaction around the directory rename: if the rename fails the
//!   transaction is dropped; if the commit fails the directories are renamed back.
//! - INBOX is never renamed or deleted; a folder with subfolders is never deleted (delete them
//!   first, as IMAP servers ask too); a folder holding messages is deleted only when forced.
//! - no file outside the folder's own directory is removed.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::error::Result;
use super::maildir::{Maildir, sync_dir};
use super::{AccountKind, FolderId, FolderRow, Store, StoreError, folder_path, guess_role};

/// What a folder operation refuses to touch, checked before the server is asked.
fn check_not_inbox(name: &str, action: &'static str) -> Result<()> {
    if name.eq_ignore_ascii_case("INBOX") {
        return Err(StoreError::InboxFixed { action });
    }
    Ok(())
}

/// True when `name` is `parent` or below it.
fn is_within(name: &str, parent: &str) -> bool {
    name == parent
        || name
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Store {
    /// Makes a new, empty folder (its Maildir and its row). A folder that exists already is
    /// refused ([`StoreError::FolderExists`]). In a Maildir account laid out Maildir++ style
    /// (`.Sub.Folder`) the new folder follows that layout.
    pub fn create_folder(&mut self, account: &str, name: &str) -> Result<FolderId> {
        if self.folder_row(account, name)?.is_some() {
            return Err(StoreError::FolderExists {
                account: account.to_owned(),
                folder: name.to_owned(),
            });
        }
        let (account_id, root, kind) = self.account_root(account)?;
        if kind == AccountKind::Maildir && self.uses_maildirpp(account_id)? {
            let path = maildirpp_path(&root, name)?;
            Maildir::create(&path)?;
            return self.insert_folder(account_id, name, &path, Some("."));
        }
        self.ensure_folder(account, name)
    }

    /// Checks that `name` can be a folder of `account` (a safe directory name).
    pub fn check_folder_name(&self, account: &str, name: &str) -> Result<()> {
        let (_, root, _) = self.account_root(account)?;
        folder_path(&root, name).map(|_| ())
    }

    /// Checks a rename before anything changes anywhere: `from` exists and is not INBOX, `to`
    /// is a usable name that no folder has, and `to` is not inside `from`.
    pub fn check_rename_folder(&self, account: &str, from: &str, to: &str) -> Result<FolderId> {
        check_not_inbox(from, "rename")?;
        check_not_inbox(to, "rename a folder to")?;
        let row = self
            .folder_row(account, from)?
            .ok_or_else(|| StoreError::NoSuchFolder {
                account: account.to_owned(),
                folder: from.to_owned(),
            })?;
        if is_within(to, from) {
            return Err(StoreError::BadFolderName(to.to_owned()));
        }
        let (_, root, _) = self.account_root(account)?;
        folder_path(&root, to)?;
        if self.folder_row(account, to)?.is_some() {
            return Err(StoreError::FolderExists {
                account: account.to_owned(),
                folder: to.to_owned(),
            });
        }
        Ok(row.id)
    }

    /// Renames folder `from` (and its subfolders) to `to`: the directories, the index rows
    /// (ids kept, so messages keep theirs) and queued actions naming them. `server` is the
    /// server-side rename just done (old and new wire name): the stored bindings of the folder
    /// and of its subfolders follow it.
    pub fn rename_folder(
        &mut self,
        account: &str,
        from: &str,
        to: &str,
        server: Option<(&str, &str)>,
    ) -> Result<()> {
        self.check_rename_folder(account, from, to)?;
        let (account_id, root, kind) = self.account_root(account)?;
        // The folder and its subfolders, parents first (a nested rename moves children along).
        let mut rows: Vec<(FolderRow, Option<String>, Option<String>)> = Vec::new();
        for row in self.all_folder_rows()? {
            if row.account_id == account_id && is_within(&row.name, from) {
                let (delimiter, server_name) = self.folder_delimiter_and_server(row.id)?;
                rows.push((row, delimiter, server_name));
            }
        }
        rows.sort_by_key(|(r, _, _)| r.name.len());
        let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("start renaming a folder"))?;
        for (row, delimiter, server_name) in &rows {
            let new_name = format!("{to}{}", &row.name[from.len()..]);
            // Maildir++ (`.Sub.Folder`) only in a Maildir account laid out that way: an IMAP
            // folder whose server delimiter is `.` (Cyrus, Courier) is stored nested like any
            // other, and renaming it to a `.Name` path lost its subfolders' directories.
            let maildirpp = kind == AccountKind::Maildir && delimiter.as_deref() == Some(".");
            let new_path = if maildirpp && row.path != root {
                maildirpp_path(&root, &new_name)?
            } else {
                folder_path(&root, &new_name)?
            };
            let new_server = match (server, server_name) {
                (Some((old_wire, new_wire)), Some(s)) if s == old_wire => Some(new_wire.to_owned()),
                (Some((old_wire, new_wire)), Some(s)) => s
                    .strip_prefix(old_wire)
                    .filter(|rest| !rest.is_empty())
                    .map(|rest| format!("{new_wire}{rest}")),
                _ => None,
            };
            tx.execute(
                "UPDATE folders SET name = ?2, path = ?3,
                     server_name = coalesce(?4, server_name),
                     role = CASE WHEN server_name IS NULL THEN ?5 ELSE role END
                 WHERE id = ?1",
                params![
                    row.id,
                    new_name,
                    new_path.to_string_lossy(),
                    new_server,
                    guess_role(&new_name)
                ],
            )
            .map_err(StoreError::db("rename a folder"))?;
            tx.execute(
                "UPDATE actions SET folder = ?3 WHERE account_id = ?1 AND folder = ?2",
                params![account_id, row.name, new_name],
            )
            .map_err(StoreError::db("rename a folder in queued actions"))?;
            tx.execute(
                "UPDATE actions SET arg = ?3
                 WHERE account_id = ?1 AND kind = 'move' AND arg = ?2",
                params![account_id, row.name, new_name],
            )
            .map_err(StoreError::db("rename a folder in queued actions"))?;
            moves.push((row.path.clone(), new_path));
        }
        let mut done: Vec<(PathBuf, PathBuf)> = Vec::new();
        for (old, new) in &moves {
            // A nested layout moved this one with its parent already.
            if !old.exists() && new.exists() {
                continue;
            }
            if new.exists() {
                undo_moves(&done);
                return Err(StoreError::FolderExists {
                    account: account.to_owned(),
                    folder: to.to_owned(),
                });
            }
            let moved = new
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::rename(old, new));
            if let Err(e) = moved {
                undo_moves(&done);
                return Err(StoreError::io("rename the folder directory", old.clone())(
                    e,
                ));
            }
            for dir in [old.parent(), new.parent()].into_iter().flatten() {
                sync_dir(dir)?;
            }
            done.push((old.clone(), new.clone()));
        }
        if let Err(e) = tx.commit() {
            undo_moves(&done);
            return Err(StoreError::db("commit renaming a folder")(e));
        }
        Ok(())
    }

    /// Checks a delete before anything changes anywhere: the folder exists, is not INBOX, has
    /// no subfolders, and holds no message unless `force`.
    pub fn check_delete_folder(&self, account: &str, name: &str, force: bool) -> Result<FolderId> {
        check_not_inbox(name, "delete")?;
        let row = self
            .folder_row(account, name)?
            .ok_or_else(|| StoreError::NoSuchFolder {
                account: account.to_owned(),
                folder: name.to_owned(),
            })?;
        if let Some(sub) = self
            .all_folder_rows()?
            .into_iter()
            .find(|r| r.account_id == row.account_id && r.id != row.id && is_within(&r.name, name))
        {
            return Err(StoreError::FolderHasSubfolders {
                folder: name.to_owned(),
                subfolder: sub.name,
            });
        }
        let messages = self.folder_message_count(row.id)?;
        if messages > 0 && !force {
            return Err(StoreError::FolderNotEmpty {
                folder: name.to_owned(),
                messages,
            });
        }
        Ok(row.id)
    }

    /// Deletes a folder: its messages (files and rows), its Maildir directory and its row.
    /// Refused as [`Store::check_delete_folder`] says.
    pub fn delete_folder(&mut self, account: &str, name: &str, force: bool) -> Result<()> {
        let id = self.check_delete_folder(account, name, force)?;
        let row = self.folder_row_by_id(id)?;
        let (_, root, _) = self.account_root(account)?;
        self.clear_folder(id)?;
        remove_maildir(&row.path)?;
        // Parents left empty by a nested layout (`Work` of `Work/New`) go too; never the root.
        let mut parent = row.path.parent();
        while let Some(dir) = parent.filter(|d| d.starts_with(&root) && *d != root) {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
            parent = dir.parent();
        }
        if let Some(parent) = parent {
            sync_dir(parent)?;
        }
        self.drop_folder(id)
    }

    /// How many messages the index holds for a folder (envelope-only ones included).
    pub fn folder_message_count(&self, folder: FolderId) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM messages WHERE folder_id = ?1",
                params![folder],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(StoreError::db("count a folder's messages"))
    }

    fn account_root(&self, account: &str) -> Result<(i64, PathBuf, AccountKind)> {
        self.conn
            .query_row(
                "SELECT id, root, kind FROM accounts WHERE name = ?1",
                params![account],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        PathBuf::from(r.get::<_, String>(1)?),
                        AccountKind::parse(&r.get::<_, String>(2)?),
                    ))
                },
            )
            .optional()
            .map_err(StoreError::db("find an account"))?
            .ok_or_else(|| StoreError::NoSuchAccount(account.to_owned()))
    }

    fn uses_maildirpp(&self, account_id: i64) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM folders WHERE account_id = ?1 AND delimiter = '.'
                                AND name != 'INBOX')",
                params![account_id],
                |r| r.get(0),
            )
            .map_err(StoreError::db("read a folder layout"))
    }

    fn folder_delimiter_and_server(
        &self,
        folder: FolderId,
    ) -> Result<(Option<String>, Option<String>)> {
        self.conn
            .query_row(
                "SELECT delimiter, server_name FROM folders WHERE id = ?1",
                params![folder],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(StoreError::db("find a folder"))
    }
}

/// The Maildir++ directory of folder `a/b`: `<root>/.a.b`. A `.` inside a component cannot be
/// told from the separator, so such names are refused.
fn maildirpp_path(root: &Path, name: &str) -> Result<PathBuf> {
    // The same component rules as the nested layout.
    folder_path(root, name)?;
    if name.split('/').any(|c| c.contains('.')) {
        return Err(StoreError::BadFolderName(name.to_owned()));
    }
    Ok(root.join(format!(".{}", name.replace('/', "."))))
}

/// Puts renamed directories back, newest first (after a later step failed).
fn undo_moves(done: &[(PathBuf, PathBuf)]) {
    for (old, new) in done.iter().rev() {
        if let Err(e) = std::fs::rename(new, old) {
            tracing::warn!(
                "cannot rename {} back to {}: {e}",
                new.display(),
                old.display()
            );
        }
    }
}

/// Removes an emptied Maildir: `cur`, `new`, `tmp` with whatever is left in them, the plain
/// files beside them (a server's index files, `maildirfolder`), then the directory. Anything
/// else (a directory another program keeps there) makes it fail rather than go.
fn remove_maildir(path: &Path) -> Result<()> {
    for sub in ["cur", "new", "tmp"] {
        let dir = path.join(sub);
        if dir.is_dir() {
            std::fs::remove_dir_all(&dir).map_err(StoreError::io("remove", dir.clone()))?;
        }
    }
    if let Ok(rd) = std::fs::read_dir(path) {
        for entry in rd.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                let p = entry.path();
                std::fs::remove_file(&p).map_err(StoreError::io("remove", p.clone()))?;
            }
        }
    }
    match std::fs::remove_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io(
            "remove the folder directory",
            path.to_owned(),
        )(e)),
    }
}
