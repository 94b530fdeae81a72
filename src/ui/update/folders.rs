//! Folder management in the UI (issue 13, item 5): `:mkdir NAME`, `:rename NEW`, `:rmdir`, and
//! the offer to create a missing folder when moving (`m`).
//!
//! What must hold: nothing changes without a [`Command::ManageFolder`] the backend answers;
//! `:rmdir`, a rename typed into `:rename` and a folder created by a move ask y/n first (any key
//! but `y` cancels); INBOX is never offered for renaming or deleting. The answer
//! ([`Event::FolderManaged`]) reloads the folder pane, follows a renamed or deleted folder that
//! was open, and makes the move that waited for its folder.

use crossterm::event::{KeyCode, KeyEvent};

use super::super::model::{Focus, Model, Prompt, PromptKind};
use super::super::protocol::{Command, FolderChange};
use super::super::types::{BackendError, FolderRef, MessageId};
use super::open_folder;

/// The folder `:rename` and `:rmdir` act on: the folder pane's cursor when it has the focus,
/// else the folder open in the list.
fn target(model: &Model) -> Option<FolderRef> {
    if model.focus == Focus::Folders {
        model.folders.selected_folder()
    } else {
        model
            .current
            .clone()
            .or_else(|| model.folders.selected_folder())
    }
}

fn exists(model: &Model, folder: &FolderRef) -> bool {
    model
        .folders
        .accounts
        .iter()
        .any(|a| a.name == folder.account && a.folders.iter().any(|f| f.name == folder.folder))
}

fn ask(model: &mut Model, change: FolderChange) {
    model.prompt = Some(Prompt {
        kind: PromptKind::Confirm(change),
        input: Default::default(),
    });
}

/// `:mkdir NAME`: a folder in the current account, at once (nothing is lost by making one).
pub(super) fn mkdir(model: &mut Model, name: &str) -> Vec<Command> {
    let name = name.trim().trim_matches('/');
    let Some(account) = model.current_account() else {
        return Vec::new();
    };
    if name.is_empty() {
        model.set_error("usage: :mkdir NAME (`/` for subfolders)");
        return Vec::new();
    }
    let folder = FolderRef::new(account, name);
    if exists(model, &folder) {
        model.set_error(format!("Folder {name} exists already"));
        return Vec::new();
    }
    model.set_status(format!("Creating folder {name}…"));
    vec![Command::ManageFolder(FolderChange::Create {
        folder,
        then_move: Vec::new(),
    })]
}

/// `:rename NEW`: the target folder, after a y/n.
pub(super) fn rename(model: &mut Model, to: &str) -> Vec<Command> {
    let to = to.trim().trim_matches('/');
    let Some(folder) = target(model) else {
        model.set_error("No folder selected");
        return Vec::new();
    };
    if to.is_empty() {
        model.set_error("usage: :rename NEW (renames the selected folder)");
    } else if folder.folder.eq_ignore_ascii_case("INBOX") {
        model.set_error("INBOX cannot be renamed");
    } else if exists(model, &FolderRef::new(folder.account.clone(), to)) {
        model.set_error(format!("Folder {to} exists already"));
    } else {
        ask(
            model,
            FolderChange::Rename {
                folder,
                to: to.to_owned(),
            },
        );
    }
    Vec::new()
}

/// `:rmdir`: the target folder, after a y/n.
pub(super) fn rmdir(model: &mut Model) -> Vec<Command> {
    match target(model) {
        None => model.set_error("No folder selected"),
        Some(f) if f.folder.eq_ignore_ascii_case("INBOX") => {
            model.set_error("INBOX cannot be deleted")
        }
        Some(folder) => ask(model, FolderChange::Delete { folder }),
    }
    Vec::new()
}

/// A move to a folder the account does not have: offer to create it, then move.
pub(super) fn offer_create(model: &mut Model, folder: FolderRef, ids: Vec<MessageId>) {
    ask(
        model,
        FolderChange::Create {
            folder,
            then_move: ids,
        },
    );
}

/// A key while a y/n question is open: `y` goes ahead, anything else cancels.
pub(super) fn confirm_key(model: &mut Model, change: FolderChange, key: KeyEvent) -> Vec<Command> {
    model.prompt = None;
    if !matches!(key.code, KeyCode::Char('y' | 'Y')) {
        model.set_status("Cancelled");
        return Vec::new();
    }
    model.set_status(match &change {
        FolderChange::Create { folder, .. } => format!("Creating folder {}…", folder.folder),
        FolderChange::Rename { folder, .. } => format!("Renaming folder {}…", folder.folder),
        FolderChange::Delete { folder } => format!("Deleting folder {}…", folder.folder),
    });
    vec![Command::ManageFolder(change)]
}

/// The backend's answer to a [`Command::ManageFolder`].
pub(super) fn managed(
    model: &mut Model,
    change: FolderChange,
    result: Result<(), BackendError>,
) -> Vec<Command> {
    if let Err(e) = result {
        model.set_error(e.message);
        return Vec::new();
    }
    let account = change.folder().account.clone();
    let mut cmds = Vec::new();
    match change {
        FolderChange::Create { folder, then_move } => {
            if then_move.is_empty() {
                model.set_status(format!("Folder {} created", folder.folder));
            } else {
                model.set_status(format!("Moving to {}…", folder.folder));
                cmds.push(Command::Move {
                    ids: then_move,
                    to: folder,
                });
            }
        }
        FolderChange::Rename { folder, to } => {
            model.set_status(format!("Folder {} renamed to {to}", folder.folder));
            // The open folder, or one inside it, under its new name.
            let renamed = model.current.as_ref().and_then(|c| {
                let rest = c.folder.strip_prefix(&folder.folder)?;
                (c.account == folder.account && (rest.is_empty() || rest.starts_with('/')))
                    .then(|| format!("{to}{rest}"))
            });
            if let Some(name) = renamed {
                cmds.extend(open_folder(model, FolderRef::new(account.clone(), name)));
            }
        }
        FolderChange::Delete { folder } => {
            model.set_status(format!("Folder {} deleted", folder.folder));
            if model.current.as_ref() == Some(&folder) {
                model.message = None;
                cmds.extend(open_folder(model, FolderRef::new(account.clone(), "INBOX")));
            }
        }
    }
    cmds.push(Command::LoadFolders {
        account: Some(account),
    });
    cmds
}
