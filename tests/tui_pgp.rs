//! OpenPGP in the terminal UI (issue #18), end to end: the real binary in tmux against the
//! harness's Dovecot and Postfix, with a throw-away GnuPG home. The account says
//! `pgp_sign = true`; the composer shows it, `A-e` adds encryption, `C-x` sends; what Bob
//! receives is encrypted and signed (plain gpg checks it), and Alice's Sent copy opens in the
//! reader decrypted, with the PGP status line.

mod support;
#[path = "support/tui.rs"]
mod tui;

use support::config::{Incoming, Tls};
use support::gnupg::GnupgHome;
use tui::{Tui, WAIT};

#[test]
fn composer_toggles_send_signed_and_encrypted_and_the_reader_decrypts_the_sent_copy() {
    let me = support::new_user("tuipgp");
    let them = support::new_user("tuipgpthem");
    let seeded = support::seed(&me, "INBOX", 1);
    let (alice, bob) = (GnupgHome::new(), GnupgHome::new());
    alice.generate("Alice", &me.email);
    bob.generate("Bob", &them.email);
    alice.import(&bob.export(&them.email));
    bob.import(&alice.export(&me.email));

    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("config.toml");
    let account = me
        .account_toml("live", Incoming::Imap, Tls::Implicit)
        .replacen(
            "\n\n[accounts.live.incoming]",
            "\npgp_sign = true\n\n[accounts.live.incoming]",
            1,
        );
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{account}",
            tmp.path().join("data").display().to_string(),
        ),
    )
    .expect("write config");
    let tui = Tui::start(
        &["--config", &config.display().to_string()],
        &[("GNUPGHOME", alice.path().display().to_string())],
    );
    tui.wait_for(&seeded[0].message.subject);

    tui.keys(&[":"]);
    tui.type_text(&format!("compose {}", them.email));
    tui.keys(&["Enter"]);
    tui.type_text("Sealed plans");
    tui.keys(&["Tab"]);
    tui.type_text("meet at noon");
    tui.wait_for("PGP: sign");
    tui.keys(&["M-e"]);
    tui.wait_for("OpenPGP: sign + encrypt");
    tui.wait_for("Message (live) · PGP: sign + encrypt");
    tui.keys(&["C-x"]);
    tui.wait_for("Message sent");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let files = rt.block_on(them.wait_for_messages("INBOX", 1, WAIT));
    let raw = std::fs::read(&files[0]).expect("read delivered");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("multipart/encrypted"), "{text}");
    assert!(!text.contains("meet at noon"), "sent in clear: {text}");
    let armor_start = text.find("-----BEGIN PGP MESSAGE-----").expect("armor");
    let armor_end = text.find("-----END PGP MESSAGE-----").expect("armor end")
        + "-----END PGP MESSAGE-----".len();
    let out = bob.gpg(
        &["--status-fd", "2", "--decrypt"],
        text[armor_start..armor_end].as_bytes(),
    );
    let status = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && status.contains("GOODSIG") && status.contains(&me.email),
        "{status}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("meet at noon"));

    // Alice's Sent copy is encrypted to her own key too: the reader shows it decrypted.
    let sent = rt.block_on(me.wait_for_messages("Sent", 1, WAIT));
    let sent =
        String::from_utf8_lossy(&std::fs::read(&sent[0]).expect("read Sent copy")).into_owned();
    assert!(
        sent.contains("multipart/encrypted") && !sent.contains("meet at noon"),
        "{sent}"
    );
    // The copy went to the server's Sent: sync it down, then (re)open Sent until it shows
    // (an open list does not follow a sync of its folder; bounded, not timed).
    tui.keys(&[":"]);
    tui.type_text("sync");
    tui.keys(&["Enter"]);
    let mut listed = false;
    for _ in 0..15 {
        for folder in ["INBOX", "Sent"] {
            tui.keys(&[":"]);
            tui.type_text(&format!("folder {folder}"));
            tui.keys(&["Enter"]);
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
        // Listed under the outer Subject `...` (the real one is protected, inside).
        if tui.screen().contains("...") {
            listed = true;
            break;
        }
    }
    assert!(listed, "the Sent copy never showed: {}", tui.screen());
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("meet at noon");
    assert!(screen.contains("PGP:"), "{screen}");
    assert!(screen.contains("Sealed plans"), "{screen}");
    assert!(screen.contains("decrypted with key"), "{screen}");
    assert!(screen.contains("good signature from Alice"), "{screen}");
    tui.quit();
}
