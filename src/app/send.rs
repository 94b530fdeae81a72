//! Sending and saving what the user wrote: the UI's draft becomes a `mail::compose::Draft`, is
//! composed, and is submitted through the account's outgoing server on the network runtime.
//!
//! What must hold: a message the server did not accept is never reported as sent; a failure
//! that may pass (network, temporary refusal) leaves the message in the outbox, where the next
//! sync sends it; the Sent copy keeps the Bcc header, the submitted bytes never carry it; a
//! sent reply marks its original answered.

use crate::error::ErrorKind;
use crate::mail::Flag;
use crate::mail::compose::{Attachment, Composed, Draft as MailDraft, Mailbox};
use crate::proto::smtp::Envelope;
use crate::ui::{self, BackendError, Event, SendOutcome};

use super::{Backend, Internal, Mode, bare_id, files, store_error};

/// A finished submission attempt, back on the store thread.
#[derive(Debug)]
pub(super) struct Outcome {
    account: String,
    composed: Composed,
    in_reply_to: Option<String>,
    result: Result<(), BackendError>,
    /// IMAP accounts: whether the Sent copy was APPENDed to the server (`Err`: why not; the
    /// copy is then kept in the local Sent folder). `None` for the other accounts.
    appended: Option<Result<(), String>>,
    /// It was a saved draft (it has versions in Drafts, removed once it is sent or queued).
    was_draft: bool,
}

fn data_error(e: impl std::fmt::Display) -> BackendError {
    BackendError::new(ErrorKind::Data, e.to_string())
}

/// Whether a failed submission is worth retrying later (so the message goes to the outbox).
fn retryable(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Network | ErrorKind::Temporary | ErrorKind::Io
    )
}

impl Backend {
    /// The UI's draft as a composed message. `allow_empty`: a draft may have no recipient
    /// yet (saving it); sending needs one.
    pub(super) fn compose(
        &self,
        d: &ui::Draft,
        allow_empty: bool,
    ) -> Result<(Composed, bool), BackendError> {
        let from = match &d.from {
            Some(from) => Some(self.identity_mailbox(&d.account, from)?),
            None => self.me(&d.account),
        };
        let from = from.ok_or_else(|| {
            BackendError::new(
                ErrorKind::Config,
                format!(
                    "cannot send from account {:?}: it has no usable address",
                    d.account
                ),
            )
        })?;
        let list = |v: &[String]| Mailbox::parse_list(&v.join(", ")).map_err(data_error);
        let mut m = MailDraft::new(from.clone());
        m.to = list(&d.to)?;
        m.cc = list(&d.cc)?;
        m.bcc = list(&d.bcc)?;
        m.subject = d.subject.clone();
        m.body = d.body.clone();
        m.in_reply_to = d.in_reply_to.clone();
        m.references = d.references.clone();
        m.message_id = d.message_id.clone();
        for a in &d.attachments {
            if let ui::DraftAttachment::Message { message, .. } = a {
                m.attached_messages.push(self.message_bytes(message)?);
                continue;
            }
            m.attachments.push(match a {
                ui::DraftAttachment::File(path) => Attachment {
                    file_name: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "attachment".to_owned()),
                    content_type: None,
                    data: std::fs::read(path).map_err(|e| {
                        BackendError::new(
                            ErrorKind::Io,
                            format!("cannot read {}: {e}", path.display()),
                        )
                    })?,
                },
                ui::DraftAttachment::Part {
                    message,
                    part,
                    name,
                } => {
                    // A part of a draft's earlier version: it is in the newest version now.
                    let mut message = message;
                    while let Some(newer) = self.draft_versions.get(message) {
                        message = newer;
                    }
                    let (data, mime, _) = files::part_bytes(&self.store, message, *part)?;
                    // A forwarded message (in a saved draft) stays a message/rfc822 part.
                    if mime.eq_ignore_ascii_case("message/rfc822") {
                        m.attached_messages.push(data);
                        continue;
                    }
                    Attachment {
                        file_name: name.clone(),
                        content_type: Some(mime),
                        data,
                    }
                }
                ui::DraftAttachment::Message { .. } => continue,
            });
        }
        // Composing needs a recipient; a draft without one gets a stand-in that only the
        // envelope sees (the saved bytes have no Bcc header).
        let empty = m.to.is_empty() && m.cc.is_empty() && m.bcc.is_empty();
        if empty && allow_empty {
            m.bcc.push(from);
        }
        m.sign_safe = self.pgp_choice(d).sign;
        let composed = m.finish().map_err(data_error)?;
        Ok((composed, empty))
    }

    /// The mailbox of the draft's chosen From: it must be one of the account's identities
    /// (a draft saved before the config changed is refused rather than sent as a stranger).
    fn identity_mailbox(&self, account: &str, from: &str) -> Result<Mailbox, BackendError> {
        let wanted = crate::config::address_of(from);
        let identity = self.options.config.account(account).and_then(|a| {
            a.identities
                .iter()
                .find(|i| Some(&i.address) == wanted.as_ref())
        });
        match identity.and_then(super::identities::mailbox) {
            Some(mailbox) => Ok(mailbox),
            None => Err(BackendError::new(
                ErrorKind::Config,
                format!(
                    "cannot send from {from:?} in account {account:?}: it is not one of its identities; add it under [[accounts.{account}.identities]] or choose another From"
                ),
            )),
        }
    }

    /// Answers [`ui::Command::Send`]: at once in demo and offline mode, else when the
    /// submission task reports back ([`Backend::send_done`]).
    pub(super) async fn send(&mut self, draft: ui::Draft) -> bool {
        let composed = match self.compose(&draft, false) {
            Ok((c, _)) => c,
            Err(e) => return self.emit(Event::Sent { result: Err(e) }).await,
        };
        let Some(job) = self.protect_job(&draft) else {
            return self.send_composed(draft, Ok(composed)).await;
        };
        // gpg may wait for a pinentry or a slow key: on a blocking worker, counted as a send in
        // flight so that quitting meanwhile still sends (or queues) it.
        self.sends_in_flight += 1;
        let internal = self.internal.clone();
        self.network.spawn_blocking(move || {
            let result = job.run(composed);
            let _ = internal.send(Internal::Protected {
                draft: Box::new(draft),
                result,
            });
        });
        true
    }

    /// A draft signed and/or encrypted on the worker ([`Backend::send`]): on to the server.
    pub(super) async fn protected(
        &mut self,
        draft: ui::Draft,
        result: Result<Composed, BackendError>,
    ) -> bool {
        self.sends_in_flight = self.sends_in_flight.saturating_sub(1);
        self.send_composed(draft, result).await
    }

    /// Submits (or, offline, queues; in the demo, keeps) a composed, protected message.
    async fn send_composed(
        &mut self,
        draft: ui::Draft,
        composed: Result<Composed, BackendError>,
    ) -> bool {
        let composed = match composed {
            Ok(c) => c,
            Err(e) => return self.emit(Event::Sent { result: Err(e) }).await,
        };
        match self.options.mode {
            Mode::Demo => {
                let result = self
                    .store
                    .save_sent(&draft.account, &composed.sent_copy())
                    .map_err(store_error);
                if let Some(parent) = &draft.in_reply_to {
                    mark_answered(&mut self.store, &self.parents, parent);
                }
                let ok = self
                    .emit(Event::Sent {
                        result: result.map(|_| SendOutcome::SavedOnly),
                    })
                    .await;
                let ok = ok && self.sent_draft_gone(&draft, &composed).await;
                ok && self.sent_folder_changed(&draft.account).await
            }
            Mode::Offline => {
                let result = self.queue(&draft.account, &composed, "offline");
                let queued = result.is_ok();
                let ok = self.emit(Event::Sent { result }).await;
                if queued {
                    ok && self.outbox_changed(&draft.account).await
                        && self.sent_draft_gone(&draft, &composed).await
                } else {
                    ok
                }
            }
            Mode::Online => {
                let Some(outgoing) = self
                    .options
                    .config
                    .account(&draft.account)
                    .and_then(|a| a.outgoing.clone())
                else {
                    let e = BackendError::new(
                        ErrorKind::Config,
                        format!(
                            "cannot send from account {:?}: it has no [outgoing] server",
                            draft.account
                        ),
                    );
                    return self.emit(Event::Sent { result: Err(e) }).await;
                };
                let internal = self.internal.clone();
                let account = draft.account.clone();
                let imap_account = self
                    .options
                    .config
                    .account(&draft.account)
                    .filter(|a| crate::engine::sent::on_server(a))
                    .cloned();
                let in_reply_to = draft.in_reply_to.clone();
                let was_draft = draft.message_id.is_some();
                // Online, the Sent copy goes over the account's live connection (no login).
                let live = self.live.get(&draft.account).map(|c| c.handle());
                self.sends_in_flight += 1;
                self.network.spawn(async move {
                    let envelope = Envelope {
                        from: composed.envelope_from.clone(),
                        recipients: composed.recipients.clone(),
                    };
                    // A refused OAuth2 token gets one fresh token and one retry (nothing was
                    // sent: AUTH comes before MAIL FROM).
                    let server = &outgoing.server;
                    let result =
                        crate::engine::login::with_token_retry(&account, server, |fresh| {
                            let (account, envelope, bytes) = (&account, &envelope, &composed.bytes);
                            async move {
                                let secret =
                                    crate::engine::login::login_secret(account, server, fresh)
                                        .await?;
                                crate::engine::login::submission(server, secret)
                                    .send(envelope, bytes)
                                    .await
                                    .map(|_| ())
                                    .map_err(crate::engine::EngineError::from)
                            }
                        })
                        .await
                        .map_err(|e| BackendError::new(e.kind(), crate::error::chain_line(&e)));
                    // Like `postie send`: an IMAP account keeps its Sent copy on the server.
                    let appended = match (&result, &imap_account, live) {
                        (Ok(()), Some(_), Some(live)) => Some(
                            live.append_sent(composed.sent_copy())
                                .await
                                .map(|_| ())
                                .map_err(|e| crate::error::chain_line(&e)),
                        ),
                        (Ok(()), Some(a), None) => Some(
                            crate::engine::sent::save_copy(None, a, &composed.sent_copy())
                                .await
                                .map(|_| ())
                                .map_err(|e| crate::error::chain_line(&e)),
                        ),
                        _ => None,
                    };
                    let _ = internal.send(Internal::SendDone(Outcome {
                        account,
                        composed,
                        in_reply_to,
                        result,
                        appended,
                        was_draft,
                    }));
                });
                true
            }
        }
    }

    /// Puts a message in the outbox; the next sync sends it.
    fn queue(
        &mut self,
        account: &str,
        c: &Composed,
        why: &str,
    ) -> Result<SendOutcome, BackendError> {
        let id = self
            .store
            .outbox_add(account, &c.bytes, &c.envelope_from, &c.recipients)
            .map_err(store_error)?;
        if let Err(e) = self.store.outbox_failed(id, why) {
            tracing::warn!("cannot record why message {id} was queued: {e}");
        }
        Ok(SendOutcome::Queued)
    }

    pub(super) async fn send_done(&mut self, o: Outcome) -> bool {
        self.sends_in_flight = self.sends_in_flight.saturating_sub(1);
        let result = match o.result {
            Ok(()) => {
                if let Err(e) = self
                    .store
                    .record_accepted(&o.composed.message_id, &o.account)
                {
                    tracing::warn!("cannot record an accepted message: {e}");
                }
                if let Some(parent) = &o.in_reply_to {
                    mark_answered(&mut self.store, &self.parents, parent);
                    // The answered mark goes to the server now, like any flag change.
                    // (The original may be in another account: ask every live connection.)
                    let accounts: Vec<String> = self.live.keys().cloned().collect();
                    self.push_actions(accounts);
                }
                // The message was accepted either way; a Sent copy that could not be APPENDed
                // is kept locally rather than lost.
                if let Some(Err(e)) = &o.appended {
                    tracing::warn!("cannot APPEND the Sent copy to the server: {e}");
                }
                if o.appended == Some(Ok(())) {
                    // The next sync of the account brings the copy down.
                    Ok(SendOutcome::Sent)
                } else {
                    match self.store.save_sent(&o.account, &o.composed.sent_copy()) {
                        Ok(_) => Ok(SendOutcome::Sent),
                        Err(e) => {
                            tracing::warn!("sent, but cannot keep a copy in Sent: {e}");
                            Ok(SendOutcome::Sent)
                        }
                    }
                }
            }
            Err(e) if retryable(e.kind) => self.queue(&o.account, &o.composed, &e.message),
            Err(e) => Err(e),
        };
        let sent = result == Ok(SendOutcome::Sent);
        let queued = result == Ok(SendOutcome::Queued);
        let gone = o.was_draft && result.is_ok();
        let ok = self.emit(Event::Sent { result }).await;
        let ok = if gone {
            match self.drop_sent_draft(&o.account, &o.composed) {
                Some(folder) => ok && self.emit(Event::FolderChanged(folder)).await,
                None => ok,
            }
        } else {
            ok
        };
        if sent {
            ok && self.sent_folder_changed(&o.account).await
        } else if queued {
            ok && self.outbox_changed(&o.account).await
        } else {
            ok
        }
    }

    /// A sent (or queued) draft leaves Drafts; the UI reloads that folder.
    async fn sent_draft_gone(&mut self, draft: &ui::Draft, composed: &Composed) -> bool {
        if draft.message_id.is_none() {
            return true;
        }
        match self.drop_sent_draft(&draft.account, composed) {
            Some(folder) => self.emit(Event::FolderChanged(folder)).await,
            None => true,
        }
    }

    pub(super) async fn sent_folder_changed(&mut self, account: &str) -> bool {
        match self.store.sent_folder(account).and_then(|id| {
            self.store
                .folders(Some(account))
                .map(|fs| fs.into_iter().find(|f| f.id == id))
        }) {
            Ok(Some(f)) => {
                self.emit(Event::FolderChanged(ui::FolderRef::new(account, &f.name)))
                    .await
            }
            _ => true,
        }
    }
}

/// Marks the original of a sent reply answered, if the store has it.
fn mark_answered(
    store: &mut crate::store::Store,
    parents: &std::collections::HashMap<String, crate::store::MessageId>,
    parent: &str,
) {
    if let Some(id) = parents.get(bare_id(parent))
        && let Err(e) = store.set_flag(&[*id], Flag::Answered, true)
    {
        tracing::warn!("cannot mark message {id} answered: {e}");
    }
}
