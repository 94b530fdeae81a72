//! OpenPGP end to end (issue #18): Alice and Bob, each with their own throw-away GnuPG home,
//! exchange signed and encrypted mail with `postie send` through the harness Postfix into
//! Dovecot; plain `gpg` checks what arrived (the bytes on disk), and postie on Bob's side
//! (`postie sync` over IMAP, then `postie read`) reports the same.

mod support;

use std::time::Duration;

use support::pgp_party::*;
use support::servers;

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
    // Protected headers: the real Subject travels inside only.
    assert!(
        text.contains("\nSubject: ...") && !text.contains("sealed"),
        "{text}"
    );
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
        assert!(
            plain.contains("Subject: sealed\r\n") && plain.contains("protected-headers=\"v1\""),
            "{who}: {plain}"
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
    // Its real Subject is protected (inside the encryption): found by the sender only.
    assert_eq!(search("from:Alice").len(), 1, "found by its sender");
    assert!(
        search("sealed").is_empty(),
        "the protected Subject was indexed"
    );
    assert!(search("Hello").is_empty(), "the decrypted text was indexed");
    let id = search("from:Alice")[0]["id"].to_string();
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
    assert_eq!(search("sealed").len(), 1, "so is the protected Subject");
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
