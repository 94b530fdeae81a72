//! The bottom line: a prompt when one is open; else the last status or error, and each
//! account's state (online, offline, syncing with progress, failed).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::model::Model;
use super::super::types::AccountState;
use super::{fill, fit, width_of};

pub(super) fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    if let Some(p) = &model.prompt {
        let label = p.kind.label();
        let (shown, cursor) = p
            .input
            .visible((area.width as usize).saturating_sub(width_of(label)));
        let line = Line::from(vec![
            Span::styled(label, t.prompt),
            Span::styled(shown, t.prompt),
        ]);
        fill(frame, area, t.prompt);
        frame.render_widget(Paragraph::new(line), area);
        let x = area.x + (width_of(label) + cursor) as u16;
        frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    fill(frame, area, t.status);
    let mut right: Vec<Span> = Vec::new();
    for a in &model.folders.accounts {
        let (text, style) = match &a.state {
            AccountState::Online => (format!("{} ● online", a.name), t.status_online),
            AccountState::Offline => (format!("{} ○ offline", a.name), t.status_offline),
            AccountState::Connecting => (format!("{} ◐ connecting", a.name), t.status),
            AccountState::Syncing {
                done,
                total: Some(total),
            } => {
                let pct = if *total > 0 { done * 100 / total } else { 100 };
                (
                    format!("{} ◐ syncing {done}/{total} {pct}%", a.name),
                    t.status,
                )
            }
            AccountState::Syncing { done, total: None } => {
                (format!("{} ◐ syncing {done}", a.name), t.status)
            }
            AccountState::Failed(_) => (format!("{} ✗ failed", a.name), t.status_error),
            AccountState::Busy(_) => (format!("{} ◐ busy", a.name), t.status),
        };
        right.push(Span::styled(format!(" {text} "), style));
    }
    let right_w: usize = right.iter().map(|s| width_of(&s.content)).sum();
    let width = area.width as usize;
    let left = match &model.status {
        Some(s) => Span::styled(
            fit(&format!(" {}", s.text), width.saturating_sub(right_w + 1)),
            if s.error { t.status_error } else { t.status },
        ),
        None => Span::styled(
            fit(
                &format!(
                    " {} help",
                    model.keymap.keys_for(super::super::keymap::Action::Help)
                ),
                width.saturating_sub(right_w),
            ),
            t.status,
        ),
    };
    let gap = width.saturating_sub(width_of(&left.content) + right_w);
    let mut spans = vec![left, Span::styled(" ".repeat(gap), t.status)];
    if right_w < width {
        spans.extend(right);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
