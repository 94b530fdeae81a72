//! Tagging with a real store (the demo mailbox): `Command::TagMatching` answers from the index
//! with the messages the list shows that match, and a bulk action on the tagged set is one
//! undo step.

use std::collections::BTreeSet;

use super::tests::{Rig, folder, inbox, rig};
use super::*;
use crate::ui::{FolderRef, SearchScope};

fn matching(r: &mut Rig, list: ListSource, pattern: Option<&str>) -> BTreeSet<ui::MessageId> {
    let found = r.ask(
        Command::TagMatching {
            list: list.clone(),
            pattern: pattern.map(str::to_owned),
            untag: false,
        },
        |e| match e {
            Event::TagMatched {
                list: l,
                untag: false,
                result,
            } if l == list => Some(result),
            _ => None,
        },
    );
    found.unwrap().into_iter().map(|(id, _)| id).collect()
}

/// Every id a list shows (the demo lists are under one page).
fn shown(r: &mut Rig, list: ListSource, generation: u64) -> BTreeSet<ui::MessageId> {
    let page = r.page(list, Sort::default(), generation, 0);
    assert!(page.total < 100, "one page holds the list");
    page.rows.into_iter().map(|r| r.id).collect()
}

fn in_inbox(query: &str) -> ListSource {
    ListSource::Search {
        scope: SearchScope::Folder(FolderRef::new(DEMO_ACCOUNT, "INBOX")),
        query: query.into(),
    }
}

#[test]
fn a_pattern_matches_within_the_list_shown_only() {
    let mut r = rig(Mode::Demo);
    // In a folder: what the / filter with the same text shows, not the Sent replies.
    let offsite = matching(&mut r, inbox(), Some("offsite"));
    assert!(!offsite.is_empty());
    assert_eq!(offsite, shown(&mut r, in_inbox("offsite"), 1));
    let everywhere = ListSource::Search {
        scope: SearchScope::AllAccounts,
        query: "offsite".into(),
    };
    assert!(shown(&mut r, everywhere, 2).len() > offsite.len());
    // Within a filter: the pattern narrows what the filter shows, never adds to it ("Alex"
    // also matches notes of INBOX the filter hides).
    let alex_in_folder = matching(&mut r, inbox(), Some("Alex"));
    assert!(alex_in_folder.len() > offsite.len());
    assert_eq!(matching(&mut r, in_inbox("offsite"), Some("Alex")), offsite);
    // No pattern: everything the filter shows.
    assert_eq!(matching(&mut r, in_inbox("offsite"), None), offsite);
    // Flags come along (the UI decides s/u on them without rows).
    let found = r.ask(
        Command::TagMatching {
            list: inbox(),
            pattern: Some("Zermatt".into()),
            untag: true,
        },
        |e| match e {
            Event::TagMatched {
                untag: true,
                result,
                ..
            } => Some(result),
            _ => None,
        },
    );
    assert_eq!(
        found.unwrap().len(),
        1,
        "only the INBOX branch mentions Zermatt"
    );
}

#[test]
fn a_bulk_delete_of_tagged_messages_is_undone_in_one_step() {
    let mut r = rig(Mode::Demo);
    let ids: Vec<ui::MessageId> = matching(&mut r, inbox(), Some("offsite"))
        .into_iter()
        .take(3)
        .collect();
    assert_eq!(ids.len(), 3);
    r.ask(Command::Delete { ids: ids.clone() }, |e| match e {
        Event::Deleted { result, .. } => Some(result),
        _ => None,
    })
    .unwrap();
    let trash = shown(&mut r, folder("Trash"), 10);
    assert!(ids.iter().all(|id| trash.contains(id)));
    let undone = r.ask(Command::Undo, |e| match e {
        Event::Undone { result } => Some(result),
        _ => None,
    });
    assert_eq!(undone.unwrap(), "restored 3 messages to INBOX");
    let back = shown(&mut r, inbox(), 11);
    assert!(ids.iter().all(|id| back.contains(id)), "all three are back");
}

#[test]
fn a_tagged_message_gone_since_does_not_fail_the_bulk_action_for_the_others() {
    let mut r = rig(Mode::Demo);
    let mut ids: Vec<ui::MessageId> = matching(&mut r, inbox(), Some("offsite"))
        .into_iter()
        .take(2)
        .collect();
    // Expunged by another client since it was tagged: the store no longer has it.
    ids.push(ui::MessageId("999999".into()));
    let (done, result) = r.ask(Command::Delete { ids: ids.clone() }, |e| match e {
        Event::Deleted { ids, result } => Some((ids, result)),
        _ => None,
    });
    result.unwrap();
    assert_eq!(done, ids[..2].to_vec(), "the two still here are deleted");
    let trash = shown(&mut r, folder("Trash"), 20);
    assert!(ids[..2].iter().all(|id| trash.contains(id)));
}
