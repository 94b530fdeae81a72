use std::collections::{HashMap, HashSet};

use super::keys::{made_key, server_uidl};
use super::session::login_error;
use super::{fallback_key, plan, to_delete};
use crate::config::{Account, Config, Env, Incoming, Pop3Mode, Server};
use crate::engine::EngineError;
use crate::engine::sync::SyncSummary;
use crate::error::ErrorKind;
use crate::proto::pop3::{Pop3Error, ResponseCode};

fn account(password_command: bool) -> (Account, Server) {
    let command = if password_command {
        "password_command = \"pass show x\"\n"
    } else {
        ""
    };
    let text = format!(
        "data_dir = \"/nonexistent\"\n[accounts.work]\nemail = \"a@x.test\"\n[accounts.work.incoming]\nprotocol = \"pop3\"\n\
         host = \"mail.x.test\"\n{command}"
    );
    let config =
        Config::parse(&text, std::path::Path::new("c.toml"), &Env::default()).expect("config");
    let account = config.accounts[0].clone();
    let Incoming::Pop3(pop3) = &account.incoming else {
        panic!("pop3");
    };
    let server = pop3.server.clone();
    (account, server)
}

fn refused(code: Option<ResponseCode>) -> Pop3Error {
    Pop3Error::Server {
        command: "log in".to_owned(),
        code,
        text: "Authentication failed.".to_owned(),
    }
}

#[test]
fn a_refused_login_says_how_to_fix_the_password() {
    let (acc, server) = account(false);
    let e = login_error(refused(Some(ResponseCode::Auth)), &acc, &server);
    assert_eq!(e.kind(), ErrorKind::Auth);
    let text = e.to_string();
    assert!(text.contains("postie login work"), "{text}");
    assert!(text.contains("Authentication failed."), "{text}");
    // RFC 1939 servers say only -ERR: still an authentication failure.
    assert_eq!(
        login_error(refused(None), &acc, &server).kind(),
        ErrorKind::Auth
    );

    let (acc, server) = account(true);
    let text = login_error(refused(None), &acc, &server).to_string();
    assert!(text.contains("password_command"), "{text}");
}

#[test]
fn a_locked_mailbox_is_temporary_and_says_to_retry() {
    let (acc, server) = account(false);
    let e = login_error(refused(Some(ResponseCode::InUse)), &acc, &server);
    assert!(matches!(e, EngineError::MailboxLocked { .. }));
    assert_eq!(e.kind(), ErrorKind::Temporary);
    assert!(
        e.to_string()
            .contains("locked by another client; try again later")
    );
    // [SYS/TEMP] and friends keep the client's own kind.
    let e = login_error(refused(Some(ResponseCode::SysTemp)), &acc, &server);
    assert_eq!(e.kind(), ErrorKind::Temporary);
    assert!(matches!(e, EngineError::Pop3(_)));
}

#[test]
fn fallback_keys_depend_on_header_and_size_and_fit_a_file_name() {
    let head = b"From: a@x.test\r\nMessage-ID: <1@x.test>\r\nSubject: s\r\n\r\n";
    let k = fallback_key(head, 100);
    assert_eq!(k, fallback_key(head, 100), "stable");
    assert!(k.starts_with("h:") && k.len() == 50, "{k}");
    assert_ne!(k, fallback_key(head, 101));
    let other = b"From: a@x.test\r\nMessage-ID: <2@x.test>\r\nSubject: s\r\n\r\n";
    assert_ne!(k, fallback_key(other, 100));
    // No Message-ID at all still gives a key.
    assert!(fallback_key(b"Subject: x\r\n\r\n", 5).starts_with("h:"));
}

#[test]
fn plan_skips_known_duplicate_and_oversized_messages() {
    let keys: Vec<(u32, String)> = [(1, "a"), (2, "b"), (3, "c"), (4, "b"), (5, "d")]
        .into_iter()
        .map(|(n, u)| (n, u.to_owned()))
        .collect();
    let sizes: HashMap<u32, u64> = [(1, 10), (2, 10), (3, 5000), (4, 10), (5, 10)].into();
    let known: HashSet<String> = ["a".to_owned()].into();
    let mut summary = SyncSummary::default();
    let wanted: Vec<(u32, String, u64)> = plan(&keys, &sizes, &known, 1000, &mut summary)
        .into_iter()
        .map(|w| (w.number, w.key, w.listed))
        .collect();
    assert_eq!(wanted, [(2, "b".to_owned(), 10), (5, "d".to_owned(), 10)]);
    assert_eq!(summary.warnings.len(), 1);
    assert!(
        summary.warnings[0].contains("message 3"),
        "{:?}",
        summary.warnings
    );
}

fn keyed(pairs: &[(u32, &str)]) -> Vec<(u32, String)> {
    pairs.iter().map(|(n, k)| (*n, (*k).to_owned())).collect()
}

fn set(keys: &[&str]) -> HashSet<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

#[test]
fn only_numbers_stored_whole_or_known_by_a_unique_key_are_deleted() {
    // "dup" is listed twice (a key should never be, but a shared one must not delete both).
    let keys = keyed(&[
        (1, "a"),
        (2, "dup"),
        (3, "dup"),
        (4, "b"),
        (5, "c"),
        (6, "d"),
    ]);
    let known = set(&["a", "dup", "c"]);
    let suspect = set(&["c"]);
    let delivered: HashSet<u32> = [4].into();
    let delete = to_delete(&keys, &known, &suspect, &delivered, Pop3Mode::Delete);
    // 1: known; 2, 3: their key is not unique; 4: stored now; 5: suspect; 6: never stored.
    assert_eq!(delete, [1, 4]);
    // Keep mode (leave_on_server_days): only expired keys, never this session's downloads.
    let expired = set(&["a", "b", "dup", "c"]);
    let delete = to_delete(&keys, &expired, &suspect, &delivered, Pop3Mode::Keep);
    assert_eq!(delete, [1, 4]);
    let delete = to_delete(&keys, &set(&["a"]), &suspect, &delivered, Pop3Mode::Keep);
    assert_eq!(delete, [1]);
}

#[test]
fn made_keys_tell_repeated_uidls_apart_and_never_equal_a_uidl() {
    let head = b"Subject: one\r\n\r\n";
    let k = made_key("u1", 100, head);
    assert_eq!(k, made_key("u1", 100, head), "stable");
    assert_ne!(k, made_key("u1", 101, head));
    assert_ne!(k, made_key("u1", 100, b"Subject: two\r\n\r\n"));
    assert!(k.starts_with("u1 ") && k.len() == "u1 ".len() + 16, "{k}");
    assert_eq!(server_uidl(&k), "u1");
    assert_eq!(server_uidl("plain"), "plain");
}
