//! Issue 15: IMAP servers other than Dovecot, played by the scripted fake
//! (tests/support/fake_imap.rs, [`Quirks`]) for what each was seen to do to postie:
//!
//! - GNU Mailutils ends a tagged OK in a bare LF: the connection used to die on it ("cannot be
//!   parsed"); it is read as the line end it plainly is.
//! - Without UIDPLUS (Mailutils, Cyrus with extensions off) a move or delete ended in a plain
//!   EXPUNGE that also removed a message another client had only marked \Deleted; now those
//!   are left exactly as they were.
//! - A FETCH answer for a message not asked for (and one answered twice) aborted
//!   `fetch_bodies = "all"` with "UNIQUE constraint failed"; it is ignored.
//!
//! Runs the real binary against the fake on 127.0.0.1 (plain TCP, `allow_plaintext`).

#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use postie::store::{ListQuery, Store};
use support::fake_imap::{FakeImap, Quirks, message};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(server: &FakeImap, extra: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "data_dir = {:?}\n\n[accounts.a]\nemail = \"me@x.test\"\n\n\
             [accounts.a.incoming]\nprotocol = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\n\
             tls = \"none\"\nallow_plaintext = true\nuser = \"me\"\n\
             password_command = \"echo secret\"\n{extra}\n",
            dir.path().join("data").display().to_string(),
            server.port
        );
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        Env { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        let home = self.dir.path();
        Command::cargo_bin("postie")
            .unwrap()
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .arg("--config")
            .arg(home.join("config.toml"))
            .args(args)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    }

    /// Runs; must exit 0 with no warning.
    fn quiet(&self, args: &[&str]) {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !err.contains("warning"),
            "postie {args:?}: {:?}\n{err}",
            out.status,
        );
    }

    /// (Message-ID, id, whether the body is stored) of a local folder, by Message-ID.
    fn local(&self, folder: &str) -> Vec<(String, i64, bool)> {
        let config =
            postie::config::load(Some(Path::new(&self.dir.path().join("config.toml")))).unwrap();
        let mut store = Store::open(&config.data_dir).unwrap();
        store.register_accounts(&config).unwrap();
        let mut v: Vec<(String, i64, bool)> = store
            .list(&ListQuery {
                account: Some("a".into()),
                folder: Some(folder.into()),
                ..ListQuery::default()
            })
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.message_id.unwrap_or_default(), m.id, m.has_body))
            .collect();
        v.sort();
        v
    }
}

fn with_three(quirks: Quirks) -> FakeImap {
    let server = FakeImap::start_with('/', quirks);
    server.add_mailbox("Archive", 7);
    for n in 1..=3 {
        server.add_message(
            "INBOX",
            message(&format!("m{n}@x.test"), &format!("mail {n}")),
        );
    }
    server
}

#[test]
fn tagged_replies_ending_in_a_bare_lf_are_read() {
    let server = with_three(Quirks {
        bare_lf: true,
        ..Quirks::default()
    });
    let env = Env::new(&server, "");
    env.quiet(&["sync"]);
    assert_eq!(env.local("INBOX").len(), 3);
    let id = env.local("INBOX")[0].1.to_string();
    env.quiet(&["move", "Archive", &id]);
    assert_eq!(server.mailbox("Archive").messages.len(), 1);
    assert_eq!(server.mailbox("INBOX").messages.len(), 2);
}

#[test]
fn without_uidplus_a_move_leaves_another_clients_deleted_message_alone() {
    let server = with_three(Quirks {
        no_uidplus: true,
        ..Quirks::default()
    });
    let env = Env::new(&server, "");
    env.quiet(&["sync"]);
    // Another client marks m3 \Deleted (it may still undelete it).
    server.set_flags("INBOX", 3, &["\\Seen", "\\Deleted"]);
    let m1 = env.local("INBOX")[0].clone();
    assert_eq!(m1.0, "m1@x.test");
    env.quiet(&["move", "Archive", &m1.1.to_string()]);
    let inbox = server.mailbox("INBOX");
    let uids: Vec<u32> = inbox.messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, [2, 3], "only the moved message left INBOX");
    let m3 = inbox.messages.iter().find(|m| m.uid == 3).unwrap();
    assert!(
        m3.flags.iter().any(|f| f == "\\Deleted") && m3.flags.iter().any(|f| f == "\\Seen"),
        "the other client's mark is back: {:?}",
        m3.flags
    );
    assert_eq!(server.mailbox("Archive").messages.len(), 1);
    let commands = server.commands();
    assert!(
        commands.iter().any(|c| c == "EXPUNGE"),
        "the move was finished: {commands:?}"
    );
}

#[test]
fn fetch_answers_for_messages_not_asked_for_are_ignored() {
    let server = with_three(Quirks {
        extra_fetch: true,
        ..Quirks::default()
    });
    let env = Env::new(&server, "fetch_bodies = \"all\"");
    env.quiet(&["sync"]);
    let local = env.local("INBOX");
    assert_eq!(local.len(), 3, "{local:?}");
    assert!(local.iter().all(|(_, _, body)| *body), "{local:?}");
    // New mail: the server also answers again for m1, which is stored already.
    server.add_message("INBOX", message("m4@x.test", "mail 4"));
    env.quiet(&["sync"]);
    let local = env.local("INBOX");
    let mids: Vec<&str> = local.iter().map(|(m, _, _)| m.as_str()).collect();
    assert_eq!(mids, ["m1@x.test", "m2@x.test", "m3@x.test", "m4@x.test"]);
    let files = ["new", "cur"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(env.dir.path().join("data/a/INBOX").join(sub)).ok())
        .flat_map(|rd| rd.filter_map(Result::ok))
        .count();
    assert_eq!(files, 4, "one file per message");
}

fn courier_like() -> FakeImap {
    let server = FakeImap::start_with(
        '.',
        Quirks {
            inbox_namespace: true,
            ..Quirks::default()
        },
    );
    for n in 1..=2 {
        server.add_message(
            "INBOX",
            message(&format!("m{n}@x.test"), &format!("mail {n}")),
        );
    }
    server
}

fn creates(server: &FakeImap) -> Vec<String> {
    server
        .commands()
        .into_iter()
        .filter(|c| c.starts_with("CREATE"))
        .collect()
}

#[test]
fn a_move_to_a_new_folder_on_a_server_with_folders_under_inbox_lands_there() {
    let server = courier_like();
    let env = Env::new(&server, "");
    env.quiet(&["sync"]);
    let m1 = env.local("INBOX")[0].clone();
    env.quiet(&["move", "Archive", &m1.1.to_string()]);
    assert_eq!(
        creates(&server),
        ["CREATE \"Archive\"", "CREATE \"INBOX.Archive\""],
        "refused at the top, made under INBOX."
    );
    assert_eq!(server.mailbox("INBOX.Archive").messages.len(), 1);
    assert_eq!(server.mailbox("INBOX").messages.len(), 1);
    // Local and server agree after a sync: the local Archive mirrors INBOX.Archive.
    env.quiet(&["sync"]);
    let archive = env.local("Archive");
    assert_eq!(archive.len(), 1, "{archive:?}");
    assert_eq!(archive[0].0, "m1@x.test");
    assert!(
        env.local("INBOX/Archive").is_empty(),
        "no second local folder"
    );
    // Learnt from the listing now: the next new folder goes under INBOX. at once.
    env.quiet(&["folder", "create", "a", "Projects"]);
    assert_eq!(
        creates(&server).last().unwrap(),
        "CREATE \"INBOX.Projects\""
    );
    assert_eq!(creates(&server).len(), 3, "{:?}", creates(&server));
}

/// Issue 15, item 5: Gmail's All Mail (special-use `\All`) holds every message again.
#[test]
fn all_mail_is_not_downloaded_unless_asked_for() {
    let server = with_three(Quirks::default());
    server.add_mailbox("[Gmail]/All Mail", 9);
    server.set_special_use("[Gmail]/All Mail", "\\All");
    for n in 1..=3 {
        server.add_message(
            "[Gmail]/All Mail",
            message(&format!("m{n}@x.test"), &format!("mail {n}")),
        );
    }
    let env = Env::new(&server, "");
    env.quiet(&["sync"]);
    assert_eq!(env.local("INBOX").len(), 3);
    assert!(env.local("[Gmail]/All Mail").is_empty(), "not downloaded");
    let selected = |server: &FakeImap| {
        server
            .commands()
            .iter()
            .filter(|c| {
                c.contains("All Mail") && (c.starts_with("SELECT") || c.starts_with("EXAMINE"))
            })
            .count()
    };
    assert_eq!(selected(&server), 0, "{:?}", server.commands());
    // Asked for by name, it is.
    env.quiet(&["sync", "--folder", "[Gmail]/All Mail"]);
    assert_eq!(env.local("[Gmail]/All Mail").len(), 3);
    // And with sync_all_mail, by every sync.
    let env = Env::new(&server, "sync_all_mail = true");
    env.quiet(&["sync"]);
    assert_eq!(env.local("[Gmail]/All Mail").len(), 3);
}
