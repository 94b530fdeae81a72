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
