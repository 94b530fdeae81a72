//! The `?` overlay, generated from the keymap in force (so it shows the user's own keys) and
//! the command-line commands.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::super::keymap::Mode;
use super::super::model::{Model, Overlay};
use super::{pad, pane, width_of};

/// Every line of the help text (also used by the tests).
pub(super) fn lines(model: &Model) -> Vec<Line<'static>> {
    let t = &model.theme;
    let mut out = Vec::new();
    for (mode, heading) in [(Mode::Normal, "Reading"), (Mode::Compose, "Composing")] {
        out.push(Line::from(Span::styled(heading, t.title)));
        for (action, keys) in model.keymap.bindings(mode) {
            let keys = if keys.is_empty() {
                "(unbound)".to_string()
            } else {
                keys.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out.push(Line::from(vec![
                Span::styled(pad(&format!("  {keys}"), 16), t.help_key),
                Span::styled(pad(action.name(), 20), t.help),
                Span::styled(action.help(), t.help),
            ]));
        }
        out.push(Line::from(""));
    }
    out.push(Line::from(Span::styled("Commands (:)", t.title)));
    for (cmd, what) in super::super::update::COMMANDS {
        out.push(Line::from(vec![
            Span::styled(pad(&format!("  :{cmd}"), 44), t.help_key),
            Span::styled(*what, t.help),
        ]));
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(
        "Search syntax (/ in a folder, S everywhere)",
        t.title,
    )));
    for row in SEARCH_SYNTAX {
        out.push(Line::from(Span::styled(format!("  {row}"), t.help)));
    }
    out
}

/// The short form of the search syntax (docs/search.md has it all; `postie search --help`
/// too). Every clause must hold; `-` before any excludes.
const SEARCH_SYNTAX: &[&str] = &[
    "words \"a phrase\" from: to: cc: subject: body: prefix*   -word -from:x (exclude)",
    "is:unread is:read is:flagged is:answered is:draft   has:attachment",
    "after:2026-01-15 (inclusive) before:2026-02 (exclusive)   also today, 7d, 2w",
    "folder:NAME account:NAME (S only)   folder:\"My Folder\" for spaces",
];

/// The `:messages` overlay: every logged error in full, wrapped to `width` columns.
pub(super) fn message_lines(model: &Model, width: usize) -> Vec<Line<'static>> {
    let t = &model.theme;
    if model.log.is_empty() {
        return vec![Line::from(Span::styled("No errors so far.", t.help))];
    }
    let mut out = Vec::new();
    for entry in &model.log {
        for (i, row) in wrap(entry, width.saturating_sub(2).max(10))
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 { "• " } else { "  " };
            out.push(Line::from(Span::styled(format!("{lead}{row}"), t.help)));
        }
    }
    out
}

/// Word-wraps `text` to rows of at most `width` columns (a longer word is cut).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let mut rest = word;
        while width_of(rest) > width {
            if !row.is_empty() {
                rows.push(std::mem::take(&mut row));
            }
            let mut used = 0;
            let mut at = 0;
            for (i, c) in rest.char_indices() {
                used += width_of(&rest[i..i + c.len_utf8()]);
                if used > width && at > 0 {
                    break;
                }
                at = i + c.len_utf8();
            }
            rows.push(rest[..at].to_string());
            rest = &rest[at..];
        }
        if !row.is_empty() && width_of(&row) + 1 + width_of(rest) > width {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(rest);
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

pub(super) fn draw(model: &Model, frame: &mut Frame, area: Rect, scroll: usize) {
    frame.render_widget(Clear, area);
    let title = match (model.overlay, &model.output) {
        (Overlay::Help, _) => "Help — Esc closes, j/k scroll".to_string(),
        (Overlay::Messages, _) => {
            "Messages — recent errors in full; Esc closes, j/k scroll".to_string()
        }
        (Overlay::Output, Some(o)) => format!("{} — {}; Esc closes, j/k scroll", o.label, o.status),
        (Overlay::Output, None) => "Output".to_string(),
    };
    let block = pane(model, title, true).style(model.theme.help);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let all = match model.overlay {
        Overlay::Help => lines(model),
        Overlay::Messages => message_lines(model, inner.width as usize),
        Overlay::Output => model.output.as_ref().map_or_else(Vec::new, |o| {
            o.text
                .lines()
                .map(|l| Line::from(Span::styled(l.to_owned(), model.theme.help)))
                .collect()
        }),
    };
    let max = all.len().saturating_sub(inner.height as usize);
    let shown: Vec<Line> = all.into_iter().skip(scroll.min(max)).collect();
    frame.render_widget(Paragraph::new(shown).style(model.theme.help), inner);
}
