//! Mouse: a click selects (a second click on the selected row opens it), the wheel scrolls the
//! pane under the pointer. Hit-testing uses the same layout `view` draws with.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::super::layout::{self, contains};
use super::super::model::{Field, Focus, Model, PaneLine};
use super::super::protocol::Command;
use super::{load_pages, open_folder, open_selected};

const WHEEL_STEP: isize = 3;

pub(super) fn handle(model: &mut Model, m: MouseEvent) -> Vec<Command> {
    let (col, row) = (m.column, m.row);
    let wheel = match m.kind {
        MouseEventKind::ScrollDown => Some(WHEEL_STEP),
        MouseEventKind::ScrollUp => Some(-WHEEL_STEP),
        MouseEventKind::Down(MouseButton::Left) => None,
        // Motion, drags and other buttons change nothing: no redraw.
        _ => return Vec::new(),
    };
    model.dirty = true;
    if model.compose.is_some() {
        compose(model, col, row, wheel);
        return Vec::new();
    }
    if let Some(scroll) = model.help {
        model.help = wheel.map(|d| scroll.saturating_add_signed(d));
        return Vec::new();
    }
    let areas = layout::areas(model);
    if contains(areas.folders, col, row) {
        return folders(model, areas.folders, row, wheel);
    }
    if contains(areas.list, col, row) {
        return list(model, areas.list, row, wheel);
    }
    if let Some(r) = areas.message.filter(|r| contains(*r, col, row)) {
        let _ = r;
        match wheel {
            Some(d) => super::normal::scroll_message(model, d),
            None => model.focus = Focus::Message,
        }
        return Vec::new();
    }
    model.dirty = false;
    Vec::new()
}

fn folders(
    model: &mut Model,
    area: ratatui::layout::Rect,
    row: u16,
    wheel: Option<isize>,
) -> Vec<Command> {
    let n = model.folders.entries().len();
    if let Some(d) = wheel {
        if n > 0 {
            model.folders.selected = model.folders.selected.saturating_add_signed(d).min(n - 1);
        }
        return Vec::new();
    }
    model.focus = Focus::Folders;
    if row <= area.y || row >= area.y + area.height - 1 {
        return Vec::new();
    }
    let line = layout::folder_scroll(model) + (row - area.y - 1) as usize;
    let lines = model.folders.lines();
    let Some(PaneLine::Folder(..)) = lines.get(line) else {
        return Vec::new();
    };
    let index = lines[..line]
        .iter()
        .filter(|l| matches!(l, PaneLine::Folder(..)))
        .count();
    match model.folders.entries().get(index).cloned() {
        Some(f) => open_folder(model, f),
        None => Vec::new(),
    }
}

fn list(
    model: &mut Model,
    area: ratatui::layout::Rect,
    row: u16,
    wheel: Option<isize>,
) -> Vec<Command> {
    let h = layout::list_height(model);
    let Some(l) = model.list.as_mut() else {
        return Vec::new();
    };
    if let Some(d) = wheel {
        l.scroll_by(d, h);
        return load_pages(model);
    }
    if row <= area.y || row >= area.y + area.height - 1 {
        model.focus = Focus::List;
        return Vec::new();
    }
    let target = l.scroll + (row - area.y - 1) as usize;
    if target >= l.visible_len() {
        model.focus = Focus::List;
        return Vec::new();
    }
    let again = target == l.selected && model.focus == Focus::List;
    l.select(target, h);
    model.focus = Focus::List;
    if again {
        open_selected(model)
    } else {
        Vec::new()
    }
}

fn compose(model: &mut Model, col: u16, row: u16, wheel: Option<isize>) {
    let areas = layout::compose_areas(model);
    let Some(c) = model.compose.as_mut() else {
        return;
    };
    if let Some(d) = wheel {
        if contains(areas.body, col, row) {
            c.body.scroll((d as i16, 0));
        }
        return;
    }
    c.completions.clear();
    if let Some(i) = areas.fields.iter().position(|r| contains(*r, col, row)) {
        // The last row is the attachments: not a field.
        if let Some(field) = Field::ALL[..5].get(i)
            && (*field != Field::From || c.identities.len() > 1)
        {
            c.field = *field;
        }
    } else if contains(areas.body, col, row) {
        c.field = Field::Body;
    }
}
