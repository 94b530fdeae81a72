//! Where everything goes on screen, computed from the model alone so that `view` draws into
//! and `update` hit-tests (mouse clicks) and pages (viewport heights) against the same areas.

use ratatui::layout::{Constraint, Layout, Rect};

use super::model::{Focus, Model};
use super::text::columns as width_of;
use super::types::AccountState;

/// Below this many columns the screen is narrow: the folder pane starts hidden and a message
/// opens full-screen (the list keeps the whole width for subjects).
pub const NARROW_WIDTH: u16 = 80;
/// Below this many rows a message opens full-screen too (a split would leave it a handful of
/// body lines), and the full-screen reader keeps its headers compact (the attachments on one
/// line, no rule under the headers), so a 60x20 terminal shows 14 body lines.
pub const SHORT_HEIGHT: u16 = 30;

/// Whether the terminal is narrower than [`NARROW_WIDTH`].
pub fn is_narrow(model: &Model) -> bool {
    model.size.0 < NARROW_WIDTH
}

/// Whether the folder pane is wanted: the user's choice (`B`), else shown unless narrow.
pub fn folder_pane_wanted(model: &Model) -> bool {
    model.folder_pane.unwrap_or(!is_narrow(model))
}

/// Whether a message is read full-screen: the user's choice (`Z`), else when the terminal is
/// narrow or short.
pub fn reader_full_wanted(model: &Model) -> bool {
    model
        .reader_full
        .unwrap_or(is_narrow(model) || model.size.1 < SHORT_HEIGHT)
}

/// Whether the open message takes the whole body area now (invariant: the focus is then on
/// the message, never on a pane that is not drawn).
pub fn reader_full(model: &Model) -> bool {
    model.message.is_some() && reader_full_wanted(model)
}

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
    /// From, To, Cc, Bcc, Subject, Attachments: one line each.
    pub fields: [Rect; 6],
    pub body: Rect,
    pub status: Rect,
}

pub fn screen(model: &Model) -> Rect {
    Rect::new(0, 0, model.size.0, model.size.1)
}

/// The text of each account's badge at the right of the status line ("work ● online"); on a
/// terminal too narrow for them beside the help hint, only the name and the mark ("work ●").
pub fn account_badges(model: &Model) -> Vec<String> {
    let full = full_badges(model);
    let width: usize = full.iter().map(|b| width_of(b)).sum();
    if width + 8 <= model.size.0 as usize {
        return full;
    }
    full.iter()
        .map(|b| {
            let mut words = b.split_whitespace();
            let (name, mark) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            format!(" {name} {mark}")
        })
        .collect()
}

fn full_badges(model: &Model) -> Vec<String> {
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

/// The screen's areas. A pane that is not shown gets an empty `Rect` (at its place), so
/// drawing skips it and the mouse never hits it.
pub fn areas(model: &Model) -> Areas {
    areas_with(model, reader_full(model))
}

fn areas_with(model: &Model, full_reader: bool) -> Areas {
    let [main, status] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(status_rows(model))])
            .areas(screen(model));
    if full_reader {
        return Areas {
            folders: Rect { width: 0, ..main },
            list: Rect { height: 0, ..main },
            message: Some(main),
            status,
        };
    }
    // The focus on the folders shows them even when hidden: the keyboard is never on a pane
    // that is not drawn.
    let show_folders = folder_pane_wanted(model) || model.focus == Focus::Folders;
    let fw = if show_folders {
        (main.width / 4).clamp(14, 28).min(main.width)
    } else {
        0
    };
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
        Constraint::Length(6),
        Constraint::Min(1),
        Constraint::Length(compose_status_rows(model)),
    ])
    .areas(screen(model));
    let f: [Rect; 6] = Layout::vertical([Constraint::Length(1); 6]).areas(fields);
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

/// How many message rows the list shows; behind a full-screen reader, the rows it shows
/// once the reader closes (so `n` keeps the cursor on screen there).
pub fn list_height(model: &Model) -> usize {
    let list = areas(model).list;
    let list = if list.height == 0 {
        areas_with(model, false).list
    } else {
        list
    };
    inner_height(list).max(1)
}

/// How the message pane is laid out: its inside, and whether its headers are compact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    /// Where headers and body go (inside the frame).
    pub inner: Rect,
    /// Full-screen: a top rule with the subject only, no side borders, and the Subject header
    /// left out (it is the title).
    pub full: bool,
    /// Also the attachments on one line and no rule under the headers (short terminals).
    pub compact: bool,
}

/// The message pane's layout, if a message is shown.
pub fn reader(model: &Model) -> Option<Reader> {
    let r = areas(model).message?;
    if reader_full(model) {
        let inner = Rect {
            y: r.y.saturating_add(1).min(r.bottom()),
            height: r.height.saturating_sub(1),
            ..r
        };
        return Some(Reader {
            inner,
            full: true,
            compact: model.size.1 < SHORT_HEIGHT,
        });
    }
    let inner = Rect {
        x: r.x.saturating_add(1),
        y: r.y.saturating_add(1),
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    };
    Some(Reader {
        inner,
        full: false,
        compact: false,
    })
}

/// Whether the reader shows this header (full-screen, the subject is the title instead).
pub fn shows_header(reader: &Reader, name: &str) -> bool {
    !(reader.full && name.eq_ignore_ascii_case("subject"))
}

/// How many scrolled lines the message pane shows below its fixed headers.
pub fn message_height(model: &Model) -> usize {
    let Some(r) = reader(model) else {
        return 1;
    };
    let fixed = reader_lines(model).fixed.len();
    (r.inner.height as usize).saturating_sub(fixed).max(1)
}

/// The open message's lines as the message pane shows them now (full-screen: no Subject
/// header, it is the title; compact: attachments on one line, no rule).
pub fn reader_lines(model: &Model) -> super::reader::ReaderLines {
    let (Some(view), Some(r)) = (&model.message, reader(model)) else {
        return super::reader::ReaderLines::default();
    };
    super::reader::lines(
        view,
        &model.reader_headers,
        super::reader::Shape {
            width: r.inner.width as usize,
            height: r.inner.height as usize,
            full: r.full,
            compact: r.compact,
        },
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
