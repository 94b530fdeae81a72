//! Headers and raw bytes in the reader, and saving whole messages: `h` (every header / the
//! configured ones), `H` and `:raw` (the exact bytes, Esc or `H` again returns), `W` and
//! `:save PATH` (an mbox file, or one .eml per message in a directory).
//!
//! What must hold: the raw view shows the bytes the backend read ([`Command::LoadRaw`]), asked
//! for only once the message has loaded (so an envelope-only message is downloaded first), made
//! safe to draw before they reach the model; saving names its messages by id
//! (`ids: Vec<MessageId>`), so a tagged set can be saved the same way.

use super::super::model::{Focus, Model, PromptKind, RawText};
use super::super::protocol::Command;
use super::super::types::{BackendError, MessageId};
use super::super::visible;
use super::{expand_home, open_selected, target_ids};

/// Whether the open message is the one the user means: it has the focus, or it is the one
/// under the list cursor.
fn open_is_target(model: &Model) -> bool {
    let selected = model
        .list
        .as_ref()
        .and_then(|l| l.selected_row())
        .map(|r| r.id.clone());
    model
        .message
        .as_ref()
        .is_some_and(|m| model.focus == Focus::Message || Some(&m.id) == selected.as_ref())
}

/// `h`: every header in file order, or back to the configured ones. From the list it opens the
/// selected message with every header shown.
pub(super) fn toggle_headers(model: &mut Model) -> Vec<Command> {
    if model.focus == Focus::Folders {
        model.dirty = false;
        return Vec::new();
    }
    let (cmds, opened) = if open_is_target(model) {
        (Vec::new(), false)
    } else {
        (open_selected(model), true)
    };
    if let Some(v) = model.message.as_mut() {
        v.all_headers = opened || !v.all_headers;
        v.raw = None;
        v.scroll = 0;
        v.find = None;
        v.find_hits.clear();
    }
    cmds
}

/// `H` / `:raw`: the raw view of the open (or selected) message, or back to the reader.
pub(super) fn toggle_raw(model: &mut Model) -> Vec<Command> {
    if model.focus == Focus::Folders {
        model.dirty = false;
        return Vec::new();
    }
    let mut cmds = Vec::new();
    if open_is_target(model) {
        if let Some(v) = model.message.as_mut().filter(|v| v.raw.is_some()) {
            close_raw(v);
            return cmds;
        }
    } else {
        cmds = open_selected(model);
    }
    let Some(v) = model.message.as_mut() else {
        return cmds;
    };
    v.raw = Some(RawText::Loading);
    v.scroll = 0;
    v.find = None;
    v.find_hits.clear();
    // A message still loading asks for its bytes when it arrives (see `message_arrived`).
    if v.message.is_some() {
        cmds.push(Command::LoadRaw { id: v.id.clone() });
    }
    cmds
}

/// Esc in the raw view: back to the reader. `false` when not in the raw view.
pub(super) fn leave_raw(model: &mut Model) -> bool {
    match model.message.as_mut().filter(|v| v.raw.is_some()) {
        Some(v) => {
            close_raw(v);
            true
        }
        None => false,
    }
}

fn close_raw(v: &mut super::super::model::MessageView) {
    v.raw = None;
    v.scroll = 0;
    v.find = None;
    v.find_hits.clear();
}

/// The open message arrived: a raw view waiting for it asks for the bytes now.
pub(super) fn message_arrived(model: &Model) -> Option<Command> {
    model
        .message
        .as_ref()
        .filter(|v| v.raw == Some(RawText::Loading) && v.message.is_some())
        .map(|v| Command::LoadRaw { id: v.id.clone() })
}

/// The answer to [`Command::LoadRaw`].
pub(super) fn raw_loaded(model: &mut Model, id: &MessageId, result: Result<Vec<u8>, BackendError>) {
    let Some(v) = model
        .message
        .as_mut()
        .filter(|v| v.id == *id && v.raw == Some(RawText::Loading))
    else {
        model.dirty = false;
        return;
    };
    match result {
        Ok(bytes) => v.raw = Some(RawText::Shown(visible::bytes(&bytes))),
        Err(e) => {
            v.raw = None;
            model.set_error(format!("Cannot show the raw message: {e}"));
        }
    }
}

/// `W`: ask where to save the message (or messages).
pub(super) fn ask_save(model: &mut Model) -> Vec<Command> {
    let ids = target_ids(model);
    if ids.is_empty() {
        model.set_error("No message to save");
    } else {
        super::normal::open_prompt(model, PromptKind::SaveMessages { ids }, "");
    }
    Vec::new()
}

/// `:save PATH`, or the path typed at the `W` prompt.
pub(super) fn save(model: &mut Model, ids: Vec<MessageId>, typed: &str) -> Vec<Command> {
    if typed.is_empty() || ids.is_empty() {
        return Vec::new();
    }
    let path = expand_home(model.home.as_deref(), typed);
    model.set_status(format!("Saving to {}…", path.display()));
    vec![Command::SaveMessages { ids, path }]
}

/// `:save` with or without a path.
pub(super) fn save_command(model: &mut Model, arg: &str) -> Vec<Command> {
    if arg.is_empty() {
        return ask_save(model);
    }
    let ids = target_ids(model);
    if ids.is_empty() {
        model.set_error("No message to save: select one first");
        return Vec::new();
    }
    save(model, ids, arg)
}

/// The answer to [`Command::SaveMessages`]: what was written, or why not.
pub(super) fn saved(model: &mut Model, result: Result<String, BackendError>) {
    match result {
        Ok(what) => model.set_status(what),
        Err(e) => model.set_error(e.message),
    }
}
