//! Where the grant lives between runs: the system keyring (service `postie`, like passwords).
//!
//! - `ACCOUNT/oauth2/LOGIN`: the refresh token (what `postie login` obtained; replaced at once
//!   when the provider rotates it).
//! - `ACCOUNT/oauth2-access/LOGIN`: the current access token and when to refresh it
//!   (`UNIX_SECONDS`, a newline, the token), so that separate CLI processes (`postie sync` from cron, then
//!   `postie send`) reuse it instead of refreshing each time. It is in the keyring, not a file,
//!   because it is as good as a password until it expires; a keyutils or Secret Service entry
//!   holds a few kilobytes, more than any provider's token.
//!
//! What must hold: the values never reach a log line or an error; a lost access-token entry
//! costs only a refresh, a lost refresh token costs a `postie login`, so only writing the
//! refresh token is an error that stops the caller.

use secrecy::{ExposeSecret, SecretString};

use super::OAuth2Error;
use crate::credentials;

fn refresh_key(user: &str) -> String {
    format!("oauth2/{user}")
}

fn access_key(user: &str) -> String {
    format!("oauth2-access/{user}")
}

/// The stored refresh token of `account`'s login `user`.
pub fn refresh_token(account: &str, user: &str) -> Result<Option<SecretString>, OAuth2Error> {
    Ok(credentials::keyring_secret(account, &refresh_key(user))?)
}

/// Stores (or replaces) the refresh token.
pub fn save_refresh_token(
    account: &str,
    user: &str,
    token: &SecretString,
) -> Result<(), OAuth2Error> {
    Ok(credentials::store_password(
        account,
        &refresh_key(user),
        token.clone(),
    )?)
}

/// A cached access token.
pub struct CachedAccess {
    pub token: SecretString,
    /// When to stop using it and refresh (Unix seconds): a little before it expires.
    pub refresh_at: u64,
}

/// The cached access token, if one is stored and readable.
pub fn access(account: &str, user: &str) -> Option<CachedAccess> {
    let entry = match credentials::keyring_secret(account, &access_key(user)) {
        Ok(entry) => entry?,
        Err(e) => {
            tracing::debug!(account, "no cached OAuth2 access token: {e}");
            return None;
        }
    };
    let (refresh_at, token) = entry.expose_secret().split_once('\n')?;
    Some(CachedAccess {
        refresh_at: refresh_at.parse().ok()?,
        token: SecretString::from(token.to_owned()),
    })
}

/// Caches an access token; a failure is only logged (the next run refreshes).
pub fn save_access(account: &str, user: &str, token: &SecretString, refresh_at: u64) {
    let entry = SecretString::from(format!("{refresh_at}\n{}", token.expose_secret()));
    if let Err(e) = credentials::store_password(account, &access_key(user), entry) {
        tracing::debug!(account, "cannot cache the OAuth2 access token: {e}");
    }
}

/// Drops the cached access token (its grant is gone).
pub fn forget_access(account: &str, user: &str) {
    if let Err(e) = credentials::delete_password(account, &access_key(user)) {
        tracing::debug!(account, "cannot drop the cached OAuth2 access token: {e}");
    }
}
