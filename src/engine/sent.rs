//! The Sent copy of a message the submission server accepted (issue #5).
//!
//! IMAP accounts APPEND it (flagged `\Seen`) to the server's folder with the `\Sent` role
//! (SPECIAL-USE, else a well-known name; `Sent` is created when there is none) and let sync
//! bring it down; POP3 and Maildir accounts keep it in the store's local Sent folder.
//!
//! What must hold: callers save a copy only after a real acceptance (never for a failure), and
//! a failed copy is a warning for the user, never a reason to send again. This module never
//! submits anything.

use super::connect::tls_for;
use super::login::{login_secret, with_token_retry};
use super::{AccountError, EngineError};
use crate::config::{Account, Incoming, Server};
use crate::credentials::LoginSecret;
use crate::proto::imap::{FolderRole, ImapSession, Login, SessionOptions};
use crate::store::Store;

/// Where the Sent copy went, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentCopy {
    /// APPENDed to this server folder.
    Server { folder: String },
    /// Saved in the local store's Sent folder.
    Local,
}

/// Whether the account keeps its Sent copies on a server (IMAP) rather than in the store.
pub fn on_server(account: &Account) -> bool {
    matches!(account.incoming, Incoming::Imap(_))
}

/// Records `account` in `store` (what [`Store::register_accounts`] does for every account of
/// the config), for a command that needs only this one: `postie send` queueing a message or
/// saving its Sent copy.
///
/// An account the store already knows is left as it is: registering writes (one synced
/// transaction per folder of a Maildir account), and a one-message `postie send` should not
/// pay for that every time; `postie sync` and the offline commands keep the record current.
pub fn register(store: &mut Store, account: &Account) -> Result<(), crate::store::StoreError> {
    if store
        .accounts()?
        .iter()
        .any(|(name, _)| *name == account.name)
    {
        return Ok(());
    }
    match &account.incoming {
        Incoming::Imap(_) => store
            .ensure_account(&account.name, crate::store::AccountKind::Imap)
            .map(|_| ()),
        Incoming::Pop3(_) => store
            .ensure_account(&account.name, crate::store::AccountKind::Pop3)
            .map(|_| ()),
        Incoming::Maildir(m) => store.attach_maildir_account(&account.name, &m.path),
    }
}

/// Saves `bytes` (the Sent form: Bcc kept) as the account's Sent copy. IMAP accounts APPEND to
/// the server; the others need `store` (opened with the account registered).
pub async fn save_copy(
    store: Option<&mut Store>,
    account: &Account,
    bytes: &[u8],
) -> Result<SentCopy, AccountError> {
    match &account.incoming {
        Incoming::Imap(imap) => {
            let folder = with_token_retry(&account.name, &imap.server, |fresh| async move {
                let secret = login_secret(&account.name, &imap.server, fresh).await?;
                append_to_sent(&imap.server, secret, bytes).await
            })
            .await
            .map_err(|e| AccountError::new(&account.name, Some(&imap.server), e))?;
            Ok(SentCopy::Server { folder })
        }
        Incoming::Pop3(_) | Incoming::Maildir(_) => {
            let store = store.ok_or_else(|| {
                AccountError::new(
                    &account.name,
                    None,
                    EngineError::NotConfigured {
                        what: "local store for the Sent copy",
                    },
                )
            })?;
            store
                .save_sent(&account.name, bytes)
                .map_err(|e| AccountError::new(&account.name, None, e))?;
            Ok(SentCopy::Local)
        }
    }
}

/// One IMAP session: find (or create) the Sent folder, APPEND with `\Seen`, log out.
/// Returns the folder's wire name.
pub async fn append_to_sent(
    server: &Server,
    secret: LoginSecret,
    bytes: &[u8],
) -> Result<String, EngineError> {
    let tls = tls_for(server)?;
    let login = Login {
        user: &server.user,
        password: secret.secret(),
        bearer: secret.is_bearer(),
    };
    let mut session = ImapSession::connect(server, &tls, &login, SessionOptions::default()).await?;
    let folders = session.list_folders().await?;
    let sent = folders
        .iter()
        .find(|f| f.selectable && f.role == Some(FolderRole::Sent))
        .map(|f| f.name.clone());
    let folder = match sent {
        Some(name) => name,
        None => {
            // Where the server allows it: `INBOX.Sent` on Courier (see engine::imap::create).
            let delimiter = folders.iter().find_map(|f| f.delimiter);
            let wire = match crate::engine::imap::create::personal_prefix(&folders) {
                Some(prefix) => format!("{prefix}Sent"),
                None => "Sent".to_owned(),
            };
            crate::engine::imap::create::create_where_allowed(&mut session, &wire, delimiter)
                .await?
        }
    };
    session
        .append(&folder, &["\\Seen".to_owned()], None, &crlf(bytes))
        .await?;
    session.logout().await;
    Ok(folder)
}

/// IMAP wants CRLF line ends; a raw message from a script often has bare LFs.
pub(crate) fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut prev = 0u8;
    for &b in bytes {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::crlf;

    #[test]
    fn bare_lf_becomes_crlf_and_crlf_stays() {
        assert_eq!(crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(crlf(b""), b"");
    }
}
