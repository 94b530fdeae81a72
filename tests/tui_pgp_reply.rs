//! Alice and Bob exchange encrypted mail with postie on both ends (issue #18): Alice sends
//! signed and encrypted with `postie send`; Bob reads it in the terminal UI (good signature,
//! decrypted) and replies with `r`: the composer starts encrypted and signed although Bob's
//! account does not ask for it, and the reply quotes the decrypted text, never the armor.
//! Alice reads the reply with `postie read`; plain gpg decrypts both delivered files.

mod support;
#[path = "support/tui.rs"]
mod tui;

use support::pgp_party::*;
use tui::Tui;

/// The armored OpenPGP message in a delivered file, decrypted by plain gpg in `party`'s home:
/// (plaintext, status).
fn gpg_decrypt(party: &Party, delivered: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(delivered);
    let start = text.find("-----BEGIN PGP MESSAGE-----").expect("armor");
    let end = text.find("-----END PGP MESSAGE-----").expect("armor end")
        + "-----END PGP MESSAGE-----".len();
    let out = party.gnupg.gpg(
        &["--status-fd", "2", "--decrypt"],
        text[start..end].as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn bob_replies_encrypted_to_encrypted_mail_quoting_the_decrypted_text() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    exchange_keys(&alice, &bob);

    let out = alice.send(
        &bob,
        "sealed plans",
        &["--sign", "--encrypt"],
        "Meet at the old mill at noon.\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = delivered(&bob.user, 1).await.remove(0);
    let (plain, status) = gpg_decrypt(&bob, &sent);
    assert!(
        plain.contains("old mill") && status.contains("GOODSIG"),
        "{status}"
    );

    let tui = Tui::start(
        &["--config", &bob.config().display().to_string()],
        &[("GNUPGHOME", bob.gnupg.path().display().to_string())],
    );
    // Listed under the outer Subject `...`; the reader shows the protected one.
    tui.wait_for("Alice");
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("Meet at the old mill");
    assert!(screen.contains("good signature from Alice"), "{screen}");
    assert!(screen.contains("sealed plans"), "{screen}");
    tui.keys(&["r"]);
    let screen = tui.wait_for("PGP: sign + encrypt");
    assert!(
        screen.contains("> Meet at the old mill at noon."),
        "{screen}"
    );
    assert!(!screen.contains("BEGIN PGP MESSAGE"), "{screen}");
    tui.type_text("Noon it is.");
    tui.keys(&["C-x"]);
    tui.wait_for("Message sent");
    tui.quit();

    let reply = delivered(&alice.user, 1).await.remove(0);
    let text = String::from_utf8_lossy(&reply);
    assert!(text.contains("multipart/encrypted"), "{text}");
    assert!(
        !text.contains("Noon it is") && !text.contains("old mill"),
        "{text}"
    );
    let (plain, status) = gpg_decrypt(&alice, &reply);
    assert!(plain.contains("Noon it is."), "{plain}");
    assert!(plain.contains("> Meet at the old mill at noon."), "{plain}");
    assert!(
        status.contains("GOODSIG") && status.contains(&bob.user.email),
        "{status}"
    );

    let shown = alice.read_by_subject("Re: sealed plans");
    assert!(shown.contains("decrypted with key"), "{shown}");
    assert!(shown.contains("good signature from Bob"), "{shown}");
    assert!(shown.contains("Noon it is."), "{shown}");
}
