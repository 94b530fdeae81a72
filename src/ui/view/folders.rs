//! The folder pane: each account with its state mark, then its folders (special-use first)
//! with unread counts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::model::{Focus, Model, PaneLine};
use super::super::types::AccountState;
use super::{fit, is_focused, pad, pane};

pub(super) fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let focused = is_focused(model, Focus::Folders);
    let block = pane(model, "Folders".to_string(), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let current = model.current.as_ref();
    let mut folder_index = 0;
    let mut lines = Vec::new();
    for line in model.folders.lines() {
        match line {
            PaneLine::Account(a) => {
                let mark = match a.state {
                    AccountState::Online => "●",
                    AccountState::Syncing { .. }
                    | AccountState::Connecting
                    | AccountState::Busy(_) => "◐",
                    AccountState::Offline => "○",
                    AccountState::Failed(_) => "✗",
                };
                lines.push(Line::from(vec![Span::styled(
                    fit(&format!("{mark} {}", a.name), width),
                    t.account,
                )]));
            }
            PaneLine::Folder(a, f) => {
                let count = if f.unread > 0 {
                    format!(" {}", f.unread)
                } else {
                    String::new()
                };
                let name_w = width.saturating_sub(count.chars().count() + 2);
                let text = format!("  {}{count}", pad(&f.name, name_w));
                let is_current = current.is_some_and(|c| c.account == a.name && c.folder == f.name);
                let style = if folder_index == model.folders.selected && focused {
                    t.selected
                } else if folder_index == model.folders.selected || is_current {
                    t.selected_unfocused
                } else if f.unread > 0 {
                    t.folder_unread
                } else {
                    t.folder
                };
                lines.push(Line::from(Span::styled(pad(&text, width), style)));
                folder_index += 1;
            }
        }
    }
    let skip = super::layout::folder_scroll(model).min(lines.len());
    frame.render_widget(Paragraph::new(lines.split_off(skip)), inner);
}
