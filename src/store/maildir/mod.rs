//! One Maildir folder on disk: crash-safe delivery, flag renames, moves, removal, scanning.
//!
//! Owns only files under one Maildir root; knows nothing of the index (the [`crate::store::Store`]
//! facade keeps the two in step) and never touches the network.
//!
//! What must hold:
//! - A message becomes visible in `new/` or `cur/` only by `rename(2)` from `tmp/`, after its
//!   bytes are on disk; so a crash at any point leaves either nothing or the whole message.
//! - Files are created 0600 and directories 0700.
//! - [`Batch`] groups the costly syncs of many deliveries: every file is written to `tmp/`
//!   without its own fsync, then one `syncfs(2)` makes all of them durable, then they are renamed
//!   and each touched directory is fsynced once. Only after [`Batch::commit`] returns may the
//!   caller record the messages (in the index, or to a POP3 server with DELE).
//! - A write that fails (ENOSPC, EIO, EFBIG, any error) removes its partial file from `tmp/` at
//!   once, and so does a batch that fails before its renames: a full disk leaves no half-written
//!   file behind for 36 hours (issue #12), and frees the space it had taken.

pub mod name;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::mail::Flags;
use crate::store::error::{Result, StoreError};

pub use name::{
    Tags, embedded_id, embedded_suspect, embedded_uidl, file_name, split_name, unique_name,
};

/// Maildir's rule: tmp/ files untouched for 36 hours are abandoned deliveries.
pub const STALE_TMP: Duration = Duration::from_secs(36 * 3600);

/// One message file found by a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the Maildir root: `new/NAME` or `cur/NAME:2,FLAGS`.
    pub file: String,
    /// The unique part of the name (stable across flag changes and moves).
    pub uniq: String,
    pub flags: Flags,
    /// Size on disk.
    pub size: u64,
}

/// Where a delivered message goes: `new/` (not yet seen by any client) or `cur/` (with flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    New,
    Cur,
}

impl Sub {
    pub fn dir(self) -> &'static str {
        match self {
            Sub::New => "new",
            Sub::Cur => "cur",
        }
    }
}

/// A Maildir folder at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maildir {
    root: PathBuf,
}

impl Maildir {
    /// A handle on a Maildir that may not exist yet (no IO).
    pub fn new(root: impl Into<PathBuf>) -> Maildir {
        Maildir { root: root.into() }
    }

    /// Creates the Maildir (and missing parents) with 0700 directories; fine if it exists.
    pub fn create(root: impl Into<PathBuf>) -> Result<Maildir> {
        let md = Maildir::new(root);
        for sub in ["cur", "new", "tmp"] {
            let dir = md.root.join(sub);
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(StoreError::io("create directory", &dir))?;
        }
        Ok(md)
    }

    /// Whether `path` looks like a Maildir (has `cur/` and `new/`).
    pub fn is_maildir(path: &Path) -> bool {
        path.join("cur").is_dir() && path.join("new").is_dir()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a file given relative to the root (`cur/NAME`).
    pub fn path_of(&self, file: &str) -> PathBuf {
        self.root.join(file)
    }

    /// Delivers one message durably (write, fsync, rename, fsync dir). For many messages use
    /// [`Maildir::batch`], which is much cheaper per message.
    pub fn deliver(&self, bytes: &[u8], sub: Sub, flags: &Flags, tags: &Tags<'_>) -> Result<Entry> {
        let mut batch = self.batch();
        batch.add(bytes, sub, flags, tags)?;
        let mut entries = batch.commit()?;
        entries.pop().ok_or_else(|| {
            StoreError::io("deliver to", &self.root)(std::io::Error::other("empty batch"))
        })
    }

    /// Starts a batch of deliveries to this Maildir.
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            md: self,
            pending: Vec::new(),
            sync_each: false,
        }
    }

    /// Reads a message's bytes.
    pub fn read(&self, file: &str) -> Result<Vec<u8>> {
        let path = self.path_of(file);
        fs::read(&path).map_err(StoreError::io("read", &path))
    }

    /// Finds the current file of a unique name (after another program renamed it).
    pub fn locate(&self, uniq: &str) -> Result<Option<Entry>> {
        for sub in [Sub::Cur, Sub::New] {
            let dir = self.root.join(sub.dir());
            let rd = match fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StoreError::io("list", &dir)(e)),
            };
            for ent in rd.flatten() {
                let name = ent.file_name();
                let Some(name) = name.to_str() else { continue };
                let (u, flags) = split_name(name);
                if u == uniq {
                    let size = ent.metadata().map(|m| m.len()).unwrap_or(0);
                    return Ok(Some(Entry {
                        file: format!("{}/{name}", sub.dir()),
                        uniq: u.to_owned(),
                        flags,
                        size,
                    }));
                }
            }
        }
        Ok(None)
    }

    /// Renames a message to carry `flags` (moving it from new/ to cur/ if needed). Returns the new
    /// relative file name. Other info characters already in `flags` are kept.
    pub fn set_flags(&self, file: &str, flags: &Flags) -> Result<String> {
        let base = file.rsplit('/').next().unwrap_or(file);
        let (uniq, _) = split_name(base);
        let new_file = format!("cur/{}", file_name(uniq, Some(flags)));
        if new_file == file {
            return Ok(new_file);
        }
        let from = self.path_of(file);
        let to = self.path_of(&new_file);
        fs::rename(&from, &to).map_err(StoreError::io("rename", &from))?;
        sync_dir(&self.root.join("cur"))?;
        if file.starts_with("new/") {
            sync_dir(&self.root.join("new"))?;
        }
        Ok(new_file)
    }

    /// Moves a message into another Maildir, keeping its unique name (and so its id) and flags.
    /// Falls back to copy + remove across filesystems. Returns the new relative file name.
    pub fn move_to(&self, file: &str, dest: &Maildir) -> Result<String> {
        let base = file.rsplit('/').next().unwrap_or(file);
        let sub = if file.starts_with("new/") {
            "new"
        } else {
            "cur"
        };
        let new_file = format!("{sub}/{base}");
        let from = self.path_of(file);
        let to = dest.path_of(&new_file);
        match fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
                let bytes = self.read(file)?;
                let tmp = dest.root.join("tmp").join(base);
                write_file(&tmp, &bytes, true)?;
                if let Err(e) = fs::rename(&tmp, &to) {
                    let _ = fs::remove_file(&tmp);
                    return Err(StoreError::io("rename", &tmp)(e));
                }
                sync_dir(&dest.root.join(sub))?;
                fs::remove_file(&from).map_err(StoreError::io("remove", &from))?;
            }
            Err(e) => return Err(StoreError::io("move", &from)(e)),
        }
        sync_dir(&dest.root.join(sub))?;
        sync_dir(&self.root.join(sub))?;
        Ok(new_file)
    }

    /// Removes a message file. A file already gone is not an error.
    pub fn remove(&self, file: &str) -> Result<()> {
        let path = self.path_of(file);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io("remove", &path)(e)),
        }
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        Ok(())
    }

    /// Removes tmp/ files not modified for `older_than` (use [`STALE_TMP`]). Returns how many.
    pub fn clean_tmp(&self, older_than: Duration) -> Result<usize> {
        let dir = self.root.join("tmp");
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(StoreError::io("list", &dir)(e)),
        };
        let now = SystemTime::now();
        let mut removed = 0;
        for ent in rd.flatten() {
            let Ok(meta) = ent.metadata() else { continue };
            let age = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            if meta.is_file() && age >= older_than && fs::remove_file(ent.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Lists every message in new/ and cur/.
    pub fn scan(&self) -> Result<Vec<Entry>> {
        let mut out = self.scan_sub(Sub::New)?;
        out.extend(self.scan_sub(Sub::Cur)?);
        Ok(out)
    }

    /// Lists the messages in one of new/ or cur/ (a missing directory is empty).
    pub fn scan_sub(&self, sub: Sub) -> Result<Vec<Entry>> {
        let dir = self.root.join(sub.dir());
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io("list", &dir)(e)),
        };
        let mut out = Vec::new();
        for ent in rd {
            let ent = ent.map_err(StoreError::io("list", &dir))?;
            let name = ent.file_name();
            // Maildir names are ASCII; a name that is not UTF-8 was not made by a Maildir writer.
            let Some(name) = name.to_str() else { continue };
            if !name::is_message_name(name) {
                continue;
            }
            let is_file = ent.file_type().map(|t| t.is_file()).unwrap_or(false);
            if !is_file {
                continue;
            }
            let (uniq, flags) = split_name(name);
            out.push(Entry {
                file: format!("{}/{name}", sub.dir()),
                uniq: uniq.to_owned(),
                flags,
                size: 0,
            });
        }
        Ok(out)
    }

    /// The modification time (nanoseconds) of new/ and cur/: when both are unchanged since the
    /// last scan, no file was added, renamed or removed there.
    pub fn mtimes(&self) -> (i64, i64) {
        let m = |sub: &str| {
            fs::metadata(self.root.join(sub))
                .map(|m| m.mtime() * 1_000_000_000 + m.mtime_nsec())
                .unwrap_or(0)
        };
        (m("new"), m("cur"))
    }
}

/// Deliveries to one Maildir whose syncs are grouped; see the module docs.
///
/// Dropping a batch without committing removes its tmp/ files (a crash instead leaves them for
/// [`Maildir::clean_tmp`]; they are never visible as messages).
#[derive(Debug)]
pub struct Batch<'a> {
    md: &'a Maildir,
    pending: Vec<(PathBuf, Entry)>,
    sync_each: bool,
}

impl Batch<'_> {
    /// Writes one message to tmp/ and returns the entry it will have once committed.
    pub fn add(&mut self, bytes: &[u8], sub: Sub, flags: &Flags, tags: &Tags<'_>) -> Result<Entry> {
        let uniq = unique_name(bytes.len(), tags);
        let tmp = self.md.root.join("tmp").join(&uniq);
        write_file(&tmp, bytes, self.sync_each)?;
        let file = match sub {
            Sub::New => format!("new/{uniq}"),
            Sub::Cur => format!("cur/{}", file_name(&uniq, Some(flags))),
        };
        let entry = Entry {
            file,
            uniq,
            flags: if sub == Sub::New {
                Flags::empty()
            } else {
                flags.clone()
            },
            size: bytes.len() as u64,
        };
        self.pending.push((tmp, entry.clone()));
        Ok(entry)
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Makes every added message durable and visible: one sync of the written data, the renames,
    /// one fsync per touched directory. When this returns `Ok`, all messages survive a crash.
    pub fn commit(mut self) -> Result<Vec<Entry>> {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        if !self.sync_each
            && let Err(e) = sync_filesystem(
                &self.md.root.join("tmp"),
                pending.iter().map(|(p, _)| p.as_path()),
            )
        {
            // Not durable, so never visible: the whole batch leaves tmp/ now.
            for (t, _) in &pending {
                let _ = fs::remove_file(t);
            }
            return Err(e);
        }
        let (mut new_used, mut cur_used) = (false, false);
        let mut out = Vec::with_capacity(pending.len());
        for (i, (tmp, entry)) in pending.iter().enumerate() {
            let to = self.md.path_of(&entry.file);
            if let Err(e) = fs::rename(tmp, &to) {
                // Leave nothing half-done behind: the rest of the batch stays in tmp/ (invisible)
                // and is removed here.
                for (t, _) in &pending[i..] {
                    let _ = fs::remove_file(t);
                }
                return Err(StoreError::io("rename", tmp)(e));
            }
            if entry.file.starts_with("new/") {
                new_used = true;
            } else {
                cur_used = true;
            }
            out.push(entry.clone());
        }
        if new_used {
            sync_dir(&self.md.root.join("new"))?;
        }
        if cur_used {
            sync_dir(&self.md.root.join("cur"))?;
        }
        Ok(out)
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        for (tmp, _) in &self.pending {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Creates `path` (0600, must not exist) with `bytes`, optionally fsyncing it. On any failure
/// after creating it, removes it again: nothing half-written stays in `tmp/`.
fn write_file(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(StoreError::io("create", path))?;
    let written = f
        .write_all(bytes)
        .map_err(StoreError::io("write", path))
        .and_then(|()| {
            if sync {
                f.sync_all().map_err(StoreError::io("sync", path))
            } else {
                Ok(())
            }
        });
    if written.is_err() {
        drop(f);
        let _ = fs::remove_file(path);
    }
    written
}

/// fsyncs a directory so that renames and unlinks in it are durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let f = File::open(dir).map_err(StoreError::io("open", dir))?;
    f.sync_all().map_err(StoreError::io("sync", dir))
}

/// Makes the data of `files` durable with one `syncfs(2)` on the filesystem holding `dir` (one
/// journal commit instead of one per file). Falls back to fsyncing each file where syncfs
/// fails.
fn sync_filesystem<'p>(dir: &Path, files: impl Iterator<Item = &'p Path>) -> Result<()> {
    let f = File::open(dir).map_err(StoreError::io("open", dir))?;
    // SAFETY: syncfs only reads the descriptor, which `f` keeps open for the call.
    let rc = unsafe { libc::syncfs(std::os::fd::AsRawFd::as_raw_fd(&f)) };
    if rc == 0 {
        return Ok(());
    }
    for path in files {
        let file = File::open(path).map_err(StoreError::io("open", path))?;
        file.sync_all().map_err(StoreError::io("sync", path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
