//! The one-off requests the live connection serves for the UI: a body to download, the Sent
//! copy to append, a draft to replace, a folder to create/rename/delete. Each runs on the live
//! session ([`Live::ensure_session`] / [`Live::check_session`] first); what must not be
//! repeated (an APPEND, a folder change) goes once.

use super::*;

impl Live {
    /// Downloads one body over the live session, reconnecting once if the session broke.
    pub(super) async fn fetch_body(&mut self, id: MessageId) -> Result<(), EngineError> {
        let m = self.store.get(id)?;
        if m.has_body {
            return Ok(());
        }
        let info = self
            .store
            .folder_states(&self.account.name)?
            .into_iter()
            .find(|(fid, _, _)| *fid == m.folder_id);
        let (Some(uid), Some((_, folder, state))) = (m.uid, info) else {
            return Err(EngineError::NotOnServer { id });
        };
        let name = state
            .server_name
            .clone()
            .unwrap_or_else(|| convert::server_name(&folder, state.delimiter.as_deref()));
        for attempt in 0..2 {
            self.ensure_session(true).await?;
            let Some(session) = self.session.as_mut() else {
                return Err(EngineError::ConnectionClosed);
            };
            let result = fetch_on(session, &name, state.uidvalidity, uid).await;
            session.take_unsolicited();
            let usable = session.is_usable();
            match result {
                Ok(Some(bytes)) => return Ok(self.store.attach_body(id, &bytes)?),
                Ok(None) => return Err(EngineError::NotOnServer { id }),
                Err(e) if !usable && attempt == 0 => {
                    tracing::debug!("live connection broke on a fetch, reconnecting: {e}");
                    self.drop_session();
                }
                Err(e) => {
                    if !usable {
                        self.drop_session();
                    }
                    return Err(e.into());
                }
            }
        }
        Err(EngineError::ConnectionClosed)
    }

    /// The Sent copy over the live session. The session is checked first (LIST the first time,
    /// else NOOP) and replaced if the server dropped it; the APPEND itself goes once.
    pub(super) async fn append_sent(&mut self, bytes: &[u8]) -> Result<String, EngineError> {
        self.check_session().await?;
        let (Some(session), Some(folders)) = (self.session.as_mut(), self.folders.as_mut()) else {
            return Err(EngineError::ConnectionClosed);
        };
        let result = super::super::append::append_sent_on(session, folders, bytes).await;
        session.take_unsolicited();
        if !session.is_usable() {
            self.drop_session();
        }
        Ok(result?)
    }

    /// A draft's new version (or its removal) over the live session, checked first like
    /// [`Live::append_sent`]; the APPEND goes once.
    pub(super) async fn replace_draft(
        &mut self,
        bytes: Option<&[u8]>,
        message_id: &str,
    ) -> Result<String, EngineError> {
        self.check_session().await?;
        let (Some(session), Some(folders)) = (self.session.as_mut(), self.folders.as_mut()) else {
            return Err(EngineError::ConnectionClosed);
        };
        let result =
            super::super::append::replace_draft_on(session, folders, bytes, message_id).await;
        session.take_unsolicited();
        if !session.is_usable() {
            self.drop_session();
        }
        Ok(result?)
    }

    /// A folder operation over the live session, under the account's lock (no sync in another
    /// process maps folders meanwhile). LIST is retried once on a broken session; the operation
    /// itself goes once. Cannot connect: [`EngineError::NeedsConnection`].
    pub(super) async fn manage_folder(&mut self, op: &FolderOp) -> Result<(), EngineError> {
        let _managing =
            crate::engine::lock::lock_account(self.store.data_dir(), &self.account.name, LOCK_WAIT)
                .await
                .map_err(|e| e.source)?;
        for attempt in 0..2 {
            if let Err(e) = self.ensure_session(true).await {
                tracing::debug!("no connection for a folder change: {e}");
                return Err(match e.kind() {
                    crate::error::ErrorKind::Network | crate::error::ErrorKind::Temporary => {
                        EngineError::NeedsConnection { what: op.doing() }
                    }
                    _ => e,
                });
            }
            let Some(session) = self.session.as_mut() else {
                return Err(EngineError::ConnectionClosed);
            };
            let listed = match session.list_folders().await {
                Ok(listed) => listed,
                Err(e) if !session.is_usable() && attempt == 0 => {
                    tracing::debug!("live connection broke on LIST, reconnecting: {e}");
                    self.drop_session();
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            session.take_unsolicited();
            let result = manage::apply(session, &mut self.store, &self.account, &listed, op).await;
            // The folders changed: the next replay lists them afresh.
            self.folders = None;
            if !session.is_usable() {
                self.drop_session();
            }
            return result;
        }
        Err(EngineError::ConnectionClosed)
    }
}

/// `UID FETCH` of one body, selecting its folder first unless it is selected already. None
/// when the message is gone or the folder was renumbered (UIDVALIDITY changed).
async fn fetch_on(
    session: &mut TcpImapSession,
    folder: &str,
    uidvalidity: Option<u32>,
    uid: u32,
) -> Result<Option<Vec<u8>>, ImapError> {
    let validity = match session.selected() {
        Some(sel) if sel.name == folder => sel.uid_validity,
        _ => session.select(folder).await?.uid_validity,
    };
    if uidvalidity.is_some_and(|v| v != validity) {
        return Ok(None);
    }
    session.fetch_body(uid).await
}
