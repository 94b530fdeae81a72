//! gpg off the store thread (issue #18): with a gpg that takes its time (a wrapper script
//! that sleeps), opening an encrypted message answers at once with `PGP: checking…`, the list
//! keeps answering meanwhile, and the reader gets the message again when gpg is done; sending
//! a signed message lets the list answer while gpg signs.

use std::os::unix::fs::PermissionsExt;

use super::pgp_check::CHECKING;
use super::tests::{inbox, rig_with_gpg};
use super::*;
use crate::pgp::gpg::Gpg;
use crate::store::NewMessage;
use crate::ui::EncryptChoice;

const ENCRYPTED: &[u8] = b"From: bob@x.test\r\nTo: alex@demo.test\r\nSubject: sealed\r\n\
Message-ID: <sealed@x.test>\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\
\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b\r\n\
Content-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA\r\n\
-----END PGP MESSAGE-----\r\n--b--\r\n";

fn pgp_line(m: &ui::Message) -> Option<&str> {
    m.headers
        .iter()
        .find(|(name, _)| name == "PGP")
        .map(|(_, value)| value.as_str())
}

/// A gpg that sleeps 3 s and then fails (a pinentry nobody answers, a slow smartcard).
fn slow_gpg(dir: &std::path::Path) -> Gpg {
    let program = dir.join("slow-gpg");
    std::fs::write(&program, "#!/bin/sh\nsleep 3\nexit 2\n").unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    Gpg {
        program,
        ..Gpg::default()
    }
}

fn inbox_request(generation: u64) -> PageRequest {
    PageRequest {
        source: inbox(),
        offset: 0,
        limit: 100,
        sort: ui::Sort::default(),
        generation,
    }
}

#[test]
fn a_slow_gpg_signing_does_not_stop_the_list_and_the_send_reports_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = rig_with_gpg(slow_gpg(dir.path()), |_| {});
    let draft = ui::Draft {
        account: DEMO_ACCOUNT.into(),
        to: vec!["bob@x.test".into()],
        subject: "signed".into(),
        body: "hi".into(),
        pgp: Some(ui::PgpChoice {
            sign: true,
            encrypt: EncryptChoice::No,
        }),
        ..ui::Draft::default()
    };
    r.send(Command::Send(draft));
    let request = inbox_request(9);
    r.send(Command::LoadPage(request.clone()));
    let mut order = Vec::new();
    for _ in 0..20 {
        match r.next() {
            Event::Page { request: got, .. } if got == request => order.push("page"),
            Event::Sent { result } => {
                let e = result.expect_err("the slow gpg fails");
                assert!(e.message.contains("OpenPGP"), "{}", e.message);
                order.push("sent");
                break;
            }
            _ => {}
        }
    }
    assert_eq!(
        order,
        ["page", "sent"],
        "the list answered while gpg signed"
    );
}

#[test]
fn a_slow_gpg_does_not_stop_the_list_and_the_reader_updates_when_it_is_done() {
    let dir = tempfile::tempdir().unwrap();
    // Slow, then it fails: the result is "cannot decrypt".
    let gpg = slow_gpg(dir.path());
    let mut sid = None;
    let mut r = rig_with_gpg(gpg, |store| {
        let folder = store.ensure_folder(DEMO_ACCOUNT, "INBOX").unwrap();
        sid = Some(store.deliver(folder, &NewMessage::new(ENCRYPTED)).unwrap());
    });
    let id = convert::ui_id(sid.unwrap());

    let first = r.open(&id);
    assert_eq!(pgp_line(&first), Some(CHECKING));
    assert_eq!(
        first.prefill.reply.pgp.map(|p| p.encrypt),
        Some(EncryptChoice::Yes),
        "a reply made before gpg is done starts encrypted"
    );

    // While gpg sleeps, the list answers; the reader's second answer comes after it.
    let request = inbox_request(7);
    r.send(Command::LoadPage(request.clone()));
    let mut page_first = None;
    let mut second = None;
    for _ in 0..20 {
        match r.next() {
            Event::Page { request: got, .. } if got == request => {
                page_first.get_or_insert(second.is_none());
            }
            Event::Message { id: got, result } if got == id => {
                second = Some(result.unwrap());
                break;
            }
            _ => {}
        }
    }
    assert_eq!(
        page_first,
        Some(true),
        "the list answered before gpg was done"
    );
    let second = second.expect("the reader gets the message again when gpg is done");
    let line = pgp_line(&second).expect("a PGP line");
    assert_ne!(line, CHECKING);
    assert!(line.contains("cannot") || line.contains("gpg"), "{line}");
}
