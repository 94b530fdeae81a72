//! The Outbox pseudo-folder: messages waiting to be sent, listed like a folder's (the backend
//! fills each row with the recipients, the attempts and the last error), with two actions of
//! its own: send now ([`Action::OutboxRetry`]) and drop (`d` there, after a `y`).
//!
//! What must hold: a drop is never sent without the user's `y`; the Outbox's own actions do
//! nothing outside the Outbox, and the actions that make no sense there (move) say so instead
//! of reaching the backend.
//!
//! [`Action::OutboxRetry`]: super::super::keymap::Action::OutboxRetry

use super::super::model::{Model, PromptKind};
use super::super::protocol::{Command, ListSource};
use super::super::types::{BackendError, FolderRef, MessageId, SpecialUse};
use super::normal::open_prompt;
use super::target_ids;

/// Whether `folder` is an account's Outbox (as the backend marked it in the folder pane).
pub(super) fn is_outbox(model: &Model, folder: &FolderRef) -> bool {
    model
        .folders
        .accounts
        .iter()
        .find(|a| a.name == folder.account)
        .and_then(|a| a.folders.iter().find(|f| f.name == folder.folder))
        .is_some_and(|f| f.special == Some(SpecialUse::Outbox))
}

/// Whether the list shows an Outbox (an open message of it included).
pub(super) fn showing_outbox(model: &Model) -> bool {
    match model.list.as_ref().map(|l| &l.source) {
        Some(ListSource::Folder(f)) => is_outbox(model, f),
        _ => false,
    }
}

/// `F`: send the selected (or open) queued message now.
pub(super) fn retry(model: &mut Model) -> Vec<Command> {
    if !showing_outbox(model) {
        model.set_error("Nothing to send here: F works in the Outbox");
        return Vec::new();
    }
    let ids = target_ids(model);
    if ids.is_empty() {
        return Vec::new();
    }
    super::tags::consume(model, &ids);
    model.set_status("Sending from the outbox…");
    vec![Command::RetryOutbox { ids }]
}

/// `d` in the Outbox: ask before dropping.
pub(super) fn ask_drop(model: &mut Model) -> Vec<Command> {
    let ids = target_ids(model);
    if !ids.is_empty() {
        open_prompt(model, PromptKind::DropOutbox { ids }, "");
    }
    Vec::new()
}

/// The answer to the drop question: `y` drops, anything else keeps the message.
pub(super) fn answer_drop(model: &mut Model, ids: Vec<MessageId>, yes: bool) -> Vec<Command> {
    if !yes {
        model.set_status("Kept in the outbox");
        return Vec::new();
    }
    super::tags::consume(model, &ids);
    model.set_status("Dropping…");
    vec![Command::DropOutbox { ids }]
}

pub(super) fn retried(
    model: &mut Model,
    ids: &[MessageId],
    result: Result<usize, BackendError>,
) -> Vec<Command> {
    match result {
        Ok(0) => model.set_status("Nothing sent: the message is no longer in the outbox"),
        Ok(_) => {
            close_if_open(model, ids);
            model.set_status("Sent from the outbox");
        }
        Err(e) => model.set_error(format!("Still in the outbox: {}", e.message)),
    }
    Vec::new()
}

pub(super) fn dropped(
    model: &mut Model,
    ids: &[MessageId],
    result: Result<(), BackendError>,
) -> Vec<Command> {
    match result {
        Ok(()) => {
            close_if_open(model, ids);
            model.set_status("Dropped from the outbox (not sent)");
        }
        Err(e) => model.set_error(format!("Not dropped: {}", e.message)),
    }
    Vec::new()
}

/// A message that left the outbox is no longer there to show: its view closes.
fn close_if_open(model: &mut Model, ids: &[MessageId]) {
    if model.message.as_ref().is_some_and(|m| ids.contains(&m.id)) {
        model.message = None;
        model.focus = super::super::model::Focus::List;
    }
}
