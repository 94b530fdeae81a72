//! The message view: headers, the attachment list (the selected one marked), then the body,
//! wrapped to the pane, with quotes, URLs and find matches styled.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::model::{Focus, Model};
use super::super::text;
use super::super::theme::Theme;
use super::list::human_size;
use super::{fit, is_focused, pad, pane};

pub(super) fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let Some(view) = &model.message else { return };
    let focused = is_focused(model, Focus::Message);
    let title = view
        .message
        .as_ref()
        .and_then(|m| {
            m.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("subject"))
        })
        .map_or_else(|| "Message".to_string(), |(_, v)| v.clone());
    let block = pane(
        model,
        fit(&title, area.width.saturating_sub(6) as usize),
        focused,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(msg) = &view.message else {
        frame.render_widget(Paragraph::new("Loading…").style(t.body), inner);
        return;
    };
    let width = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let name_w = msg
        .headers
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    for (name, value) in &msg.headers {
        let value_style = if name == "PGP" && crate::ui::types::pgp_line_is_alarming(value) {
            t.status_error
        } else {
            t.header_value
        };
        lines.push(Line::from(vec![
            Span::styled(pad(&format!("{name}:"), name_w + 1), t.header_name),
            Span::styled(fit(value, width.saturating_sub(name_w + 1)), value_style),
        ]));
    }
    if !msg.attachments.is_empty() {
        lines.push(Line::from(Span::styled(
            pad("Attachments:", width),
            t.header_name,
        )));
        for (i, a) in msg.attachments.iter().enumerate() {
            let mark = if i == view.attachment { "▸" } else { " " };
            let text = format!(
                "{mark} {}. {} ({}, {})",
                i + 1,
                a.name,
                a.mime,
                human_size(a.size)
            );
            let style = if i == view.attachment && focused {
                t.attachment.patch(t.selected_unfocused)
            } else {
                t.attachment
            };
            lines.push(Line::from(Span::styled(fit(&text, width), style)));
        }
    }
    lines.push(Line::from(Span::styled("─".repeat(width), t.border)));
    let body = text::wrap(&msg.body, width);
    let room = (inner.height as usize).saturating_sub(lines.len());
    let find = view.find.as_deref();
    for line in body.iter().skip(view.scroll).take(room) {
        lines.push(body_line(t, line, find));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One body line: quoted lines in the quote style, URLs and find matches marked.
fn body_line<'a>(t: &Theme, line: &'a str, find: Option<&str>) -> Line<'a> {
    let base = if line.trim_start().starts_with('>') {
        t.quote
    } else {
        t.body
    };
    // Per-byte style marks, then merged into spans at char boundaries.
    let mut marks: Vec<(usize, usize, Style)> = text::find_urls(line)
        .into_iter()
        .map(|(a, b)| (a, b, base.patch(t.url)))
        .collect();
    if let Some(needle) = find.filter(|n| !n.is_empty()) {
        let lower = line.to_lowercase();
        // Lowercasing can change byte lengths; only mark when it did not.
        if lower.len() == line.len() {
            let n = needle.to_lowercase();
            let mut from = 0;
            while let Some(i) = lower[from..].find(&n) {
                let (a, b) = (from + i, from + i + n.len());
                marks.retain(|(x, y, _)| *y <= a || *x >= b);
                marks.push((a, b, t.search_match));
                from = b;
            }
        }
    }
    marks.sort_by_key(|m| m.0);
    let mut spans = Vec::new();
    let mut at = 0;
    for (a, b, style) in marks {
        if a < at || !line.is_char_boundary(a) || !line.is_char_boundary(b) {
            continue;
        }
        if a > at {
            spans.push(Span::styled(&line[at..a], base));
        }
        spans.push(Span::styled(&line[a..b], style));
        at = b;
    }
    if at < line.len() {
        spans.push(Span::styled(&line[at..], base));
    }
    Line::from(spans)
}
