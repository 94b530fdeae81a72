//! The compose screen: one line per header field, the attachments, the body editor, and a
//! status line with the compose keys (or the attach prompt / discard question).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::super::keymap::Action;
use super::super::layout;
use super::super::model::{Compose, Field, Model};
use super::{fill, fit, pad, pane};

const LABEL_W: usize = 9;

pub(super) fn draw(model: &Model, frame: &mut Frame) {
    let Some(c) = &model.compose else { return };
    let t = &model.theme;
    let areas = layout::compose_areas(model);
    for (i, field) in Field::ALL[..5].iter().enumerate() {
        let area = areas.fields[i];
        let width = area.width as usize;
        let value = match field {
            Field::Attachments if c.attachments.is_empty() => "(none)".to_string(),
            Field::Attachments => c
                .attachments
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let sel = i == c.attachment_sel && c.field == Field::Attachments;
                    if sel {
                        format!("[{}]", a.label())
                    } else {
                        a.label()
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
            _ => input_of(c, *field)
                .map(|i| i.visible(width.saturating_sub(LABEL_W)).0)
                .unwrap_or_default(),
        };
        let label_style = if c.field == *field {
            t.field_label.patch(t.selected_unfocused)
        } else {
            t.field_label
        };
        let line = Line::from(vec![
            Span::styled(pad(&format!("{}:", field.label()), LABEL_W), label_style),
            Span::styled(fit(&value, width.saturating_sub(LABEL_W)), t.header_value),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        if c.field == *field
            && c.prompt.is_none()
            && !c.confirm_discard
            && let Some(input) = input_of(c, *field)
        {
            let x = area.x + (LABEL_W + input.visible(width.saturating_sub(LABEL_W)).1) as u16;
            frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
        }
    }
    let title = match c.pgp.describe() {
        "off" => format!("From {}", c.account),
        pgp => format!("From {} · PGP: {pgp}", c.account),
    };
    let mut body = c.body.clone();
    body.set_block(pane(model, title, c.field == Field::Body));
    body.set_style(t.body);
    body.set_cursor_style(if c.field == Field::Body {
        t.selected
    } else {
        t.body
    });
    frame.render_widget(&body, areas.body);
    if c.field.is_address() && !c.completions.is_empty() {
        completions(
            model,
            c,
            frame,
            areas.fields[Field::ALL.iter().position(|f| *f == c.field).unwrap_or(0)],
        );
    }
    status(model, c, frame, areas.status);
}

fn input_of(c: &Compose, field: Field) -> Option<&super::super::input::LineInput> {
    match field {
        Field::To => Some(&c.to),
        Field::Cc => Some(&c.cc),
        Field::Bcc => Some(&c.bcc),
        Field::Subject => Some(&c.subject),
        _ => None,
    }
}

fn completions(model: &Model, c: &Compose, frame: &mut Frame, field: Rect) {
    let t = &model.theme;
    let screen = layout::screen(model);
    let width = c
        .completions
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .min(60) as u16
        + 2;
    let height = (c.completions.len() as u16).min(8);
    let x = field.x + LABEL_W as u16;
    let area = Rect::new(
        x,
        field.y + 1,
        width.min(screen.width.saturating_sub(x)),
        height.min(screen.height.saturating_sub(field.y + 2)),
    );
    frame.render_widget(Clear, area);
    let lines: Vec<Line> = c
        .completions
        .iter()
        .take(area.height as usize)
        .enumerate()
        .map(|(i, s)| {
            let style = if i == c.completion_sel {
                t.selected
            } else {
                t.popup
            };
            Line::from(Span::styled(
                pad(&format!(" {s}"), area.width as usize),
                style,
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn status(model: &Model, c: &Compose, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    if let Some(p) = &c.prompt {
        fill(frame, area, t.prompt);
        let label = "Attach file: ";
        let (shown, x) = p.visible((area.width as usize).saturating_sub(label.len()));
        frame.render_widget(
            Paragraph::new(format!("{label}{shown}")).style(t.prompt),
            area,
        );
        let x = area.x + (label.len() + x) as u16;
        frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    if c.confirm_discard {
        fill(frame, area, t.prompt);
        frame.render_widget(
            Paragraph::new(
                "Discard this message? y: discard  s: save as draft  other key: keep editing",
            )
            .style(t.prompt),
            area,
        );
        return;
    }
    let (text, style) = match &model.status {
        Some(s) => (
            s.text.clone(),
            if s.error { t.status_error } else { t.status },
        ),
        None => {
            let k = |a| model.keymap.keys_for(a);
            (
                format!(
                    "{} send  {} save draft  {} $EDITOR  {} attach  {} detach  {} cancel",
                    k(Action::ComposeSend),
                    k(Action::ComposeSave),
                    k(Action::ComposeEditor),
                    k(Action::ComposeAttach),
                    k(Action::ComposeDetach),
                    k(Action::ComposeCancel)
                ),
                t.status,
            )
        }
    };
    fill(frame, area, style);
    if area.height >= 2 {
        // A long error: its start, then its end (the remedy), as in the reading screen.
        let width = area.width as usize;
        let (first, second) = super::status::split_two_rows(&text, width, width);
        frame.render_widget(
            Paragraph::new(vec![first.into(), second.into()]).style(style),
            area,
        );
        return;
    }
    frame.render_widget(
        Paragraph::new(fit(&format!(" {text}"), area.width as usize)).style(style),
        area,
    );
}
