//! The bottom-line prompts: the `:` command line, the live filter, find-in-message, search
//! across accounts, move-to-folder and save-attachment paths.

use crossterm::event::{KeyCode, KeyEvent};

use super::super::input::Edit;
use super::super::keymap::Action;
use super::super::layout;
use super::super::model::{Focus, Model, Overlay, PromptKind};
use super::super::protocol::{Command, ListSource, SearchScope};
use super::super::reader;
use super::super::text;
use super::super::types::{FolderRef, SortKey};
use super::{expand_home, open_folder, show_list, start_new_compose};

pub(super) fn key(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    let Some(prompt) = model.prompt.as_mut() else {
        return Vec::new();
    };
    if let PromptKind::Confirm(change) = &prompt.kind {
        let change = change.clone();
        return super::folders::confirm_key(model, change, key);
    }
    // A yes/no question: one key answers it.
    if let PromptKind::DropOutbox { ids } = &prompt.kind {
        let ids = ids.clone();
        model.prompt = None;
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
        return super::outbox::answer_drop(model, ids, yes);
    }
    match key.code {
        KeyCode::Esc => {
            let kind = prompt.kind.clone();
            model.prompt = None;
            cancel(model, kind)
        }
        KeyCode::Enter => {
            let p = prompt.clone();
            model.prompt = None;
            submit(model, p.kind, p.input.text().trim())
        }
        KeyCode::Tab => {
            if prompt.kind == PromptKind::Command && !prompt.input.text().contains(' ') {
                let typed = prompt.input.text().to_string();
                let names = COMMANDS.iter().filter_map(|(c, _)| c.split(' ').next());
                if let Some(name) = names.into_iter().find(|n| n.starts_with(&typed)) {
                    prompt.input.set(format!("{name} "));
                }
            }
            if let PromptKind::MoveTo { account, .. } = &prompt.kind {
                let typed = prompt.input.text().to_lowercase();
                let names = model
                    .folders
                    .accounts
                    .iter()
                    .find(|a| &a.name == account)
                    .map(|a| {
                        a.folders
                            .iter()
                            .map(|f| f.name.clone())
                            .filter(|n| n.to_lowercase().starts_with(&typed))
                            .collect::<Vec<_>>()
                    });
                if let Some(first) = names.and_then(|n| n.into_iter().next()) {
                    prompt.input.set(first);
                }
            }
            Vec::new()
        }
        _ => {
            let edit = prompt.input.handle(&key);
            if edit == Edit::Changed {
                let (kind, text) = (prompt.kind.clone(), prompt.input.text().to_string());
                return live(model, kind, &text);
            }
            Vec::new()
        }
    }
}

/// Filtering and finding follow every keystroke.
fn live(model: &mut Model, kind: PromptKind, text: &str) -> Vec<Command> {
    match kind {
        PromptKind::Filter => filter(model, text),
        PromptKind::Find => {
            find(model, text);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn filter(model: &mut Model, query: &str) -> Vec<Command> {
    let Some(folder) = model.current.clone() else {
        return Vec::new();
    };
    let source = if query.trim().is_empty() {
        ListSource::Folder(folder)
    } else {
        ListSource::Search {
            scope: SearchScope::Folder(folder),
            query: query.trim().to_string(),
        }
    };
    if model.list.as_ref().is_some_and(|l| l.source == source) {
        return Vec::new();
    }
    model.focus = Focus::List;
    show_list(model, source)
}

fn find(model: &mut Model, needle: &str) {
    let reader = layout::reader_lines(model);
    if let Some(v) = model.message.as_mut() {
        let lines = reader::searchable(&reader, v.message.as_ref());
        v.find_hits = text::find_lines(&lines, needle);
        v.find = (!needle.is_empty()).then(|| needle.to_string());
        v.find_at = 0;
        if let Some(first) = v.find_hits.first() {
            v.scroll = first.saturating_sub(2);
        }
    }
}

fn cancel(model: &mut Model, kind: PromptKind) -> Vec<Command> {
    match kind {
        PromptKind::Filter => filter(model, ""),
        PromptKind::Find => {
            find(model, "");
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn submit(model: &mut Model, kind: PromptKind, text: &str) -> Vec<Command> {
    match kind {
        PromptKind::Command => command(model, text),
        PromptKind::Filter => {
            let mut cmds = filter(model, text);
            cmds.extend(search_server(model));
            cmds
        }
        PromptKind::Find => {
            find(model, text);
            if model
                .message
                .as_ref()
                .is_some_and(|m| m.find.is_some() && m.find_hits.is_empty())
            {
                model.set_error(format!("Not found: {text}"));
            }
            Vec::new()
        }
        PromptKind::SearchAll => search_all(model, text),
        PromptKind::Pipe { ids, part } => super::pipe::submit(model, ids, part, text),
        PromptKind::MoveTo { ids, account } => {
            if text.is_empty() {
                return Vec::new();
            }
            let known = model
                .folders
                .accounts
                .iter()
                .any(|a| a.name == account && a.folders.iter().any(|f| f.name == text));
            if !known {
                super::tags::consume(model, &ids);
                let folder = FolderRef::new(account, text.trim_matches('/'));
                super::folders::offer_create(model, folder, ids);
                return Vec::new();
            }
            let to = FolderRef::new(account, text);
            if super::outbox::is_outbox(model, &to) {
                model.set_error("The Outbox holds only messages being sent: compose to send");
                return Vec::new();
            }
            super::tags::consume(model, &ids);
            model.set_status(format!("Moving to {text}…"));
            vec![Command::Move { ids, to }]
        }
        PromptKind::SaveAttachment { id, part } => {
            if text.is_empty() {
                return Vec::new();
            }
            let path = expand_home(model.home.as_deref(), text);
            vec![Command::SaveAttachment { id, part, path }]
        }
        PromptKind::SaveMessages { ids } => super::rawview::save(model, ids, text),
        PromptKind::Attach | PromptKind::Confirm(_) => Vec::new(),
        PromptKind::DropOutbox { ids } => super::outbox::answer_drop(model, ids, text == "y"),
    }
}

fn search_all(model: &mut Model, query: &str) -> Vec<Command> {
    if query.is_empty() {
        return Vec::new();
    }
    model.focus = Focus::List;
    let mut cmds = show_list(
        model,
        ListSource::Search {
            scope: SearchScope::AllAccounts,
            query: query.to_string(),
        },
    );
    cmds.extend(search_server(model));
    cmds
}

/// Once a search is submitted (not at every keystroke of the live filter), the servers are
/// asked too, for the messages whose bodies are not stored.
fn search_server(model: &Model) -> Option<Command> {
    model
        .list
        .as_ref()
        .filter(|l| matches!(l.source, ListSource::Search { .. }))
        .map(|l| Command::SearchServer(l.source.clone()))
}

/// The `:` commands. `:help` lists them.
pub const COMMANDS: &[(&str, &str)] = &[
    ("quit", "leave postie (also :q)"),
    ("folder [ACCOUNT/]NAME", "open a folder (also :cd)"),
    ("sort date|sender|subject|size [reverse]", "sort the list"),
    ("threads on|off", "threaded or flat list"),
    ("filter TEXT", "show only matching messages of this folder"),
    ("search TEXT", "search all accounts"),
    ("move FOLDER", "move the selected (or tagged) messages"),
    ("delete", "delete the selected (or tagged) messages"),
    (
        "tag [PATTERN]",
        "tag the messages matching (none: all the filter shows)",
    ),
    ("untag [PATTERN]", "untag the messages matching (none: all)"),
    ("compose [ADDRESS...]", "write a message"),
    (
        "forward-attachment",
        "forward the selected message as an attachment",
    ),
    (
        "save PATH",
        "save the message: to an mbox file, or as .eml in a dir/",
    ),
    ("save-part PATH", "save the selected attachment"),
    ("raw", "show the message's raw bytes (Esc returns)"),
    ("open", "open the selected attachment (mailcap)"),
    (
        "pipe [!]CMD",
        "pipe the message to CMD (!: CMD gets the terminal)",
    ),
    (
        "pipe-part [!]CMD",
        "pipe the selected attachment to CMD (!: CMD gets the terminal)",
    ),
    ("mkdir NAME", "create a folder in this account"),
    ("rename NEW", "rename the selected folder"),
    ("rmdir", "delete the selected folder (asks y/n)"),
    ("sync", "sync all accounts now"),
    ("undo", "undo the last delete, move or flag change"),
    ("help", "keys and commands"),
    ("messages", "the full text of recent errors"),
];

fn command(model: &mut Model, line: &str) -> Vec<Command> {
    let (cmd, arg) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(c, a)| (c, a.trim()));
    match cmd {
        "" => Vec::new(),
        "q" | "quit" => super::normal::act(model, Action::Quit),
        "help" => super::normal::act(model, Action::Help),
        "messages" => {
            model.overlay = Overlay::Messages;
            model.help = Some(0);
            Vec::new()
        }
        "sync" => super::normal::act(model, Action::Sync),
        "undo" => super::normal::act(model, Action::Undo),
        "delete" => super::normal::act(model, Action::Delete),
        "forward-attachment" => super::normal::act(model, Action::ForwardAttachment),
        "open" => super::normal::act(model, Action::OpenAttachment),
        "pipe" => super::pipe::command(model, false, arg),
        "pipe-part" => super::pipe::command(model, true, arg),
        "filter" => filter(model, arg),
        "mkdir" => super::folders::mkdir(model, arg),
        "rename" => super::folders::rename(model, arg),
        "rmdir" => super::folders::rmdir(model),
        "search" => search_all(model, arg),
        "tag" => super::tags::command(model, arg, false),
        "untag" => super::tags::command(model, arg, true),
        "folder" | "cd" => {
            let (account, name) = match arg.split_once('/') {
                Some((a, n)) if model.folders.accounts.iter().any(|x| x.name == a) => {
                    (a.to_string(), n)
                }
                _ => (model.current_account().unwrap_or_default(), arg),
            };
            let found = model
                .folders
                .accounts
                .iter()
                .find(|a| a.name == account)
                .and_then(|a| {
                    a.folders
                        .iter()
                        .find(|f| f.name == name || f.name.eq_ignore_ascii_case(name))
                        .map(|f| f.name.clone())
                });
            match found {
                Some(f) => open_folder(model, FolderRef::new(account, f)),
                None => {
                    model.set_error(format!("No folder {name:?} in {account}"));
                    Vec::new()
                }
            }
        }
        "sort" => {
            let mut words = arg.split_whitespace();
            let key = words.next().and_then(SortKey::parse);
            let reverse = match words.next() {
                None => Some(false),
                Some("reverse" | "rev") => Some(true),
                Some(_) => None,
            };
            match (key, reverse) {
                (Some(key), Some(reverse)) => {
                    model.sort.key = key;
                    model.sort.reverse = reverse;
                    let src = model.list.as_ref().map(|l| l.source.clone());
                    src.map_or_else(Vec::new, |s| show_list(model, s))
                }
                _ => {
                    model.set_error("usage: :sort date|sender|subject|size [reverse]");
                    Vec::new()
                }
            }
        }
        "threads" => {
            match arg {
                "on" => model.sort.threaded = true,
                "off" => model.sort.threaded = false,
                _ => {
                    model.set_error("usage: :threads on|off");
                    return Vec::new();
                }
            }
            let src = model.list.as_ref().map(|l| l.source.clone());
            src.map_or_else(Vec::new, |s| show_list(model, s))
        }
        "move" => {
            let ids = super::target_ids(model);
            let account = super::normal::move_account(model);
            match account {
                Some(account) if !ids.is_empty() => {
                    submit(model, PromptKind::MoveTo { ids, account }, arg)
                }
                _ => Vec::new(),
            }
        }
        "save" => super::rawview::save_command(model, arg),
        "raw" => super::normal::act(model, Action::Raw),
        "save-part" => {
            let target = model.message.as_ref().and_then(|v| {
                v.message
                    .as_ref()
                    .and_then(|m| m.attachments.get(v.attachment))
                    .map(|a| (v.id.clone(), a.part))
            });
            match target {
                Some((id, part)) if !arg.is_empty() => {
                    submit(model, PromptKind::SaveAttachment { id, part }, arg)
                }
                _ => {
                    model.set_error(
                        "usage: :save-part PATH (with a message and attachment selected)",
                    );
                    Vec::new()
                }
            }
        }
        "compose" => {
            let account = model.current_account().unwrap_or_default();
            let to = super::super::types::split_addresses(arg);
            start_new_compose(
                model,
                super::super::types::Draft {
                    account,
                    to,
                    ..Default::default()
                },
            );
            Vec::new()
        }
        other => {
            model.set_error(format!("Unknown command: {other} (see :help)"));
            Vec::new()
        }
    }
}
