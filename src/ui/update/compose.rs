//! The compose screen: header fields with address completion, the From identity, the body
//! editor (ratatui-textarea), send / save draft / external editor, and the discard question.
//!
//! What must hold: Tab moves From (when there is a choice) -> To -> Cc -> Bcc -> Subject ->
//! body and never onto the attachments, which change only through their own actions (attach,
//! remove, select); typing in any field never adds or removes one. The attach prompt and the
//! signatures live in `compose_attach.rs` and `compose_identity.rs`.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use super::super::input::{Edit, LineInput};
use super::super::keymap::{Action, Mode};
use super::super::model::{Compose, Field, Focus, Model};
use super::super::protocol::Command;
use super::super::types::{Draft, EncryptChoice, Identity, split_addresses};
use super::{compose_attach, compose_identity};

/// Completion is asked for once the address typed has this many characters.
const COMPLETE_FROM: usize = 2;

/// Open the compose screen on a new message, a reply or a forward: as [`start_compose`], with
/// the identity's signature put in below the cursor.
pub fn start_new_compose(model: &mut Model, draft: Draft) {
    start_compose(model, draft);
    if let Some(c) = model.compose.as_mut() {
        compose_identity::sign(c);
    }
}

/// Open the compose screen on a draft as it is (a stored draft, or back from the external
/// editor): its From is kept, and no signature is added.
pub fn start_compose(model: &mut Model, draft: Draft) {
    let mut body = TextArea::new(draft.body.split('\n').map(str::to_string).collect());
    body.set_cursor_line_style(ratatui::style::Style::new());
    let line = u16::try_from(draft.body_cursor).unwrap_or(u16::MAX);
    body.move_cursor(ratatui_textarea::CursorMove::Jump(line, 0));
    let identities = model
        .identities
        .get(&draft.account)
        .filter(|list| !list.is_empty())
        .cloned()
        .unwrap_or_else(|| vec![Identity::default()]);
    let identity = compose_identity::index_of(&identities, draft.from.as_deref());
    let pgp = draft.pgp.unwrap_or_else(|| {
        model
            .pgp_defaults
            .get(&draft.account)
            .copied()
            .unwrap_or_default()
    });
    let field = if draft.to.is_empty() {
        Field::To
    } else if draft.subject.is_empty() {
        Field::Subject
    } else {
        Field::Body
    };
    model.compose = Some(Compose {
        account: draft.account,
        to: LineInput::new(draft.to.join(", ")),
        cc: LineInput::new(draft.cc.join(", ")),
        bcc: LineInput::new(draft.bcc.join(", ")),
        subject: LineInput::new(draft.subject),
        body,
        attachments: draft.attachments,
        attachment_sel: 0,
        in_reply_to: draft.in_reply_to,
        references: draft.references,
        message_id: draft.message_id,
        field,
        completions: Vec::new(),
        completion_sel: 0,
        completion_prefix: String::new(),
        sending: false,
        confirm_discard: false,
        prompt: None,
        identities,
        identity,
        signature: None,
        pgp,
    });
    if let Some(c) = model.compose.as_mut() {
        c.signature = compose_identity::present_signature(c);
    }
    model.prompt = None;
    model.help = None;
    model.dirty = true;
}

/// Leave the composer (sent, discarded, saved and closed). The user lands on the list, not
/// on the message the compose started from: the reader is closed, so `j`, `k` and `d` act on
/// the list as they would before the compose (and never on a message still open out of
/// sight).
pub(super) fn close_compose(model: &mut Model) {
    model.compose = None;
    if model.focus == Focus::Message {
        model.message = None;
        model.focus = Focus::List;
    }
    model.dirty = true;
}

/// The draft the compose screen holds.
pub fn draft_of(c: &Compose) -> Draft {
    Draft {
        account: c.account.clone(),
        from: compose_identity::chosen_from(c),
        to: split_addresses(c.to.text()),
        cc: split_addresses(c.cc.text()),
        bcc: split_addresses(c.bcc.text()),
        subject: c.subject.text().to_string(),
        body: c.body.lines().join("\n"),
        attachments: c.attachments.clone(),
        in_reply_to: c.in_reply_to.clone(),
        references: c.references.clone(),
        message_id: c.message_id.clone(),
        body_cursor: 0,
        pgp: Some(c.pgp),
    }
}

fn field_input(c: &mut Compose) -> Option<&mut LineInput> {
    match c.field {
        Field::To => Some(&mut c.to),
        Field::Cc => Some(&mut c.cc),
        Field::Bcc => Some(&mut c.bcc),
        Field::Subject => Some(&mut c.subject),
        Field::From | Field::Body => None,
    }
}

pub(super) fn key(model: &mut Model, key: KeyEvent) -> Vec<Command> {
    let keymap = model.keymap.clone();
    let home = model.home.clone();
    let Some(c) = model.compose.as_mut() else {
        return Vec::new();
    };
    if c.sending {
        model.set_status("Sending…");
        return Vec::new();
    }
    model.status = None;
    if c.confirm_discard {
        c.confirm_discard = false;
        return match key.code {
            KeyCode::Char('y') => {
                close_compose(model);
                model.set_status("Message discarded");
                Vec::new()
            }
            KeyCode::Char('s') => {
                let draft = draft_of(c);
                close_compose(model);
                model.set_status("Saving draft…");
                vec![Command::SaveDraft(draft)]
            }
            _ => Vec::new(),
        };
    }
    if c.prompt.is_some() {
        return compose_attach::key(model, key, home.as_deref());
    }
    if let Some(action) = keymap.action(Mode::Compose, &key) {
        return act(model, action);
    }
    let Some(c) = model.compose.as_mut() else {
        return Vec::new();
    };
    match c.field {
        Field::Body => {
            c.body.input(key);
            Vec::new()
        }
        Field::From => {
            match key.code {
                KeyCode::Left | KeyCode::Char('h') | KeyCode::Char('k') => {
                    compose_identity::cycle(model, -1)
                }
                KeyCode::Right | KeyCode::Char(' ') | KeyCode::Char('l') | KeyCode::Char('j') => {
                    compose_identity::cycle(model, 1)
                }
                KeyCode::Enter | KeyCode::Down => next_field(c, 1),
                KeyCode::Up => next_field(c, -1),
                _ => model.dirty = false,
            }
            Vec::new()
        }
        _ => header_key(c, key),
    }
}

fn header_key(c: &mut Compose, key: KeyEvent) -> Vec<Command> {
    let completing = c.field.is_address() && !c.completions.is_empty();
    match key.code {
        KeyCode::Down if completing => {
            c.completion_sel = (c.completion_sel + 1).min(c.completions.len() - 1);
            return Vec::new();
        }
        KeyCode::Up if completing => {
            c.completion_sel = c.completion_sel.saturating_sub(1);
            return Vec::new();
        }
        KeyCode::Enter if completing => {
            accept_completion(c);
            return Vec::new();
        }
        KeyCode::Enter | KeyCode::Down => {
            next_field(c, 1);
            return Vec::new();
        }
        KeyCode::Up => {
            next_field(c, -1);
            return Vec::new();
        }
        _ => {}
    }
    let is_address = c.field.is_address();
    let Some(input) = field_input(c) else {
        return Vec::new();
    };
    if input.handle(&key) != Edit::Changed || !is_address {
        return Vec::new();
    }
    let prefix = input.current_token().to_string();
    if prefix.chars().count() < COMPLETE_FROM {
        c.completions.clear();
        c.completion_prefix.clear();
        return Vec::new();
    }
    c.completion_prefix = prefix.clone();
    vec![Command::CompleteAddress { prefix }]
}

fn accept_completion(c: &mut Compose) {
    if let Some(addr) = c.completions.get(c.completion_sel).cloned()
        && let Some(input) = field_input(c)
    {
        input.replace_current_token(&addr);
    }
    c.completions.clear();
    c.completion_prefix.clear();
}

/// The next Tab stop (`step` 1) or the previous one (-1): From only when there is a choice.
fn next_field(c: &mut Compose, step: isize) {
    c.completions.clear();
    let stops: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| *f != Field::From || c.identities.len() > 1)
        .collect();
    let i = stops.iter().position(|f| *f == c.field).unwrap_or(0) as isize;
    let n = stops.len() as isize;
    c.field = stops[(i + step).rem_euclid(n) as usize];
}

pub(super) fn act(model: &mut Model, action: Action) -> Vec<Command> {
    let Some(c) = model.compose.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::ComposeSend => {
            let draft = draft_of(c);
            if draft.to.is_empty() && draft.cc.is_empty() && draft.bcc.is_empty() {
                c.field = Field::To;
                model.set_error("No recipient: fill in To, Cc or Bcc");
                return Vec::new();
            }
            c.sending = true;
            model.set_status("Sending…");
            vec![Command::Send(draft)]
        }
        Action::ComposeSave => {
            let draft = draft_of(c);
            model.set_status("Saving draft…");
            vec![Command::SaveDraft(draft)]
        }
        Action::ComposeEditor => vec![Command::EditExternally(draft_of(c))],
        Action::ComposeToggleSign => {
            c.pgp.sign = !c.pgp.sign;
            let now = c.pgp.describe();
            model.set_status(format!("OpenPGP: {now}"));
            Vec::new()
        }
        Action::ComposeToggleEncrypt => {
            c.pgp.encrypt = match c.pgp.encrypt {
                EncryptChoice::Yes => EncryptChoice::No,
                EncryptChoice::No | EncryptChoice::IfAllKeys => EncryptChoice::Yes,
            };
            let now = c.pgp.describe();
            model.set_status(format!("OpenPGP: {now}"));
            Vec::new()
        }
        Action::ComposeAttach => {
            c.prompt = Some(Default::default());
            Vec::new()
        }
        Action::ComposeNextAttachment => {
            if c.attachments.is_empty() {
                model.set_status("No attachments: C-a attaches a file");
            } else {
                c.attachment_sel = (c.attachment_sel + 1) % c.attachments.len();
            }
            Vec::new()
        }
        Action::ComposeNextIdentity => {
            compose_identity::cycle(model, 1);
            Vec::new()
        }
        Action::ComposeDetach => {
            if c.attachment_sel < c.attachments.len() {
                c.attachments.remove(c.attachment_sel);
                c.attachment_sel = c.attachment_sel.min(c.attachments.len().saturating_sub(1));
            }
            Vec::new()
        }
        Action::ComposeNextField => {
            if c.field.is_address() && !c.completions.is_empty() {
                accept_completion(c);
            } else {
                next_field(c, 1);
            }
            Vec::new()
        }
        Action::ComposePrevField => {
            next_field(c, -1);
            Vec::new()
        }
        Action::ComposeCancel => {
            if !c.completions.is_empty() {
                c.completions.clear();
            } else if compose_identity::untouched(c) {
                close_compose(model);
            } else {
                c.confirm_discard = true;
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Bracketed paste: into the focused field or the body.
pub(super) fn paste(model: &mut Model, text: &str) {
    let Some(c) = model.compose.as_mut() else {
        if let Some(p) = model.prompt.as_mut() {
            text.chars()
                .filter(|c| !c.is_control())
                .for_each(|ch| p.input.insert(ch));
        }
        return;
    };
    if let Some(p) = c.prompt.as_mut() {
        text.chars()
            .filter(|c| !c.is_control())
            .for_each(|ch| p.input.insert(ch));
    } else if c.field == Field::Body {
        c.body.insert_str(text.replace("\r\n", "\n"));
    } else if let Some(input) = field_input(c) {
        text.chars()
            .filter(|c| !c.is_control())
            .for_each(|ch| input.insert(ch));
    }
}
