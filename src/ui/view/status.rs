//! The bottom line: a prompt when one is open; else the last status or error, and each
//! account's state (online, offline, syncing with progress, failed).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::layout;
use super::super::model::Model;
use super::super::types::AccountState;
use super::{fill, fit, width_of};

pub(super) fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    if let Some(p) = &model.prompt {
        let label = p.kind.label();
        let label = label.as_ref();
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
    let badges = layout::account_badges(model);
    let mut right: Vec<Span> = model
        .folders
        .accounts
        .iter()
        .zip(badges)
        .map(|(a, text)| {
            let style = match &a.state {
                AccountState::Online => t.status_online,
                AccountState::Offline => t.status_offline,
                AccountState::Failed(_) => t.status_error,
                AccountState::Connecting | AccountState::Syncing { .. } | AccountState::Busy(_) => {
                    t.status
                }
            };
            Span::styled(text, style)
        })
        .collect();
    if !model.tags.is_empty() {
        // Always in sight while tags are set: the next d/m/s/u acts on all of them.
        right.insert(
            0,
            Span::styled(
                format!(" {} tagged ", model.tags.len()),
                t.status.patch(t.row_tagged),
            ),
        );
    }
    let right_w: usize = right.iter().map(|s| width_of(&s.content)).sum();
    let width = area.width as usize;
    let mut bottom = area;
    if let (Some(s), true) = (&model.status, area.height >= 2) {
        // An error too long for one row: its start on the first row, its end (the remedy)
        // on the second, beside the badges; a middle that fits on neither is elided.
        let (first, second) = split_two_rows(&s.text, width, width.saturating_sub(right_w + 1));
        let top = Rect { height: 1, ..area };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(first, t.status_error))),
            top,
        );
        bottom = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        let gap = width.saturating_sub(width_of(&second) + right_w);
        let mut spans = vec![
            Span::styled(second, t.status_error),
            Span::styled(" ".repeat(gap), t.status),
        ];
        if right_w < width {
            spans.extend(right);
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), bottom);
        return;
    }
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
    frame.render_widget(Paragraph::new(Line::from(spans)), bottom);
}

/// Splits ` text` over two rows of `first_w` and `second_w` columns at a word boundary. When
/// it is longer than both, the middle goes (`…`): the end of an error says what to do.
pub(super) fn split_two_rows(text: &str, first_w: usize, second_w: usize) -> (String, String) {
    let clean = fit(text, usize::MAX);
    let rows = super::help::wrap(&clean, first_w.saturating_sub(1).max(1));
    let first = format!(" {}", rows.first().cloned().unwrap_or_default());
    let rest = rows.get(1..).unwrap_or_default().join(" ");
    let room = second_w.saturating_sub(1);
    let second = if width_of(&rest) <= room {
        rest
    } else {
        // Keep the end: drop whole characters from the front of the rest.
        let mut kept = String::new();
        let mut used = 1; // the `…`
        for c in rest.chars().rev() {
            let w = width_of(c.encode_utf8(&mut [0u8; 4]));
            if used + w > room {
                break;
            }
            used += w;
            kept.insert(0, c);
        }
        format!("…{kept}")
    };
    (first, format!(" {second}"))
}
