//! The light columns of [`Store::thread_keys`]: what the TUI orders and counts a big folder by
//! (a collapsed thread's unread replies come from here, not from loading its rows).

use super::tests::{deliver_n, store};
use crate::mail::Flag;

#[test]
fn thread_keys_say_which_messages_are_unread() {
    let (_dir, mut store) = store();
    let ids = deliver_n(&mut store, "acc", "INBOX", 3);
    store.set_flag(&ids[1..2], Flag::Seen, true).unwrap();
    store.set_flag(&ids[2..], Flag::Flagged, true).unwrap();
    let unread: std::collections::BTreeMap<_, _> = store
        .thread_keys("acc", "INBOX")
        .unwrap()
        .into_iter()
        .map(|k| (k.id, k.unread))
        .collect();
    let expected = [(ids[0], true), (ids[1], false), (ids[2], true)];
    assert_eq!(unread, expected.into_iter().collect());
}

#[test]
fn a_folder_is_found_by_its_role_in_its_account_only() {
    let (_dir, mut store) = store();
    deliver_n(&mut store, "acc", "INBOX", 2);
    deliver_n(&mut store, "other", "Outbox", 1);
    assert_eq!(store.folder_with_role("acc", "outbox").unwrap(), None);
    store.ensure_folder("acc", "Outbox").unwrap();
    store.ensure_folder("acc", "Sent").unwrap();
    assert_eq!(
        store.folder_with_role("acc", "outbox").unwrap().as_deref(),
        Some("Outbox")
    );
    assert_eq!(
        store.folder_with_role("acc", "sent").unwrap().as_deref(),
        Some("Sent")
    );
    assert_eq!(store.folder_with_role("nobody", "outbox").unwrap(), None);
}
