//! OpenPGP per identity (issue #18): an account with two identities, each with its own key
//! (`pgp_key` in `[[accounts.NAME.identities]]`), signs mail with the key of the From it sends
//! as; plain `gpg --verify` on the delivered files names the right key each time.

mod support;

use support::pgp_party::*;

#[tokio::test]
async fn each_identity_signs_with_its_own_key() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    let own_key = alice.gnupg.fingerprint(&alice.user.email);
    let lists = format!("lists.{}", alice.user.email);
    // The key's user id is another address: only `pgp_key` can pick it for the identity.
    let lists_key = alice.gnupg.generate("Alice Lists", "alice@lists.example");
    alice.add_config(&format!(
        "\n[[accounts.main.identities]]\nfrom = \"Alice Lists <{lists}>\"\npgp_key = \"{lists_key}\"\n"
    ));
    bob.gnupg.import(&alice.gnupg.export(&alice.user.email));
    bob.gnupg.import(&alice.gnupg.export("alice@lists.example"));

    let body = "Hello Bob,\nsigned by whom?\n";
    let out = alice.send(&bob, "from the account", &["--sign"], body);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = alice.send(
        &bob,
        "from the list identity",
        &["--sign", "--from", &lists],
        body,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let messages = delivered(&bob.user, 2).await;
    let mut seen = Vec::new();
    for message in &messages {
        let text = String::from_utf8_lossy(message);
        let from_lists = text.contains(&format!("From: Alice Lists <{lists}>"));
        let (ok, status) = gpg_verify(&bob.gnupg, message);
        assert!(ok, "plain gpg --verify: {status}");
        let want = if from_lists { &lists_key } else { &own_key };
        assert_eq!(
            signing_fingerprint(&status).as_ref(),
            Some(want),
            "from lists: {from_lists}: {status}"
        );
        seen.push(from_lists);
    }
    seen.sort();
    assert_eq!(seen, [false, true], "one message from each identity");
}
