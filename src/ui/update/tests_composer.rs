//! `update()` on the composer's Tab order, attachment keys, attach prompt, identities and
//! signatures (issue #14, item 5).

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::model::Field;
use crate::ui::types::*;

fn press(m: &mut Model, code: KeyCode) -> Vec<Command> {
    update(m, Msg::Key(key(code)))
}

fn compose(m: &Model) -> &crate::ui::model::Compose {
    m.compose.as_ref().expect("composing")
}

fn body(m: &Model) -> String {
    compose(m).body.lines().join("\n")
}

/// `work` has three identities: its own (signed), a list address (signed) and one unsigned.
fn with_identities(m: &mut Model) {
    m.identities.insert(
        "work".into(),
        vec![
            Identity {
                from: "Alice <alice@x.test>".into(),
                signature: Some("Alice\nACME Corp".into()),
            },
            Identity {
                from: "Alice (lists) <lists@x.test>".into(),
                signature: Some("sent to a list".into()),
            },
            Identity {
                from: "alice@home.test".into(),
                signature: None,
            },
        ],
    );
}

fn send(m: &mut Model) -> Draft {
    let cmds = update(m, Msg::Key(ctrl('x')));
    match &cmds[..] {
        [Command::Send(d)] => d.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn tab_from_subject_goes_to_the_body_and_typing_there_never_touches_attachments() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "c");
    fake.keys(&mut m, "bob@y.test");
    let order: Vec<Field> = (0..4)
        .map(|_| {
            press(&mut m, KeyCode::Tab);
            compose(&m).field
        })
        .collect();
    assert_eq!(
        order,
        vec![Field::Cc, Field::Bcc, Field::Subject, Field::Body],
        "one account address: no From stop, and never the attachments"
    );
    // The issue's trap: `a`, `d` and Enter in the body are text.
    fake.keys(&mut m, "a dad");
    press(&mut m, KeyCode::Enter);
    fake.keys(&mut m, "d");
    assert!(compose(&m).attachments.is_empty());
    assert!(compose(&m).prompt.is_none());
    assert_eq!(body(&m), "a dad\nd");
    // Tab wraps to To; S-Tab from To goes back to the body.
    press(&mut m, KeyCode::Tab);
    assert_eq!(compose(&m).field, Field::To);
    update(&mut m, Msg::Key(key(KeyCode::BackTab)));
    assert_eq!(compose(&m).field, Field::Body);
    let d = send(&mut m);
    assert!(d.attachments.is_empty());
    assert_eq!(d.from, None);
}

#[test]
fn attachments_change_only_through_their_keys() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, ":compose bob@y.test");
    press(&mut m, KeyCode::Enter);
    for path in ["/tmp/a.pdf", "/tmp/b.pdf", "/tmp/c.pdf"] {
        update(&mut m, Msg::Key(ctrl('a')));
        fake.keys(&mut m, path);
        press(&mut m, KeyCode::Enter);
        update(
            &mut m,
            Msg::Backend(Event::AttachmentChecked {
                path: path.into(),
                result: Ok(()),
            }),
        );
    }
    assert_eq!(compose(&m).attachment_sel, 2, "the newest is selected");
    update(&mut m, Msg::Key(ctrl('o')));
    assert_eq!(compose(&m).attachment_sel, 0, "C-o cycles");
    update(&mut m, Msg::Key(ctrl('o')));
    update(&mut m, Msg::Key(ctrl('r')));
    let names: Vec<String> = compose(&m).attachments.iter().map(|a| a.label()).collect();
    assert_eq!(names, vec!["/tmp/a.pdf", "/tmp/c.pdf"]);
}

#[test]
fn the_attach_prompt_completes_and_refuses_what_cannot_be_attached() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "c");
    update(&mut m, Msg::Key(ctrl('a')));
    fake.keys(&mut m, "~/rep");
    assert_eq!(
        press(&mut m, KeyCode::Tab),
        vec![Command::CompletePath {
            text: "~/rep".into()
        }]
    );
    update(
        &mut m,
        Msg::Backend(Event::PathCompleted {
            text: "~/rep".into(),
            completion: PathCompletion {
                text: "~/report".into(),
                candidates: vec!["report-1.pdf".into(), "reports/".into()],
            },
        }),
    );
    let p = compose(&m).prompt.as_ref().unwrap();
    assert_eq!(p.input.text(), "~/report");
    assert_eq!(p.candidates.len(), 2);
    // An answer for a text since changed is dropped.
    fake.keys(&mut m, "s");
    update(
        &mut m,
        Msg::Backend(Event::PathCompleted {
            text: "~/report".into(),
            completion: PathCompletion {
                text: "~/report-1.pdf".into(),
                candidates: Vec::new(),
            },
        }),
    );
    assert_eq!(
        compose(&m).prompt.as_ref().unwrap().input.text(),
        "~/reports"
    );
    // Enter asks whether the file can be attached; a refusal keeps the prompt open.
    assert_eq!(
        press(&mut m, KeyCode::Enter),
        vec![Command::CheckAttachment {
            path: "/home/alice/reports".into()
        }]
    );
    update(
        &mut m,
        Msg::Backend(Event::AttachmentChecked {
            path: "/home/alice/reports".into(),
            result: Err(BackendError::new(
                crate::error::ErrorKind::Data,
                "cannot attach /home/alice/reports: it is a directory",
            )),
        }),
    );
    let c = compose(&m);
    assert!(c.attachments.is_empty());
    assert!(c.prompt.is_some(), "the prompt stays open to fix the path");
    assert!(m.status.as_ref().unwrap().error);
    fake.keys(&mut m, "/q.pdf");
    press(&mut m, KeyCode::Enter);
    update(
        &mut m,
        Msg::Backend(Event::AttachmentChecked {
            path: "/home/alice/reports/q.pdf".into(),
            result: Ok(()),
        }),
    );
    let c = compose(&m);
    assert!(c.prompt.is_none());
    assert_eq!(
        c.attachments,
        vec![DraftAttachment::File("/home/alice/reports/q.pdf".into())]
    );
}

#[test]
fn identities_cycle_and_swap_the_signature_while_it_is_untouched() {
    let (mut m, fake) = started(10);
    with_identities(&mut m);
    fake.keys(&mut m, "c");
    assert_eq!(
        body(&m),
        "\n\n-- \nAlice\nACME Corp",
        "signed once, cursor above"
    );
    assert_eq!(compose(&m).field, Field::To);
    // Several identities: From is a Tab stop before To.
    update(&mut m, Msg::Key(key(KeyCode::BackTab)));
    assert_eq!(compose(&m).field, Field::From);
    press(&mut m, KeyCode::Right);
    assert_eq!(compose(&m).identity, 1);
    assert_eq!(body(&m), "\n\n-- \nsent to a list");
    update(&mut m, Msg::Key(ctrl('g')));
    assert_eq!(
        body(&m),
        "",
        "an identity without a signature takes the block away"
    );
    update(&mut m, Msg::Key(ctrl('g')));
    assert_eq!(body(&m), "\n\n-- \nAlice\nACME Corp");
    update(&mut m, Msg::Key(ctrl('g')));
    // The user writes, then edits the signature: it is theirs now.
    press(&mut m, KeyCode::Tab); // To
    fake.keys(&mut m, "bob@y.test");
    for _ in 0..4 {
        press(&mut m, KeyCode::Tab);
    }
    assert_eq!(compose(&m).field, Field::Body);
    fake.keys(&mut m, "Hello");
    let d = send(&mut m);
    assert_eq!(d.from.as_deref(), Some("Alice (lists) <lists@x.test>"));
    assert_eq!(d.body, "Hello\n\n-- \nsent to a list");
}

#[test]
fn an_edited_signature_is_kept_and_never_doubled() {
    let (mut m, fake) = started(10);
    with_identities(&mut m);
    fake.keys(&mut m, ":compose bob@y.test");
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Tab); // Subject -> body
    assert_eq!(compose(&m).field, Field::Body);
    // Down to the signature's last line, and change it.
    for _ in 0..4 {
        press(&mut m, KeyCode::Down);
    }
    press(&mut m, KeyCode::End);
    fake.keys(&mut m, " Ltd");
    assert_eq!(body(&m), "\n\n-- \nAlice\nACME Corp Ltd");
    for _ in 0..3 {
        update(&mut m, Msg::Key(ctrl('g')));
        assert_eq!(body(&m), "\n\n-- \nAlice\nACME Corp Ltd");
    }
    assert!(m.status.as_ref().unwrap().text.contains("edited"));
}

#[test]
fn a_reply_answers_from_the_prefilled_identity_with_its_signature_above_the_quote() {
    let (mut m, fake) = started(10);
    with_identities(&mut m);
    let id = MessageId("work-INBOX-0".into());
    let mut msg = message(&id);
    msg.prefill.reply.from = Some("Alice (lists) <lists@x.test>".into());
    fake.keys(&mut m, "r");
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id,
            result: Ok(msg),
        }),
    );
    let c = compose(&m);
    assert_eq!(c.identity, 1);
    assert_eq!(c.field, Field::Body);
    assert_eq!(
        body(&m),
        "\n\n-- \nsent to a list\n\n\nOn Tue, Alice Example wrote:\n> Hello there\n"
    );
    fake.keys(&mut m, "Agreed.");
    let d = send(&mut m);
    assert_eq!(d.from.as_deref(), Some("Alice (lists) <lists@x.test>"));
    assert!(d.body.starts_with("Agreed.\n\n-- \nsent to a list\n"));
    assert_eq!(d.body.matches("\n-- \n").count(), 1);
}

#[test]
fn a_reopened_draft_keeps_its_identity_and_gets_no_second_signature() {
    let (mut m, _fake) = started(10);
    with_identities(&mut m);
    let stored = Draft {
        account: "work".into(),
        from: Some("\"Alice (lists)\" <LISTS@x.test>".into()),
        to: vec!["bob@y.test".into()],
        subject: "s".into(),
        body: "Text\n\n-- \nsent to a list".into(),
        message_id: Some("<d1@x.test>".into()),
        ..Draft::default()
    };
    update(&mut m, Msg::Backend(Event::DraftOpened(Ok(stored))));
    assert_eq!(compose(&m).identity, 1);
    assert_eq!(body(&m), "Text\n\n-- \nsent to a list");
    // Its signature is recognised, so a change of From still swaps it.
    update(&mut m, Msg::Key(ctrl('g')));
    assert_eq!(body(&m), "Text");
    update(&mut m, Msg::Key(ctrl('g')));
    assert_eq!(body(&m), "Text\n\n-- \nAlice\nACME Corp");
    let d = send(&mut m);
    assert_eq!(d.from, None, "the account's own address");
}

#[test]
fn esc_on_a_new_message_with_only_its_signature_closes_without_asking() {
    let (mut m, fake) = started(10);
    with_identities(&mut m);
    fake.keys(&mut m, "c");
    press(&mut m, KeyCode::Esc);
    assert!(m.compose.is_none());
}
