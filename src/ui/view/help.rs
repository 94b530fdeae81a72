//! The `?` overlay, generated from the keymap in force (so it shows the user's own keys) and
//! the command-line commands.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::super::keymap::Mode;
use super::super::model::Model;
use super::{pad, pane};

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
    out
}

pub(super) fn draw(model: &Model, frame: &mut Frame, area: Rect, scroll: usize) {
    frame.render_widget(Clear, area);
    let block =
        pane(model, "Help — Esc closes, j/k scroll".to_string(), true).style(model.theme.help);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let all = lines(model);
    let max = all.len().saturating_sub(inner.height as usize);
    let shown: Vec<Line> = all.into_iter().skip(scroll.min(max)).collect();
    frame.render_widget(Paragraph::new(shown).style(model.theme.help), inner);
}
