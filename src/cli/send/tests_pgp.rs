//! `postie send` deciding what OpenPGP does, against a fake backend (no gpg): the flags over
//! the account's defaults, `if-all-keys`, and a missing key stopping the message before
//! anything is encrypted. The real gpg round trip is tests/pgp.rs.

use std::cell::RefCell;

use clap::Parser;

use super::*;
use crate::config::{PgpEncrypt, PgpSettings};
use crate::pgp::{Decrypted, DetachedSignature, StatusReport};

#[derive(Debug, Parser)]
struct Wrapper {
    #[command(flatten)]
    args: SendArgs,
}

fn parse(argv: &[&str]) -> SendArgs {
    Wrapper::try_parse_from(std::iter::once("send").chain(argv.iter().copied()))
        .expect("parses")
        .args
}

/// Knows keys for `keys`; logs every sign and encrypt.
struct FakePgp {
    keys: Vec<&'static str>,
    calls: RefCell<Vec<String>>,
}

impl FakePgp {
    fn with_keys(keys: &[&'static str]) -> FakePgp {
        FakePgp {
            keys: keys.to_vec(),
            calls: RefCell::new(Vec::new()),
        }
    }
}

impl Backend for FakePgp {
    fn sign_detached(&self, _: &[u8], signer: &str) -> Result<DetachedSignature, PgpError> {
        self.calls.borrow_mut().push(format!("sign {signer}"));
        Ok(DetachedSignature {
            armored: b"-----BEGIN PGP SIGNATURE-----\nSIG\n-----END PGP SIGNATURE-----\n".to_vec(),
            micalg: "pgp-sha256",
        })
    }
    fn encrypt(&self, _: &[u8], to: &[String], signer: Option<&str>) -> Result<Vec<u8>, PgpError> {
        self.calls
            .borrow_mut()
            .push(format!("encrypt {} signer {signer:?}", to.join(",")));
        Ok(b"-----BEGIN PGP MESSAGE-----\nX\n-----END PGP MESSAGE-----\n".to_vec())
    }
    fn verify_detached(&self, _: &[u8], _: &[u8]) -> Result<StatusReport, PgpError> {
        unreachable!("sending never verifies")
    }
    fn decrypt(&self, _: &[u8]) -> Result<Decrypted, PgpError> {
        unreachable!("sending never decrypts")
    }
    fn can_encrypt_to(&self, address: &str) -> Result<bool, PgpError> {
        Ok(self.keys.contains(&address))
    }
    fn export_minimal(&self, key: &str) -> Result<Vec<u8>, PgpError> {
        self.calls.borrow_mut().push(format!("export {key}"));
        Ok(b"KEYDATA".to_vec())
    }
}

fn config_with(pgp: PgpSettings) -> Config {
    let mut config = super::tests::config();
    config.accounts[0].pgp = pgp;
    config
}

fn text(plan: &SendPlan) -> String {
    String::from_utf8_lossy(&plan.message).into_owned()
}

#[test]
fn if_all_keys_encrypts_only_when_every_recipient_has_one() {
    let config = config_with(PgpSettings {
        encrypt: PgpEncrypt::IfAllKeys,
        ..PgpSettings::default()
    });
    let fake = FakePgp::with_keys(&["bob@x.test"]);
    let args = parse(&["--to", "bob@x.test", "--subject", "s"]);
    let plan = plan_with(&args, &config, &mut &b"hi\n"[..], &fake).expect("plan");
    assert!(
        text(&plan).contains("multipart/encrypted"),
        "{}",
        text(&plan)
    );
    assert_eq!(
        *fake.calls.borrow(),
        ["encrypt <bob@x.test>,<alice@x.test> signer None"]
    );
    assert_eq!(
        plan.sent_copy, plan.message,
        "the Sent copy is the encrypted one"
    );

    let fake = FakePgp::with_keys(&["bob@x.test"]);
    let args = parse(&[
        "--to",
        "bob@x.test",
        "--cc",
        "carol@x.test",
        "--subject",
        "s",
    ]);
    let plan = plan_with(&args, &config, &mut &b"hi\n"[..], &fake).expect("plan");
    assert!(
        text(&plan).contains("Content-Type: text/plain"),
        "{}",
        text(&plan)
    );
    assert!(fake.calls.borrow().is_empty());
}

#[test]
fn encrypt_with_a_missing_key_stops_before_anything_is_encrypted() {
    let fake = FakePgp::with_keys(&["bob@x.test"]);
    let args = parse(&[
        "--encrypt",
        "--to",
        "bob@x.test",
        "--bcc",
        "zoe@y.test",
        "--subject",
        "s",
    ]);
    let err = plan_with(
        &args,
        &config_with(PgpSettings::default()),
        &mut &b"hi\n"[..],
        &fake,
    )
    .expect_err("a key is missing");
    assert_eq!(err.kind(), ErrorKind::Data);
    assert!(
        matches!(&err, SendError::Pgp { source: PgpError::MissingKeys(m), .. } if m == &["zoe@y.test"]),
        "{err:?}"
    );
    assert_eq!(
        crate::error::chain_line(&err),
        "account \"work\" (OpenPGP through gpg): cannot encrypt: no usable OpenPGP key for \
         zoe@y.test: import the key (gpg --import) or send without encryption"
    );
    assert!(fake.calls.borrow().is_empty());
}

#[test]
fn pgp_sign_signs_composed_mail_with_pgp_key_but_not_raw_input_or_no_sign() {
    let config = config_with(PgpSettings {
        sign: true,
        key: Some("0xABCDEF0123456789".into()),
        ..PgpSettings::default()
    });
    let fake = FakePgp::with_keys(&[]);
    let args = parse(&[
        "--to",
        "bob@x.test",
        "--bcc",
        "zoe@y.test",
        "--subject",
        "s",
    ]);
    let plan = plan_with(&args, &config, &mut &b"trailing   \n"[..], &fake).expect("plan");
    let message = text(&plan);
    assert!(
        message.contains("Content-Type: multipart/signed; micalg=pgp-sha256;"),
        "{message}"
    );
    assert!(message.contains("Content-Transfer-Encoding: quoted-printable"));
    assert_eq!(*fake.calls.borrow(), ["sign 0xABCDEF0123456789"]);
    let copy = String::from_utf8_lossy(&plan.sent_copy).into_owned();
    assert!(copy.contains("Bcc: zoe@y.test") && !message.contains("zoe@y.test"));

    for (argv, stdin) in [
        (&["-t"][..], &b"To: bob@x.test\nSubject: s\n\nraw\n"[..]),
        (
            &["--no-sign", "--to", "bob@x.test", "--subject", "s"][..],
            &b"hi\n"[..],
        ),
    ] {
        let fake = FakePgp::with_keys(&[]);
        let plan = plan_with(&parse(argv), &config, &mut &stdin[..], &fake).expect("plan");
        assert!(!text(&plan).contains("multipart/signed"), "{argv:?}");
        assert!(fake.calls.borrow().is_empty());
    }
}

/// `--from IDENTITY` signs with the identity's `pgp_key` and encrypts the Sent copy to it; an
/// identity without one falls back to the account's `pgp_key`, and the account's own address
/// to the account's key.
#[test]
fn an_identity_signs_and_encrypts_to_self_with_its_own_key() {
    let mut config = config_with(PgpSettings {
        key: Some("ACCOUNTKEY".into()),
        ..PgpSettings::default()
    });
    let identity = |from: &str, address: &str, key: Option<&str>| crate::config::Identity {
        from: from.into(),
        address: address.into(),
        signature: None,
        pgp_key: key.map(str::to_owned),
    };
    config.accounts[0].identities = vec![
        identity("Alice <alice@x.test>", "alice@x.test", None),
        identity("Lists <lists@x.test>", "lists@x.test", Some("LISTSKEY")),
        identity("Other <other@x.test>", "other@x.test", None),
    ];
    let cases = [
        ("lists@x.test", "LISTSKEY"),
        ("other@x.test", "ACCOUNTKEY"),
        ("work", "ACCOUNTKEY"),
    ];
    for (from, key) in cases {
        let fake = FakePgp::with_keys(&["bob@x.test"]);
        let args = parse(&[
            "--from",
            from,
            "--sign",
            "--encrypt",
            "--to",
            "bob@x.test",
            "--subject",
            "s",
        ]);
        plan_with(&args, &config, &mut &b"hi\n"[..], &fake).expect("plan");
        assert_eq!(
            *fake.calls.borrow(),
            [format!("encrypt <bob@x.test>,{key} signer Some(\"{key}\")")],
            "--from {from}"
        );
        let fake = FakePgp::with_keys(&[]);
        let args = parse(&[
            "--from",
            from,
            "--sign",
            "--to",
            "b@x.test",
            "--subject",
            "s",
        ]);
        plan_with(&args, &config, &mut &b"hi\n"[..], &fake).expect("plan");
        assert_eq!(
            *fake.calls.borrow(),
            [format!("sign {key}")],
            "--from {from}"
        );
    }
    // Without any pgp_key, the identity's own address names the key.
    config.accounts[0].pgp.key = None;
    let fake = FakePgp::with_keys(&[]);
    let args = parse(&[
        "--from",
        "other@x.test",
        "--sign",
        "--to",
        "b@x.test",
        "--subject",
        "s",
    ]);
    plan_with(&args, &config, &mut &b"hi\n"[..], &fake).expect("plan");
    assert_eq!(*fake.calls.borrow(), ["sign <other@x.test>"]);
}

/// `autocrypt = true`: the message carries `Autocrypt: addr=FROM` with the key it is signed
/// with, outside the encryption, and the Sent copy keeps its Bcc line.
#[test]
fn autocrypt_adds_the_senders_key_outside_the_encryption() {
    let config = config_with(PgpSettings {
        autocrypt: true,
        encrypt: PgpEncrypt::IfAllKeys,
        key: Some("ACCOUNTKEY".into()),
        ..PgpSettings::default()
    });
    let fake = FakePgp::with_keys(&["bob@x.test", "zoe@y.test"]);
    let args = parse(&[
        "--to",
        "bob@x.test",
        "--bcc",
        "zoe@y.test",
        "--subject",
        "s",
    ]);
    let plan = plan_with(&args, &config, &mut &b"hi\n"[..], &fake).expect("plan");
    let message = text(&plan);
    let header =
        "Autocrypt: addr=alice@x.test; prefer-encrypt=mutual; keydata=\r\n S0VZREFUQQ==\r\n";
    let (head, _) = message.split_once("\r\n\r\n").expect("a header");
    assert!(format!("{head}\r\n").contains(header), "{message}");
    assert!(message.contains("multipart/encrypted"), "{message}");
    assert_eq!(
        fake.calls.borrow()[0],
        "export ACCOUNTKEY",
        "{:?}",
        fake.calls.borrow()
    );
    let copy = String::from_utf8_lossy(&plan.sent_copy).into_owned();
    assert!(
        copy.contains("Bcc: zoe@y.test") && copy.contains(header),
        "{copy}"
    );

    // Off (the default): no header, no export.
    let fake = FakePgp::with_keys(&[]);
    let args = parse(&["--to", "bob@x.test", "--subject", "s"]);
    let plan = plan_with(&args, &super::tests::config(), &mut &b"hi\n"[..], &fake).expect("plan");
    assert!(!text(&plan).contains("Autocrypt:"));
    assert!(fake.calls.borrow().is_empty());
}
