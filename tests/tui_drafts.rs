//! Drafts on the server (issue #13), end to end: the real binary in tmux against the harness's
//! Dovecot and Postfix. `C-s` puts the draft in the server's Drafts (read back from the user's
//! Maildir), saving again replaces it (still one draft, the new text), `e` reopens it from the
//! list in the composer, and sending delivers it and removes it from Drafts.

mod support;
#[path = "support/tui.rs"]
mod tui;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::config::{Incoming, Tls};
use support::{TestUser, servers};
use tui::{Tui, WAIT};

/// How long a saved draft may take to reach the server here (generous: shared machine).
const BOUND: Duration = Duration::from_secs(10);

/// The message files of the user's server-side Drafts folder.
fn server_drafts(me: &TestUser) -> Vec<PathBuf> {
    let dir = me.maildir.join(".Drafts");
    ["new", "cur"]
        .iter()
        .flat_map(|sub| {
            std::fs::read_dir(dir.join(sub))
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.path())
        .collect()
}

fn text_of(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// Waits until the server's Drafts satisfies `ok`; returns how long it took since `started`
/// (when the key was sent).
fn drafts_until(
    me: &TestUser,
    started: Instant,
    what: &str,
    ok: impl Fn(&[PathBuf]) -> bool,
) -> Duration {
    loop {
        let files = server_drafts(me);
        if ok(&files) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < BOUND,
            "not in the server's Drafts after {BOUND:?}: {what}; it holds {:?}",
            files.iter().map(|p| text_of(p)).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_draft_is_saved_on_the_server_replaced_reopened_sent_and_gone_from_drafts() {
    let me = support::new_user("tuidrafts");
    let them = support::new_user("tuidraftsthem");
    let seeded = support::seed(&me, "INBOX", 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n{}",
            tmp.path().join("data").display().to_string(),
            me.account_toml("live", Incoming::Imap, Tls::Implicit)
        ),
    )
    .expect("write config");
    let tui = Tui::start(&["--config", &config.display().to_string()], &[]);
    tui.wait_for(&seeded[0].message.subject);

    // Write, save: the server's Drafts has it, flagged \Draft.
    tui.keys(&[":"]);
    tui.type_text(&format!("compose {}", them.email));
    tui.keys(&["Enter"]);
    tui.type_text("Plan for Monday");
    tui.keys(&["Tab"]); // Subject -> body
    tui.type_text("first version");
    let key = Instant::now();
    tui.keys(&["C-s"]);
    let first = drafts_until(&me, key, "the first version", |f| {
        f.len() == 1 && text_of(&f[0]).contains("first version")
    });
    let name = server_drafts(&me)[0].display().to_string();
    assert!(
        name.rsplit_once(":2,")
            .is_some_and(|(_, fl)| fl.contains('D')),
        "flagged \\Draft: {name}"
    );

    // Edit and save again: still one draft, with the new text.
    tui.wait_for("Draft saved");
    tui.type_text(" and more");
    let key = Instant::now();
    tui.keys(&["C-s"]);
    let second = drafts_until(&me, key, "only the second version", |f| {
        f.len() == 1 && text_of(&f[0]).contains("first version and more")
    });

    // Close the composer; the draft is in the local Drafts too, once.
    tui.keys(&["Escape"]);
    tui.wait_for("Discard this message?");
    tui.keys(&["y"]);
    tui.keys(&[":"]);
    tui.type_text("folder Drafts");
    tui.keys(&["Enter"]);
    let s = tui.wait_for("Plan for Monday");
    assert_eq!(s.matches("Plan for Monday").count(), 1, "{s}");

    // `e` reopens it in the composer, with its text.
    tui.keys(&["e"]);
    tui.wait_for("Editing the draft");
    tui.wait_for("first version and more");
    tui.keys(&["End"]);
    tui.type_text(", sent");
    tui.keys(&["C-x"]);
    tui.wait_for("Message sent");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let files = rt.block_on(them.wait_for_messages("INBOX", 1, WAIT));
    let text = text_of(&files[0]);
    assert!(text.contains("Subject: Plan for Monday"), "{text}");
    assert!(text.contains("first version and more, sent"), "{text}");
    drafts_until(&me, Instant::now(), "no draft left after sending", |f| {
        f.is_empty()
    });
    tui.wait_until("the sent draft to leave the local Drafts", |s| {
        !s.contains("Plan for Monday")
    });
    eprintln!("FIGURE C-s to the server's Drafts: first {first:?}, replaced {second:?}");
    assert_eq!(tui.quit(), 0, "stderr: {}", tui.stderr());
    tui.assert_restored();
    let _ = servers();
}
