//! The APPENDs of the live connection (`live.rs`): the Sent copy of a message sent from the
//! TUI, APPENDed `\Seen` to the folder with the `\Sent` role (`Sent` created when there is
//! none), and drafts.
//!
//! Drafts on the server (issue #13): a draft saved in the TUI is APPENDed to the account's
//! Drafts folder (SPECIAL-USE `\Drafts`, else a well-known name; `Drafts` is created when there
//! is none) with `\Draft \Seen`, and the earlier versions of the same draft — the messages of
//! that folder with the same Message-ID — are expunged, so the server holds one version.
//! Sending a draft removes it the same way (no new version).
//!
//! What must hold: the new version is stored before the old ones go (a cut in between leaves
//! two versions, never none); only messages of the Drafts folder with exactly this Message-ID
//! are touched; the new version (known by its APPENDUID) is kept.

use super::mapping::ServerFolders;
use crate::proto::imap::{FlagOp, Folder, FolderRole, ImapError, TcpImapSession};

/// Finds (or creates) the Drafts folder, APPENDs `bytes` when given, and expunges the other
/// messages there with `message_id` (angle brackets or not). Returns the folder's wire name.
pub(super) async fn replace_draft_on(
    session: &mut TcpImapSession,
    folders: &mut ServerFolders,
    bytes: Option<&[u8]>,
    message_id: &str,
) -> Result<String, ImapError> {
    let found = folders
        .with_role(FolderRole::Drafts)
        .map(|f| f.name.clone());
    let folder = match found {
        Some(name) => name,
        None if bytes.is_none() => return Ok(String::new()),
        None => make_special(session, folders, "Drafts", FolderRole::Drafts).await?,
    };
    let mut keep = None;
    if let Some(bytes) = bytes {
        let flags = ["\\Draft".to_owned(), "\\Seen".to_owned()];
        keep = session
            .append(&folder, &flags, None, &crate::engine::sent::crlf(bytes))
            .await?;
    }
    // SELECT again even when selected: a fresh view that includes the APPEND.
    let validity = session.select(&folder).await?.uid_validity;
    let bare = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let old: Vec<u32> = session
        .uids_by_message_id(bare)
        .await?
        .into_iter()
        .filter(|uid| keep.is_none_or(|k| k.uid_validity != validity || k.uid != *uid))
        .collect();
    // Without APPENDUID the new version cannot be told from the old ones: keep them all.
    if !old.is_empty() && (bytes.is_none() || keep.is_some()) {
        session
            .store_flags(&old, FlagOp::Add, &["\\Deleted".to_owned()])
            .await?;
        session.expunge_uids(&old).await?;
    }
    Ok(folder)
}

/// APPEND to the Sent folder (by role), creating `Sent` when the server has none.
pub(super) async fn append_sent_on(
    session: &mut TcpImapSession,
    folders: &mut ServerFolders,
    bytes: &[u8],
) -> Result<String, ImapError> {
    let sent = folders.with_role(FolderRole::Sent).map(|f| f.name.clone());
    let folder = match sent {
        Some(name) => name,
        None => make_special(session, folders, "Sent", FolderRole::Sent).await?,
    };
    let flags = ["\\Seen".to_owned()];
    session
        .append(&folder, &flags, None, &crate::engine::sent::crlf(bytes))
        .await?;
    Ok(folder)
}

/// Creates the server folder for a special folder the server lacks (`Sent`, `Drafts`), where
/// the server allows it (`INBOX.Sent` on Courier), and records it for this session.
async fn make_special(
    session: &mut TcpImapSession,
    folders: &mut ServerFolders,
    local: &str,
    role: FolderRole,
) -> Result<String, ImapError> {
    let wire = folders
        .new_server_name(local)
        .unwrap_or_else(|| local.to_owned());
    let wire = super::create::create_where_allowed(session, &wire, folders.delimiter).await?;
    folders.insert(
        local,
        Folder {
            name: wire.clone(),
            display_name: wire.clone(),
            delimiter: folders.delimiter,
            attributes: Vec::new(),
            role: Some(role),
            selectable: true,
        },
    );
    Ok(wire)
}
