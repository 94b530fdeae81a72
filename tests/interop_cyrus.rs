//! Issue 15, Deliver 6: postie against a real Cyrus IMAP 3.6 (Debian 12's build), not only
//! Dovecot. The instance (tests/support/cyrus.rs, `scripts/interop-cyrus`) keeps Cyrus's default
//! namespace: every personal folder is `INBOX.Name` with separator `.`, and a top-level CREATE is
//! refused ("Permission denied"). Its second IMAPS face suppresses UIDPLUS and MOVE; its third
//! CONDSTORE, QRESYNC and SPECIAL-USE too.
//!
//! Folders (naming, create/rename/delete, IDLE) are in tests/interop_cyrus_folders.rs.
//!
//! Each test drives the real `postie` binary with a config pointing at Cyrus and checks the
//! result on the server over raw IMAP (another client), and the other client's changes in
//! postie's store after a resync. Mail reaches Cyrus by IMAP APPEND, never through its spool.

#![allow(clippy::unwrap_used)]

mod support;

use support::cyrus::{
    Account, CyrusUser, Postie, cyrus, flags_of, id_of, imap_account, local_folder_of, message,
    subjects, user_with_three,
};

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

/// `postie send` through the harness's Postfix; the Sent copy is an APPEND to Cyrus, which
/// must land in `INBOX.Sent` (the special-use \Sent folder), not a refused top-level "Sent".
#[test]
fn send_appends_the_sent_copy_to_cyrus_inbox_sent() {
    let c = cyrus();
    let user = c.new_user("send");
    let smtp = support::servers();
    let sender = smtp.new_user("cyrus-sender");
    let rcpt = smtp.new_user("cyrus-rcpt");
    let outgoing = format!(
        "[accounts.c.outgoing]\nhost = \"{host}\"\nport = {port}\ntls = \"implicit\"\n\
         ca_file = \"{ca}\"\nuser = \"{login}\"\npassword_command = \"{command}\"\n",
        host = smtp.host,
        port = smtp.ports.submissions,
        ca = smtp.ca_file.display(),
        login = sender.login,
        command = sender.password_command().replace('"', "\\\""),
    );
    let postie = Postie::new(Account {
        user: &user,
        protocol: "imap",
        port: c.imaps,
        incoming_extra: "",
        tail: &outgoing,
    });
    postie.quiet(&["sync", "--account", "c"]);
    let out = postie.run_with_input(
        &[
            "send",
            "--from",
            "c",
            "--to",
            &rcpt.email,
            "--subject",
            "sent from postie",
        ],
        b"hello Cyrus\n",
    );
    assert!(
        out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "postie send: {out:?}"
    );
    let mut other = c.session(c.imaps, &user);
    other.select("INBOX.Sent");
    let fetched = other.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    assert_eq!(fetched.len(), 1, "one Sent copy: {fetched:?}");
    assert!(fetched[0].contains("sent from postie"), "{fetched:?}");
    assert!(
        !other.folders().contains(&"Sent".to_owned()),
        "no top-level Sent on Cyrus"
    );
    // Delivered too (Postfix -> Dovecot).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while rcpt.message_files("INBOX").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "not delivered within 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // And postie's Sent folder agrees after a sync: one copy.
    postie.quiet(&["sync", "--account", "c"]);
    let sent = local_folder_of(&postie, "INBOX.Sent");
    assert_eq!(subjects(&postie.list(&sent)), ["sent from postie"]);
}

fn pop3_account(user: &CyrusUser, mode: &str) -> Postie {
    Postie::new(Account {
        user,
        protocol: "pop3",
        port: cyrus().pop3s,
        incoming_extra: &format!("pop3_mode = \"{mode}\"\n"),
        tail: "",
    })
}

#[test]
fn pop3_keep_mode_against_cyrus_pop3d_never_fetches_a_message_twice() {
    let c = cyrus();
    let user = user_with_three("popkeep");
    let postie = pop3_account(&user, "keep");
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(
        subjects(&postie.list("INBOX")),
        ["first", "second", "third"]
    );
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(
        subjects(&postie.list("INBOX")),
        ["first", "second", "third"]
    );
    let mut other = c.session(c.imaps, &user);
    other.append(
        "INBOX",
        "",
        &message("four@cyrus.test", "fourth", "body four"),
    );
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(
        subjects(&postie.list("INBOX")),
        ["first", "fourth", "second", "third"]
    );
    assert_eq!(
        other.message_ids("INBOX").len(),
        4,
        "keep mode deletes nothing"
    );
    let shown = postie.quiet(&["read", &id_of(&postie.list("INBOX"), "fourth")]);
    assert!(shown.contains("body four"), "{shown}");
}

#[test]
fn pop3_delete_mode_against_cyrus_pop3d_empties_the_server_inbox() {
    let c = cyrus();
    let user = user_with_three("popdel");
    let postie = pop3_account(&user, "delete");
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(
        subjects(&postie.list("INBOX")),
        ["first", "second", "third"]
    );
    let mut other = c.session(c.imaps, &user);
    assert!(
        other.message_ids("INBOX").is_empty(),
        "deleted after download"
    );
    other.append(
        "INBOX",
        "",
        &message("four@cyrus.test", "fourth", "body four"),
    );
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(
        subjects(&postie.list("INBOX")),
        ["first", "fourth", "second", "third"]
    );
    assert!(other.message_ids("INBOX").is_empty());
}

#[test]
fn starttls_imap_and_pop3_stls_log_in_where_cyrus_disables_login_before_tls() {
    let c = cyrus();
    let user = user_with_three("starttls");
    for (protocol, port) in [("imap", c.imap), ("pop3", c.pop3)] {
        let postie = Postie::new(Account {
            user: &user,
            protocol,
            port,
            incoming_extra: "",
            tail: "",
        });
        let config = std::fs::read_to_string(postie.config()).unwrap();
        std::fs::write(
            postie.config(),
            config.replace("tls = \"implicit\"", "tls = \"starttls\""),
        )
        .unwrap();
        postie.quiet(&["sync", "--account", "c"]);
        assert_eq!(
            subjects(&postie.list("INBOX")),
            ["first", "second", "third"],
            "{protocol}"
        );
    }
}

#[test]
fn a_wrong_password_is_exit_77_with_one_line_naming_account_and_server() {
    let c = cyrus();
    let mut user = c.new_user("wrongpw");
    let real = user.password.clone();
    user.password = "not-the-password".into();
    for (protocol, port) in [("imap", c.imaps), ("pop3", c.pop3s)] {
        let postie = Postie::new(Account {
            user: &user,
            protocol,
            port,
            incoming_extra: "",
            tail: "",
        });
        let out = postie.run(&["sync", "--account", "c"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(77), "{protocol}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{protocol}: {err}");
        assert!(
            err.contains("account c (127.0.0.1:") && err.contains(&user.login),
            "{protocol}: names account, server and user: {err}"
        );
        assert!(
            err.contains("authentication failure")
                && err.contains("check what password_command prints"),
            "{protocol}: what Cyrus said, and the remedy: {err}"
        );
        assert!(
            !err.contains(&real) && !err.contains("not-the-password"),
            "{err}"
        );
    }
}

#[test]
fn on_demand_bodies_are_fetched_by_read() {
    let c = cyrus();
    let user = user_with_three("ondemand");
    let postie = Postie::new(Account {
        user: &user,
        protocol: "imap",
        port: c.imaps,
        incoming_extra: "",
        tail: "",
    });
    postie.quiet(&["sync", "--account", "c"]);
    let inbox = postie.list("INBOX");
    assert!(inbox.iter().all(|m| m["has_body"] == false), "{inbox:#?}");
    let shown = postie.quiet(&["read", &id_of(&inbox, "second")]);
    assert!(shown.contains("body two"), "{shown}");
    assert_eq!(
        flags_of(&postie.list("INBOX"), "second"),
        ["seen"],
        "already seen; nothing else set"
    );
}

#[test]
fn a_folder_another_client_empties_syncs_to_empty() {
    let c = cyrus();
    let user = user_with_three("emptied");
    for port in [c.imaps, c.plain_imaps] {
        let postie = imap_account(&user, port);
        postie.quiet(&["sync", "--account", "c"]);
        assert_eq!(postie.list("INBOX").len(), 3);
        let mut other = c.session(c.imaps, &user);
        other.select("INBOX");
        other.ok("STORE 1:* +FLAGS (\\Deleted)");
        other.ok("EXPUNGE");
        postie.quiet(&["sync", "--account", "c"]);
        assert!(postie.list("INBOX").is_empty());
        for (n, s) in ["first", "second", "third"].iter().enumerate() {
            other.append(
                "INBOX",
                "",
                &message(&format!("again{n}@cyrus.test"), s, "again"),
            );
        }
    }
}

/// Deleting in Trash expunges; on the face without UIDPLUS another client's \Deleted message
/// in Trash must survive that.
#[test]
fn delete_in_trash_expunges_only_what_postie_deleted() {
    let c = cyrus();
    let user = c.new_user("trash");
    let mut other = c.session(c.imaps, &user);
    other.append(
        "INBOX.Trash",
        "",
        &message("t1@cyrus.test", "trash one", "x"),
    );
    other.append(
        "INBOX.Trash",
        "(\\Deleted)",
        &message("t2@cyrus.test", "trash two", "x"),
    );
    let postie = imap_account(&user, c.plain_imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let trash = local_folder_of(&postie, "INBOX.Trash");
    let listed = postie.list(&trash);
    postie.quiet(&["delete", &id_of(&listed, "trash one")]);
    let flags = other.flags_by_message_id("INBOX.Trash");
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(flags["t2@cyrus.test"].contains(&"\\Deleted".to_owned()));
}

/// The bare face (no CONDSTORE, QRESYNC, UIDPLUS, MOVE or SPECIAL-USE capability): flags both
/// ways, another client's expunge and new mail, a move to a new folder and a delete to Trash,
/// each agreeing with the server after a resync; another client's \Deleted message survives.
#[test]
fn without_condstore_qresync_uidplus_move_or_special_use_sync_and_changes_hold() {
    let c = cyrus();
    let user = user_with_three("bare");
    let postie = imap_account(&user, c.bare_imaps);
    postie.quiet(&["sync", "--account", "c"]);
    let inbox = postie.list("INBOX");
    assert_eq!(subjects(&inbox), ["first", "second", "third"]);
    postie.quiet(&["flag", "add", "flagged", &id_of(&inbox, "first")]);
    let mut other = c.session(c.imaps, &user);
    let flags = other.flags_by_message_id("INBOX");
    assert!(
        flags["one@cyrus.test"].contains(&"\\Flagged".to_owned()),
        "{flags:?}"
    );
    other.ok("STORE 2 -FLAGS (\\Seen)");
    other.ok("STORE 3 +FLAGS (\\Deleted)");
    other.append(
        "INBOX",
        "",
        &message("four@cyrus.test", "fourth", "body four"),
    );
    postie.quiet(&["sync", "--account", "c"]);
    let inbox = postie.list("INBOX");
    assert_eq!(subjects(&inbox), ["first", "fourth", "second", "third"]);
    assert_eq!(flags_of(&inbox, "second"), Vec::<String>::new());
    assert_eq!(flags_of(&inbox, "third"), ["deleted"]);
    postie.quiet(&["move", "Archive", &id_of(&inbox, "first")]);
    postie.quiet(&["delete", &id_of(&inbox, "fourth")]);
    let flags = other.flags_by_message_id("INBOX");
    let mut left: Vec<&String> = flags.keys().collect();
    left.sort();
    assert_eq!(left, ["three@cyrus.test", "two@cyrus.test"], "{flags:?}");
    assert!(flags["three@cyrus.test"].contains(&"\\Deleted".to_owned()));
    assert_eq!(other.message_ids("INBOX.Archive"), ["one@cyrus.test"]);
    assert_eq!(other.message_ids("INBOX.Trash"), ["four@cyrus.test"]);
    other.select("INBOX");
    other.ok("EXPUNGE");
    postie.quiet(&["sync", "--account", "c"]);
    assert_eq!(subjects(&postie.list("INBOX")), ["second"]);
    assert_eq!(subjects(&postie.list("Archive")), ["first"]);
    assert_eq!(subjects(&postie.list("Trash")), ["fourth"]);
}
