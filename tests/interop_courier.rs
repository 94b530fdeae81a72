//! Interop with a real Courier IMAP 5.0 / POP 1.0 (issue 15, Deliver 6), through the postie
//! binary, against the private instance of `scripts/interop-courier` (tests/support/courier.rs).
//!
//! Courier is not Dovecot: every personal folder lives under `INBOX.` with separator `.`
//! (`CREATE "Sent"` is refused: "Invalid mailbox name"), and it has UIDPLUS but no MOVE,
//! CONDSTORE, QRESYNC or SPECIAL-USE. A second client (raw IMAP) checks what the server holds
//! after each postie command; messages reach Courier by IMAP APPEND (Maildir delivery is its
//! real path, and APPEND writes exactly that).

#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;

use support::TestUser;
use support::config::{Incoming, Tls};
use support::courier::{
    Courier, PostieHome, courier, imap_append, imap_ok, maildir_files, message,
};

/// A postie home with account `c` for `user` on Courier; `extra` goes into the incoming table.
fn home(c: &Courier, user: &TestUser, incoming: Incoming, extra: &str) -> PostieHome {
    let mut toml = c.account_toml(user, "c", incoming, Tls::Implicit);
    toml = toml.replacen(
        "tls = \"implicit\"\n",
        &format!("tls = \"implicit\"\n{extra}\n"),
        1,
    );
    PostieHome::new(&toml)
}

/// The count of messages in Courier folder `wire`, asked over IMAP.
async fn server_count(c: &Courier, user: &TestUser, wire: &str) -> u64 {
    let mut conn = c.imap_session(user).await;
    let lines = imap_ok(&mut conn, &format!("STATUS \"{wire}\" (MESSAGES)")).await;
    lines
        .iter()
        .find_map(|l| {
            let rest = l.split("(MESSAGES ").nth(1)?;
            rest.trim_end_matches(')').trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("STATUS {wire}: {lines:?}"))
}

/// The UIDs of the messages in INBOX matching IMAP search `criteria`.
async fn server_search(c: &Courier, user: &TestUser, wire: &str, criteria: &str) -> Vec<u32> {
    let mut conn = c.imap_session(user).await;
    imap_ok(&mut conn, &format!("SELECT \"{wire}\"")).await;
    let lines = imap_ok(&mut conn, &format!("UID SEARCH {criteria}")).await;
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|rest| rest.split_whitespace().filter_map(|n| n.parse().ok()))
        .collect()
}

/// Server folder names, as LIST "" "*" shows them.
async fn server_folders(c: &Courier, user: &TestUser) -> Vec<String> {
    let mut conn = c.imap_session(user).await;
    let lines = imap_ok(&mut conn, "LIST \"\" \"*\"").await;
    let mut names: Vec<String> = lines
        .iter()
        .filter_map(|l| {
            l.rsplit_once(" \".\" ")
                .map(|(_, n)| n.trim_matches('"').to_owned())
        })
        .collect();
    names.sort();
    names
}

async fn append(c: &Courier, user: &TestUser, wire: &str, flags: &str, subject: &str) {
    let mut conn = c.imap_session(user).await;
    let m = message(
        "sender@example.test",
        &user.email,
        subject,
        &format!("body of {subject}"),
    );
    imap_append(&mut conn, wire, flags, &m).await;
}

fn local_folders(home: &PostieHome) -> Vec<String> {
    let text = home.ok(&["folders", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut names: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn imap_sync_reads_bodies_flags_both_ways_and_sees_another_clients_changes() {
    let c = courier();
    let user = c.new_user("sync");
    append(c, &user, "INBOX", "", "alpha").await;
    append(c, &user, "INBOX", "\\Seen", "beta").await;
    let home = home(c, &user, Incoming::Imap, "");
    home.ok(&["sync"]);
    let listed = home.list("INBOX");
    let subjects: Vec<&str> = listed.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(subjects, ["alpha", "beta"]);
    assert!(!listed[0].2.contains(&"seen".to_owned()), "{listed:?}");
    assert!(listed[1].2.contains(&"seen".to_owned()), "{listed:?}");

    // Read (the body is fetched on demand), then flag here: the server sees both.
    let alpha = home.id_of("INBOX", "alpha");
    let text = home.ok(&["read", &alpha]);
    assert!(text.contains("body of alpha"), "{text}");
    home.ok(&["flag", "add", "flagged", &alpha]);
    assert_eq!(server_search(c, &user, "INBOX", "FLAGGED").await.len(), 1);

    // Another client: beta unseen + answered, a new message, alpha expunged.
    {
        let mut conn = c.imap_session(&user).await;
        imap_ok(&mut conn, "SELECT INBOX").await;
        imap_ok(&mut conn, "UID STORE 2 -FLAGS (\\Seen)").await;
        imap_ok(&mut conn, "UID STORE 2 +FLAGS (\\Answered)").await;
        imap_ok(&mut conn, "UID STORE 1 +FLAGS (\\Deleted)").await;
        imap_ok(&mut conn, "EXPUNGE").await;
    }
    append(c, &user, "INBOX", "", "gamma").await;
    home.ok(&["sync"]);
    let listed = home.list("INBOX");
    let subjects: Vec<&str> = listed.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(subjects, ["beta", "gamma"], "{listed:?}");
    assert!(!listed[0].2.contains(&"seen".to_owned()), "{listed:?}");
    assert!(listed[0].2.contains(&"answered".to_owned()), "{listed:?}");
}

#[tokio::test]
async fn move_to_archive_lands_in_inbox_archive_and_sync_agrees() {
    let c = courier();
    let user = c.new_user("archive");
    append(c, &user, "INBOX", "", "keep").await;
    append(c, &user, "INBOX", "", "file-me").await;
    let home = home(c, &user, Incoming::Imap, "");
    home.ok(&["sync"]);
    let id = home.id_of("INBOX", "file-me");
    home.ok(&["move", "Archive", &id]);

    assert!(
        server_folders(c, &user)
            .await
            .contains(&"INBOX.Archive".to_owned()),
        "Courier has INBOX.Archive: {:?}",
        server_folders(c, &user).await
    );
    assert_eq!(server_count(c, &user, "INBOX.Archive").await, 1);
    assert_eq!(server_count(c, &user, "INBOX").await, 1);
    assert_eq!(
        maildir_files(&c.folder_dir(&user, "INBOX.Archive")).len(),
        1
    );

    // A second sync changes nothing and leaves no second "Archive".
    home.ok(&["sync"]);
    assert_eq!(local_folders(&home), ["Archive", "INBOX"]);
    let archived: Vec<String> = home.list("Archive").into_iter().map(|m| m.0).collect();
    assert_eq!(archived, ["file-me"]);
    let inbox: Vec<String> = home.list("INBOX").into_iter().map(|m| m.0).collect();
    assert_eq!(inbox, ["keep"]);
}

#[tokio::test]
async fn move_to_archive_uses_an_inbox_archive_another_client_made() {
    let c = courier();
    let user = c.new_user("existing");
    {
        let mut conn = c.imap_session(&user).await;
        imap_ok(&mut conn, "CREATE \"INBOX.Archive\"").await;
        imap_ok(&mut conn, "CREATE \"INBOX.Sent\"").await;
    }
    append(c, &user, "INBOX", "", "old").await;
    let home = home(c, &user, Incoming::Imap, "");
    home.ok(&["sync"]);
    assert_eq!(
        local_folders(&home),
        ["Archive", "INBOX", "Sent"],
        "Courier's INBOX. prefix is not shown"
    );
    let id = home.id_of("INBOX", "old");
    home.ok(&["move", "Archive", &id]);
    assert_eq!(server_count(c, &user, "INBOX.Archive").await, 1);
    assert_eq!(server_count(c, &user, "INBOX").await, 0);
    home.ok(&["sync"]);
    assert_eq!(local_folders(&home), ["Archive", "INBOX", "Sent"]);
    let archived: Vec<String> = home.list("Archive").into_iter().map(|m| m.0).collect();
    assert_eq!(archived, ["old"]);
}

#[tokio::test]
async fn delete_expunges_only_its_own_message_with_uidplus() {
    let c = courier();
    let user = c.new_user("delete");
    append(c, &user, "INBOX", "", "doomed").await;
    append(c, &user, "INBOX", "", "theirs").await;
    append(c, &user, "INBOX", "", "kept").await;
    let home = home(c, &user, Incoming::Imap, "");
    home.ok(&["sync"]);
    // Another client marks "theirs" \Deleted and does not expunge: that is its business.
    {
        let mut conn = c.imap_session(&user).await;
        imap_ok(&mut conn, "SELECT INBOX").await;
        imap_ok(&mut conn, "UID STORE 2 +FLAGS (\\Deleted)").await;
    }
    let id = home.id_of("INBOX", "doomed");
    home.ok(&["delete", &id]);
    assert_eq!(
        server_count(c, &user, "INBOX").await,
        2,
        "only postie's message is gone; the other client's \\Deleted one stays"
    );
    assert_eq!(server_search(c, &user, "INBOX", "DELETED").await, [2]);
    home.ok(&["sync"]);
    let left: Vec<String> = home.list("INBOX").into_iter().map(|m| m.0).collect();
    assert!(!left.contains(&"doomed".to_owned()), "{left:?}");
}

#[tokio::test]
async fn without_uidplus_a_delete_and_a_move_never_expunge_another_clients_deleted_mail() {
    let c = courier();
    let user = c.new_user("nouidplus");
    for subject in ["doomed", "theirs", "moved", "kept"] {
        append(c, &user, "INBOX", "", subject).await;
    }
    // The same store through the port that does not announce UIDPLUS.
    let toml = c
        .account_toml(&user, "c", Incoming::Imap, Tls::Implicit)
        .replacen(
            &format!("port = {}\n", c.imaps),
            &format!("port = {}\n", c.imaps_no_uidplus),
            1,
        );
    let home = PostieHome::new(&toml);
    home.ok(&["sync"]);
    {
        let mut conn = c.imap_session(&user).await;
        imap_ok(&mut conn, "SELECT INBOX").await;
        imap_ok(&mut conn, "UID STORE 2 +FLAGS (\\Deleted)").await;
    }
    let doomed = home.id_of("INBOX", "doomed");
    let out = home.run(&["delete", &doomed], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let moved = home.id_of("INBOX", "moved");
    let out = home.run(&["move", "Archive", &moved], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        server_search(c, &user, "INBOX", "DELETED")
            .await
            .contains(&2),
        "the other client's \\Deleted message is still there"
    );
    assert_eq!(server_count(c, &user, "INBOX.Archive").await, 1);
    home.ok(&["sync"]);
    let inbox: Vec<String> = home.list("INBOX").into_iter().map(|m| m.0).collect();
    assert!(
        inbox.contains(&"kept".to_owned()) && !inbox.contains(&"moved".to_owned()),
        "{inbox:?}"
    );
}

#[tokio::test]
async fn a_refused_create_is_undone_and_leaves_no_local_only_folder() {
    let c = courier();
    let user = c.new_user("refused");
    append(c, &user, "INBOX", "", "stays").await;
    let home = home(c, &user, Incoming::Imap, "");
    home.ok(&["sync"]);
    let id = home.id_of("INBOX", "stays");
    // Courier refuses a name with an empty level ("Invalid mailbox name"), at the top and under
    // INBOX. alike.
    let out = home.run(&["move", "a..b", &id], b"");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused"), "the refusal is told: {err}");
    assert!(
        !server_folders(c, &user)
            .await
            .iter()
            .any(|f| f.contains("a..b")),
        "nothing was made on the server"
    );
    assert_eq!(server_count(c, &user, "INBOX").await, 1);
    let inbox: Vec<String> = home.list("INBOX").into_iter().map(|m| m.0).collect();
    assert_eq!(inbox, ["stays"], "the move is undone here");
    assert_eq!(
        local_folders(&home),
        ["INBOX"],
        "the folder the move made here went with it"
    );
    home.ok(&["sync"]);
    assert_eq!(local_folders(&home), ["INBOX"]);
    assert!(!Path::new(&home.data_dir().join("c").join("a..b")).exists());
}

#[tokio::test]
async fn pop3_keep_mode_never_refetches() {
    let c = courier();
    let user = c.new_user("keep");
    append(c, &user, "INBOX", "", "one").await;
    append(c, &user, "INBOX", "", "two").await;
    let home = home(c, &user, Incoming::Pop3, "pop3_mode = \"keep\"");
    home.ok(&["sync"]);
    assert_eq!(home.list("INBOX").len(), 2);
    // Courier logs each POP3 session's RETR'd bytes at its end ("retr=N").
    let retrieved = |c: &Courier| -> Vec<u64> {
        c.pop3_logouts(&user)
            .iter()
            .map(|l| {
                l.split(", ")
                    .find_map(|f| f.strip_prefix("retr="))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("no retr= in Courier's log line {l}"))
            })
            .collect()
    };
    let first = retrieved(c);
    assert!(first.len() == 1 && first[0] > 0, "{first:?}");
    home.ok(&["sync"]);
    assert_eq!(retrieved(c)[1..], [0], "the second sync fetched nothing");
    append(c, &user, "INBOX", "", "three").await;
    home.ok(&["sync"]);
    let third = retrieved(c);
    assert!(
        third.len() == 3 && third[2] > 0 && third[2] < first[0],
        "only the new message was fetched: {third:?}"
    );
    let subjects: Vec<String> = home.list("INBOX").into_iter().map(|m| m.0).collect();
    assert_eq!(subjects, ["one", "three", "two"]);
    assert_eq!(
        maildir_files(&user.maildir).len(),
        3,
        "keep mode leaves the server's copies"
    );
}

#[tokio::test]
async fn pop3_delete_mode_empties_the_server_after_the_local_copy() {
    let c = courier();
    let user = c.new_user("dele");
    append(c, &user, "INBOX", "", "first").await;
    append(c, &user, "INBOX", "", "second").await;
    let home = home(c, &user, Incoming::Pop3, "pop3_mode = \"delete\"");
    home.ok(&["sync"]);
    let subjects: Vec<String> = home.list("INBOX").into_iter().map(|m| m.0).collect();
    assert_eq!(subjects, ["first", "second"]);
    assert!(maildir_files(&user.maildir).is_empty(), "DELE'd on Courier");
    home.ok(&["sync"]);
    assert_eq!(home.list("INBOX").len(), 2);
    let read = home.ok(&["read", &home.id_of("INBOX", "second")]);
    assert!(read.contains("body of second"), "{read}");
}

#[tokio::test]
async fn the_sent_copy_goes_to_inbox_sent() {
    let c = courier();
    let user = c.new_user("sent");
    let home = home(c, &user, Incoming::Imap, "");
    home.ok(&["sync"]);
    let out = home.run(
        &["send", "--to", &user.email, "--subject", "to myself"],
        b"sent through Exim\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !err.contains("warning"),
        "send: {:?} {err}",
        out.status
    );
    c.wait_exim_delivered(&user, 1);
    assert!(
        server_folders(c, &user)
            .await
            .contains(&"INBOX.Sent".to_owned()),
        "{:?}",
        server_folders(c, &user).await
    );
    assert_eq!(server_count(c, &user, "INBOX.Sent").await, 1);
    home.ok(&["sync"]);
    let sent: Vec<String> = home.list("Sent").into_iter().map(|m| m.0).collect();
    assert_eq!(sent, ["to myself"]);
    assert_eq!(local_folders(&home), ["INBOX", "Sent"]);
}

#[tokio::test]
async fn imap_and_pop3_over_starttls() {
    let c = courier();
    let user = c.new_user("starttls");
    append(c, &user, "INBOX", "", "over starttls").await;
    let imap = PostieHome::new(&c.account_toml(&user, "c", Incoming::Imap, Tls::StartTls));
    imap.ok(&["sync"]);
    let subjects: Vec<String> = imap.list("INBOX").into_iter().map(|m| m.0).collect();
    assert_eq!(subjects, ["over starttls"]);
    let pop3 = PostieHome::new(&c.account_toml(&user, "c", Incoming::Pop3, Tls::StartTls));
    pop3.ok(&["sync"]);
    let read = pop3.ok(&["read", &pop3.id_of("INBOX", "over starttls")]);
    assert!(read.contains("body of over starttls"), "{read}");
    let logouts = c.pop3_logouts(&user);
    assert!(
        !logouts.is_empty() && logouts.iter().all(|l| l.contains("stls=1")),
        "Courier saw STLS before the login: {logouts:?}"
    );
}
