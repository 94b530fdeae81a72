//! What the backend reports: folder lists, pages, messages, results of actions, account state.
//! Answers to requests that are no longer current (an older list generation, another message)
//! are dropped.

use super::super::layout;
use super::super::list::MessageList;
use super::super::model::{Focus, Model};
use super::super::protocol::{Command, Event, ListSource, SearchScope, SendOutcome};
use super::super::types::{AccountState, FolderInfo, FolderRef, MessageId, SpecialUse};
use super::{load_pages, open_folder, reload_list, start_compose, start_new_compose};

/// The status line while a sync asked for by key runs; cleared when every account is done.
pub(super) const SYNCING: &str = "Syncing…";

pub(super) fn handle(model: &mut Model, ev: Event) -> Vec<Command> {
    model.dirty = true;
    match ev {
        Event::FolderManaged { change, result } => super::folders::managed(model, change, result),
        Event::Folders { account, result } => match result {
            Ok(mut folders) => {
                sort_folders(&mut folders);
                let selected = model.folders.selected_folder();
                if let Some(a) = model.folders.account_mut(&account) {
                    a.folders = folders;
                }
                // Keep the cursor on the same folder when the list above it changed.
                let entries = model.folders.entries();
                model.folders.selected = selected
                    .and_then(|s| entries.iter().position(|f| *f == s))
                    .unwrap_or(model.folders.selected)
                    .min(entries.len().saturating_sub(1));
                let first = model
                    .folders
                    .accounts
                    .iter()
                    .find(|a| a.name == account)
                    .and_then(|a| a.folders.first());
                // The default (first) account's first folder opens by itself, whichever
                // account answers first.
                let is_default = model
                    .folders
                    .accounts
                    .first()
                    .is_some_and(|a| a.name == account);
                match (&model.current, first) {
                    (None, Some(f)) if is_default => {
                        let f = FolderRef::new(&account, &f.name);
                        open_folder(model, f)
                    }
                    _ => Vec::new(),
                }
            }
            Err(e) => {
                model.set_error(format!("{account}: {e}"));
                Vec::new()
            }
        },
        Event::Page { request, result } => {
            let height = layout::list_height(model);
            let Some(list) = model
                .list
                .as_mut()
                .filter(|l| l.generation == request.generation)
            else {
                model.dirty = false;
                return Vec::new();
            };
            match result {
                Ok(page) => {
                    list.apply(page, height);
                    load_pages(model)
                }
                Err(e) => {
                    list.failed(request.offset, e.message.clone());
                    model.set_error(e.message);
                    Vec::new()
                }
            }
        }
        Event::Message { id, result } => {
            let Some(view) = model.message.as_mut().filter(|m| m.id == id) else {
                model.dirty = false;
                return Vec::new();
            };
            match result {
                Ok(message) => {
                    let then = view.then.take();
                    let mark_read = std::mem::take(&mut view.mark_read_when_downloaded);
                    view.message = Some(message.clone());
                    let mut cmds = Vec::new();
                    if !message.downloaded {
                        model.set_status("Body not downloaded: the message stays unread");
                    } else if mark_read {
                        cmds = super::mark_read(model, vec![id]);
                    }
                    if let Some(action) = then {
                        match super::normal::prefill_for(&message.prefill, action) {
                            Ok(draft) => start_new_compose(model, draft),
                            Err(why) => model.set_error(why),
                        }
                    }
                    cmds.extend(super::rawview::message_arrived(model));
                    return cmds;
                }
                Err(e) => {
                    model.message = None;
                    model.focus = Focus::List;
                    model.set_error(e.message);
                }
            }
            Vec::new()
        }
        Event::FlagsSet { result, .. } => match result {
            Ok(()) => {
                model.dirty = false;
                Vec::new()
            }
            Err(e) => {
                model.set_error(e.message);
                reload_list(model)
            }
        },
        Event::Undone { result } => match result {
            Ok(what) => {
                model.set_status(format!("Undone: {what}"));
                let mut cmds = reload_list(model);
                let account = model.current.as_ref().map(|f| f.account.clone());
                cmds.push(Command::LoadFolders { account });
                cmds
            }
            Err(e) => {
                model.set_error(e.message);
                Vec::new()
            }
        },
        Event::Raw { id, result } => {
            super::rawview::raw_loaded(model, &id, result);
            Vec::new()
        }
        Event::MessagesSaved { result, .. } => {
            super::rawview::saved(model, result);
            Vec::new()
        }
        Event::Moved { ids, result } => done(model, ids, result, "Moved"),
        Event::Deleted { ids, result } => done(model, ids, result, "Deleted"),
        Event::OutboxRetried { ids, result } => super::outbox::retried(model, &ids, result),
        Event::OutboxDropped { ids, result } => super::outbox::dropped(model, &ids, result),
        Event::DraftSaved { result } => {
            match result {
                Ok(message_id) => {
                    if let Some(c) = model.compose.as_mut() {
                        c.message_id = Some(message_id);
                    }
                    model.set_status("Draft saved")
                }
                Err(e) => model.set_error(e.message),
            }
            Vec::new()
        }
        Event::Sent { result } => {
            match result {
                Ok(outcome) => {
                    super::compose::close_compose(model);
                    model.set_status(match outcome {
                        SendOutcome::Sent => "Message sent",
                        SendOutcome::Queued => {
                            "Could not send now: the message waits in the outbox"
                        }
                        SendOutcome::SavedOnly => {
                            "Demo: not really sent; a copy is in the Sent folder"
                        }
                    });
                }
                Err(e) => {
                    if let Some(c) = model.compose.as_mut() {
                        c.sending = false;
                    }
                    model.set_error(format!("Not sent: {}", e.message));
                }
            }
            Vec::new()
        }
        Event::AttachmentSaved { path, result } => {
            match result {
                Ok(()) => model.set_status(format!("Saved to {}", path.display())),
                Err(e) => model.set_error(e.message),
            }
            Vec::new()
        }
        Event::AttachmentOpened { result } | Event::Piped { result } => {
            super::pipe::launched(model, result)
        }
        Event::TerminalJobDone { label, result } => {
            super::pipe::job_done(model, label, result);
            Vec::new()
        }
        Event::Completions { prefix, result } => {
            match (model.compose.as_mut(), result) {
                (Some(c), Ok(list)) if c.completion_prefix == prefix => {
                    c.completions = list;
                    c.completion_sel = 0;
                }
                (_, Err(e)) => model.set_error(e.message),
                _ => model.dirty = false,
            }
            Vec::new()
        }
        Event::PathCompleted { text, completion } => {
            super::compose_attach::completed(model, &text, completion);
            Vec::new()
        }
        Event::AttachmentChecked { path, result } => {
            super::compose_attach::checked(model, path, result);
            Vec::new()
        }
        Event::ForwardReady(result) => {
            match result {
                Ok(_) if model.compose.is_some() => {
                    model.set_error("Finish or close the message being written first")
                }
                Ok(draft) => start_new_compose(model, draft),
                Err(e) => model.set_error(format!("Cannot forward: {}", e.message)),
            }
            Vec::new()
        }
        Event::DraftOpened(result) => {
            match result {
                // (A message being written is not replaced by another.)
                Ok(_) if model.compose.is_some() => {
                    model.set_error("Finish or close the message being written first")
                }
                Ok(draft) => {
                    start_compose(model, draft);
                    model.set_status("Editing the draft; C-s saves it, C-x sends it");
                }
                Err(e) => model.set_error(e.message),
            }
            Vec::new()
        }
        Event::DraftEdited(result) => {
            match result {
                Ok(draft) => {
                    if model.compose.is_some() {
                        start_compose(model, draft);
                        if let Some(c) = model.compose.as_mut() {
                            c.field = super::super::model::Field::Body;
                        }
                    }
                }
                Err(e) => model.set_error(e.message),
            }
            Vec::new()
        }
        Event::AccountState { account, state } => {
            match &state {
                AccountState::Failed(why) => model.set_error(format!("{account}: {why}")),
                AccountState::Busy(why) => model.set_status(format!("{account}: {why}")),
                _ => {}
            }
            let settled = matches!(state, AccountState::Online | AccountState::Offline);
            if let Some(a) = model.folders.account_mut(&account) {
                a.state = state;
            }
            if settled {
                clear_sync_status(model, &account);
            }
            Vec::new()
        }
        Event::FolderChanged(folder) => {
            let shown = list_shows(model, &folder);
            let mut cmds = vec![Command::LoadFolders {
                account: Some(folder.account),
            }];
            if shown {
                cmds.extend(reload_list(model));
            }
            cmds
        }
        Event::FolderReset(folder) => {
            let mut cmds = vec![Command::LoadFolders {
                account: Some(folder.account.clone()),
            }];
            // A message still loading was opened from the list on screen.
            let opened_here = model.message.as_ref().is_some_and(|m| match &m.message {
                Some(msg) => msg.folder == folder,
                None => list_shows(model, &folder),
            });
            if opened_here {
                model.message = None;
                model.focus = Focus::List;
            }
            if model.tags.folder.as_ref() == Some(&folder) {
                // Its ids are stale: tagged messages could not be found again.
                model.tags.clear();
            }
            if list_shows(model, &folder)
                && let Some(source) = model.list.as_ref().map(|l| l.source.clone())
            {
                // Offsets and ids of the old numbering mean nothing now: start from the top.
                let generation = model.next_generation();
                model.list = Some(MessageList::new(source, model.sort, generation));
                cmds.extend(load_pages(model));
            }
            cmds
        }
        Event::ServerSearched { source, result } => {
            if model.list.as_ref().is_none_or(|l| l.source != source) {
                return Vec::new();
            }
            match result {
                Ok(found) => {
                    if found.unsearched > 0 {
                        model.set_status(format!(
                            "{} not downloaded and not searched on a server: results may miss \
                             them",
                            bodies(found.unsearched)
                        ));
                    } else if found.added > 0 {
                        model.set_status(format!(
                            "{} more found on the server",
                            messages(found.added)
                        ));
                    }
                    if found.added > 0 {
                        // An empty list asks for no page when reloaded: start it afresh.
                        if model.list.as_ref().is_some_and(|l| l.total == Some(0)) {
                            return super::show_list(model, source);
                        }
                        return reload_list(model);
                    }
                    Vec::new()
                }
                Err(e) => {
                    model.set_error(e.message);
                    Vec::new()
                }
            }
        }
        Event::TagMatched {
            list,
            untag,
            result,
        } => super::tags::matched(model, list, untag, result),
        Event::Error(e) => {
            model.set_error(e.message);
            Vec::new()
        }
    }
}

fn bodies(n: u64) -> String {
    if n == 1 {
        "1 message's body is".to_owned()
    } else {
        format!("{n} messages' bodies are")
    }
}

fn messages(n: usize) -> String {
    if n == 1 {
        "1 message".to_owned()
    } else {
        format!("{n} messages")
    }
}

/// Whether the list on screen shows messages of `folder`.
fn list_shows(model: &Model, folder: &FolderRef) -> bool {
    model.list.as_ref().is_some_and(|l| match &l.source {
        ListSource::Folder(f)
        | ListSource::Search {
            scope: SearchScope::Folder(f),
            ..
        } => f == folder,
        ListSource::Search {
            scope: SearchScope::AllAccounts,
            ..
        } => true,
    })
}

/// `account` finished syncing: the status line stops saying a sync runs (or that the account
/// was busy) once no account is syncing any more. Errors and other news stay.
fn clear_sync_status(model: &mut Model, account: &str) {
    let Some(status) = model.status.as_ref().filter(|s| !s.error) else {
        return;
    };
    let busy_line = status.text.starts_with(&format!("{account}: busy"));
    if busy_line {
        model.status = None;
    }
    let running = model.folders.accounts.iter().any(|a| {
        matches!(
            a.state,
            AccountState::Connecting | AccountState::Syncing { .. } | AccountState::Busy(_)
        )
    });
    if !running && model.status.as_ref().is_some_and(|s| s.text == SYNCING) {
        model.status = None;
    }
}

fn done(
    model: &mut Model,
    ids: Vec<MessageId>,
    result: Result<(), super::super::types::BackendError>,
    verb: &str,
) -> Vec<Command> {
    match result {
        Ok(()) => {
            let n = ids.len();
            model.set_status(format!(
                "{verb} {n} message{}",
                if n == 1 { "" } else { "s" }
            ));
            if model.message.as_ref().is_some_and(|m| ids.contains(&m.id)) {
                model.message = None;
                model.focus = Focus::List;
            }
            let mut cmds = reload_list(model);
            let account = model.current.as_ref().map(|f| f.account.clone());
            cmds.push(Command::LoadFolders { account });
            cmds
        }
        Err(e) => {
            model.set_error(e.message);
            reload_list(model)
        }
    }
}

/// Special-use folders first, in [`super::super::types::SpecialUse`] order, then by name.
pub(crate) fn sort_folders(folders: &mut [FolderInfo]) {
    folders.sort_by(|a, b| {
        let key = |f: &FolderInfo| {
            let special = f.special.or_else(|| {
                f.name
                    .eq_ignore_ascii_case("INBOX")
                    .then_some(SpecialUse::Inbox)
            });
            (special.is_none(), special, f.name.to_lowercase())
        };
        key(a).cmp(&key(b))
    });
}
