//! The composer end to end (issue #14, item 5): the real binary in tmux against the harness's
//! Dovecot and Postfix. The recipient comes from the `address_book_command`, Tab goes To ->
//! Cc -> Bcc -> Subject -> body (never the attachments, so the `a`, `d` and Enter typed in the
//! body stay text), `C-g` chooses the account's second identity, and the message delivered to
//! the recipient has that From (in the header and as MAIL FROM), the identity's signature after
//! a `-- ` line, and no attachment.

mod support;
#[path = "support/tui.rs"]
mod tui;

use support::config::{Incoming, Tls};
use tui::{Tui, WAIT};

#[test]
fn tab_order_address_book_and_second_identity_reach_the_recipient() {
    let me = support::new_user("tuicompose");
    let them = support::new_user("tuicomposethem");
    let seeded = support::seed(&me, "INBOX", 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let lists = format!("lists.{}", me.email);

    // An address book in mutt's query format: a header line, then address TAB name TAB other.
    let book = tmp.path().join("book.sh");
    std::fs::write(
        &book,
        format!(
            "echo 'Searching database ... 1 entry ... 1 matching:'\nprintf '%s\\tZed Them\\tfriends\\n' {:?}\n",
            them.email
        ),
    )
    .expect("write address book");
    let account = me
        .account_toml("live", Incoming::Imap, Tls::Implicit)
        .replacen(
            &format!("email = \"{}\"\n", me.email),
            &format!(
                "email = \"{}\"\nname = \"Main Me\"\nsignature = \"Main signature\"\n",
                me.email
            ),
            1,
        );
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\naddress_book_command = \"sh {}\"\n{account}\n\
             [[accounts.live.identities]]\nfrom = \"Lists Me <{lists}>\"\n\
             signature = \"Lists signature\\nsecond line\"\n",
            tmp.path().join("data").display().to_string(),
            book.display()
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for(&seeded[0].message.subject);

    tui.keys(&["c"]);
    let s = tui.wait_for("From:    Main Me");
    assert!(s.contains("Main signature"), "signed at once: {s}");
    // The address book answers for "Zed": Tab takes its address.
    tui.type_text("Zed");
    tui.wait_for(&format!("Zed Them <{}>", them.email));
    tui.keys(&["Tab"]);
    tui.wait_for(&format!("To:      Zed Them <{}>", them.email));
    tui.keys(&["Tab", "Tab", "Tab"]); // Cc, Bcc, Subject
    tui.type_text("Identity check");
    tui.keys(&["Tab"]); // the body
    tui.type_text("a day and a dance");
    tui.keys(&["Enter"]);
    tui.type_text("d");
    let s = tui.wait_for("a day and a dance");
    assert!(
        s.contains("Attach:  (none)"),
        "no attachment from typing: {s}"
    );
    tui.keys(&["C-g"]);
    let s = tui.wait_for("From:    Lists Me");
    assert!(
        s.contains("Lists signature") && !s.contains("Main signature"),
        "the signature follows the From: {s}"
    );
    tui.keys(&["C-x"]);
    tui.wait_for("Message sent");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let files = rt.block_on(them.wait_for_messages("INBOX", 1, WAIT));
    let text = String::from_utf8_lossy(&std::fs::read(&files[0]).expect("read delivered"))
        .replace("\r\n", "\n");
    assert!(
        text.contains(&format!("From: Lists Me <{lists}>")),
        "the chosen From: {text}"
    );
    assert!(
        text.contains(&format!("Return-Path: <{lists}>")),
        "MAIL FROM follows the From: {text}"
    );
    assert!(
        text.contains("a day and a dance\nd\n\n-- \nLists signature\nsecond line"),
        "the body as typed, then one signature: {text}"
    );
    assert_eq!(text.matches("\n-- \n").count(), 1, "{text}");
    assert!(!text.contains("Main signature"), "{text}");
    assert!(
        !text.contains("multipart/mixed") && !text.contains("Content-Disposition: attachment"),
        "no attachment: {text}"
    );
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
}
