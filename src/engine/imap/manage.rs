//! Folder management on an IMAP server (issue 13, item 5): CREATE, RENAME, DELETE and
//! SUBSCRIBE over a logged-in session, with the local store following.
//!
//! What must hold: the server is changed first and the store only after the server said OK,
//! so a refusal (its words in one line) leaves both sides as they were. The stored mapping
//! (`mapping.rs`) stays injective: a created folder is bound to the wire name it was created
//! under; a rename moves the binding of the folder and its subfolders to the new wire names
//! (the local folder keeps its id, so messages keep theirs and are not fetched again); a
//! deleted folder's binding goes with its row. A folder holding messages on the server is
//! deleted only when forced, whatever the local copy holds.

use super::mapping;
use crate::config::Account;
use crate::engine::EngineError;
use crate::engine::folders::FolderOp;
use crate::proto::imap::{Folder, ImapSession, ImapStream};
use crate::store::{FolderState, Store, StoreError};

/// Applies `op` on the server, then to the store. `listed` is a fresh LIST of the session.
pub(crate) async fn apply<S: ImapStream>(
    session: &mut ImapSession<S>,
    store: &mut Store,
    account: &Account,
    listed: &[Folder],
    op: &FolderOp,
) -> Result<(), EngineError> {
    let name = account.name.as_str();
    // Refuse what the store refuses before the server is touched.
    match op {
        FolderOp::Rename { from, to } => {
            store.check_rename_folder(name, from, to)?;
        }
        FolderOp::Delete {
            name: folder,
            force,
        } => {
            store.check_delete_folder(name, folder, *force)?;
        }
        FolderOp::Create { .. } | FolderOp::Subscribe { .. } => {}
    }
    let folders = mapping::map_listed(store, account, listed)?;
    let exists = |folder: &str| StoreError::FolderExists {
        account: name.to_owned(),
        folder: folder.to_owned(),
    };
    let missing = |folder: &str| StoreError::NoSuchFolder {
        account: name.to_owned(),
        folder: folder.to_owned(),
    };
    match op {
        FolderOp::Create { name: folder } => {
            if folders.contains_local(folder) {
                return Err(exists(folder).into());
            }
            // Checked locally first: an unusable name never reaches the server.
            store.check_folder_name(name, folder)?;
            let wire = folders
                .new_server_name(folder)
                .ok_or_else(|| exists(folder))?;
            let wire =
                super::create::create_where_allowed(session, &wire, folders.delimiter).await?;
            let id = match store.create_folder(name, folder) {
                Ok(id) => id,
                // A local-only folder (made by a move while offline) now has its server folder.
                Err(StoreError::FolderExists { .. }) => store.folder_id(name, folder)?,
                Err(e) => return Err(e.into()),
            };
            store.set_folder_state(
                id,
                &FolderState {
                    server_name: Some(wire),
                    delimiter: folders.delimiter.map(|d| d.to_string()),
                    ..FolderState::default()
                },
            )?;
        }
        FolderOp::Rename { from, to } => {
            if folders.contains_local(to) {
                return Err(exists(to).into());
            }
            match folders.get(from).filter(|f| f.selectable) {
                Some(f) => {
                    let old = f.name.clone();
                    let new = folders.new_server_name(to).ok_or_else(|| exists(to))?;
                    session.rename_folder(&old, &new).await?;
                    store.rename_folder(name, from, to, Some((&old, &new)))?;
                }
                // A local-only folder: nothing on the server to rename.
                None => store.rename_folder(name, from, to, None)?,
            }
        }
        FolderOp::Delete {
            name: folder,
            force,
        } => {
            if let Some(f) = folders.get(folder).filter(|f| f.selectable) {
                let wire = f.name.clone();
                if !force {
                    let messages = session.status(&wire).await?.messages;
                    if messages > 0 {
                        return Err(StoreError::FolderNotEmpty {
                            folder: folder.clone(),
                            messages: u64::from(messages),
                        }
                        .into());
                    }
                }
                session.delete_folder(&wire).await?;
            }
            store.delete_folder(name, folder, true)?;
        }
        FolderOp::Subscribe { name: folder, on } => {
            let wire = folders
                .get(folder)
                .map(|f| f.name.clone())
                .ok_or_else(|| missing(folder))?;
            session.subscribe_folder(&wire, *on).await?;
        }
    }
    session.take_unsolicited();
    Ok(())
}
