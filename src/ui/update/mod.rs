//! `update(&mut Model, Msg) -> Vec<Command>`: the UI's state machine. No IO, no `.await`:
//! everything the outside world must do comes back as a [`Command`], and everything it reports
//! comes in as a [`Msg::Backend`] event. Unit-tested with plain values in `tests.rs`.

mod compose;
mod compose_attach;
mod compose_identity;
mod events;
mod folders;
mod mouse;
mod normal;
mod outbox;
mod panes;
mod pipe;
mod prompt;
mod rawview;
mod tags;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_actions;
#[cfg(test)]
mod tests_compose;
#[cfg(test)]
mod tests_composer;
#[cfg(test)]
mod tests_drafts;
#[cfg(test)]
mod tests_folders;
#[cfg(test)]
mod tests_outbox;
#[cfg(test)]
mod tests_panes;
#[cfg(test)]
mod tests_pipe;
#[cfg(test)]
mod tests_quote;
#[cfg(test)]
mod tests_rawview;
#[cfg(test)]
mod tests_search;
#[cfg(test)]
mod tests_sync;
#[cfg(test)]
mod tests_tags;
#[cfg(test)]
mod tests_undo;

use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent};

use super::layout;
use super::list::MessageList;
use super::model::{Focus, MessageView, Model, Overlay};
use super::protocol::{Command, Event, ListSource};
use super::types::{Flags, FolderRef, MessageId, SpecialUse};

pub use compose::{draft_of, start_compose, start_new_compose};
pub use prompt::COMMANDS;

/// Everything that can happen to the UI.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Bracketed paste.
    Paste(String),
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    Backend(Event),
    /// The clock, in unix seconds: sent by the runner once a minute so "today" stays right.
    Tick(i64),
}

/// The commands to run at start-up.
pub fn init(model: &mut Model) -> Vec<Command> {
    model.dirty = true;
    vec![Command::LoadFolders { account: None }]
}

/// Apply one message. Sets `model.dirty` when anything visible may have changed, and never
/// clears it: only the runner does, after drawing.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Command> {
    let was_dirty = model.dirty;
    model.dirty = false;
    let cmds = step(model, msg);
    model.dirty |= was_dirty;
    cmds
}

fn step(model: &mut Model, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Key(key) => {
            if key.kind == KeyEventKind::Release {
                return Vec::new();
            }
            model.dirty = true;
            if is_interrupt(model, &key) {
                return interrupt(model);
            }
            model.quit_armed = false;
            if model.compose.is_some() {
                return compose::key(model, key);
            }
            let had_status = model.status.take().is_some();
            let cmds = if model.prompt.is_some() {
                prompt::key(model, key)
            } else if model.help.is_some() {
                help_key(model, key);
                Vec::new()
            } else {
                normal::key(model, key)
            };
            model.dirty |= had_status;
            cmds
        }
        Msg::Mouse(m) => mouse::handle(model, m),
        Msg::Paste(text) => {
            model.dirty = true;
            compose::paste(model, &text);
            Vec::new()
        }
        Msg::Resize(w, h) => {
            model.size = (w, h);
            model.dirty = true;
            let height = layout::list_height(model);
            if let Some(l) = model.list.as_mut() {
                let sel = l.selected;
                l.select(sel, height);
            }
            load_pages(model)
        }
        Msg::Backend(ev) => events::handle(model, ev),
        Msg::Tick(now) => {
            let day = |t: i64| (t + i64::from(model.utc_offset)).div_euclid(86_400);
            if day(now) != day(model.now) {
                model.dirty = true;
            }
            model.now = now;
            Vec::new()
        }
    }
}

/// Ctrl-C, unless the user bound it to an action of the current screen.
fn is_interrupt(model: &Model, key: &KeyEvent) -> bool {
    use crossterm::event::{KeyCode, KeyModifiers};
    let mode = if model.compose.is_some() {
        super::keymap::Mode::Compose
    } else {
        super::keymap::Mode::Normal
    };
    key.code == KeyCode::Char('c')
        && key.modifiers.contains(KeyModifiers::CONTROL)
        && model.keymap.action(mode, key).is_none()
}

/// Ctrl-C never does nothing: in the editor it is "cancel" (which asks before discarding
/// anything typed); elsewhere it closes what is open and asks to press it again to quit.
fn interrupt(model: &mut Model) -> Vec<Command> {
    if model.compose.is_some() {
        model.quit_armed = false;
        return compose::act(model, super::keymap::Action::ComposeCancel);
    }
    if model.quit_armed {
        model.quit = true;
        return vec![Command::Quit];
    }
    model.prompt = None;
    model.help = None;
    model.quit_armed = true;
    let q = model.keymap.keys_for(super::keymap::Action::Quit);
    let also = if q.is_empty() {
        String::new()
    } else {
        format!(" ({q} quits from the list too)")
    };
    model.set_status(format!("Quit postie? Press Ctrl-C again to quit{also}"));
    Vec::new()
}

fn help_key(model: &mut Model, key: KeyEvent) {
    use super::keymap::Action;
    use crossterm::event::KeyCode;
    let action = model.keymap.action(super::keymap::Mode::Normal, &key);
    let scroll = model.help.unwrap_or(0);
    model.help = match (key.code, action) {
        (KeyCode::Esc | KeyCode::Char('q'), _)
        | (_, Some(Action::Help | Action::Quit | Action::Back)) => None,
        (_, Some(Action::Down)) => Some(scroll + 1),
        (_, Some(Action::Up)) => Some(scroll.saturating_sub(1)),
        (_, Some(Action::PageDown | Action::HalfPageDown)) => Some(scroll + 10),
        (_, Some(Action::PageUp | Action::HalfPageUp)) => Some(scroll.saturating_sub(10)),
        (_, Some(Action::Top)) => Some(0),
        (_, Some(Action::Bottom)) => Some(usize::MAX),
        _ => Some(scroll),
    };
    let lines = match model.overlay {
        // A heading and a blank line per mode, one line per action, the commands.
        Overlay::Help => super::keymap::Action::ALL.len() + prompt::COMMANDS.len() + 5,
        // Each entry may wrap; scrolling past the end is cut by the view.
        Overlay::Messages => model.log.iter().map(|m| m.len() / 40 + 1).sum::<usize>() + 1,
        Overlay::Output => pipe::output_lines(model),
    };
    let room = layout::inner_height(layout::help_area(model));
    model.help = model.help.map(|s| s.min(lines.saturating_sub(room)));
}

/// Ask for the pages the list's viewport needs.
pub(super) fn load_pages(model: &mut Model) -> Vec<Command> {
    let height = layout::list_height(model);
    model.list.as_mut().map_or_else(Vec::new, |l| {
        l.requests(height)
            .into_iter()
            .map(Command::LoadPage)
            .collect()
    })
}

/// Show a new list (a folder, a filter, a search) from its first row.
pub(super) fn show_list(model: &mut Model, source: ListSource) -> Vec<Command> {
    let generation = model.next_generation();
    model.list = Some(MessageList::new(source, model.sort, generation));
    model.message = None;
    load_pages(model)
}

pub(super) fn open_folder(model: &mut Model, folder: FolderRef) -> Vec<Command> {
    if let Some(i) = model.folders.entries().iter().position(|f| *f == folder) {
        model.folders.selected = i;
    }
    if model.current.as_ref() != Some(&folder) {
        // Tags belong to one folder (docs/keys.md says so).
        model.tags.clear();
    }
    model.current = Some(folder.clone());
    model.focus = Focus::List;
    show_list(model, ListSource::Folder(folder))
}

/// Drop the cached rows and ask again (after a move, a delete, new mail).
pub(super) fn reload_list(model: &mut Model) -> Vec<Command> {
    let generation = model.next_generation();
    if let Some(l) = model.list.as_mut() {
        l.invalidate(generation);
    }
    load_pages(model)
}

/// Open the message under the list cursor, marking it read: at once when its body is stored,
/// else once it arrives downloaded (an envelope-only message opened offline shows no text, so
/// it stays unread).
pub(super) fn open_selected(model: &mut Model) -> Vec<Command> {
    let Some(row) = model.list.as_ref().and_then(|l| l.selected_row()).cloned() else {
        return Vec::new();
    };
    // A draft in the Drafts folder opens in the composer, for editing.
    if row.flags.draft && in_drafts_folder(model) {
        return edit_draft(model, row.id);
    }
    let mut view = MessageView::loading(row.id.clone());
    view.mark_read_when_downloaded = !row.flags.seen && !row.has_body;
    model.message = Some(view);
    model.focus = Focus::Message;
    let mut cmds = vec![Command::OpenMessage(row.id.clone())];
    if !row.flags.seen && row.has_body {
        cmds.extend(mark_read(model, vec![row.id]));
    }
    cmds
}

/// Whether the list shows an account's Drafts folder (special-use \\Drafts).
fn in_drafts_folder(model: &Model) -> bool {
    let Some(current) = &model.current else {
        return false;
    };
    model
        .folders
        .accounts
        .iter()
        .filter(|a| a.name == current.account)
        .flat_map(|a| a.folders.iter())
        .any(|f| f.name == current.folder && f.special == Some(SpecialUse::Drafts))
}

/// Whether `id` is a draft: flagged \\Draft, or in a Drafts folder.
pub(super) fn is_draft(model: &Model, id: &MessageId) -> bool {
    let flagged = model
        .list
        .as_ref()
        .and_then(|l| l.rows().find(|r| r.id == *id).map(|r| r.flags.draft));
    flagged == Some(true) || in_drafts_folder(model)
}

/// Asks the backend for a stored draft, to edit it in the composer ([`Event::DraftEdited`]
/// opens it).
pub(super) fn edit_draft(model: &mut Model, id: MessageId) -> Vec<Command> {
    model.set_status("Opening the draft…");
    vec![Command::EditDraft(id)]
}

/// Change flags (a user action, which `z` can undo): at once in the loaded rows and folder
/// counts, and through the backend.
pub(super) fn set_flags(
    model: &mut Model,
    ids: Vec<MessageId>,
    add: Flags,
    remove: Flags,
) -> Vec<Command> {
    show_flags(model, &ids, add, remove);
    vec![Command::SetFlags { ids, add, remove }]
}

/// Mark read because the message was opened: like [`set_flags`], but not an action `z` undoes.
pub(super) fn mark_read(model: &mut Model, ids: Vec<MessageId>) -> Vec<Command> {
    show_flags(model, &ids, Flags::SEEN, Flags::NONE);
    vec![Command::MarkRead { ids }]
}

/// A flag change shown at once in the loaded rows and folder counts.
fn show_flags(model: &mut Model, ids: &[MessageId], add: Flags, remove: Flags) {
    model.tags.apply_flags(ids, add, remove);
    let mut unread_delta: Vec<(FolderRef, i64)> = Vec::new();
    let mut replies: Vec<(MessageId, i32)> = Vec::new();
    if let Some(l) = model.list.as_mut() {
        for r in l.rows_mut().filter(|r| ids.contains(&r.id)) {
            let new = r.flags.apply(add, remove);
            if new.seen != r.flags.seen {
                let d = if new.seen { -1 } else { 1 };
                unread_delta.push((r.folder.clone(), d.into()));
                replies.push((r.id.clone(), d));
            }
            r.flags = new;
        }
        for (id, d) in replies {
            l.note_unread_change(&id, d);
        }
    }
    for (f, d) in unread_delta {
        if let Some(info) = model.folders.folder_mut(&f) {
            info.unread = info.unread.saturating_add_signed(d);
        }
    }
}

/// The ids an action applies to: the tagged messages when there are any, else the open
/// message when it has the focus, else the list's row ([`Model::action_targets`]).
pub(super) fn target_ids(model: &Model) -> Vec<MessageId> {
    model.action_targets()
}

/// Expand a leading `~/` (or a lone `~`) with the home directory the runner told us about.
pub(super) fn expand_home(home: Option<&std::path::Path>, path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        (None, Some(home)) if path == "~" => home.to_path_buf(),
        _ => std::path::PathBuf::from(path),
    }
}
