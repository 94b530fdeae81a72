//! The local store: one Maildir per folder plus an SQLite index. Never touches the network.
//!
//! [`Store`] is the facade every other layer uses; [`maildir`] and [`index`] are its parts and
//! are not meant to be driven directly (the facade keeps them in step).
//!
//! # Layout
//! `<data_dir>/index.sqlite3` is the index. Each folder of each account is a Maildir at
//! `<data_dir>/<account>/<folder>` (`/` in folder names as nested directories). A Maildir
//! account (`protocol = "maildir"`) is indexed in place at its own path instead.
//! `<data_dir>/.locks/` holds the lock files of [`lock`] (never inside a Maildir).
//!
//! # Ids
//! A message's id is an integer from a counter that only grows, so an id is never reused. Every
//! file postie writes carries its id in its Maildir name (`,I=<id>`), so moves (the name is
//! kept), flag changes (only the info changes) and even a rebuilt index keep the id. Files
//! other programs wrote (a Maildir account, or mutt saving into the store) get an id when first
//! indexed; that id lasts while the index does.
//!
//! # Callers
//! - POP3 sync: [`Store::known_uidls`], then [`Store::deliver_batch`] into the `INBOX` folder
//!   ([`Store::ensure_folder`]) with `NewMessage::uidl` set: every message is durable on disk
//!   before the one transaction that records it and its UIDL commits, and only then may the
//!   client send DELE.
//! - IMAP sync: [`Store::ensure_folder`] + [`Store::set_folder_state`] (UIDVALIDITY, UIDNEXT,
//!   HIGHESTMODSEQ, role, delimiter); [`Store::upsert_envelopes`] (envelope-only rows keyed by
//!   UID, `has_body = false`, flags updated for known UIDs); [`Store::deliver_batch`] with
//!   `NewMessage::uid` set (attaches the body to an envelope-only row of that UID, else adds a
//!   row) or [`Store::attach_body`] by id; [`Store::uid_map`], [`Store::set_remote_flags`], [`Store::expunge_uids`],
//!   [`Store::clear_folder`] (UIDVALIDITY changed); [`Store::pending_actions`] /
//!   [`Store::remove_action`] to replay the offline queue.
//! - Sending: [`Store::outbox_add`], [`Store::outbox`], [`Store::outbox_failed`],
//!   [`Store::outbox_sent`] (into the local `Sent` folder or dropped after IMAP APPEND);
//!   [`Store::save_sent`] for a message sent directly (accounts without IMAP);
//!   [`Store::record_accepted`] / [`Store::was_accepted`] so a retry never sends twice;
//!   [`Store::outbox_retry_later`], [`Store::outbox_refused`], [`Store::outbox_drop`].
//! - CLI and TUI: [`Store::register_accounts`] then [`Store::refresh`] (cheap pick-up of
//!   changes other programs made), [`Store::folders`], [`Store::list`], [`Store::search`],
//!   [`Store::get`], [`Store::read_raw`], [`Store::threads`], [`Store::thread_keys`] (the light
//!   per-message columns a big threaded list is ordered by), and the user actions
//!   [`Store::set_flag`], [`Store::move_messages`], [`Store::delete_messages`], which change the
//!   Maildir and the index at once and queue the action for IMAP accounts.
//!
//! All methods are blocking; async callers use `spawn_blocking`. Two processes may use one
//! store at once: SQLite WAL with a busy timeout on every connection; opening (judging,
//! migrating, rebuilding the index) is serialized by [`lock`]'s `index.lock`, so no opener takes
//! another's migration for damage; Maildir renames are atomic. Two processes *syncing* one
//! account would both download what neither had recorded yet: that is what
//! [`lock::AccountLock`] is for (taken by the engine).

pub mod demo;
pub mod error;
pub mod index;
pub mod lock;
pub mod maildir;
pub mod types;

mod actions;
mod attachments;
mod chain;
mod deliver;
mod drafts;
mod folder_admin;
mod keys;
mod outbox;
mod pop3_uidls;
mod query;
mod scan;

use std::path::{Component, Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

pub use deliver::{RemoteEnvelope, UidEntry};
pub use error::StoreError;
pub use keys::ThreadKey;
pub use types::*;

use crate::config::{Config, Incoming};
use error::Result;
use maildir::Maildir;

/// The local store: Maildirs plus the index. See the module docs for who calls what.
pub struct Store {
    data_dir: PathBuf,
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

/// A folder row with what operations need to find its Maildir.
#[derive(Debug, Clone)]
pub(crate) struct FolderRow {
    pub id: FolderId,
    pub account_id: i64,
    pub account: String,
    pub kind: AccountKind,
    pub name: String,
    pub path: PathBuf,
    pub uidvalidity: Option<u32>,
}

impl FolderRow {
    pub fn maildir(&self) -> Maildir {
        Maildir::new(&self.path)
    }
}

impl Store {
    /// Opens the store in `data_dir` (created 0700 if missing). A missing index is built from
    /// the Maildirs; an index that is damaged (not a database, truncated, corrupt pages) is
    /// moved aside (`index.sqlite3.corrupt-<secs>`) and rebuilt. An index another process holds
    /// busy past the busy timeout is an error ([`StoreError::IndexBusy`]), never damage.
    pub fn open(data_dir: &Path) -> Result<Store> {
        Store::open_with_progress(data_dir, &mut |_| {})
    }

    /// Like [`Store::open`], reporting rebuild progress (for a progress bar).
    pub fn open_with_progress(
        data_dir: &Path,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Store> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .map_err(StoreError::io("create directory", data_dir))?;
        // Held until the store is open: another opener never sees this one's half-created
        // file, migration or rebuild (and so never takes them for damage).
        let _opening = lock::IndexLock::acquire(data_dir)?;
        let path = data_dir.join(index::INDEX_FILE);
        let existed = path.exists();
        // SQLite opens an emptied file as a new database and a truncated one until a query
        // reaches a missing page: either would silently forget the recorded UIDLs (found by
        // the soak's kill trials: every message downloaded again). Treat both as unreadable.
        // An empty file (a creation cut short: another opener would hold the index lock) is
        // opened and filled in by a rebuild; a truncated one is set aside like any unreadable
        // index.
        let empty = existed
            && std::fs::metadata(&path)
                .map(|m| m.len() == 0)
                .unwrap_or(false);
        let damage = if existed && !empty {
            index_file_damage(&path)
        } else {
            None
        };
        let opened = match damage {
            Some(reason) => Err(reason.to_owned()),
            None => match index::open(&path).and_then(probe) {
                Ok(conn) if empty => {
                    tracing::warn!("index at {} was empty; rebuilding it", path.display());
                    return finish(data_dir, conn, true, progress);
                }
                Ok(conn) => Ok(conn),
                Err(e @ StoreError::Index { .. }) if existed && e.is_damage() => Err(e.to_string()),
                Err(e) => return Err(e),
            },
        };
        let (conn, rebuild) = match opened {
            Ok(conn) => (conn, !existed),
            Err(reason) => {
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                for suffix in ["", "-wal", "-shm"] {
                    let mut from = path.as_os_str().to_owned();
                    from.push(suffix);
                    let mut to = path.as_os_str().to_owned();
                    to.push(format!("{suffix}.corrupt-{secs}"));
                    let _ = std::fs::rename(&from, &to);
                }
                tracing::warn!(
                    "index at {} is unreadable ({reason}); rebuilding it",
                    path.display()
                );
                (index::open(&path)?, true)
            }
        };
        finish(data_dir, conn, rebuild, progress)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Runs SQLite's integrity check; `false` means the index should be rebuilt.
    pub fn check(&self) -> Result<bool> {
        let res: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(StoreError::db("check"))?;
        Ok(res == "ok")
    }

    /// Creates the store's record of every configured account (idempotent) and attaches Maildir
    /// accounts at their paths. Call once per run before reading.
    pub fn register_accounts(&mut self, config: &Config) -> Result<()> {
        for acc in &config.accounts {
            match &acc.incoming {
                Incoming::Imap(_) => {
                    self.ensure_account(&acc.name, AccountKind::Imap)?;
                }
                Incoming::Pop3(_) => {
                    self.ensure_account(&acc.name, AccountKind::Pop3)?;
                }
                Incoming::Maildir(m) => self.attach_maildir_account(&acc.name, &m.path)?,
            }
        }
        Ok(())
    }

    /// Records an account whose folders live under `<data_dir>/<name>`; returns its row id.
    /// An existing account keeps its folders; its kind is updated.
    pub fn ensure_account(&mut self, name: &str, kind: AccountKind) -> Result<i64> {
        check_account_name(name)?;
        let root = self.data_dir.join(name);
        self.upsert_account(name, kind, &root)
    }

    pub(crate) fn upsert_account(
        &mut self,
        name: &str,
        kind: AccountKind,
        root: &Path,
    ) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO accounts (name, kind, root) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, root = excluded.root",
                params![name, kind.as_str(), root.to_string_lossy()],
            )
            .map_err(StoreError::db("record an account"))?;
        self.conn
            .query_row(
                "SELECT id FROM accounts WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .map_err(StoreError::db("record an account"))
    }

    /// Account names and kinds, in creation order.
    pub fn accounts(&self) -> Result<Vec<(String, AccountKind)>> {
        let mut st = self
            .conn
            .prepare("SELECT name, kind FROM accounts ORDER BY id")
            .map_err(StoreError::db("list accounts"))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    AccountKind::parse(&r.get::<_, String>(1)?),
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(StoreError::db("list accounts"))?;
        Ok(rows)
    }

    /// The folder's id, creating the folder (row and Maildir) if needed. `name` is
    /// `/`-separated; a role is guessed from well-known names (Sent, Trash, ...) until
    /// [`Store::set_folder_state`] sets the server's.
    pub fn ensure_folder(&mut self, account: &str, name: &str) -> Result<FolderId> {
        if let Some(f) = self.folder_row(account, name)? {
            return Ok(f.id);
        }
        let (account_id, root): (i64, String) = self
            .conn
            .query_row(
                "SELECT id, root FROM accounts WHERE name = ?1",
                params![account],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::db("find an account"))?
            .ok_or_else(|| StoreError::NoSuchAccount(account.to_owned()))?;
        let path = folder_path(Path::new(&root), name)?;
        let md = Maildir::create(&path)?;
        let id = self.insert_folder(account_id, name, &path, Some("/"))?;
        // A new, empty Maildir: nothing for a pick-up to find.
        if md.scan()?.is_empty() {
            let (n, c) = md.mtimes();
            self.conn
                .execute(
                    "UPDATE folders SET new_mtime = ?2, cur_mtime = ?3 WHERE id = ?1",
                    params![id, n, c],
                )
                .map_err(StoreError::db("record folder times"))?;
        }
        Ok(id)
    }

    pub(crate) fn insert_folder(
        &mut self,
        account_id: i64,
        name: &str,
        path: &Path,
        delimiter: Option<&str>,
    ) -> Result<FolderId> {
        self.conn
            .execute(
                "INSERT INTO folders (account_id, name, path, delimiter, role)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account_id, name) DO UPDATE SET path = excluded.path",
                params![
                    account_id,
                    name,
                    path.to_string_lossy(),
                    delimiter,
                    guess_role(name)
                ],
            )
            .map_err(StoreError::db("record a folder"))?;
        self.conn
            .query_row(
                "SELECT id FROM folders WHERE account_id = ?1 AND name = ?2",
                params![account_id, name],
                |r| r.get(0),
            )
            .map_err(StoreError::db("record a folder"))
    }

    /// The id of an existing folder.
    pub fn folder_id(&self, account: &str, name: &str) -> Result<FolderId> {
        self.folder_row(account, name)?
            .map(|f| f.id)
            .ok_or_else(|| StoreError::NoSuchFolder {
                account: account.to_owned(),
                folder: name.to_owned(),
            })
    }

    /// Updates what IMAP sync knows about a folder. `None` fields are left as they are.
    ///
    /// `server_name` binds the folder to a server folder for good; the index refuses a second
    /// local folder for one server name (the mapping stays injective).
    pub fn set_folder_state(&mut self, folder: FolderId, state: &FolderState) -> Result<()> {
        self.conn
            .execute(
                "UPDATE folders SET delimiter = coalesce(?2, delimiter), role = coalesce(?3, role),
                     uidvalidity = coalesce(?4, uidvalidity), uidnext = coalesce(?5, uidnext),
                     highestmodseq = coalesce(?6, highestmodseq),
                     server_name = coalesce(?7, server_name)
                 WHERE id = ?1",
                params![
                    folder,
                    state.delimiter,
                    state.role,
                    state.uidvalidity,
                    state.uidnext,
                    state.highestmodseq.map(|m| m as i64),
                    state.server_name
                ],
            )
            .map_err(StoreError::db("update a folder"))?;
        Ok(())
    }

    /// What IMAP sync stored for every folder of an account: (id, name, state). No message
    /// counts, so it stays cheap on large folders (a no-change resync reads only this).
    pub fn folder_states(&self, account: &str) -> Result<Vec<(FolderId, String, FolderState)>> {
        self.conn
            .prepare_cached(
                "SELECT f.id, f.name, f.delimiter, f.role, f.uidvalidity, f.uidnext,
                        f.highestmodseq, f.server_name
                 FROM folders f JOIN accounts a ON a.id = f.account_id
                 WHERE a.name = ?1 ORDER BY f.id",
            )
            .and_then(|mut st| {
                st.query_map(params![account], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        FolderState {
                            server_name: r.get(7)?,
                            delimiter: r.get(2)?,
                            role: r.get(3)?,
                            uidvalidity: r.get(4)?,
                            uidnext: r.get(5)?,
                            highestmodseq: r.get::<_, Option<i64>>(6)?.map(|v| v as u64),
                        },
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(StoreError::db("list folders"))
    }

    pub(crate) fn folder_row(&self, account: &str, name: &str) -> Result<Option<FolderRow>> {
        let name = if name.eq_ignore_ascii_case("inbox") {
            "INBOX"
        } else {
            name
        };
        self.conn
            .prepare_cached(&format!(
                "{FOLDER_ROW_SELECT} WHERE a.name = ?1 AND f.name = ?2"
            ))
            .and_then(|mut st| st.query_row(params![account, name], folder_row).optional())
            .map_err(StoreError::db("find a folder"))
    }

    pub(crate) fn folder_row_by_id(&self, id: FolderId) -> Result<FolderRow> {
        self.conn
            .prepare_cached(&format!("{FOLDER_ROW_SELECT} WHERE f.id = ?1"))
            .and_then(|mut st| st.query_row(params![id], folder_row))
            .map_err(StoreError::db("find a folder"))
    }

    pub(crate) fn all_folder_rows(&self) -> Result<Vec<FolderRow>> {
        self.conn
            .prepare_cached(&format!("{FOLDER_ROW_SELECT} ORDER BY f.id"))
            .and_then(|mut st| {
                st.query_map([], folder_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(StoreError::db("list folders"))
    }
}

const FOLDER_ROW_SELECT: &str = "SELECT f.id, f.account_id, a.name, a.kind, f.name, f.path,
    f.uidvalidity FROM folders f JOIN accounts a ON a.id = f.account_id";

fn folder_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FolderRow> {
    Ok(FolderRow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        account: r.get(2)?,
        kind: AccountKind::parse(&r.get::<_, String>(3)?),
        name: r.get(4)?,
        path: PathBuf::from(r.get::<_, String>(5)?),
        uidvalidity: r.get(6)?,
    })
}

/// Reads one row so that a file that is not a database fails here, not later.
fn finish(
    data_dir: &Path,
    conn: Connection,
    rebuild: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Store> {
    let mut store = Store {
        data_dir: data_dir.to_owned(),
        conn,
    };
    if rebuild {
        store.rebuild(progress)?;
    }
    // Not fatal: a store that cannot be written now (read-only, busy) is still readable, and
    // the next open tries again; only `has:attachment` misses the rows not filled in yet.
    if let Err(e) = store.backfill_attachments() {
        tracing::warn!("cannot fill in attachment flags yet: {e}");
    }
    Ok(store)
}

/// Why the index file cannot be a whole database, judged from its size and its 100-byte
/// header alone (cheap enough for every open): shorter than a header, or shorter than the
/// page count its header records while no WAL could supply the missing pages.
fn index_file_damage(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let len = std::fs::metadata(path).ok()?.len();
    let mut header = [0u8; 100];
    let mut file = std::fs::File::open(path).ok()?;
    if file.read_exact(&mut header).is_err() || !header.starts_with(b"SQLite format 3\0") {
        return Some("the index file is not an SQLite database");
    }
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(&wal)
        .map(|m| m.len() > 0)
        .unwrap_or(false)
    {
        return None;
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([
        header[28], header[29], header[30], header[31],
    ]));
    (pages * page_size > len).then_some("the index file is truncated")
}

fn probe(conn: Connection) -> Result<Connection> {
    conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get::<_, i64>(0))
        .map_err(StoreError::db("read"))?;
    Ok(conn)
}

/// Account names become directory names: refuse anything that is not one plain component.
fn check_account_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && !name.starts_with(index::INDEX_FILE);
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadFolderName(name.to_owned()))
    }
}

/// The Maildir path of folder `name` under an account root: `/` separates nested directories;
/// empty, `.`/`..`, hidden and Maildir-reserved (`cur`, `new`, `tmp`) components are refused.
pub(crate) fn folder_path(root: &Path, name: &str) -> Result<PathBuf> {
    let bad = || StoreError::BadFolderName(name.to_owned());
    let mut path = root.to_owned();
    if name.is_empty() {
        return Err(bad());
    }
    for part in name.split('/') {
        let mut comps = Path::new(part).components();
        let plain = matches!(comps.next(), Some(Component::Normal(_))) && comps.next().is_none();
        if !plain
            || part.starts_with('.')
            || part.contains('\0')
            || matches!(part, "cur" | "new" | "tmp")
        {
            return Err(bad());
        }
        path.push(part);
    }
    Ok(path)
}

/// A special-use role from a well-known folder name (case-insensitive, last component).
pub fn guess_role(name: &str) -> Option<&'static str> {
    if name.eq_ignore_ascii_case("inbox") {
        return Some("inbox");
    }
    let last = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    match last.as_str() {
        "sent" | "sent messages" | "sent items" | "sent mail" => Some("sent"),
        "drafts" | "draft" => Some("drafts"),
        "trash" | "deleted messages" | "deleted items" | "bin" => Some("trash"),
        "junk" | "spam" => Some("junk"),
        "archive" | "archives" => Some("archive"),
        "outbox" => Some("outbox"),
        _ => None,
    }
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_folders;
#[cfg(test)]
mod tests_keys;
#[cfg(test)]
mod tests_search;
#[cfg(test)]
mod tests_shared;
