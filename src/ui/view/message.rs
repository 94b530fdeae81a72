//! The message view: headers, the attachment list (the selected one marked), then the body,
//! wrapped to the pane, with quotes, URLs and find matches styled. Full-screen (`Z`, or any
//! narrow terminal) it has no side borders and the subject as its title; on a short terminal
//! its headers are compact too. The rows it takes come from [`layout::reader`], which paging
//! and scrolling use as well.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Borders, Paragraph};

use super::super::layout;
use super::super::model::{Focus, Model};
use super::super::reader::ReaderLine;
use super::super::text;
use super::super::theme::Theme;
use super::super::types::Message;
use super::list::human_size;
use super::{fit, is_focused, pad, pane, thousands, width_of};

pub(super) fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let Some(view) = &model.message else { return };
    let Some(reader) = layout::reader(model) else {
        return;
    };
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
    let title = if view.raw.is_some() {
        format!("Raw: {title}")
    } else {
        title
    };
    // Full-screen, the list and its position are hidden: the title keeps the position.
    let place = match (&model.list, reader.full) {
        (Some(l), true) if l.total.is_some_and(|t| t > 0) => format!(
            " · {}/{}",
            thousands(l.selected as u64 + 1),
            thousands(l.visible_len() as u64)
        ),
        _ => String::new(),
    };
    let room = (area.width as usize).saturating_sub(6 + width_of(&place));
    let title = fit(&title, room) + &place;
    let block = if reader.full {
        // Full-screen: one rule with the subject on top, nothing at the sides, so every
        // column and all but one row are the message's.
        pane(model, title, focused).borders(Borders::TOP)
    } else {
        pane(model, title, focused)
    };
    frame.render_widget(block, area);
    let inner = reader.inner;
    let Some(msg) = &view.message else {
        frame.render_widget(Paragraph::new("Loading…").style(t.body), inner);
        return;
    };
    let width = inner.width as usize;
    let reader = layout::reader_lines(model);
    let mut lines: Vec<Line> = Vec::new();
    let find = view.find.as_deref();
    let room = (inner.height as usize).saturating_sub(reader.fixed.len());
    let scrolled = reader.scrolled.iter().skip(view.scroll).take(room);
    for line in reader.fixed.iter().chain(scrolled) {
        lines.push(match line {
            ReaderLine::Header { name, value } => {
                // The backend's PGP line in the error style when something is wrong.
                let pgp = name.trim_end().trim_end_matches(':') == "PGP";
                let value_style = if pgp && crate::ui::types::pgp_line_is_alarming(value) {
                    t.status_error
                } else {
                    t.header_value
                };
                Line::from(vec![
                    Span::styled(name.as_str(), t.header_name),
                    Span::styled(value.as_str(), value_style),
                ])
            }
            ReaderLine::More(value) => Line::from(Span::styled(value.as_str(), t.header_value)),
            ReaderLine::AttachmentsTitle => {
                Line::from(Span::styled(pad("Attachments:", width), t.header_name))
            }
            ReaderLine::Attachment(i) => attachment_line(model, msg, *i, width, focused),
            ReaderLine::AttachmentsInline => {
                attachments_inline(model, msg, view.attachment, focused, width)
            }
            ReaderLine::Rule => Line::from(Span::styled("─".repeat(width), t.border)),
            ReaderLine::Text(text) => body_line(t, text, find),
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One line of the attachment list, the selected one marked.
fn attachment_line<'a>(
    model: &Model,
    msg: &Message,
    i: usize,
    width: usize,
    focused: bool,
) -> Line<'a> {
    let t = &model.theme;
    let selected = model.message.as_ref().is_some_and(|v| v.attachment == i);
    let Some(a) = msg.attachments.get(i) else {
        return Line::default();
    };
    let mark = if selected { "▸" } else { " " };
    let text = format!(
        "{mark} {}. {} ({}, {})",
        i + 1,
        a.name,
        a.mime,
        human_size(a.size)
    );
    let style = if selected && focused {
        t.attachment.patch(t.selected_unfocused)
    } else {
        t.attachment
    };
    Line::from(Span::styled(fit(&text, width), style))
}

/// The attachments on one line (compact reader): `@ ▸1 plan.pdf 48K  2 photo.jpg 1.2M`,
/// the selected one marked and highlighted.
fn attachments_inline<'a>(
    model: &Model,
    msg: &'a Message,
    selected: usize,
    focused: bool,
    width: usize,
) -> Line<'a> {
    let t = &model.theme;
    let mut spans = vec![Span::styled("@", t.header_name)];
    let mut used = 1;
    for (i, a) in msg.attachments.iter().enumerate() {
        let mark = if i == selected { "▸" } else { " " };
        let text = format!(" {mark}{} {} {}", i + 1, a.name, human_size(a.size));
        let style = if i == selected && focused {
            t.attachment.patch(t.selected_unfocused)
        } else {
            t.attachment
        };
        let text = fit(&text, width.saturating_sub(used));
        used += width_of(&text);
        spans.push(Span::styled(text, style));
        if used >= width {
            break;
        }
    }
    Line::from(spans)
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
