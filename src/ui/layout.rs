//! Where everything goes on screen, computed from the model alone so that `view` draws into
//! and `update` hit-tests (mouse clicks) and pages (viewport heights) against the same areas.

use ratatui::layout::{Constraint, Layout, Rect};

use super::model::Model;
use super::types::AccountState;

/// The reading screen's areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub folders: Rect,
    pub list: Rect,
    pub message: Option<Rect>,
    /// The bottom line: status, or the prompt when one is open.
    pub status: Rect,
}

/// The compose screen's areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComposeAreas {
    /// To, Cc, Bcc, Subject, Attachments: one line each.
    pub fields: [Rect; 5],
    pub body: Rect,
    pub status: Rect,
}

pub fn screen(model: &Model) -> Rect {
    Rect::new(0, 0, model.size.0, model.size.1)
}

/// The text of each account's badge at the right of the status line ("work ● online").
pub fn account_badges(model: &Model) -> Vec<String> {
    model
        .folders
        .accounts
        .iter()
        .map(|a| {
            let state = match &a.state {
                AccountState::Online => "● online".to_string(),
                AccountState::Offline => "○ offline".to_string(),
                AccountState::Connecting => "◐ connecting".to_string(),
                AccountState::Syncing {
                    done,
                    total: Some(total),
                } => {
                    let pct = if *total > 0 { done * 100 / total } else { 100 };
                    format!("◐ syncing {done}/{total} {pct}%")
                }
                AccountState::Syncing { done, total: None } => format!("◐ syncing {done}"),
                AccountState::Failed(_) => "✗ failed".to_string(),
                AccountState::Busy(_) => "◐ busy".to_string(),
            };
            format!(" {} {state} ", a.name)
        })
        .collect()
}

/// Rows the status line takes: two when an error does not fit on one beside the account
/// badges, so the end of the error (where the remedy is) stays visible.
pub fn status_rows(model: &Model) -> u16 {
    let badges: usize = account_badges(model).iter().map(|b| width_of(b)).sum();
    error_rows(model, badges + 1)
}

/// Rows the compose screen's status line takes (no badges there): as [`status_rows`].
pub fn compose_status_rows(model: &Model) -> u16 {
    error_rows(model, 0)
}

fn error_rows(model: &Model, taken: usize) -> u16 {
    let Some(status) = model.status.as_ref().filter(|s| s.error) else {
        return 1;
    };
    let room = (model.size.0 as usize).saturating_sub(taken);
    if width_of(&status.text) + 1 > room && model.size.1 > 6 {
        2
    } else {
        1
    }
}

/// How many terminal columns `s` takes.
fn width_of(s: &str) -> usize {
    ratatui::text::Span::raw(s).width()
}

pub fn areas(model: &Model) -> Areas {
    let [main, status] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(status_rows(model))])
            .areas(screen(model));
    let fw = (main.width / 4).clamp(14, 28).min(main.width);
    let [folders, right] =
        Layout::horizontal([Constraint::Length(fw), Constraint::Min(0)]).areas(main);
    if model.message.is_some() {
        let list_h = (right.height * 2 / 5).max(5).min(right.height);
        let [list, message] =
            Layout::vertical([Constraint::Length(list_h), Constraint::Min(0)]).areas(right);
        Areas {
            folders,
            list,
            message: Some(message),
            status,
        }
    } else {
        Areas {
            folders,
            list: right,
            message: None,
            status,
        }
    }
}

pub fn compose_areas(model: &Model) -> ComposeAreas {
    let [fields, body, status] = Layout::vertical([
        Constraint::Length(5),
        Constraint::Min(1),
        Constraint::Length(compose_status_rows(model)),
    ])
    .areas(screen(model));
    let f: [Rect; 5] = Layout::vertical([Constraint::Length(1); 5]).areas(fields);
    ComposeAreas {
        fields: f,
        body,
        status,
    }
}

/// Rows inside a bordered pane.
pub fn inner_height(r: Rect) -> usize {
    r.height.saturating_sub(2) as usize
}

/// How many message rows the list shows.
pub fn list_height(model: &Model) -> usize {
    inner_height(areas(model).list).max(1)
}

/// How many scrolled lines the message pane shows below its fixed headers.
pub fn message_height(model: &Model) -> usize {
    let Some(r) = areas(model).message else {
        return 1;
    };
    let fixed = reader_lines(model).fixed.len();
    inner_height(r).saturating_sub(fixed).max(1)
}

/// The open message's lines as the message pane shows them now.
pub fn reader_lines(model: &Model) -> super::reader::ReaderLines {
    let (Some(view), Some(r)) = (&model.message, areas(model).message) else {
        return super::reader::ReaderLines::default();
    };
    super::reader::lines(
        view,
        &model.reader_headers,
        r.width.saturating_sub(2) as usize,
        inner_height(r),
    )
}

/// The help overlay's box.
pub fn help_area(model: &Model) -> Rect {
    let s = screen(model);
    let w = s.width.saturating_sub(4).min(96);
    let h = s.height.saturating_sub(4);
    Rect::new((s.width - w) / 2, (s.height - h) / 2, w, h)
}

pub fn contains(r: Rect, col: u16, row: u16) -> bool {
    col >= r.x && col < r.x + r.width && row >= r.y && row < r.y + r.height
}

/// The first folder-pane line shown: enough to keep the selected folder on screen.
pub fn folder_scroll(model: &Model) -> usize {
    let height = inner_height(areas(model).folders).max(1);
    let lines = model.folders.lines();
    let mut seen = 0;
    let sel_line = lines
        .iter()
        .position(|l| {
            if let super::model::PaneLine::Folder(..) = l {
                seen += 1;
                seen == model.folders.selected + 1
            } else {
                false
            }
        })
        .unwrap_or(0);
    (sel_line + 1).saturating_sub(height)
}
