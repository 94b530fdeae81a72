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
    let rows = [
        Some(Field::From),
        Some(Field::To),
        Some(Field::Cc),
        Some(Field::Bcc),
        Some(Field::Subject),
        None,
    ];
    for (area, field) in areas.fields.iter().zip(rows) {
        let width = area.width as usize;
        let (label, value) = match field {
            None => ("Attach", attachments_line(c)),
            Some(Field::From) => ("From", from_line(c)),
            Some(f) => (
                f.label(),
                input_of(c, f)
                    .map(|i| i.visible(width.saturating_sub(LABEL_W)).0)
                    .unwrap_or_default(),
            ),
        };
        let label_style = if field == Some(c.field) {
            t.field_label.patch(t.selected_unfocused)
        } else {
            t.field_label
        };
        let line = Line::from(vec![
            Span::styled(pad(&format!("{label}:"), LABEL_W), label_style),
            Span::styled(fit(&value, width.saturating_sub(LABEL_W)), t.header_value),
        ]);
        frame.render_widget(Paragraph::new(line), *area);
        if let Some(field) = field
            && c.field == field
            && c.prompt.is_none()
            && !c.confirm_discard
            && let Some(input) = input_of(c, field)
        {
            let x = area.x + (LABEL_W + input.visible(width.saturating_sub(LABEL_W)).1) as u16;
            frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
        }
    }
    let title = match c.pgp.describe() {
        "off" => format!("Message ({})", c.account),
        pgp => format!("Message ({}) · PGP: {pgp}", c.account),
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
    prompt_popup(model, c, frame, areas.status);
}

/// The identity sending, and how to change it when there is a choice.
fn from_line(c: &Compose) -> String {
    let from = match c.identities.get(c.identity) {
        Some(i) if !i.from.is_empty() => i.from.clone(),
        _ => format!("(account {})", c.account),
    };
    if c.identities.len() > 1 {
        format!("{from}  [{}/{}]", c.identity + 1, c.identities.len())
    } else {
        from
    }
}

/// The attachments, the selected one in brackets when there are several.
fn attachments_line(c: &Compose) -> String {
    if c.attachments.is_empty() {
        return "(none)".to_string();
    }
    c.attachments
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if i == c.attachment_sel && c.attachments.len() > 1 {
                format!("[{}]", a.label())
            } else {
                a.label()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Above the attach prompt: the completion candidates, or why the path was refused.
fn prompt_popup(model: &Model, c: &Compose, frame: &mut Frame, status: Rect) {
    let Some(p) = &c.prompt else { return };
    let t = &model.theme;
    let (lines, style): (Vec<String>, _) = match &model.status {
        Some(s) if s.error => (vec![s.text.clone()], t.status_error),
        _ if !p.candidates.is_empty() => (p.candidates.clone(), t.popup),
        _ => return,
    };
    let width = status.width as usize;
    // Candidates in columns, as a shell lists them.
    let col = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 2;
    let per_row = (width / col.max(1)).max(1);
    let rows: Vec<String> = if style == t.popup {
        lines
            .chunks(per_row)
            .map(|chunk| chunk.iter().map(|l| pad(l, col)).collect::<String>())
            .collect()
    } else {
        lines
    };
    let height = (rows.len() as u16).min(status.y.saturating_sub(1)).min(8);
    if height == 0 {
        return;
    }
    let area = Rect::new(status.x, status.y - height, status.width, height);
    frame.render_widget(Clear, area);
    let shown: Vec<Line> = rows
        .iter()
        .take(height as usize)
        .map(|r| Line::from(Span::styled(pad(&format!(" {r}"), width), style)))
        .collect();
    frame.render_widget(Paragraph::new(shown), area);
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
        let label = if p.checking {
            "Attach file (checking): "
        } else {
            "Attach file (Tab completes): "
        };
        let (shown, x) = p
            .input
            .visible((area.width as usize).saturating_sub(label.len()));
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
            // The keys that do something now: attachment keys once there are attachments,
            // the identity key when there is a choice.
            let mut hints = vec![
                format!("{} send", k(Action::ComposeSend)),
                format!("{} save draft", k(Action::ComposeSave)),
                format!("{} $EDITOR", k(Action::ComposeEditor)),
                format!("{} attach", k(Action::ComposeAttach)),
            ];
            if !c.attachments.is_empty() {
                hints.push(format!("{} detach", k(Action::ComposeDetach)));
            }
            if c.attachments.len() > 1 {
                hints.push(format!(
                    "{} next attachment",
                    k(Action::ComposeNextAttachment)
                ));
            }
            if c.identities.len() > 1 {
                hints.push(format!("{} From", k(Action::ComposeNextIdentity)));
            }
            hints.push(format!("{} cancel", k(Action::ComposeCancel)));
            (hints.join("  "), t.status)
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
