//! The composer's attach prompt: Tab completes the path (the backend lists the directory),
//! Enter asks the backend whether the file can be attached, and only a yes attaches it.
//!
//! What must hold: a missing or unreadable file or a directory is never attached; the prompt
//! then stays open with the reason shown, so the path can be corrected. Answers for a text
//! the user has changed since are dropped.

use crossterm::event::{KeyCode, KeyEvent};

use super::super::model::Model;
use super::super::protocol::Command;
use super::super::types::{BackendError, DraftAttachment, PathCompletion};
use super::expand_home;

/// A key while the attach prompt is open.
pub(super) fn key(
    model: &mut Model,
    key: KeyEvent,
    home: Option<&std::path::Path>,
) -> Vec<Command> {
    let Some(p) = model.compose.as_mut().and_then(|c| c.prompt.as_mut()) else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc => {
            if let Some(c) = model.compose.as_mut() {
                c.prompt = None;
            }
            Vec::new()
        }
        KeyCode::Tab => vec![Command::CompletePath {
            text: p.input.text().to_string(),
        }],
        KeyCode::Enter => {
            let text = p.input.text().trim().to_string();
            if text.is_empty() {
                if let Some(c) = model.compose.as_mut() {
                    c.prompt = None;
                }
                return Vec::new();
            }
            p.checking = true;
            p.candidates.clear();
            vec![Command::CheckAttachment {
                path: expand_home(home, &text),
            }]
        }
        _ => {
            p.input.handle(&key);
            p.candidates.clear();
            p.checking = false;
            Vec::new()
        }
    }
}

/// The backend's completion of `text`.
pub(super) fn completed(model: &mut Model, text: &str, completion: PathCompletion) {
    let Some(p) = model.compose.as_mut().and_then(|c| c.prompt.as_mut()) else {
        model.dirty = false;
        return;
    };
    if p.input.text() != text {
        model.dirty = false;
        return;
    }
    let unchanged = completion.text == text;
    p.input.set(completion.text);
    p.candidates = completion.candidates;
    if unchanged && p.candidates.is_empty() {
        model.set_error(format!("No file matches {text}"));
    }
}

/// The backend's answer on whether `path` can be attached.
pub(super) fn checked(
    model: &mut Model,
    path: std::path::PathBuf,
    result: Result<(), BackendError>,
) {
    let Some(c) = model.compose.as_mut() else {
        return;
    };
    let Some(p) = c.prompt.as_mut().filter(|p| p.checking) else {
        model.dirty = false;
        return;
    };
    p.checking = false;
    match result {
        Ok(()) => {
            c.prompt = None;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            c.attachments.push(DraftAttachment::File(path));
            c.attachment_sel = c.attachments.len() - 1;
            model.set_status(format!("Attached {name}"));
        }
        Err(e) => model.set_error(e.message),
    }
}
