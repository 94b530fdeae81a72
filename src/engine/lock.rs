//! One sync per account at a time, across processes (issue #12, item 3): the engine's use of
//! [`crate::store::lock::AccountLock`].
//!
//! Two processes syncing one POP3 account in delete mode each stored every message (1000 rows
//! for 500 messages): neither saw the other's downloads as recorded. So whatever talks to an
//! account's server on the store's behalf holds the account's lock for the whole operation:
//!
//! - [`super::sync::sync_account`] (`postie sync`, and every TUI sync, which runs it): the POP3
//!   or IMAP download, the replay of the offline queue and the outbox flush inside it;
//! - [`super::imap::replay_now`] (`postie flag|move|delete` applying the queue at once): a
//!   replay racing a sync's replay would send each queued action twice.
//!
//! Not taken: a body download on demand ([`super::imap::fetch_body`]: it only fills in one
//! row's body, which a concurrent sync would fill with the same bytes), and a standalone outbox
//! flush (`postie outbox flush`, `postie send`), which keeps its own store-wide
//! `outbox.lock` (`engine::outbox`): exactly-once sending is guarded by that lock plus the
//! recorded acceptance, and a flush never downloads, so it need not wait for a long sync.
//!
//! The protocol modules' own `sync`/`sync_with` do not lock: they run under
//! [`super::sync::sync_account`]'s lock (tests call them directly on a private data dir).
//!
//! The lock is taken once at the top of an operation, never underneath it (flock locks conflict
//! within one process too; see [`crate::store::lock`]). The second taker waits
//! [`WAIT_FOR_OTHER_SYNC`], then fails with [`EngineError::AccountBusy`] (exit 75 from the CLI;
//! the TUI shows it and tries again later).

use std::path::Path;
use std::time::{Duration, Instant};

use super::{AccountError, EngineError};
use crate::store::lock::{AccountLock, RETRY_EVERY};

/// How long a sync waits for another process's sync of the same account before giving up.
pub const WAIT_FOR_OTHER_SYNC: Duration = Duration::from_secs(5);

/// Who holds a lock, for messages: `process 4242`, or `another postie process` when the
/// holder had not written its pid yet.
pub fn holder_name(pid: Option<u32>) -> String {
    pid.map(|p| format!("process {p}"))
        .unwrap_or_else(|| "another postie process".to_owned())
}

/// Takes `account`'s lock in the store's data dir, waiting up to `wait` (without blocking the
/// async thread) for another holder to let go.
pub async fn lock_account(
    data_dir: &Path,
    account: &str,
    wait: Duration,
) -> Result<AccountLock, AccountError> {
    let deadline = Instant::now() + wait;
    loop {
        let attempt = AccountLock::try_acquire(data_dir, account)
            .map_err(|e| AccountError::new(account, None, e))?;
        match attempt {
            Ok(lock) => return Ok(lock),
            Err(_) if Instant::now() < deadline => tokio::time::sleep(RETRY_EVERY).await,
            Err(holder) => {
                return Err(AccountError::new(
                    account,
                    None,
                    EngineError::AccountBusy { pid: holder.pid },
                ));
            }
        }
    }
}
