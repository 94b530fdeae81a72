//! Reading PGP/MIME against a fake backend: which bytes reach the backend, what is shown, and
//! the status line. The real gpg is exercised in tests/pgp.rs.

use std::cell::RefCell;

use super::*;
use crate::pgp::status::{StatusReport, Trust};
use crate::pgp::{DetachedSignature, PgpError};

/// Records what it was asked to check; answers from its fields.
#[derive(Default)]
struct Fake {
    verified: RefCell<Vec<(Vec<u8>, Vec<u8>)>>,
    decrypted: RefCell<Vec<Vec<u8>>>,
    verify_report: StatusReport,
    decrypt_result: Option<Decrypted>,
}

impl Backend for Fake {
    fn sign_detached(&self, _: &[u8], _: &str) -> Result<DetachedSignature, PgpError> {
        unreachable!("reading never signs")
    }
    fn encrypt(&self, _: &[u8], _: &[String], _: Option<&str>) -> Result<Vec<u8>, PgpError> {
        unreachable!("reading never encrypts")
    }
    fn verify_detached(&self, data: &[u8], sig: &[u8]) -> Result<StatusReport, PgpError> {
        self.verified
            .borrow_mut()
            .push((data.to_vec(), sig.to_vec()));
        Ok(self.verify_report.clone())
    }
    fn decrypt(&self, data: &[u8]) -> Result<Decrypted, PgpError> {
        self.decrypted.borrow_mut().push(data.to_vec());
        Ok(self.decrypt_result.clone().expect("a decrypt answer"))
    }
    fn can_encrypt_to(&self, _: &str) -> Result<bool, PgpError> {
        Ok(true)
    }
}

fn good(uid: &str) -> StatusReport {
    StatusReport {
        signatures: vec![Signature {
            state: SignatureState::Good,
            key_id: "DD8AADFDF435C992".into(),
            fingerprint: Some("43E30205D3CE22C42E633226DD8AADFDF435C992".into()),
            user_id: Some(uid.into()),
            trust: Trust::Unknown,
            expired: false,
        }],
        ..StatusReport::default()
    }
}

const SIGNED: &[u8] = b"From: Alice <alice@x.test>\nSubject: s\nMIME-Version: 1.0\n\
Content-Type: multipart/signed; micalg=pgp-sha256;\n protocol=\"application/pgp-signature\"; boundary=\"b1\"\n\n\
preamble\n--b1\nContent-Type: text/plain\n\nsigned text \nsecond line\n\n--b1\n\
Content-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\nAAA\n-----END PGP SIGNATURE-----\n\
--b1--\nepilogue\n";

#[test]
fn a_plain_message_is_not_inspected() {
    let fake = Fake::default();
    let raw = b"From: a@x.test\r\nSubject: hi\r\n\r\nno armor here\r\n";
    assert_eq!(inspect(&fake, raw), None);
    assert!(fake.verified.borrow().is_empty() && fake.decrypted.borrow().is_empty());
}

#[test]
fn the_exact_first_part_in_crlf_and_the_signature_are_verified() {
    let fake = Fake {
        verify_report: good("Alice <alice@x.test>"),
        ..Fake::default()
    };
    let i = inspect(&fake, SIGNED).expect("a signed message");
    let verified = fake.verified.borrow();
    assert_eq!(verified.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&verified[0].0),
        "Content-Type: text/plain\r\n\r\nsigned text \r\nsecond line\r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&verified[0].1).replace("\r\n", "\n"),
        "-----BEGIN PGP SIGNATURE-----\nAAA\n-----END PGP SIGNATURE-----"
    );
    assert_eq!(
        i.status_line(),
        "PGP: good signature from Alice <alice@x.test> (key DD8AADFDF435C992, trust unknown)"
    );
    assert!(!i.is_alarming());
    assert_eq!(i.shown, None);
}

#[test]
fn a_bad_signature_is_alarming_and_says_so() {
    let mut report = good("Alice <alice@x.test>");
    report.signatures[0].state = SignatureState::Bad;
    report.signatures[0].fingerprint = None;
    let fake = Fake {
        verify_report: report,
        ..Fake::default()
    };
    let i = inspect(&fake, SIGNED).expect("signed");
    assert!(i.is_alarming());
    assert!(
        i.status_line()
            .starts_with("PGP: BAD signature from Alice <alice@x.test> (key DD8AADFDF435C992)"),
        "{}",
        i.status_line()
    );
}

#[test]
fn a_signed_entity_inside_an_encrypted_one_is_shown_and_verified() {
    let inner = b"Content-Type: multipart/signed; micalg=pgp-sha256;\r\n \
protocol=\"application/pgp-signature\"; boundary=\"in\"\r\n\r\n--in\r\n\
Content-Type: text/plain\r\n\r\nsecret words\r\n--in\r\nContent-Type: application/pgp-signature\r\n\r\n\
SIG\r\n--in--\r\n";
    let fake = Fake {
        verify_report: good("Alice <alice@x.test>"),
        decrypt_result: Some(Decrypted {
            plaintext: Some(inner.to_vec()),
            report: StatusReport {
                decryption_okay: true,
                encrypted_to: vec!["1111222233334444".into()],
                ..StatusReport::default()
            },
        }),
        ..Fake::default()
    };
    let raw = b"From: a@x.test\r\nContent-Type: multipart/encrypted;\r\n \
protocol=\"application/pgp-encrypted\"; boundary=\"o\"\r\n\r\n--o\r\n\
Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--o\r\n\
Content-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\nXYZ\r\n\
-----END PGP MESSAGE-----\r\n--o--\r\n";
    let i = inspect(&fake, raw).expect("encrypted");
    assert_eq!(
        String::from_utf8_lossy(&fake.decrypted.borrow()[0]).replace("\r\n", "\n"),
        "-----BEGIN PGP MESSAGE-----\nXYZ\n-----END PGP MESSAGE-----"
    );
    assert_eq!(
        i.shown.as_deref(),
        Some(&b"Content-Type: text/plain\r\n\r\nsecret words"[..])
    );
    assert_eq!(
        i.status_line(),
        "PGP: decrypted with key 1111222233334444; good signature from Alice <alice@x.test> \
(key DD8AADFDF435C992, trust unknown)"
    );
}

#[test]
fn an_undecryptable_message_names_its_keys() {
    let fake = Fake {
        decrypt_result: Some(Decrypted {
            plaintext: None,
            report: StatusReport {
                encrypted_to: vec!["AAAABBBBCCCCDDDD".into()],
                no_secret_key: vec!["AAAABBBBCCCCDDDD".into()],
                decryption_failed: true,
                ..StatusReport::default()
            },
        }),
        ..Fake::default()
    };
    let raw = b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=o\r\n\r\n\
--o\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--o\r\n\
Content-Type: application/octet-stream\r\n\r\nDATA\r\n--o--\r\n";
    let i = inspect(&fake, raw).expect("encrypted");
    assert!(i.is_alarming());
    assert_eq!(i.shown, None);
    assert_eq!(
        i.status_line(),
        "PGP: cannot decrypt (encrypted to AAAABBBBCCCCDDDD): no secret key for it in the GnuPG keyring"
    );
}

#[test]
fn inline_clearsigned_text_is_verified_and_shown_without_armor() {
    let fake = Fake {
        decrypt_result: Some(Decrypted {
            plaintext: Some(b"the text\n".to_vec()),
            report: good("Bob <bob@x.test>"),
        }),
        ..Fake::default()
    };
    let raw = b"Subject: inline\r\n\r\nhello\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\n\
the text\r\n-----BEGIN PGP SIGNATURE-----\r\nAAA\r\n-----END PGP SIGNATURE-----\r\nbye\r\n";
    let i = inspect(&fake, raw).expect("inline");
    assert_eq!(i.kind, Kind::Inline);
    assert!(
        i.status_line()
            .starts_with("PGP (inline): good signature from Bob")
    );
    let shown = String::from_utf8_lossy(i.shown.as_deref().expect("shown")).replace("\r\n", "\n");
    assert!(shown.contains("hello\n") && shown.contains("the text\n") && shown.contains("bye"));
    assert!(!shown.contains("BEGIN PGP"), "{shown}");
}

#[test]
fn malformed_multiparts_give_a_status_not_a_panic() {
    let fake = Fake::default();
    for raw in [
        &b"Content-Type: multipart/signed; boundary=\"\"\r\n\r\nx"[..],
        b"Content-Type: multipart/signed; boundary=z\r\n\r\n--z\r\nonly one part",
        b"Content-Type: multipart/signed; boundary=z\r\n\r\n--z",
        b"Content-Type: multipart/encrypted; boundary=z\r\n\r\n--zz\r\n--z--",
    ] {
        let i = inspect(&fake, raw).expect("pgp content type");
        assert!(i.problem.is_some(), "{i:?}");
        assert!(i.status_line().contains("cannot check"));
    }
}
