//! Passwords: from `password_command` or the system keyring; always as secrecy types.
//!
//! PLACEHOLDER (config helper): only the signature `postie login` calls. The coordinator's
//! real module replaces this file.

use secrecy::SecretString;

use crate::error::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("cannot store the password for account {account:?}: the keyring is not built yet")]
    NotBuilt { account: String },
}

impl CredentialError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CredentialError::NotBuilt { .. } => ErrorKind::Internal,
        }
    }
}

/// Stores `secret` in the system keyring for the login `user` of account `account`.
pub fn store_password(
    account: &str,
    user: &str,
    secret: SecretString,
) -> Result<(), CredentialError> {
    let _ = (user, secret);
    Err(CredentialError::NotBuilt {
        account: account.to_string(),
    })
}
