//! `view(&Model, &mut Frame)`: draws the model, nothing else. No state of its own: every
//! position comes from [`super::layout`], which `update` also uses for the mouse.

mod compose;
mod folders;
mod help;
pub(crate) mod list;
mod message;
mod status;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_layout;
#[cfg(test)]
mod tests_tags;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};

use super::layout;
use super::model::{Focus, Model};
use super::text::columns as width_of;

/// Draw the whole screen.
pub fn view(model: &Model, frame: &mut Frame) {
    let area = frame.area();
    frame.buffer_mut().set_style(area, model.theme.base);
    if model.compose.is_some() {
        compose::draw(model, frame);
        return;
    }
    let areas = layout::areas(model);
    // A hidden pane has an empty area (B, a narrow terminal, the full-screen reader).
    if !areas.folders.is_empty() {
        folders::draw(model, frame, areas.folders);
    }
    if !areas.list.is_empty() {
        list::draw(model, frame, areas.list);
    }
    if let Some(r) = areas.message {
        message::draw(model, frame, r);
    }
    status::draw(model, frame, areas.status);
    if let Some(scroll) = model.help {
        help::draw(model, frame, layout::help_area(model), scroll);
    }
}

/// A pane's frame: rounded, highlighted when focused.
fn pane<'a>(model: &Model, title: String, focused: bool) -> Block<'a> {
    let t = &model.theme;
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(if focused { t.border_focused } else { t.border })
        .title(Span::styled(format!(" {title} "), t.title))
}

fn is_focused(model: &Model, f: Focus) -> bool {
    model.focus == f && model.prompt.is_none()
}

/// Cut `s` to at most `width` columns, with `…` when cut; control characters become spaces so
/// a hostile subject cannot move the cursor.
fn fit(s: &str, width: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if width_of(&clean) <= width {
        return clean;
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in clean.chars() {
        let w = width_of(c.encode_utf8(&mut buf));
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut or right-padded with spaces to exactly `width` columns.
fn pad(s: &str, width: usize) -> String {
    let f = fit(s, width);
    let n = width_of(&f);
    f + &" ".repeat(width.saturating_sub(n))
}

fn fill(frame: &mut Frame, r: Rect, style: Style) {
    frame.buffer_mut().set_style(r, style);
}

/// Format a count with thousands separators (1,234,567).
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
