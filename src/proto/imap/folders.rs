//! Folders: LIST with roles, STATUS, CREATE/RENAME/DELETE.
//!
//! Only `LIST "" "*"` and `LIST "" "*" RETURN (STATUS (...))` are sent: LIST-EXTENDED
//! selection options make Dovecot answer with CHILDINFO extended data, which imap-proto cannot
//! parse (and an unparsable reply ends the connection).

use async_imap::imap_proto::{MailboxDatum, Response, StatusAttribute};

use super::codec;
use super::error::ImapError;
use super::session::{ImapSession, ImapStream};
use super::types::{Folder, FolderStatus};

impl<S: ImapStream> ImapSession<S> {
    /// Every folder, with delimiter, attributes and role (SPECIAL-USE first, then names).
    pub async fn list_folders(&mut self) -> Result<Vec<Folder>, ImapError> {
        let mut folders = Vec::new();
        let tag = self.send("LIST \"\" \"*\"").await?;
        self.finish(&tag, "LIST", |r| match r {
            Response::MailboxData(MailboxDatum::List(data)) => {
                folders.push(codec::folder_from_list(data));
                true
            }
            _ => false,
        })
        .await?;
        codec::assign_roles(&mut folders);
        Ok(folders)
    }

    /// Every folder with its STATUS in one round trip when the server has LIST-STATUS; else
    /// LIST then one STATUS per selectable folder (pipelined would need care with errors;
    /// folders are few).
    pub async fn list_folders_with_status(
        &mut self,
    ) -> Result<Vec<(Folder, Option<FolderStatus>)>, ImapError> {
        if !self.caps.list_status {
            let folders = self.list_folders().await?;
            let mut out = Vec::with_capacity(folders.len());
            for f in folders {
                let status = if f.selectable {
                    Some(self.status(&f.name).await?)
                } else {
                    None
                };
                out.push((f, status));
            }
            return Ok(out);
        }
        let items = self.status_items();
        let mut folders = Vec::new();
        let mut statuses: Vec<(String, FolderStatus)> = Vec::new();
        let tag = self
            .send(&format!("LIST \"\" \"*\" RETURN (STATUS ({items}))"))
            .await?;
        self.finish(&tag, "LIST", |r| match r {
            Response::MailboxData(MailboxDatum::List(data)) => {
                folders.push(codec::folder_from_list(data));
                true
            }
            Response::MailboxData(MailboxDatum::Status { mailbox, status }) => {
                statuses.push((mailbox.to_string(), status_from(status)));
                true
            }
            _ => false,
        })
        .await?;
        codec::assign_roles(&mut folders);
        Ok(folders
            .into_iter()
            .map(|f| {
                let status = statuses
                    .iter()
                    .find(|(n, _)| {
                        *n == f.name || (f.name == "INBOX" && n.eq_ignore_ascii_case("INBOX"))
                    })
                    .map(|(_, s)| s.clone());
                (f, status)
            })
            .collect())
    }

    fn status_items(&self) -> &'static str {
        if self.caps.condstore {
            "MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ"
        } else {
            "MESSAGES UNSEEN UIDNEXT UIDVALIDITY"
        }
    }

    /// STATUS of one folder (`name` as LIST spelled it). Do not ask it of the selected folder
    /// for fresh numbers (RFC 3501 advises against it); use SELECT's.
    pub async fn status(&mut self, name: &str) -> Result<FolderStatus, ImapError> {
        let command = format!("STATUS {} ({})", codec::quote(name)?, self.status_items());
        let mut result = None;
        let tag = self.send(&command).await?;
        self.finish(&tag, &command, |r| match r {
            Response::MailboxData(MailboxDatum::Status { status, .. }) => {
                result = Some(status_from(status));
                true
            }
            _ => false,
        })
        .await?;
        result.ok_or_else(|| ImapError::Unexpected {
            server: self.server.clone(),
            reason: format!("STATUS {name} returned no data"),
        })
    }

    /// Creates a folder. `name` is the wire name: encode a typed one with
    /// [`codec::encode_mailbox_name`] (re-exported as `encode_mailbox_name`).
    pub async fn create_folder(&mut self, name: &str) -> Result<(), ImapError> {
        self.simple(&format!("CREATE {}", codec::quote(name)?))
            .await
            .map(|_| ())
    }

    pub async fn rename_folder(&mut self, from: &str, to: &str) -> Result<(), ImapError> {
        if self.selected.as_ref().is_some_and(|s| s.name == from) {
            self.selected = None;
        }
        self.simple(&format!(
            "RENAME {} {}",
            codec::quote(from)?,
            codec::quote(to)?
        ))
        .await
        .map(|_| ())
    }

    /// SUBSCRIBE (`on`) or UNSUBSCRIBE a folder (`name` as LIST spelled it).
    pub async fn subscribe_folder(&mut self, name: &str, on: bool) -> Result<(), ImapError> {
        let verb = if on { "SUBSCRIBE" } else { "UNSUBSCRIBE" };
        self.simple(&format!("{verb} {}", codec::quote(name)?))
            .await
            .map(|_| ())
    }

    pub async fn delete_folder(&mut self, name: &str) -> Result<(), ImapError> {
        if self.selected.as_ref().is_some_and(|s| s.name == name) {
            // Deleting the selected mailbox is allowed but leaves the session in a murky state.
            self.simple("UNSELECT").await.ok();
            self.selected = None;
        }
        self.simple(&format!("DELETE {}", codec::quote(name)?))
            .await
            .map(|_| ())
    }
}

fn status_from(attrs: &[StatusAttribute]) -> FolderStatus {
    let mut s = FolderStatus::default();
    for a in attrs {
        match a {
            StatusAttribute::Messages(n) => s.messages = *n,
            StatusAttribute::Unseen(n) => s.unseen = *n,
            StatusAttribute::UidNext(n) => s.uid_next = *n,
            StatusAttribute::UidValidity(n) => s.uid_validity = *n,
            StatusAttribute::HighestModSeq(n) => s.highest_modseq = Some(*n),
            _ => {}
        }
    }
    s
}
