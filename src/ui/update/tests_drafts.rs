//! `update()` for drafts (issue #13): a saved draft keeps its Message-ID so saving again
//! replaces it, and a stored draft opens in the composer (`e`, or Enter in Drafts).

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::types::*;

fn drafts() -> FolderRef {
    FolderRef::new("work", "Drafts")
}

/// Opens work/Drafts with `total` rows, row 0 flagged \Draft.
fn in_drafts(m: &mut Model, fake: &Fake) {
    for cmd in open_folder(m, drafts()) {
        if let Command::LoadPage(req) = cmd {
            fake.send(m, Msg::Backend(fake.answer(&req)));
        }
    }
    assert_eq!(m.current, Some(drafts()));
    let list = m.list.as_mut().unwrap();
    list.rows_mut().next().unwrap().flags.draft = true;
}

fn stored_draft(id: &str) -> Draft {
    Draft {
        account: "work".into(),
        to: vec!["Bob <b@x.test>".into()],
        subject: "Plans".into(),
        body: "first text".into(),
        attachments: vec![DraftAttachment::Part {
            message: MessageId(id.into()),
            part: 0,
            name: "plan.pdf".into(),
        }],
        message_id: Some("<d7@x.test>".into()),
        ..Draft::default()
    }
}

#[test]
fn saving_twice_names_the_message_id_the_first_save_got() {
    let (mut m, _) = started(10);
    start_compose(
        &mut m,
        Draft {
            account: "work".into(),
            subject: "Plans".into(),
            ..Draft::default()
        },
    );
    let first = update(&mut m, Msg::Key(ctrl('s')));
    assert!(
        matches!(&first[..], [Command::SaveDraft(d)] if d.message_id.is_none()),
        "a new draft has no Message-ID yet: {first:?}"
    );
    update(
        &mut m,
        Msg::Backend(Event::DraftSaved {
            result: Ok("<d1@x.test>".into()),
        }),
    );
    let second = update(&mut m, Msg::Key(ctrl('s')));
    assert!(
        matches!(&second[..], [Command::SaveDraft(d)] if d.message_id.as_deref() == Some("<d1@x.test>")),
        "the second save replaces the first: {second:?}"
    );
    // A failed save does not invent one.
    update(
        &mut m,
        Msg::Backend(Event::DraftSaved {
            result: Err(BackendError::new(crate::error::ErrorKind::Io, "disk full")),
        }),
    );
    assert!(m.status.as_ref().unwrap().error);
    assert_eq!(
        m.compose.as_ref().unwrap().message_id.as_deref(),
        Some("<d1@x.test>")
    );
}

#[test]
fn e_asks_for_the_selected_draft_and_its_answer_opens_the_composer() {
    let (mut m, fake) = started(10);
    // Not a draft: nothing to edit.
    assert!(fake.keys(&mut m, "e").is_empty());
    assert!(m.status.as_ref().unwrap().error);
    m.list
        .as_mut()
        .unwrap()
        .rows_mut()
        .next()
        .unwrap()
        .flags
        .draft = true;
    let cmds = fake.keys(&mut m, "e");
    assert_eq!(
        cmds,
        vec![Command::EditDraft(MessageId("work-INBOX-0".into()))]
    );
    assert!(
        m.compose.is_none(),
        "nothing opens before the backend answers"
    );
    let draft = stored_draft("work-INBOX-0");
    update(&mut m, Msg::Backend(Event::DraftOpened(Ok(draft.clone()))));
    // The composer settles the OpenPGP choice (the account's default: off here).
    let draft = Draft {
        pgp: Some(PgpChoice::default()),
        ..draft
    };
    let c = m.compose.as_ref().expect("the composer is open");
    assert_eq!(draft_of(c), draft);
    // Saving it names the same Message-ID (so the stored version is replaced) and keeps the
    // attachment taken from the stored draft.
    let saved = update(&mut m, Msg::Key(ctrl('s')));
    assert_eq!(saved, vec![Command::SaveDraft(draft.clone())]);
    // Another draft arriving while one is being written does not replace it.
    let other = Draft {
        subject: "Other".into(),
        ..draft.clone()
    };
    update(&mut m, Msg::Backend(Event::DraftOpened(Ok(other))));
    assert_eq!(draft_of(m.compose.as_ref().unwrap()), draft);
    assert!(m.status.as_ref().unwrap().error);
}

#[test]
fn enter_on_a_draft_in_drafts_edits_it_and_on_another_message_reads_it() {
    let (mut m, fake) = started(10);
    in_drafts(&mut m, &fake);
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::EditDraft(MessageId("work-Drafts-0".into()))]
    );
    assert!(m.message.is_none(), "a draft does not open read-only");
    // A message without the \Draft flag (row 1) opens as usual.
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Down)));
    assert!(cmds.is_empty());
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(
        matches!(cmds.first(), Some(Command::OpenMessage(id)) if id.0 == "work-Drafts-1"),
        "{cmds:?}"
    );
}

#[test]
fn enter_on_a_draft_flagged_message_elsewhere_reads_it() {
    let (mut m, fake) = started(10);
    m.list
        .as_mut()
        .unwrap()
        .rows_mut()
        .next()
        .unwrap()
        .flags
        .draft = true;
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(
        matches!(cmds.first(), Some(Command::OpenMessage(_))),
        "{cmds:?}"
    );
}
