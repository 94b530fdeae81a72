//! Forward as attachment (`A`, `:forward-attachment`): a new draft carrying whole messages as
//! `message/rfc822` parts. The draft names the messages ([`ui::DraftAttachment::Message`]);
//! their bytes are read from the store when the draft is composed (sent or saved), so the
//! part is the original byte for byte.
//!
//! What must hold: a message whose body is not stored is downloaded first (over the live
//! connection, off the store thread), or the forward is refused saying why; never is an
//! envelope forwarded as if it were the message.

use crate::error::ErrorKind;
use crate::mail::compose::{ForwardMode, forward};
use crate::ui::{self, BackendError, Event};

use super::{Backend, Internal, Mode, convert, store_error, store_id_of};

impl Backend {
    /// Answers [`ui::Command::ForwardAttachment`]: at once when every body is stored, else
    /// once the missing ones are downloaded ([`Backend::forward_fetched`]).
    pub(super) async fn forward_attachment(&mut self, ids: Vec<ui::MessageId>) -> bool {
        let mut downloads = Vec::new();
        if self.options.mode == Mode::Online {
            for id in &ids {
                let Some(sid) = convert::store_id(id) else {
                    continue;
                };
                match self.store.get(sid) {
                    Ok(s) if !s.has_body => {
                        if let Some(live) = self.live.get(&s.account).map(|c| c.handle()) {
                            downloads.push((live, sid));
                        }
                    }
                    _ => {}
                }
            }
        }
        if downloads.is_empty() {
            let result = self.forward_draft(&ids);
            return self.emit(Event::ForwardReady(result)).await;
        }
        let internal = self.internal.clone();
        self.network.spawn(async move {
            let mut result = Ok(());
            for (live, sid) in downloads {
                if let Err(e) = live.fetch_body(sid).await {
                    result = Err(crate::error::chain_line(&e));
                    break;
                }
            }
            let _ = internal.send(Internal::ForwardFetched { ids, result });
        });
        true
    }

    /// The downloads [`Backend::forward_attachment`] started finished: answer it.
    pub(super) async fn forward_fetched(
        &mut self,
        ids: Vec<ui::MessageId>,
        result: Result<(), String>,
    ) -> bool {
        let result = match result {
            Ok(()) => self.forward_draft(&ids),
            Err(why) => Err(BackendError::new(
                ErrorKind::Network,
                format!("cannot download the message to forward: {why}"),
            )),
        };
        self.emit(Event::ForwardReady(result)).await
    }

    /// The draft: from the first message's account, subject `Fwd: ` + its subject, the
    /// messages attached in the order given.
    fn forward_draft(&self, ids: &[ui::MessageId]) -> Result<ui::Draft, BackendError> {
        let first = ids
            .first()
            .ok_or_else(|| BackendError::new(ErrorKind::Usage, "no message to forward"))?;
        let account = self
            .store
            .get(store_id_of(first)?)
            .map_err(store_error)?
            .account;
        let me = self.me(&account).ok_or_else(|| {
            BackendError::new(
                ErrorKind::Config,
                format!("cannot forward from account {account:?}: it has no usable address"),
            )
        })?;
        let mut draft = ui::Draft {
            account: account.clone(),
            ..ui::Draft::default()
        };
        for (n, id) in ids.iter().enumerate() {
            let raw = self.message_bytes(id)?;
            let fwd = forward(&raw, &me, ForwardMode::Attachment).map_err(|e| {
                BackendError::new(e.kind(), format!("cannot forward message {id}: {e}"))
            })?;
            if n == 0 {
                draft.subject = fwd.subject.clone();
            }
            let subject = fwd.subject.trim_start_matches("Fwd: ").trim();
            draft.attachments.push(ui::DraftAttachment::Message {
                message: id.clone(),
                name: format!(
                    "{}.eml",
                    if subject.is_empty() {
                        "message"
                    } else {
                        subject
                    }
                ),
            });
        }
        if ids.len() > 1 {
            draft.subject = format!("{} (+{} more)", draft.subject, ids.len() - 1);
        }
        Ok(draft)
    }

    /// The stored bytes of a whole message; refused (saying why) when only its envelope is
    /// stored.
    pub(super) fn message_bytes(&self, id: &ui::MessageId) -> Result<Vec<u8>, BackendError> {
        let sid = store_id_of(id)?;
        self.store.read_raw(sid).map_err(|e| match e {
            crate::store::StoreError::NoBody(_) => BackendError::new(
                ErrorKind::Temporary,
                format!(
                    "message {id} is stored as an envelope only; its body comes down with the \
                     next sync (or open it while online)"
                ),
            ),
            e => store_error(e),
        })
    }
}
