//! Issue 15, Deliver 6: postie against a real Cyrus IMAP 3.6 (Debian 12's build), not only
//! Dovecot. The instance (tests/support/cyrus.rs, `scripts/interop-cyrus`) keeps Cyrus's default
//! namespace: every personal folder is `INBOX.Name` with separator `.`, and a top-level CREATE is
//! refused ("Permission denied"). Its second IMAPS face suppresses UIDPLUS and MOVE.
//!
//! Each test drives the real `postie` binary with a config pointing at Cyrus and checks the
//! result on the server over raw IMAP (another client), and the other client's changes in
//! postie's store after a resync. Mail reaches Cyrus by IMAP APPEND, never through its spool.

#![allow(clippy::unwrap_used)]

mod support;

use support::cyrus::{Account, CyrusUser, Postie, cyrus, flags_of, id_of, message, subjects};

fn imap_account(user: &CyrusUser, port: u16) -> Postie {
    Postie::new(Account {
        user,
        protocol: "imap",
        port,
        incoming_extra: "fetch_bodies = \"all\"\n",
        tail: "",
    })
}

/// A user with three messages in INBOX (the second one \Seen), appended by another client.
fn user_with_three(prefix: &str) -> CyrusUser {
    let c = cyrus();
    let user = c.new_user(prefix);
    let mut imap = c.session(c.imaps, &user);
    imap.append("INBOX", "", &message("one@cyrus.test", "first", "body one"));
    imap.append(
        "INBOX",
        "(\\Seen)",
        &message("two@cyrus.test", "second", "body two"),
    );
    imap.append(
        "INBOX",
        "",
        &message("three@cyrus.test", "third", "body three"),
    );
    user
}

#[test]
fn sync_stores_envelopes_bodies_and_flags_and_read_shows_the_body() {
    let c = cyrus();
    let user = user_with_three("sync");
    let postie = imap_account(&user, c.imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let inbox = postie.list("INBOX");
    assert_eq!(subjects(&inbox), ["first", "second", "third"]);
    assert!(flags_of(&inbox, "second").contains(&"seen".to_owned()));
    assert!(!flags_of(&inbox, "first").contains(&"seen".to_owned()));
    assert!(
        inbox.iter().all(|m| m["has_body"] == true),
        "fetch_bodies = all: {inbox:#?}"
    );
    let folders = postie.folders();
    for f in ["Drafts", "Junk", "Sent", "Trash"] {
        assert!(folders.iter().any(|n| n.ends_with(f)), "{f} in {folders:?}");
    }
    let shown = postie.quiet(&["read", &id_of(&inbox, "third")]);
    assert!(shown.contains("body three"), "{shown}");
    let raw = postie.quiet(&["read", "--raw", &id_of(&inbox, "first")]);
    assert!(raw.contains("Message-ID: <one@cyrus.test>"), "{raw}");
    // A second sync has nothing to say and changes nothing.
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(
        subjects(&postie.list("INBOX")),
        ["first", "second", "third"]
    );
}

#[test]
fn flags_set_in_postie_reach_cyrus_and_flags_set_elsewhere_reach_postie() {
    let c = cyrus();
    let user = user_with_three("flags");
    let postie = imap_account(&user, c.imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let inbox = postie.list("INBOX");
    postie.quiet(&["flag", "add", "flagged", &id_of(&inbox, "first")]);
    postie.quiet(&["flag", "add", "seen", &id_of(&inbox, "third")]);
    let mut other = c.session(c.imaps, &user);
    let on_server = other.flags_by_message_id("INBOX");
    assert!(
        on_server["one@cyrus.test"].contains(&"\\Flagged".to_owned()),
        "{on_server:?}"
    );
    assert!(
        on_server["three@cyrus.test"].contains(&"\\Seen".to_owned()),
        "{on_server:?}"
    );
    // Another client: "first" read, "second" unread again, "third" flagged.
    other.ok("STORE 1 +FLAGS (\\Seen)");
    other.ok("STORE 2 -FLAGS (\\Seen)");
    other.ok("STORE 3 +FLAGS (\\Flagged)");
    postie.quiet(&["sync", "--account", "c"]);
    let inbox = postie.list("INBOX");
    assert_eq!(flags_of(&inbox, "first"), ["flagged", "seen"]);
    assert_eq!(flags_of(&inbox, "second"), Vec::<String>::new());
    assert_eq!(flags_of(&inbox, "third"), ["flagged", "seen"]);
}

#[test]
fn another_clients_expunge_and_new_mail_are_seen_at_resync() {
    let c = cyrus();
    let user = user_with_three("expunge");
    let postie = imap_account(&user, c.imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let mut other = c.session(c.imaps, &user);
    other.select("INBOX");
    other.ok("STORE 1 +FLAGS (\\Deleted)");
    other.ok("EXPUNGE");
    other.append(
        "INBOX",
        "",
        &message("four@cyrus.test", "fourth", "body four"),
    );
    other.append(
        "INBOX.Junk",
        "",
        &message("junk@cyrus.test", "junk", "buy now"),
    );
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(
        subjects(&postie.list("INBOX")),
        ["fourth", "second", "third"]
    );
    let junk = local_folder_of(&postie, "INBOX.Junk");
    assert_eq!(subjects(&postie.list(&junk)), ["junk"]);
}

/// The local folder that mirrors server folder `wire` (`INBOX.Junk` -> whatever postie named it).
fn local_folder_of(postie: &Postie, wire: &str) -> String {
    let last = wire.rsplit('.').next().unwrap();
    let folders = postie.folders();
    folders
        .iter()
        .find(|f| f.rsplit('/').next() == Some(last))
        .cloned()
        .unwrap_or_else(|| panic!("no local folder for {wire} in {folders:?}"))
}

#[test]
fn a_move_to_archive_makes_inbox_archive_on_cyrus_and_sync_agrees() {
    let c = cyrus();
    let user = user_with_three("archive");
    let postie = imap_account(&user, c.imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let id = id_of(&postie.list("INBOX"), "first");
    postie.quiet(&["move", "Archive", &id]);
    let mut other = c.session(c.imaps, &user);
    let folders = other.folders();
    assert!(folders.contains(&"INBOX.Archive".to_owned()), "{folders:?}");
    assert!(!folders.contains(&"Archive".to_owned()), "{folders:?}");
    assert_eq!(other.message_ids("INBOX.Archive"), ["one@cyrus.test"]);
    assert_eq!(
        other.message_ids("INBOX"),
        ["three@cyrus.test", "two@cyrus.test"]
    );
    postie.quiet(&["sync", "--account", "c"]);
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(subjects(&postie.list("Archive")), ["first"]);
    assert_eq!(subjects(&postie.list("INBOX")), ["second", "third"]);
    let copies: Vec<String> = postie
        .folders()
        .iter()
        .filter(|f| subjects(&postie.list(f)).contains(&"first".to_owned()))
        .cloned()
        .collect();
    assert_eq!(copies, ["Archive"], "one copy, in one local folder");
}

#[test]
fn delete_moves_to_cyrus_trash() {
    let c = cyrus();
    let user = user_with_three("delete");
    let postie = imap_account(&user, c.imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let id = id_of(&postie.list("INBOX"), "second");
    postie.quiet(&["delete", &id]);
    let mut other = c.session(c.imaps, &user);
    assert_eq!(other.message_ids("INBOX.Trash"), ["two@cyrus.test"]);
    assert_eq!(
        other.message_ids("INBOX"),
        ["one@cyrus.test", "three@cyrus.test"]
    );
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(subjects(&postie.list("INBOX")), ["first", "third"]);
    let trash = local_folder_of(&postie, "INBOX.Trash");
    assert_eq!(subjects(&postie.list(&trash)), ["second"]);
}

/// Without UIDPLUS (and MOVE) a move is COPY + \Deleted + EXPUNGE; a plain EXPUNGE would also
/// remove what another client had only marked \Deleted. It must stay, \Deleted and all.
#[test]
fn without_uidplus_a_move_and_a_delete_leave_another_clients_deleted_message_alone() {
    let c = cyrus();
    let user = user_with_three("nouidplus");
    let postie = imap_account(&user, c.plain_imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let inbox = postie.list("INBOX");
    let mut other = c.session(c.plain_imaps, &user);
    other.select("INBOX");
    other.ok("STORE 2 +FLAGS (\\Deleted)");
    postie.quiet(&["move", "Archive", &id_of(&inbox, "first")]);
    postie.quiet(&["delete", &id_of(&inbox, "third")]);
    let mut check = c.session(c.imaps, &user);
    let flags = check.flags_by_message_id("INBOX");
    assert_eq!(
        flags.len(),
        1,
        "only the other client's message is left: {flags:?}"
    );
    assert!(
        flags["two@cyrus.test"].contains(&"\\Deleted".to_owned()),
        "still there, still \\Deleted: {flags:?}"
    );
    assert_eq!(check.message_ids("INBOX.Archive"), ["one@cyrus.test"]);
    assert_eq!(check.message_ids("INBOX.Trash"), ["three@cyrus.test"]);
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(subjects(&postie.list("Archive")), ["first"]);
}
