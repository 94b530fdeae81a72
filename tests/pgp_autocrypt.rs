//! Autocrypt Level 1 (issue #18): with `autocrypt = true`, Alice's mail carries an
//! `Autocrypt:` header with her public key; Bob, who never had her key, imports it from the
//! delivered file with plain gpg and can then send her encrypted mail with postie. With
//! `autocrypt = true` on Bob's side too, postie remembers the key when he reads the mail (in
//! its own keyring, not Bob's) and `pgp_encrypt = "if-all-keys"` encrypts his answer.

mod support;

use base64::Engine as _;
use support::pgp_party::*;

/// The `keydata` of the Autocrypt header in a delivered message, decoded.
fn autocrypt_keydata(message: &[u8], addr: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(message).replace("\r\n", "\n");
    let head = text.split("\n\n").next().unwrap_or_default();
    let start = head.find("\nAutocrypt: ").expect("an Autocrypt header") + 1;
    let mut field = String::new();
    for (i, line) in head[start..].lines().enumerate() {
        if i > 0 && !line.starts_with([' ', '\t']) {
            break;
        }
        field.push_str(line.trim());
    }
    assert!(
        field.starts_with(&format!("Autocrypt: addr={addr};")),
        "{field}"
    );
    let keydata = field.split("keydata=").nth(1).expect("keydata");
    base64::engine::general_purpose::STANDARD
        .decode(keydata)
        .expect("base64 keydata")
}

/// Adds `keys` (TOML lines) to the party's account table.
fn set_account_keys(party: &Party, keys: &str) {
    let config = std::fs::read_to_string(party.config()).expect("read config");
    std::fs::write(
        party.config(),
        config.replacen(
            "\n\n[accounts.main.incoming]",
            &format!("\n{keys}\n\n[accounts.main.incoming]"),
            1,
        ),
    )
    .expect("write config");
}

#[tokio::test]
async fn the_autocrypt_header_carries_a_key_plain_gpg_imports() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    set_account_keys(&alice, "autocrypt = true");

    let out = alice.send(&bob, "hello with my key", &[], "Hi Bob\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = delivered(&bob.user, 1).await.remove(0);
    let key = autocrypt_keydata(&message, &alice.user.email);

    assert!(
        !bob.gnupg
            .gpg(&["--list-keys", &alice.user.email], b"")
            .status
            .success(),
        "Bob has no key of Alice's yet"
    );
    bob.gnupg.import(&key);
    assert_eq!(
        bob.gnupg.fingerprint(&alice.user.email),
        alice.gnupg.fingerprint(&alice.user.email)
    );

    // With it, Bob's postie encrypts to Alice.
    let out = bob.send(&alice, "sealed reply", &["--encrypt"], "Got your key.\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply = delivered(&alice.user, 1).await.remove(0);
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.contains("multipart/encrypted") && !text.contains("Got your key"),
        "{text}"
    );
    let shown = alice.read_by_subject("sealed reply");
    assert!(shown.contains("Got your key."), "{shown}");
}

#[tokio::test]
async fn a_read_autocrypt_key_is_remembered_and_if_all_keys_encrypts_the_answer() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    set_account_keys(&alice, "autocrypt = true");
    set_account_keys(&bob, "autocrypt = true\npgp_encrypt = \"if-all-keys\"");

    let out = alice.send(&bob, "meet my key", &[], "Hi Bob\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    delivered(&bob.user, 1).await;
    // Before Bob reads it, his answer would go in clear: no key for Alice anywhere.
    let dry = bob.postie(
        &[
            "send",
            "--dry-run",
            "--to",
            &alice.user.email,
            "--subject",
            "s",
        ],
        b"x\n",
    );
    assert!(
        !String::from_utf8_lossy(&dry.stdout).contains("multipart/encrypted"),
        "encrypted without a key?"
    );

    let shown = bob.read_by_subject("meet my key");
    assert!(shown.contains("Hi Bob"), "{shown}");
    let peers = std::fs::read_to_string(bob.dir.path().join("data/autocrypt/peers"))
        .expect("the peers file");
    assert!(peers.contains(&alice.user.email), "{peers}");
    assert!(
        !bob.gnupg
            .gpg(&["--list-keys", &alice.user.email], b"")
            .status
            .success(),
        "postie's keyring, not Bob's, holds Alice's key"
    );

    let out = bob.send(&alice, "encrypted by autocrypt", &[], "Your key works.\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply = delivered(&alice.user, 1).await.remove(0);
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.contains("multipart/encrypted") && !text.contains("Your key works"),
        "{text}"
    );
    let shown = alice.read_by_subject("encrypted by autocrypt");
    assert!(shown.contains("Your key works."), "{shown}");
}
