//! The network half of the store commands on IMAP accounts: `read` fetches a body that was
//! never downloaded; `flag`, `move` and `delete` push the queued change to the server at once.
//!
//! Both are best effort around the offline commands: the store side is what the user relies
//! on, the server side catches up here or at the next `postie sync`. In an offline run
//! (`--offline`) neither connects: `read` says the body is not available offline, the changes
//! stay queued.

use std::time::Duration;

use super::offline::open_store;
use super::{CliError, block_on, error_line};
use crate::config::{Config, Incoming};
use crate::engine::AccountError;
use crate::engine::imap::{ConnectOptions, fetch_body, replay_now};
use crate::error::ErrorKind;
use crate::net::offline::connections_allowed;
use crate::store::MessageId;

/// How long `flag`/`move`/`delete`/`read` wait for a server before giving up on it.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `read` of an envelope-only message on an IMAP account: fetch its body into the store first.
///
/// Unreachable server: [`CliError::BodyNotFetched`] (exit 75, EX_TEMPFAIL — the same command
/// succeeds once the server is reachable; it is also what the store's own "only the envelope
/// is stored" error exits with). Other failures (password refused, certificate) keep their
/// own exit codes. Offline: [`CliError::BodyNotAvailableOffline`] (exit 69), nothing tried.
pub fn fetch_body_if_needed(config: &Config, id: MessageId) -> Result<(), CliError> {
    let mut store = open_store(config)?;
    let Ok(m) = store.get(id) else {
        // Unknown ids are reported by the offline command.
        return Ok(());
    };
    if m.has_body {
        return Ok(());
    }
    let Some(account) = config.accounts.iter().find(|a| a.name == m.account) else {
        return Ok(());
    };
    let Incoming::Imap(imap) = &account.incoming else {
        return Ok(());
    };
    if !connections_allowed() {
        return Err(CliError::BodyNotAvailableOffline { id });
    }
    let options = ConnectOptions {
        connect_timeout: Some(CONNECT_TIMEOUT),
        ..ConnectOptions::default()
    };
    match block_on(fetch_body(&mut store, account, imap, id, &options))? {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.kind(), ErrorKind::Network | ErrorKind::Temporary) => {
            Err(CliError::BodyNotFetched {
                id,
                source: Box::new(e),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// The accounts of `ids` (IMAP ones only), looked up before an action that may remove rows.
pub fn imap_accounts_of(config: &Config, ids: &[MessageId]) -> Vec<String> {
    let Ok(store) = open_store(config) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if let Ok(m) = store.get(*id)
            && !out.contains(&m.account)
            && config
                .accounts
                .iter()
                .any(|a| a.name == m.account && matches!(a.incoming, Incoming::Imap(_)))
        {
            out.push(m.account);
        }
    }
    out
}

/// Pushes the queued actions of `accounts` to their servers now. A server that cannot be
/// reached leaves them queued: said on stderr, not an error (the change is made locally and
/// the next sync sends it). Offline, nothing is tried: one line says the change is queued.
pub fn apply_now(config: &Config, accounts: &[String]) -> Result<(), CliError> {
    if accounts.is_empty() {
        return Ok(());
    }
    if !connections_allowed() {
        eprintln!(
            "postie: offline: the change is made in the local store and queued; the next \
             `postie sync` without --offline sends it to {}",
            accounts.join(", ")
        );
        return Ok(());
    }
    let mut store = open_store(config)?;
    for name in accounts {
        let Some(account) = config.accounts.iter().find(|a| &a.name == name) else {
            continue;
        };
        let Incoming::Imap(imap) = &account.incoming else {
            continue;
        };
        let result: Result<_, AccountError> =
            block_on(replay_now(&mut store, account, imap, CONNECT_TIMEOUT))?;
        match result {
            Ok(summary) => {
                for w in &summary.warnings {
                    eprintln!("postie: warning: account {name}: {w}");
                }
            }
            Err(e) => eprintln!(
                "postie: {}; the change is made locally and queued for the next sync",
                error_line(&e)
            ),
        }
    }
    Ok(())
}
