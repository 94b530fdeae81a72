//! Keys while reading: the [`Action`]s of [`Mode::Normal`], whose effect depends on the pane
//! that has the focus.

use crossterm::event::KeyEvent;

use super::super::input::LineInput;
use super::super::keymap::{Action, Mode};
use super::super::layout;
use super::super::model::{Focus, Model, Prompt, PromptKind};
use super::super::protocol::{Command, ListSource, SearchScope};
use super::super::types::{Draft, Flags, SortKey};
use super::{
    edit_draft, is_draft, load_pages, open_folder, open_selected, set_flags, show_list,
    start_new_compose, target_ids,
};

pub(super) fn key(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    match model.keymap.action(Mode::Normal, &key) {
        Some(action) => act(model, action),
        None => {
            model.dirty = false;
            Vec::new()
        }
    }
}

/// Run one action (keys, the command line and the mouse all come here).
pub(super) fn act(model: &mut Model, action: Action) -> Vec<Command> {
    let list_h = layout::list_height(model);
    match action {
        Action::Down => move_cursor(model, 1),
        Action::Up => move_cursor(model, -1),
        Action::Top => move_cursor(model, isize::MIN / 2),
        Action::Bottom => move_cursor(model, isize::MAX / 2),
        Action::PageDown => move_cursor(model, page(model) as isize),
        Action::PageUp => move_cursor(model, -(page(model) as isize)),
        Action::HalfPageDown => move_cursor(model, (page(model) / 2).max(1) as isize),
        Action::HalfPageUp => move_cursor(model, -((page(model) / 2).max(1) as isize)),
        Action::Open => match model.focus {
            Focus::Folders => model
                .folders
                .selected_folder()
                .map_or_else(Vec::new, |f| open_folder(model, f)),
            Focus::List => open_selected(model),
            Focus::Message => Vec::new(),
        },
        Action::Back => back(model),
        Action::Quit => {
            if model.message.is_some() {
                close_message(model);
                Vec::new()
            } else {
                model.quit = true;
                vec![Command::Quit]
            }
        }
        Action::ToggleReader => super::panes::toggle_reader(model),
        Action::ToggleFolderPane => super::panes::toggle_folder_pane(model),
        Action::NextPane | Action::PrevPane => {
            let panes = super::panes::visible(model);
            let i = panes.iter().position(|p| *p == model.focus).unwrap_or(0);
            let n = panes.len();
            model.focus = panes[if action == Action::NextPane {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }];
            Vec::new()
        }
        Action::Search => {
            if model.focus == Focus::Message && model.message.is_some() {
                let current = model
                    .message
                    .as_ref()
                    .and_then(|m| m.find.clone())
                    .unwrap_or_default();
                open_prompt(model, PromptKind::Find, &current);
            } else {
                let current = match model.list.as_ref().map(|l| &l.source) {
                    Some(ListSource::Search {
                        scope: SearchScope::Folder(_),
                        query,
                    }) => query.clone(),
                    _ => String::new(),
                };
                open_prompt(model, PromptKind::Filter, &current);
            }
            Vec::new()
        }
        Action::SearchNext | Action::SearchPrev => {
            let step = if action == Action::SearchNext { 1 } else { -1 };
            if let Some(m) = model
                .message
                .as_mut()
                .filter(|m| model.focus == Focus::Message && !m.find_hits.is_empty())
            {
                let n = m.find_hits.len();
                m.find_at = (m.find_at as isize + step).rem_euclid(n as isize) as usize;
                m.scroll = m.find_hits[m.find_at].saturating_sub(2);
                return Vec::new();
            }
            let mut cmds = Vec::new();
            if let Some(l) = model.list.as_mut() {
                l.move_by(step, list_h);
            }
            cmds.extend(load_pages(model));
            if model.message.is_some() {
                cmds.extend(open_selected(model));
            }
            cmds
        }
        Action::SearchAll => {
            open_prompt(model, PromptKind::SearchAll, "");
            Vec::new()
        }
        Action::Compose => {
            let account = model.current_account().unwrap_or_default();
            start_new_compose(
                model,
                Draft {
                    account,
                    ..Draft::default()
                },
            );
            Vec::new()
        }
        Action::Reply | Action::ReplyAll | Action::Forward | Action::ListReply => {
            reply(model, action)
        }
        Action::ForwardAttachment => {
            let ids = target_ids(model);
            if ids.is_empty() {
                return Vec::new();
            }
            model.set_status("Preparing the forward…");
            vec![Command::ForwardAttachment { ids }]
        }
        Action::Delete if super::outbox::showing_outbox(model) => super::outbox::ask_drop(model),
        Action::Move if super::outbox::showing_outbox(model) => {
            model.set_error("A queued message cannot be moved: F sends it now, d drops it");
            Vec::new()
        }
        Action::OutboxRetry => super::outbox::retry(model),
        Action::EditDraft => {
            let id = match (&model.message, model.focus) {
                (Some(m), Focus::Message) => Some(m.id.clone()),
                _ => model
                    .list
                    .as_ref()
                    .and_then(|l| l.selected_row())
                    .map(|r| r.id.clone()),
            };
            match id {
                Some(id) if is_draft(model, &id) => edit_draft(model, id),
                // (Editing another message would send a copy under its Message-ID.)
                Some(_) => {
                    model.set_error("Not a draft: e edits the messages of Drafts");
                    Vec::new()
                }
                None => Vec::new(),
            }
        }
        Action::Delete => {
            let ids = target_ids(model);
            if ids.is_empty() {
                return Vec::new();
            }
            if super::tags::consume(model, &ids) {
                model.set_status(format!("Deleting {} tagged messages…", ids.len()));
            } else {
                model.set_status("Deleting…");
            }
            vec![Command::Delete { ids }]
        }
        Action::Move => {
            let ids = target_ids(model);
            let account = move_account(model);
            if let (false, Some(account)) = (ids.is_empty(), account) {
                open_prompt(model, PromptKind::MoveTo { ids, account }, "");
            }
            Vec::new()
        }
        Action::Flag => toggle_flag(model, |f| f.flagged, Flags::FLAGGED),
        Action::ToggleUnread => toggle_flag(model, |f| f.seen, Flags::SEEN),
        Action::Tag => super::tags::toggle(model),
        Action::TagThread => super::tags::toggle_thread(model),
        Action::Undo => {
            model.set_status("Undoing…");
            vec![Command::Undo]
        }
        Action::ToggleThread => {
            if let Some(l) = model.list.as_mut() {
                l.toggle_collapse(list_h);
            }
            load_pages(model)
        }
        Action::ToggleThreads => {
            model.sort.threaded = !model.sort.threaded;
            resort(model)
        }
        Action::SortNext => {
            let i = SortKey::ALL
                .iter()
                .position(|k| *k == model.sort.key)
                .unwrap_or(0);
            model.sort.key = SortKey::ALL[(i + 1) % SortKey::ALL.len()];
            resort(model)
        }
        Action::SortReverse => {
            model.sort.reverse = !model.sort.reverse;
            resort(model)
        }
        Action::AttachmentNext | Action::AttachmentPrev => {
            if let Some(v) = model.message.as_mut() {
                let n = v.message.as_ref().map_or(0, |m| m.attachments.len());
                if n > 0 {
                    let step = if action == Action::AttachmentNext {
                        1
                    } else {
                        n - 1
                    };
                    v.attachment = (v.attachment + step) % n;
                }
            }
            Vec::new()
        }
        Action::SaveAttachment => {
            if let Some((id, a)) = selected_attachment(model) {
                open_prompt(
                    model,
                    PromptKind::SaveAttachment { id, part: a.part },
                    &a.name,
                );
            } else {
                model.set_error("No attachment to save");
            }
            Vec::new()
        }
        Action::OpenAttachment => match selected_attachment(model) {
            Some((id, a)) => {
                model.set_status(format!("Opening {}…", a.name));
                vec![Command::OpenAttachment { id, part: a.part }]
            }
            None => {
                model.set_error("No attachment to open");
                Vec::new()
            }
        },
        Action::ToggleHeaders => super::rawview::toggle_headers(model),
        Action::Raw => super::rawview::toggle_raw(model),
        Action::SaveMessage => super::rawview::ask_save(model),
        Action::Pipe => super::pipe::ask(model),
        Action::Sync => {
            model.set_status(super::events::SYNCING);
            vec![Command::Sync { account: None }]
        }
        Action::Command => {
            open_prompt(model, PromptKind::Command, "");
            Vec::new()
        }
        Action::Help => {
            model.overlay = super::super::model::Overlay::Help;
            model.help = Some(0);
            Vec::new()
        }
        Action::Redraw => vec![Command::Redraw],
        Action::Suspend => vec![Command::Suspend],
        // Compose actions are never looked up in normal mode.
        _ => Vec::new(),
    }
}

fn page(model: &Model) -> usize {
    match model.focus {
        Focus::Message => layout::message_height(model),
        _ => layout::list_height(model),
    }
}

fn move_cursor(model: &mut Model, delta: isize) -> Vec<Command> {
    match model.focus {
        Focus::Folders => {
            let n = model.folders.entries().len();
            if n > 0 {
                model.folders.selected = model
                    .folders
                    .selected
                    .saturating_add_signed(delta)
                    .min(n - 1);
            }
            Vec::new()
        }
        Focus::List => {
            let h = layout::list_height(model);
            if let Some(l) = model.list.as_mut() {
                l.move_by(delta, h);
            }
            load_pages(model)
        }
        Focus::Message => {
            scroll_message(model, delta);
            Vec::new()
        }
    }
}

/// Scroll the message body, keeping the last line on screen.
pub(super) fn scroll_message(model: &mut Model, delta: isize) {
    let height = layout::message_height(model);
    let lines = layout::reader_lines(model).scrolled.len();
    if let Some(v) = model.message.as_mut() {
        v.scroll = v
            .scroll
            .saturating_add_signed(delta)
            .min(lines.saturating_sub(height));
    }
}

pub(super) fn open_prompt(model: &mut Model, kind: PromptKind, text: &str) {
    model.prompt = Some(Prompt {
        kind,
        input: LineInput::new(text),
    });
}

fn close_message(model: &mut Model) {
    model.message = None;
    if model.focus == Focus::Message {
        model.focus = Focus::List;
    }
}

fn back(model: &mut Model) -> Vec<Command> {
    if super::rawview::leave_raw(model) {
        return Vec::new();
    }
    if model.message.is_some() {
        close_message(model);
        return Vec::new();
    }
    let filtered = model
        .list
        .as_ref()
        .is_some_and(|l| matches!(l.source, ListSource::Search { .. }));
    match (filtered, model.current.clone()) {
        (true, Some(folder)) => show_list(model, ListSource::Folder(folder)),
        _ => {
            model.dirty = false;
            Vec::new()
        }
    }
}

fn resort(model: &mut Model) -> Vec<Command> {
    let s = model.sort;
    model.set_status(format!(
        "Sorted by {} {} ({}){}",
        s.key.name(),
        s.arrow(),
        s.first(),
        if s.threaded { ", threaded" } else { "" }
    ));
    match model.list.as_ref().map(|l| l.source.clone()) {
        Some(source) => show_list(model, source),
        None => Vec::new(),
    }
}

/// `s` / `u`: on the tagged set, the flag goes on all of them unless every one has it (then
/// off all), and the tags are used up; else the target's flag is toggled.
fn toggle_flag(model: &mut Model, get: fn(&Flags) -> bool, flag: Flags) -> Vec<Command> {
    let ids = target_ids(model);
    let current = if model.acts_on_tags() {
        Some(model.tags.flags().all(get))
    } else {
        model
            .list
            .as_ref()
            .and_then(|l| l.selected_row())
            .filter(|r| ids.contains(&r.id))
            .map(|r| get(&r.flags))
    };
    let Some(had) = current else {
        return Vec::new();
    };
    let cmds = if had {
        set_flags(model, ids.clone(), Flags::NONE, flag)
    } else {
        set_flags(model, ids.clone(), flag, Flags::NONE)
    };
    if super::tags::consume(model, &ids) {
        let n = ids.len();
        model.set_status(match (flag == Flags::FLAGGED, had) {
            (true, false) => format!("Flagged {n} tagged messages"),
            (true, true) => format!("Unflagged {n} tagged messages"),
            (false, false) => format!("Marked {n} tagged messages read"),
            (false, true) => format!("Marked {n} tagged messages unread"),
        });
    }
    cmds
}

/// The account `m` offers the folders of: the tagged set's folder's, else the selected row's.
pub(super) fn move_account(model: &Model) -> Option<String> {
    if model.acts_on_tags()
        && let Some(f) = model.tags.folder.as_ref().or(model.current.as_ref())
    {
        return Some(f.account.clone());
    }
    model
        .list
        .as_ref()
        .and_then(|l| l.selected_row())
        .map(|r| r.folder.account.clone())
}

fn selected_attachment(
    model: &Model,
) -> Option<(
    super::super::types::MessageId,
    super::super::types::AttachmentInfo,
)> {
    let v = model.message.as_ref()?;
    let a = v.message.as_ref()?.attachments.get(v.attachment)?;
    Some((v.id.clone(), a.clone()))
}

/// Start a reply or forward from the open message's prefill; open the message first if needed.
fn reply(model: &mut Model, action: Action) -> Vec<Command> {
    let selected = model
        .list
        .as_ref()
        .and_then(|l| l.selected_row())
        .map(|r| r.id.clone());
    let open_is_target = model
        .message
        .as_ref()
        .is_some_and(|m| model.focus == Focus::Message || Some(&m.id) == selected.as_ref());
    if open_is_target {
        if let Some(msg) = model.message.as_ref().and_then(|m| m.message.as_ref()) {
            match prefill_for(&msg.prefill, action) {
                Ok(draft) => start_new_compose(model, draft),
                Err(why) => model.set_error(why),
            }
            return Vec::new();
        }
        if let Some(m) = model.message.as_mut() {
            m.then = Some(action);
        }
        return Vec::new();
    }
    let cmds = open_selected(model);
    if let Some(m) = model.message.as_mut() {
        m.then = Some(action);
    }
    cmds
}

/// The draft for a reply action, or why there is none (a list reply to a message of no list).
pub(super) fn prefill_for(
    p: &super::super::types::Prefill,
    action: Action,
) -> Result<Draft, String> {
    match action {
        Action::ReplyAll => Ok(p.reply_all.clone()),
        Action::Forward => Ok(p.forward.clone()),
        Action::ListReply => p
            .list_reply
            .clone()
            .map_err(|why| format!("No list reply: {why}")),
        _ => Ok(p.reply.clone()),
    }
}
