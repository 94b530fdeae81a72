//! Drafts of encrypted mail (issue #18), end to end in the terminal UI: a draft with
//! encryption on is saved (local Drafts and the server's Drafts) encrypted to the sender's own
//! key, never in clear; it reopens decrypted into the composer with its toggles; sent, it
//! reaches Bob encrypted.

mod support;
#[path = "support/tui.rs"]
mod tui;

use support::pgp_party::*;
use tui::{Tui, walk};

const SECRET: &str = "The vault code is 4711";

/// Every file under `dir` holding `needle` (the store's Maildirs, the index, anything).
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    walk(dir)
        .into_iter()
        .filter(|f| {
            std::fs::read(f)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .collect()
}

#[tokio::test]
async fn an_encrypted_draft_is_stored_encrypted_and_reopens_decrypted() {
    let alice = Party::new("alice", "Alice");
    let bob = Party::new("bob", "Bob");
    exchange_keys(&alice, &bob);

    let tui = Tui::start(
        &["--config", &alice.config().display().to_string()],
        &[("GNUPGHOME", alice.gnupg.path().display().to_string())],
    );
    tui.wait_for("INBOX");
    tui.keys(&[":"]);
    tui.type_text(&format!("compose {}", bob.user.email));
    tui.keys(&["Enter"]);
    tui.type_text("vault");
    tui.keys(&["Tab"]);
    tui.type_text(SECRET);
    tui.keys(&["M-e"]);
    tui.wait_for("PGP: encrypt");
    tui.keys(&["Escape"]);
    tui.wait_for("Discard this message?");
    tui.keys(&["s"]);
    tui.wait_for("Draft saved");

    // The server's Drafts: encrypted, and plain gpg opens it with Alice's key.
    let on_server = alice.user.wait_for_messages("Drafts", 1, WAIT).await;
    let draft = std::fs::read(&on_server[0]).expect("read the server's draft");
    let text = String::from_utf8_lossy(&draft);
    assert!(text.contains("multipart/encrypted"), "{text}");
    assert!(
        !text.contains(SECRET),
        "the draft went to the server in clear: {text}"
    );
    let start = text.find("-----BEGIN PGP MESSAGE-----").expect("armor");
    let end = text.find("-----END PGP MESSAGE-----").expect("armor end") + 25;
    let out = alice.gnupg.gpg(&["--decrypt"], text[start..end].as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(SECRET));
    // Nothing of postie's on disk holds the text in clear (Maildirs, index, outbox).
    let data = alice.dir.path().join("data");
    assert!(walk(&data).len() > 1, "the store is in {}", data.display());
    assert_eq!(
        files_containing(&data, SECRET),
        Vec::<std::path::PathBuf>::new()
    );

    tui.keys(&[":"]);
    tui.type_text("folder Drafts");
    tui.keys(&["Enter"]);
    tui.wait_for("vault");
    tui.keys(&["e"]);
    let screen = tui.wait_for(SECRET);
    assert!(screen.contains("PGP: encrypt"), "{screen}");
    tui.keys(&["C-x"]);
    tui.wait_for("Message sent");
    tui.quit();

    let mail = delivered(&bob.user, 1).await.remove(0);
    let text = String::from_utf8_lossy(&mail);
    assert!(
        text.contains("multipart/encrypted") && !text.contains(SECRET),
        "{text}"
    );
    assert!(!text.contains("X-Postie-PGP"), "{text}");
    let start = text.find("-----BEGIN PGP MESSAGE-----").expect("armor");
    let end = text.find("-----END PGP MESSAGE-----").expect("armor end") + 25;
    let out = bob.gnupg.gpg(&["--decrypt"], text[start..end].as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(SECRET));
}
