//! `update()` for replies and forwards: the cursor below (or above) the quote, the focus back
//! on the list after the composer closes, list replies and forward as attachment.

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::model::Field;
use crate::ui::protocol::SendOutcome;
use crate::ui::types::*;

/// A model with message 0 open and focused, its prefill changed by `edit`.
fn opened(edit: impl FnOnce(&mut Prefill)) -> (Model, Fake, MessageId) {
    let (mut m, fake) = started(10);
    let id = MessageId("work-INBOX-0".into());
    let cmds = update(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(cmds.contains(&Command::OpenMessage(id.clone())), "{cmds:?}");
    let mut msg = message(&id);
    edit(&mut msg.prefill);
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(msg),
        }),
    );
    assert_eq!(m.focus, Focus::Message);
    (m, fake, id)
}

#[test]
fn reply_starts_the_cursor_on_the_line_the_backend_chose() {
    let (mut m, fake, _) = opened(|p| {
        p.reply.body = "On Tue, Alice wrote:\n> Hello there\n\n".into();
        p.reply.body_cursor = 3;
    });
    fake.keys(&mut m, "r");
    let c = m.compose.as_ref().expect("composing");
    assert_eq!(c.field, Field::Body);
    assert_eq!(c.body.cursor(), (3, 0));
    fake.keys(&mut m, "Agreed.");
    let cmds = update(&mut m, Msg::Key(ctrl('x')));
    let Command::Send(d) = &cmds[0] else {
        panic!("{cmds:?}")
    };
    assert_eq!(d.body, "On Tue, Alice wrote:\n> Hello there\n\nAgreed.");
}

#[test]
fn after_send_discard_or_save_the_list_has_the_focus() {
    // Sent.
    let (mut m, fake, _) = opened(|_| {});
    fake.keys(&mut m, "r");
    update(&mut m, Msg::Key(ctrl('x')));
    update(
        &mut m,
        Msg::Backend(Event::Sent {
            result: Ok(SendOutcome::Sent),
        }),
    );
    assert!(m.compose.is_none());
    assert_eq!(m.focus, Focus::List);
    assert!(m.message.is_none(), "the replied-to message is closed");
    // `d` now deletes the list's selection, and `j` moves in the list.
    let selected = |m: &Model| m.list.as_ref().unwrap().selected_row().unwrap().id.clone();
    fake.keys(&mut m, "j");
    let cmds = fake.keys(&mut m, "d");
    assert_eq!(
        cmds,
        vec![Command::Delete {
            ids: vec![selected(&m)]
        }]
    );
    assert_eq!(selected(&m), MessageId("work-INBOX-1".into()));

    // Discarded (Esc, y).
    let (mut m, fake, _) = opened(|_| {});
    fake.keys(&mut m, "r");
    update(&mut m, Msg::Key(key(KeyCode::Esc)));
    fake.keys(&mut m, "y");
    assert!(m.compose.is_none());
    assert_eq!((m.focus, m.message.is_none()), (Focus::List, true));

    // Saved as a draft on the way out (Esc, s).
    let (mut m, fake, _) = opened(|_| {});
    fake.keys(&mut m, "r");
    update(&mut m, Msg::Key(key(KeyCode::Esc)));
    let cmds = fake.keys(&mut m, "s");
    assert!(
        matches!(cmds.as_slice(), [Command::SaveDraft(_)]),
        "{cmds:?}"
    );
    assert_eq!((m.focus, m.message.is_none()), (Focus::List, true));
}

#[test]
fn list_reply_uses_the_list_draft_or_says_why_not() {
    let (mut m, fake, _) = opened(|_| {});
    fake.keys(&mut m, "L");
    assert!(m.compose.is_none());
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "No list reply: not a mailing-list message (no List-Post header)"
    );
    let (mut m, fake, _) = opened(|p| {
        p.list_reply = Ok(Draft {
            account: "work".into(),
            to: vec!["dev@lists.x.test".into()],
            subject: "Re: Topic number 0".into(),
            ..Draft::default()
        })
    });
    fake.keys(&mut m, "L");
    let c = m.compose.as_ref().expect("composing");
    assert_eq!(c.to.text(), "dev@lists.x.test");
}

#[test]
fn forward_as_attachment_asks_the_backend_then_composes() {
    let (mut m, fake) = started(10);
    let id = MessageId("work-INBOX-0".into());
    let cmds = fake.keys(&mut m, "A");
    assert_eq!(
        cmds,
        vec![Command::ForwardAttachment {
            ids: vec![id.clone()]
        }]
    );
    let cmds = fake.keys(&mut m, ":forward-attachment");
    assert!(cmds.is_empty());
    let cmds = update(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::ForwardAttachment {
            ids: vec![id.clone()]
        }]
    );
    let draft = Draft {
        account: "work".into(),
        subject: "Fwd: Topic number 0".into(),
        attachments: vec![DraftAttachment::Message {
            message: id,
            name: "Topic number 0.eml".into(),
        }],
        ..Draft::default()
    };
    update(&mut m, Msg::Backend(Event::ForwardReady(Ok(draft))));
    let c = m.compose.as_ref().expect("composing");
    assert_eq!(c.field, Field::To);
    assert_eq!(c.attachments[0].label(), "Topic number 0.eml");
    assert_eq!(c.subject.text(), "Fwd: Topic number 0");
}
