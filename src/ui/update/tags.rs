//! Tagging keys and commands: `T` (the message), `C-t` (its thread), `:tag [PATTERN]` and
//! `:untag [PATTERN]`, and the backend's answer to a pattern ([`Event::TagMatched`]).
//!
//! What must hold: a pattern is matched by the backend's index ([`Command::TagMatching`]), never
//! by loading rows here; the answer is taken only while the list it was asked for is still the
//! one shown; the set is emptied when the folder changes ([`super::open_folder`]) and by the
//! bulk action that used it ([`consume`]).

use super::super::keymap::Action;
use super::super::layout;
use super::super::model::{Focus, Model};
use super::super::protocol::{Command, ListSource};
use super::super::types::{BackendError, Flags, MessageId};
use super::load_pages;

/// The status line while the backend looks for the messages matching.
const TAGGING: &str = "Tagging…";
const UNTAGGING: &str = "Untagging…";

/// `T`: tag the message under the cursor (or the one open, when it has the focus), or untag
/// it; in the list the cursor then moves to the next row, so `T T T` tags three in a row.
pub(super) fn toggle(model: &mut Model) -> Vec<Command> {
    let target = match model.focus {
        Focus::Message => model
            .message
            .as_ref()
            .map(|m| (m.id.clone(), row_flags(model, &m.id))),
        Focus::List => model
            .list
            .as_ref()
            .and_then(|l| l.selected_row())
            .map(|r| (r.id.clone(), Some(r.flags))),
        Focus::Folders => None,
    };
    let Some((id, flags)) = target else {
        model.dirty = false;
        return Vec::new();
    };
    if !model.tags.remove(&id) {
        add(model, id, flags.unwrap_or_default());
    }
    if model.focus != Focus::List {
        return Vec::new();
    }
    let height = layout::list_height(model);
    if let Some(l) = model.list.as_mut() {
        l.move_by(1, height);
    }
    load_pages(model)
}

/// `C-t`: tag every message of the selected row's thread, or untag them all when every one is
/// tagged already.
pub(super) fn toggle_thread(model: &mut Model) -> Vec<Command> {
    let Some(list) = model.list.as_ref() else {
        return Vec::new();
    };
    let flat = matches!(list.source, ListSource::Folder(_)) && !list.sort.threaded;
    let (rows, missing) = list.selected_thread();
    let rows: Vec<(MessageId, Flags)> = rows.iter().map(|r| (r.id.clone(), r.flags)).collect();
    if rows.is_empty() {
        model.dirty = false;
        return Vec::new();
    }
    let all_tagged = rows.iter().all(|(id, _)| model.tags.contains(id));
    let n = rows.len();
    for (id, flags) in rows {
        if all_tagged {
            model.tags.remove(&id);
        } else {
            add(model, id, flags);
        }
    }
    let verb = if all_tagged { "Untagged" } else { "Tagged" };
    let mut line = if flat {
        let t = model.keymap.keys_for(Action::ToggleThreads);
        format!("{verb} the message (a flat list has no threads: {t} shows them)")
    } else {
        format!("{verb} the thread ({})", messages(n))
    };
    if missing > 0 {
        line.push_str(&format!(
            "; {} of it not loaded yet: scroll to them and press the key again",
            messages(missing)
        ));
    }
    model.set_status(line);
    Vec::new()
}

/// `:tag [PATTERN]` (`untag` false) and `:untag [PATTERN]`: ask the backend which messages of
/// the list match. Without a pattern `:tag` takes what the filter shows, and `:untag` clears
/// every tag.
pub(super) fn command(model: &mut Model, pattern: &str, untag: bool) -> Vec<Command> {
    let pattern = pattern.trim();
    let Some(source) = model.list.as_ref().map(|l| l.source.clone()) else {
        model.set_error("No folder open: open one, then :tag PATTERN");
        return Vec::new();
    };
    if pattern.is_empty() {
        if untag {
            let n = model.tags.len();
            model.tags.clear();
            model.set_status(format!("Untagged {}", messages(n)));
            return Vec::new();
        }
        if !matches!(source, ListSource::Search { .. }) {
            model.set_error(
                "usage: :tag PATTERN (the / filter's syntax); or filter with / first, then :tag",
            );
            return Vec::new();
        }
    }
    model.set_status(if untag { UNTAGGING } else { TAGGING });
    vec![Command::TagMatching {
        list: source,
        pattern: (!pattern.is_empty()).then(|| pattern.to_owned()),
        untag,
    }]
}

/// The backend's answer to [`Command::TagMatching`].
pub(super) fn matched(
    model: &mut Model,
    list: ListSource,
    untag: bool,
    result: Result<Vec<(MessageId, Flags)>, BackendError>,
) -> Vec<Command> {
    if model.list.as_ref().is_none_or(|l| l.source != list) {
        // Another list is shown now: its folder may not be the one asked about.
        if model
            .status
            .as_ref()
            .is_some_and(|s| s.text == TAGGING || s.text == UNTAGGING)
        {
            model.set_status("Not tagged: the list changed meanwhile; :tag again");
        } else {
            model.dirty = false;
        }
        return Vec::new();
    }
    let found = match result {
        Ok(found) => found,
        Err(e) => {
            model.set_error(e.message);
            return Vec::new();
        }
    };
    if found.is_empty() {
        model.set_error("No message matches");
        return Vec::new();
    }
    let n = found.len();
    for (id, flags) in found {
        if untag {
            model.tags.remove(&id);
        } else {
            add(model, id, flags);
        }
    }
    let verb = if untag { "Untagged" } else { "Tagged" };
    model.set_status(format!(
        "{verb} {} matching; {} tagged",
        messages(n),
        model.tags.len()
    ));
    Vec::new()
}

/// A bulk action was made on `ids`: they are no longer tagged (the rest of the set, if any,
/// stays). Returns whether the action used the tags.
pub(super) fn consume(model: &mut Model, ids: &[MessageId]) -> bool {
    let mut used = false;
    for id in ids {
        used |= model.tags.remove(id);
    }
    if model.tags.is_empty() {
        model.tags.clear();
    }
    used
}

/// Tags one message, remembering the folder the set belongs to.
fn add(model: &mut Model, id: MessageId, flags: Flags) {
    if model.tags.is_empty() {
        model.tags.folder = model.current.clone();
    }
    model.tags.insert(id, flags);
}

/// The flags of a loaded row.
fn row_flags(model: &Model, id: &MessageId) -> Option<Flags> {
    model
        .list
        .as_ref()
        .and_then(|l| l.rows().find(|r| r.id == *id).map(|r| r.flags))
}

fn messages(n: usize) -> String {
    format!("{n} message{}", if n == 1 { "" } else { "s" })
}
