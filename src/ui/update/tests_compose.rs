//! `update()` on the compose screen: new messages, replies, completion, attachments, sending,
//! drafts, the external editor and discarding.

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::model::Field;
use crate::ui::protocol::SendOutcome;
use crate::ui::types::*;

fn type_text(m: &mut Model, fake: &Fake, s: &str) -> Vec<Command> {
    fake.keys(m, s)
}

fn press(m: &mut Model, code: KeyCode) -> Vec<Command> {
    update(m, Msg::Key(key(code)))
}

#[test]
fn new_message_with_completion_and_attachment_sends_the_right_draft() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "c");
    assert_eq!(m.compose.as_ref().unwrap().field, Field::To);
    // One character asks for nothing; two ask the backend.
    assert!(type_text(&mut m, &fake, "a").is_empty());
    assert_eq!(
        type_text(&mut m, &fake, "l"),
        vec![Command::CompleteAddress {
            prefix: "al".into()
        }]
    );
    // A stale answer is ignored, the current one shown.
    update(
        &mut m,
        Msg::Backend(Event::Completions {
            prefix: "a".into(),
            result: Ok(vec!["x@y".into()]),
        }),
    );
    assert!(m.compose.as_ref().unwrap().completions.is_empty());
    let found = vec![
        "Alice Example <alice@x.test>".to_string(),
        "Alan <alan@x.test>".to_string(),
    ];
    update(
        &mut m,
        Msg::Backend(Event::Completions {
            prefix: "al".into(),
            result: Ok(found),
        }),
    );
    press(&mut m, KeyCode::Down);
    press(&mut m, KeyCode::Tab);
    let c = m.compose.as_ref().unwrap();
    assert_eq!((c.to.text(), c.field), ("Alan <alan@x.test>", Field::To));
    // A second address after a comma completes on its own.
    assert_eq!(
        type_text(&mut m, &fake, ", bo"),
        vec![Command::CompleteAddress {
            prefix: "bo".into()
        }]
    );
    update(
        &mut m,
        Msg::Backend(Event::Completions {
            prefix: "bo".into(),
            result: Ok(vec!["bob@y.test".into()]),
        }),
    );
    press(&mut m, KeyCode::Enter);
    assert_eq!(
        m.compose.as_ref().unwrap().to.text(),
        "Alan <alan@x.test>, bob@y.test"
    );
    press(&mut m, KeyCode::Tab); // Cc
    press(&mut m, KeyCode::Tab); // Bcc
    press(&mut m, KeyCode::Tab); // Subject
    type_text(&mut m, &fake, "Plans");
    for path in ["~/q4.pdf", "/tmp/x"] {
        update(&mut m, Msg::Key(ctrl('a'))); // attach prompt
        type_text(&mut m, &fake, path);
        let cmds = press(&mut m, KeyCode::Enter);
        let [Command::CheckAttachment { path }] = &cmds[..] else {
            panic!("{cmds:?}")
        };
        let path = path.clone();
        update(
            &mut m,
            Msg::Backend(Event::AttachmentChecked {
                path,
                result: Ok(()),
            }),
        );
    }
    update(&mut m, Msg::Key(ctrl('r'))); // removes /tmp/x (the selected one)
    press(&mut m, KeyCode::Tab); // Body
    type_text(&mut m, &fake, "Hi Alan");
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, &fake, "see attached");
    let cmds = update(&mut m, Msg::Key(ctrl('x')));
    let expected = Draft {
        account: "work".into(),
        to: vec!["Alan <alan@x.test>".into(), "bob@y.test".into()],
        subject: "Plans".into(),
        body: "Hi Alan\nsee attached".into(),
        attachments: vec![DraftAttachment::File("/home/alice/q4.pdf".into())],
        pgp: Some(PgpChoice::default()),
        ..Draft::default()
    };
    assert_eq!(cmds, vec![Command::Send(expected)]);
    assert!(m.compose.as_ref().unwrap().sending);
    // Keys wait while sending.
    assert!(update(&mut m, Msg::Key(ctrl('x'))).is_empty());
    update(
        &mut m,
        Msg::Backend(Event::Sent {
            result: Ok(SendOutcome::Sent),
        }),
    );
    assert!(m.compose.is_none());
    assert_eq!(m.status.as_ref().unwrap().text, "Message sent");
}

#[test]
fn reply_uses_the_prefill_and_a_failed_send_keeps_the_draft() {
    let (mut m, fake) = started(10);
    // r before the message has loaded: opens it, and the reply starts when it arrives.
    let cmds = fake.keys(&mut m, "R");
    let id = MessageId("work-INBOX-0".into());
    assert_eq!(cmds[0], Command::OpenMessage(id.clone()));
    assert!(m.compose.is_none());
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
    let c = m.compose.as_ref().unwrap();
    assert_eq!(c.cc.text(), "Bob <bob@y.test>");
    assert_eq!(
        c.field,
        Field::Body,
        "recipients and subject are filled: start in the body"
    );
    type_text(&mut m, &fake, "Agreed.");
    let cmds = update(&mut m, Msg::Key(ctrl('x')));
    let Command::Send(d) = &cmds[0] else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        d.body,
        "Agreed.\n\nOn Tue, Alice Example wrote:\n> Hello there\n"
    );
    assert_eq!(d.in_reply_to.as_deref(), Some("<t0@x.test>"));
    assert_eq!(d.references, vec!["<t0@x.test>".to_string()]);
    assert_eq!(d.subject, "Re: Topic number 0");
    let e = BackendError::new(
        crate::error::ErrorKind::Auth,
        "cannot log in to smtp.x.test: 535 bad credentials",
    );
    update(&mut m, Msg::Backend(Event::Sent { result: Err(e) }));
    let c = m.compose.as_ref().unwrap();
    assert!(!c.sending);
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Not sent: cannot log in to smtp.x.test: 535 bad credentials"
    );
    // Queued counts as handed over.
    update(&mut m, Msg::Key(ctrl('x')));
    update(
        &mut m,
        Msg::Backend(Event::Sent {
            result: Ok(SendOutcome::Queued),
        }),
    );
    assert!(m.compose.is_none());
    assert!(m.status.as_ref().unwrap().text.contains("outbox"));
    // Forward from the open message (already loaded): at once.
    press(&mut m, KeyCode::Enter);
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
    assert_eq!(m.focus, Focus::Message);
    fake.keys(&mut m, "f");
    assert_eq!(
        m.compose.as_ref().unwrap().subject.text(),
        "Fwd: Topic number 0"
    );
    assert_eq!(m.compose.as_ref().unwrap().field, Field::To);
}

#[test]
fn no_recipient_no_send() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "c");
    let cmds = update(&mut m, Msg::Key(ctrl('x')));
    assert!(cmds.is_empty());
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "No recipient: fill in To, Cc or Bcc"
    );
}

#[test]
fn drafts_editor_and_discard() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, ":compose a@x.test");
    press(&mut m, KeyCode::Enter);
    let c = m.compose.as_ref().unwrap();
    assert_eq!((c.to.text(), c.field), ("a@x.test", Field::Subject));
    type_text(&mut m, &fake, "Hi");
    let draft = Draft {
        account: "work".into(),
        to: vec!["a@x.test".into()],
        subject: "Hi".into(),
        pgp: Some(PgpChoice::default()),
        ..Draft::default()
    };
    assert_eq!(
        update(&mut m, Msg::Key(ctrl('s'))),
        vec![Command::SaveDraft(draft.clone())]
    );
    update(
        &mut m,
        Msg::Backend(Event::DraftSaved {
            result: Ok("<d1@x.test>".into()),
        }),
    );
    assert_eq!(m.status.as_ref().unwrap().text, "Draft saved");
    // From now on it is that draft: saving or sending again names its Message-ID.
    let draft = Draft {
        message_id: Some("<d1@x.test>".into()),
        ..draft
    };
    assert_eq!(
        update(&mut m, Msg::Key(ctrl('e'))),
        vec![Command::EditExternally(draft.clone())]
    );
    let edited = Draft {
        body: "Written in vim\n".into(),
        ..draft.clone()
    };
    update(&mut m, Msg::Backend(Event::DraftEdited(Ok(edited.clone()))));
    assert_eq!(draft_of(m.compose.as_ref().unwrap()), edited);
    update(&mut m, Msg::Paste("pasted ".into()));
    assert!(
        draft_of(m.compose.as_ref().unwrap())
            .body
            .starts_with("pasted Written")
    );
    // Esc asks; any other key keeps editing; s saves and closes.
    press(&mut m, KeyCode::Esc);
    assert!(m.compose.as_ref().unwrap().confirm_discard);
    press(&mut m, KeyCode::Char('n'));
    assert!(m.compose.is_some());
    press(&mut m, KeyCode::Esc);
    let cmds = press(&mut m, KeyCode::Char('s'));
    assert!(matches!(&cmds[..], [Command::SaveDraft(d)] if d.subject == "Hi"));
    assert!(m.compose.is_none());
    // An empty draft closes without asking.
    fake.keys(&mut m, "c");
    press(&mut m, KeyCode::Esc);
    assert!(m.compose.is_none());
}

#[test]
fn alt_s_and_alt_e_toggle_openpgp_from_the_account_default_and_the_draft_carries_it() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let alt = |c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT));
    let (mut m, fake) = started(10);
    let default = PgpChoice {
        sign: true,
        encrypt: EncryptChoice::IfAllKeys,
    };
    m.pgp_defaults.insert("work".into(), default);
    fake.keys(&mut m, "c");
    assert_eq!(m.compose.as_ref().unwrap().pgp, default);
    type_text(&mut m, &fake, "bob@y.test");
    update(&mut m, alt('s'));
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "OpenPGP: encrypt if all keys"
    );
    update(&mut m, alt('e'));
    assert_eq!(m.status.as_ref().unwrap().text, "OpenPGP: encrypt");
    // Out to the external editor and back: the choice stays.
    let cmds = update(&mut m, Msg::Key(ctrl('e')));
    let [Command::EditExternally(draft)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let chosen = PgpChoice {
        sign: false,
        encrypt: EncryptChoice::Yes,
    };
    assert_eq!(draft.pgp, Some(chosen));
    start_compose(&mut m, draft.clone());
    assert_eq!(m.compose.as_ref().unwrap().pgp, chosen);
    update(&mut m, alt('e'));
    update(&mut m, alt('s'));
    let cmds = update(&mut m, Msg::Key(ctrl('x')));
    let [Command::Send(draft)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        draft.pgp,
        Some(PgpChoice {
            sign: true,
            encrypt: EncryptChoice::No
        })
    );
}
