//! OpenPGP end to end (issue #18): Alice and Bob, each with their own throw-away GnuPG home,
//! exchange signed and encrypted mail with `postie send` through the harness Postfix into
//! Dovecot; plain `gpg` checks what arrived (the bytes on disk), and postie on Bob's side
//! (`postie sync` over IMAP, then `postie read`) reports the same.

mod support;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use support::config::{Incoming, Tls};
use support::gnupg::GnupgHome;
use support::{TestUser, servers};

const WAIT: Duration = Duration::from_secs(20);

/// One person: a mail user on the harness, a GnuPG home with their key, a postie config.
struct Party {
    user: TestUser,
    name: &'static str,
    gnupg: GnupgHome,
    dir: tempfile::TempDir,
}

impl Party {
    fn new(prefix: &str, name: &'static str) -> Party {
        Party::with_keys(prefix, name, true)
    }

    fn with_keys(prefix: &str, name: &'static str, key: bool) -> Party {
        let user = servers().new_user(prefix);
        let gnupg = GnupgHome::new();
        if key {
            gnupg.generate(name, &user.email);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let account = user
            .account_toml("main", Incoming::Imap, Tls::Implicit)
            .replacen(
                "\n\n[accounts.main.incoming]",
                &format!("\nname = \"{name}\"\n\n[accounts.main.incoming]"),
                1,
            );
        let config = format!("data_dir = {:?}\n\n{account}", dir.path().join("data"));
        std::fs::write(dir.path().join("config.toml"), config).expect("write config");
        Party {
            user,
            name,
            gnupg,
            dir,
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn postie(&self, args: &[&str], stdin: &[u8]) -> Output {
        let home = self.dir.path();
        Command::cargo_bin("postie")
            .expect("binary")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("GNUPGHOME", self.gnupg.path())
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .arg("--config")
            .arg(self.config())
            .args(args)
            .write_stdin(stdin.to_vec())
            .timeout(Duration::from_secs(120))
            .output()
            .expect("postie runs")
    }

    fn ok(&self, args: &[&str], stdin: &[u8]) -> String {
        let out = self.postie(args, stdin);
        assert!(
            out.status.success(),
            "postie {args:?}: {:?}\nstderr: {}\nstdout: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Alice sends to `to` with extra `flags`, the body on stdin.
    fn send(&self, to: &Party, subject: &str, flags: &[&str], body: &str) -> Output {
        let to = format!("{} <{}>", to.name, to.user.email);
        let mut args = vec!["send", "--to", &to, "--subject", subject];
        args.extend_from_slice(flags);
        self.postie(&args, body.as_bytes())
    }

    /// Syncs, then `postie read`s the message whose subject is `subject`.
    fn read_by_subject(&self, subject: &str) -> String {
        self.ok(&["sync"], b"");
        let list = self.ok(&["list", "--json", "--folder", "INBOX"], b"");
        let messages: serde_json::Value = serde_json::from_str(&list).expect("list --json");
        let id = messages
            .as_array()
            .expect("an array")
            .iter()
            .find(|m| m["subject"] == subject)
            .unwrap_or_else(|| panic!("no message {subject:?} in {list}"))["id"]
            .to_string();
        self.ok(&["read", &id], b"")
    }
}

/// Each imports the other's public key.
fn exchange_keys(a: &Party, b: &Party) {
    a.gnupg.import(&b.gnupg.export(&b.user.email));
    b.gnupg.import(&a.gnupg.export(&a.user.email));
}

async fn delivered(user: &TestUser, n: usize) -> Vec<Vec<u8>> {
    let files = user.wait_for_messages("INBOX", n, WAIT).await;
    assert_eq!(files.len(), n, "{}: {files:?}", user.email);
    let mut all: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read delivered message"))
        .collect();
    all.sort_by_key(|m| String::from_utf8_lossy(m).contains("Subject: tampered"));
    all
}

/// CRLF line ends (Dovecot stores LF; the signature covers the CRLF form).
fn crlf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The boundary parameter of the top-level Content-Type.
fn boundary(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let start = head.find("boundary=\"").expect("a boundary") + "boundary=\"".len();
    head[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The parts of a CRLF multipart message, each exactly as between its delimiters.
fn parts(message: &[u8]) -> Vec<Vec<u8>> {
    let delimiter = format!("\r\n--{}", boundary(message));
    let mut at = find(message, delimiter.as_bytes()).expect("first delimiter") + delimiter.len();
    let mut out = Vec::new();
    while !message[at..].starts_with(b"--") {
        let line_end = at + find(&message[at..], b"\r\n").expect("line end") + 2;
        let next =
            line_end + find(&message[line_end..], delimiter.as_bytes()).expect("next delimiter");
        out.push(message[line_end..next].to_vec());
        at = next + delimiter.len();
    }
    out
}

/// The body of a part (after its header block).
fn part_body(part: &[u8]) -> Vec<u8> {
    let at = find(part, b"\r\n\r\n").expect("part header end") + 4;
    part[at..].to_vec()
}

/// `gpg --verify` of the delivered file's signed part with its detached signature, as a
/// plain GnuPG user would do it; returns gpg's status output.
fn gpg_verify(home: &GnupgHome, delivered: &[u8]) -> (bool, String) {
    let message = crlf(delivered);
    let parts = parts(&message);
    assert_eq!(parts.len(), 2, "multipart/signed has two parts");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let sig = dir.path().join("sig.asc");
    std::fs::write(&data, &parts[0]).expect("write data");
    std::fs::write(&sig, part_body(&parts[1])).expect("write sig");
    let out = home.gpg(
        &[
            "--status-fd",
            "1",
            "--verify",
            sig.to_str().expect("utf-8 path"),
            data.to_str().expect("utf-8 path"),
        ],
        b"",
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const BODY: &str = "Hello Bob,\n\nthis line ends in spaces   \nFrom here on: Grüße.\n-- \nAlice\n";

#[tokio::test]
async fn signed_mail_verifies_with_plain_gpg_and_in_postie_and_tampering_shows() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    exchange_keys(&alice, &bob);

    let out = alice.send(&bob, "signed hello", &["--sign"], BODY);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = delivered(&bob.user, 1).await.remove(0);
    let text = String::from_utf8_lossy(&message);
    assert!(
        text.contains("Content-Type: multipart/signed; micalg=pgp-sha"),
        "{text}"
    );
    assert!(text.contains("protocol=\"application/pgp-signature\""));

    let (ok, status) = gpg_verify(&bob.gnupg, &message);
    assert!(ok, "plain gpg --verify: {status}");
    assert!(
        status.contains("GOODSIG") && status.contains(&alice.user.email),
        "{status}"
    );

    let shown = bob.read_by_subject("signed hello");
    assert!(
        shown.contains(&format!(
            "PGP: good signature from Alice <{}>",
            alice.user.email
        )),
        "{shown}"
    );
    assert!(
        shown.contains("this line ends in spaces") && shown.contains("Grüße"),
        "{shown}"
    );

    // The same message with one word changed in the signed text.
    let tampered = String::from_utf8_lossy(&message)
        .replacen("Subject: signed hello", "Subject: tampered", 1)
        .replacen("Hello Bob", "Hello Rob", 1);
    let (ok, status) = gpg_verify(&bob.gnupg, tampered.as_bytes());
    assert!(!ok && status.contains("BADSIG"), "{status}");
    support::wire::deliver_lmtp(servers(), &bob.user.email, tampered.as_bytes())
        .await
        .expect("LMTP delivery");
    delivered(&bob.user, 2).await;
    let shown = bob.read_by_subject("tampered");
    assert!(
        shown.contains(&format!(
            "PGP: BAD signature from Alice <{}>",
            alice.user.email
        )),
        "{shown}"
    );
}

#[tokio::test]
async fn encrypted_mail_decrypts_with_plain_gpg_for_both_and_in_postie() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    exchange_keys(&alice, &bob);

    let out = alice.send(&bob, "sealed", &["--encrypt"], BODY);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = delivered(&bob.user, 1).await.remove(0);
    let text = String::from_utf8_lossy(&message);
    assert!(text.contains("multipart/encrypted"), "{text}");
    assert!(text.contains("Version: 1"));
    assert!(
        !text.contains("Hello Bob"),
        "the body went out in clear: {text}"
    );

    let cipher = part_body(&parts(&crlf(&message))[1]);
    for (who, home) in [("Bob", &bob.gnupg), ("Alice (her own copy)", &alice.gnupg)] {
        let out = home.gpg(&["--status-fd", "2", "--decrypt"], &cipher);
        let plain = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && plain.contains("Hello Bob"),
            "{who}: gpg --decrypt: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let shown = bob.read_by_subject("sealed");
    assert!(shown.contains("PGP: decrypted with key"), "{shown}");
    assert!(shown.contains("not signed"), "{shown}");
    assert!(
        shown.contains("Hello Bob") && shown.contains("Grüße"),
        "{shown}"
    );

    // Reading it decrypted nothing into the store or the index: search finds it by its
    // headers, never by its text, and the stored bytes are still the encrypted ones.
    let search = |q: &str| -> Vec<serde_json::Value> {
        let out = bob.ok(&["search", "--json", q], b"");
        serde_json::from_str::<serde_json::Value>(&out)
            .expect("search --json")
            .as_array()
            .expect("an array")
            .clone()
    };
    assert_eq!(search("sealed").len(), 1, "found by its subject");
    assert!(search("Hello").is_empty(), "the decrypted text was indexed");
    let id = search("sealed")[0]["id"].to_string();
    let stored = bob.ok(&["read", "--raw", &id], b"");
    assert!(stored.contains("-----BEGIN PGP MESSAGE-----") && !stored.contains("Hello Bob"));

    // Opted in (index_decrypted = true): reading it makes its text searchable.
    let config = std::fs::read_to_string(bob.config()).expect("read config");
    std::fs::write(bob.config(), format!("index_decrypted = true\n{config}")).expect("write");
    bob.ok(&["read", &id], b"");
    assert_eq!(
        search("Hello").len(),
        1,
        "the decrypted text is indexed when asked"
    );
}

#[tokio::test]
async fn signed_and_encrypted_mail_shows_both_in_gpg_and_postie() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    exchange_keys(&alice, &bob);

    let out = alice.send(&bob, "both", &["--sign", "--encrypt"], BODY);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = delivered(&bob.user, 1).await.remove(0);
    let cipher = part_body(&parts(&crlf(&message))[1]);
    let out = bob.gnupg.gpg(&["--status-fd", "2", "--decrypt"], &cipher);
    let status = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && status.contains("GOODSIG") && status.contains("DECRYPTION_OKAY"),
        "{status}"
    );

    let shown = bob.read_by_subject("both");
    assert!(shown.contains("PGP: decrypted with key"), "{shown}");
    assert!(
        shown.contains(&format!("good signature from Alice <{}>", alice.user.email)),
        "{shown}"
    );
    assert!(shown.contains("Hello Bob"), "{shown}");
}

#[tokio::test]
async fn a_missing_recipient_key_refuses_to_send_anything() {
    let alice = Party::new("alice", "Alice");
    let carol = Party::with_keys("carol", "Carol", false);

    let out = alice.send(&carol, "secret", &["--encrypt"], BODY);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{stderr}");
    assert!(
        stderr.contains(&carol.user.email) && stderr.contains("no usable OpenPGP key"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one error line: {stderr}");
    // Nothing was submitted: a plaintext copy would have arrived by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(carol.user.message_files("INBOX").is_empty());
}

/// A message put together the way neomutt does it (its own boundary and headers, the signed
/// part signed by plain gpg over the CRLF form), delivered by LMTP: postie verifies it.
#[tokio::test]
async fn a_message_signed_by_plain_gpg_like_neomutt_verifies_in_postie() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    exchange_keys(&alice, &bob);

    let signed_part = "Content-Type: text/plain; charset=us-ascii\r\n\
Content-Disposition: inline\r\n\r\nSigned by neomutt's recipe.\r\n";
    let out = alice.gnupg.gpg(
        &[
            "--armor",
            "--detach-sign",
            "--digest-algo",
            "SHA512",
            "--local-user",
            &alice.user.email,
        ],
        signed_part.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signature = String::from_utf8_lossy(&out.stdout).replace('\n', "\r\n");
    let message = format!(
        "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nFrom: Alice <{alice}>\r\nTo: Bob <{bob}>\r\n\
Subject: from neomutt\r\nMessage-ID: <neomutt.1@x.test>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/signed; micalg=pgp-sha512;\r\n\tprotocol=\"application/pgp-signature\"; \
boundary=\"h5GnvzX0kIpyMn2Z\"\r\nContent-Disposition: inline\r\n\r\n\
--h5GnvzX0kIpyMn2Z\r\n{signed_part}\r\n--h5GnvzX0kIpyMn2Z\r\n\
Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n\
Content-Description: PGP signature\r\n\r\n{signature}\r\n--h5GnvzX0kIpyMn2Z--\r\n",
        alice = alice.user.email,
        bob = bob.user.email,
    );
    support::wire::deliver_lmtp(servers(), &bob.user.email, message.as_bytes())
        .await
        .expect("LMTP delivery");
    delivered(&bob.user, 1).await;
    let shown = bob.read_by_subject("from neomutt");
    assert!(
        shown.contains(&format!(
            "PGP: good signature from Alice <{}>",
            alice.user.email
        )),
        "{shown}"
    );
    assert!(shown.contains("Signed by neomutt's recipe."), "{shown}");
}
