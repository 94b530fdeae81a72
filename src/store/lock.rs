//! Advisory locks between postie processes sharing one data dir (issue #12, item 3).
//!
//! Two `postie sync` runs of one POP3 account (or the TUI and a cron sync) both downloaded every
//! message: each saw the other's messages as not yet recorded. And a second process opening a
//! fresh data dir took the first one's half-done migration for a damaged index. Both are
//! serialized here with `flock(2)` locks (std's `File::lock`/`try_lock`, which are flock on
//! Unix) on files under `<data_dir>/.locks/` (0700; each lock file 0600):
//!
//! - `index.lock`: held while [`crate::store::Store::open`] judges, migrates or rebuilds the
//!   index, so no opener ever sees another opener's work half done.
//! - `account-<name>.lock`: [`AccountLock`], held by whoever talks to an account's server on
//!   the store's behalf (which operations take it is decided by the engine; see
//!   `engine::sync`). It holds the holder's pid, for the message the second process shows.
//!
//! What must hold:
//! - A lock is released when its guard drops, and by the kernel when the process dies (even by
//!   SIGKILL): a crash never leaves an account locked.
//! - flock locks belong to an open file description, so one process taking the same lock twice
//!   (two guards) conflicts with itself like two processes would: callers take an account's lock
//!   once, at the top of an operation, and never again underneath it.
//! - Lock files are never removed (removing a locked file lets a third process lock a new file
//!   of the same name while the first still holds the old one), and they never live in a
//!   folder's Maildir (account names cannot start with `.`, so `.locks` is no account's root).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::{Result, StoreError};

/// The directory of lock files inside the data dir.
pub const LOCK_DIR: &str = ".locks";

/// How often a waiting [`AccountLock::acquire`] tries again.
pub const RETRY_EVERY: Duration = Duration::from_millis(100);

/// The lock file of an account.
pub fn account_lock_path(data_dir: &Path, account: &str) -> PathBuf {
    data_dir
        .join(LOCK_DIR)
        .join(format!("account-{account}.lock"))
}

/// The lock file that serializes opening (and migrating, and rebuilding) the index.
pub fn index_lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join(LOCK_DIR).join("index.lock")
}

/// Who holds a lock someone else wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    /// The holder's process id, when it had written it yet (it writes it right after locking).
    pub pid: Option<u32>,
}

/// An exclusive lock on one account of one data dir; released when dropped (or when the process
/// ends). See the module docs.
#[derive(Debug)]
pub struct AccountLock {
    account: String,
    _file: File,
}

impl AccountLock {
    /// Takes the account's lock if it is free: `Ok(Err(holder))` when another holder has it.
    pub fn try_acquire(
        data_dir: &Path,
        account: &str,
    ) -> Result<std::result::Result<AccountLock, Holder>> {
        let path = account_lock_path(data_dir, account);
        let mut file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => {
                record_pid(&mut file, &path)?;
                Ok(Ok(AccountLock {
                    account: account.to_owned(),
                    _file: file,
                }))
            }
            Err(TryLockError::WouldBlock) => Ok(Err(Holder {
                pid: read_pid(&mut file),
            })),
            Err(TryLockError::Error(e)) => Err(StoreError::io("lock", &path)(e)),
        }
    }

    /// Takes the account's lock, waiting up to `wait` for another holder to let go (blocking the
    /// thread; async callers poll [`AccountLock::try_acquire`] between sleeps instead).
    pub fn acquire(
        data_dir: &Path,
        account: &str,
        wait: Duration,
    ) -> Result<std::result::Result<AccountLock, Holder>> {
        let deadline = Instant::now() + wait;
        loop {
            match AccountLock::try_acquire(data_dir, account)? {
                Err(_) if Instant::now() < deadline => std::thread::sleep(RETRY_EVERY),
                done => return Ok(done),
            }
        }
    }

    pub fn account(&self) -> &str {
        &self.account
    }
}

/// The lock held while the index is opened; see the module docs. Waits as long as it takes:
/// its holder only judges, migrates or rebuilds the index, which always ends.
#[derive(Debug)]
pub(crate) struct IndexLock {
    _file: File,
}

impl IndexLock {
    pub(crate) fn acquire(data_dir: &Path) -> Result<IndexLock> {
        let path = index_lock_path(data_dir);
        let file = open_lock_file(&path)?;
        file.lock().map_err(StoreError::io("lock", &path))?;
        Ok(IndexLock { _file: file })
    }
}

/// Opens (creating 0600, its directory 0700) a lock file without truncating it: the holder may
/// have written its pid there.
fn open_lock_file(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(StoreError::io("create directory", dir))?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(StoreError::io("open", path))
}

/// Replaces the file's content with this process's id (only ever called by the lock's holder).
fn record_pid(file: &mut File, path: &Path) -> Result<()> {
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(format!("{}\n", std::process::id()).as_bytes()))
        .map_err(StoreError::io("write", path))
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_and_told_the_first_ones_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = AccountLock::try_acquire(dir.path(), "work")
            .unwrap()
            .expect("free at first");
        assert_eq!(first.account(), "work");
        let refused = AccountLock::try_acquire(dir.path(), "work").unwrap();
        assert_eq!(
            refused.unwrap_err(),
            Holder {
                pid: Some(std::process::id())
            }
        );
        // Another account is independent.
        assert!(
            AccountLock::try_acquire(dir.path(), "home")
                .unwrap()
                .is_ok()
        );
        drop(first);
        assert!(
            AccountLock::try_acquire(dir.path(), "work")
                .unwrap()
                .is_ok()
        );
    }

    #[test]
    fn acquire_waits_for_the_holder_to_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = AccountLock::try_acquire(dir.path(), "work")
            .unwrap()
            .unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        let second = AccountLock::acquire(dir.path(), "work", Duration::from_secs(30)).unwrap();
        assert!(second.is_ok(), "waited for the first holder");
        releaser.join().unwrap();
        // A short wait on a held lock gives up and names the holder.
        let refused = AccountLock::acquire(dir.path(), "work", Duration::from_millis(200)).unwrap();
        assert!(refused.is_err());
    }

    #[test]
    fn lock_files_are_private_and_outside_every_maildir() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let _lock = AccountLock::try_acquire(dir.path(), "work")
            .unwrap()
            .unwrap();
        let path = account_lock_path(dir.path(), "work");
        assert!(path.starts_with(dir.path().join(LOCK_DIR)));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join(LOCK_DIR)), 0o700);
        assert!(!dir.path().join("work").exists());
    }
}
