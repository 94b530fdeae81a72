//! Autocrypt Level 1, outgoing (issue #18): with `autocrypt = true`, Alice's mail carries an
//! `Autocrypt:` header with her public key; Bob, who never had her key, imports it from the
//! delivered file with plain gpg and can then send her encrypted mail with postie.

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

#[tokio::test]
async fn the_autocrypt_header_carries_a_key_plain_gpg_imports() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    let config = std::fs::read_to_string(alice.config()).expect("read config");
    std::fs::write(
        alice.config(),
        config.replacen(
            "\n\n[accounts.main.incoming]",
            "\nautocrypt = true\n\n[accounts.main.incoming]",
            1,
        ),
    )
    .expect("write config");

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
