//! `update()` with plain values: tagging (`T`, `C-t`, `:tag`, `:untag`) and the message
//! actions on the tagged set.

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::types::*;

fn id(i: usize) -> MessageId {
    MessageId(format!("work-INBOX-{i}"))
}

fn tagged(m: &Model) -> Vec<MessageId> {
    let mut ids = m.tags.ids();
    ids.sort_by_key(|id| {
        id.0.rsplit('-')
            .next()
            .and_then(|n| n.parse::<usize>().ok())
    });
    ids
}

fn command_line(fake: &Fake, m: &mut Model, line: &str) -> Vec<Command> {
    let mut cmds = fake.keys(m, ":");
    cmds.extend(fake.keys(m, line));
    cmds.extend(fake.send(m, Msg::Key(key(KeyCode::Enter))));
    cmds
}

#[test]
fn t_tags_the_row_and_moves_down_and_t_again_untags() {
    let (mut m, fake) = started(10);
    assert!(fake.keys(&mut m, "TTT").is_empty());
    assert_eq!(tagged(&m), vec![id(0), id(1), id(2)]);
    assert_eq!(m.list.as_ref().unwrap().selected, 3, "the cursor moved on");
    fake.keys(&mut m, "kT");
    assert_eq!(tagged(&m), vec![id(0), id(1)]);
    assert_eq!(m.action_targets(), vec![id(0), id(1)]);
    assert_eq!(m.tags.folder, Some(FolderRef::new("work", "INBOX")));
}

#[test]
fn ctrl_t_tags_the_whole_thread_then_untags_it() {
    let (mut m, fake) = started(10);
    assert!(
        m.sort.threaded,
        "the fixture's threads of three need a threaded list"
    );
    // Row 1 is a reply in the thread of rows 0..=2; row 3 is alone.
    fake.keys(&mut m, "j");
    fake.send(&mut m, Msg::Key(ctrl('t')));
    assert_eq!(tagged(&m), vec![id(0), id(1), id(2)]);
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Tagged the thread (3 messages)"
    );
    // All tagged: untags them all.
    fake.send(&mut m, Msg::Key(ctrl('t')));
    assert!(m.tags.is_empty());
    // One untagged among them: tags the rest.
    fake.keys(&mut m, "T");
    assert_eq!(tagged(&m), vec![id(1)]);
    fake.keys(&mut m, "k");
    fake.send(&mut m, Msg::Key(ctrl('t')));
    assert_eq!(tagged(&m), vec![id(0), id(1), id(2)]);
    // A flat list has no threads: C-t tags the message, and says how to see threads.
    fake.keys(&mut m, "t");
    command_line(&fake, &mut m, "untag");
    fake.keys(&mut m, "j");
    fake.send(&mut m, Msg::Key(ctrl('t')));
    assert_eq!(tagged(&m), vec![id(1)]);
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Tagged the message (a flat list has no threads: t shows them)"
    );
}

#[test]
fn tag_pattern_asks_the_backend_and_tags_what_it_found() {
    let (mut m, fake) = started(10);
    let cmds = command_line(&fake, &mut m, "tag from:alice");
    let list = ListSource::Folder(FolderRef::new("work", "INBOX"));
    assert_eq!(
        cmds,
        vec![Command::TagMatching {
            list: list.clone(),
            pattern: Some("from:alice".into()),
            untag: false,
        }]
    );
    // An answer for another list (the user moved on) is dropped.
    let other = ListSource::Folder(FolderRef::new("work", "Archive"));
    update(
        &mut m,
        Msg::Backend(Event::TagMatched {
            list: other,
            untag: false,
            result: Ok(vec![(id(7), Flags::NONE)]),
        }),
    );
    assert!(m.tags.is_empty());
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Not tagged: the list changed meanwhile; :tag again"
    );
    // Rows far off screen (never loaded) are tagged all the same: ids are enough.
    update(
        &mut m,
        Msg::Backend(Event::TagMatched {
            list: list.clone(),
            untag: false,
            result: Ok(vec![
                (id(0), Flags::NONE),
                (id(4), Flags::SEEN),
                (id(5000), Flags::NONE),
            ]),
        }),
    );
    assert_eq!(m.tags.len(), 3);
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Tagged 3 messages matching; 3 tagged"
    );
    // :untag PATTERN asks the same way and removes what matched.
    let cmds = command_line(&fake, &mut m, "untag subject:x");
    assert!(matches!(
        cmds.as_slice(),
        [Command::TagMatching { untag: true, .. }]
    ));
    update(
        &mut m,
        Msg::Backend(Event::TagMatched {
            list,
            untag: true,
            result: Ok(vec![(id(4), Flags::SEEN)]),
        }),
    );
    assert_eq!(tagged(&m), vec![id(0), id(5000)]);
    // :untag alone clears them all.
    assert!(command_line(&fake, &mut m, "untag").is_empty());
    assert!(m.tags.is_empty());
}

#[test]
fn bare_tag_takes_what_the_filter_shows_and_needs_a_filter() {
    let (mut m, fake) = started(10);
    assert!(command_line(&fake, &mut m, "tag").is_empty());
    assert!(m.status.as_ref().unwrap().error, "no filter: a usage error");
    fake.keys(&mut m, "/");
    fake.keys(&mut m, "Topic");
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let filtered = m.list.as_ref().unwrap().source.clone();
    assert!(matches!(filtered, ListSource::Search { .. }));
    let cmds = command_line(&fake, &mut m, "tag");
    assert_eq!(
        cmds,
        vec![Command::TagMatching {
            list: filtered,
            pattern: None,
            untag: false,
        }]
    );
}

#[test]
fn a_bulk_delete_is_one_command_with_every_tagged_id_and_uses_the_tags_up() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "TjT");
    assert_eq!(tagged(&m), vec![id(0), id(2)]);
    let cmds = fake.keys(&mut m, "d");
    assert_eq!(
        cmds,
        vec![Command::Delete {
            ids: vec![id(0), id(2)]
        }]
    );
    assert!(m.tags.is_empty(), "the tags went with the action");
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Deleting 2 tagged messages…"
    );
    // And with no tags, d is the selected message again.
    assert_eq!(
        fake.keys(&mut m, "d"),
        vec![Command::Delete { ids: vec![id(3)] }]
    );
    // `z` takes the whole bulk delete back: one Undo (the backend keeps it as one step).
    assert_eq!(fake.keys(&mut m, "z"), vec![Command::Undo]);
}

#[test]
fn a_bulk_move_goes_to_the_folder_typed_with_every_tagged_id() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "TTT");
    fake.keys(&mut m, "m");
    fake.keys(&mut m, "Archive");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::Move {
            ids: vec![id(0), id(1), id(2)],
            to: FolderRef::new("work", "Archive"),
        }]
    );
    assert!(m.tags.is_empty());
}

#[test]
fn s_and_u_on_the_tagged_set_set_all_unless_all_have_it() {
    let (mut m, fake) = started(10);
    // Rows 2 (flagged) and 3 (not): flag both.
    fake.keys(&mut m, "jjTT");
    assert_eq!(
        fake.keys(&mut m, "s"),
        vec![Command::SetFlags {
            ids: vec![id(2), id(3)],
            add: Flags::FLAGGED,
            remove: Flags::NONE,
        }]
    );
    assert!(m.tags.is_empty());
    assert_eq!(m.status.as_ref().unwrap().text, "Flagged 2 tagged messages");
    // Both flagged now (shown at once): tagged again, s unflags both.
    fake.keys(&mut m, "kkTT");
    assert_eq!(
        fake.keys(&mut m, "s"),
        vec![Command::SetFlags {
            ids: vec![id(2), id(3)],
            add: Flags::NONE,
            remove: Flags::FLAGGED,
        }]
    );
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Unflagged 2 tagged messages"
    );
    // u: rows 0 (unread) and 1 (read) are marked read together.
    fake.keys(&mut m, "ggTT");
    assert_eq!(
        fake.keys(&mut m, "u"),
        vec![Command::SetFlags {
            ids: vec![id(0), id(1)],
            add: Flags::SEEN,
            remove: Flags::NONE,
        }]
    );
}

#[test]
fn tags_stay_through_sorting_and_threading_and_go_with_the_folder() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "TT");
    fake.keys(&mut m, "t");
    fake.keys(&mut m, "o");
    fake.keys(&mut m, "O");
    assert_eq!(tagged(&m), vec![id(0), id(1)]);
    // The open message does not hide the tags: actions still take the set.
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(m.focus, Focus::Message);
    assert_eq!(m.action_targets(), vec![id(0), id(1)]);
    command_line(&fake, &mut m, "folder Archive");
    assert_eq!(
        m.current,
        Some(FolderRef::new("work", "Archive")),
        "the folder changed"
    );
    assert!(
        m.tags.is_empty(),
        "tags belong to the folder they were made in"
    );
}

#[test]
fn a_renumbered_folder_forgets_its_tags() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "TT");
    fake.send(
        &mut m,
        Msg::Backend(Event::FolderReset(FolderRef::new("work", "INBOX"))),
    );
    assert!(m.tags.is_empty());
}

#[test]
fn save_pipe_and_forward_as_attachment_take_the_tagged_set() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, "TT");
    let two = vec![id(0), id(1)];
    let cmds = fake.keys(&mut m, "A");
    assert!(
        cmds.contains(&Command::ForwardAttachment { ids: two.clone() }),
        "{cmds:?}"
    );
    fake.keys(&mut m, "|");
    assert!(
        matches!(&m.prompt, Some(p) if p.kind == crate::ui::model::PromptKind::Pipe { ids: two.clone(), part: None }),
        "{:?}",
        m.prompt.as_ref().map(|p| &p.kind)
    );
    fake.send(&mut m, Msg::Key(key(KeyCode::Esc)));
    fake.keys(&mut m, "W");
    assert!(
        matches!(&m.prompt, Some(p) if p.kind == crate::ui::model::PromptKind::SaveMessages { ids: two.clone() }),
        "{:?}",
        m.prompt.as_ref().map(|p| &p.kind)
    );
}
