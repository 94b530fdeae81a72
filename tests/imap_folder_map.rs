//! Issue 12, item 5: with hierarchy delimiter `.`, the server folders `Lists.rust` (a child of
//! `Lists`) and `Lists/rust` (a literal `/`) used to share the local folder `Lists/rust`. Against
//! a scripted fake IMAP server (tests/support/fake_imap.rs: Dovecot in the harness uses `/`),
//! through the binary: both folders appear locally with their own mail, a second sync warns
//! nothing, and a move into each local folder reaches its own server folder.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use postie::store::{ListQuery, Store};
use support::fake_imap::{FakeImap, message};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(server: &FakeImap) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "data_dir = {:?}\n\n[accounts.a]\nemail = \"me@x.test\"\n\n\
             [accounts.a.incoming]\nprotocol = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\n\
             tls = \"none\"\nallow_plaintext = true\nuser = \"me\"\n\
             password_command = \"echo secret\"\n",
            dir.path().join("data").display().to_string(),
            server.port
        );
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        // Private, as a config holding its password inline must be (else postie warns).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        Env { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
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
            .arg(self.config())
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
            "postie {args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn store(&self) -> Store {
        let config = postie::config::load(Some(Path::new(&self.config()))).unwrap();
        let mut store = Store::open(&config.data_dir).unwrap();
        store.register_accounts(&config).unwrap();
        store
    }

    /// Message-IDs and ids of a local folder, sorted by Message-ID.
    fn local(&self, folder: &str) -> Vec<(String, i64)> {
        let mut v: Vec<(String, i64)> = self
            .store()
            .list(&ListQuery {
                account: Some("a".into()),
                folder: Some(folder.into()),
                ..ListQuery::default()
            })
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.message_id.unwrap_or_default(), m.id))
            .collect();
        v.sort();
        v
    }
}

fn server_mids(server: &FakeImap, mailbox: &str) -> Vec<String> {
    let mut v: Vec<String> = server
        .mailbox(mailbox)
        .messages
        .iter()
        .map(|m| {
            let text = String::from_utf8_lossy(&m.bytes).into_owned();
            let line = text.lines().find(|l| l.starts_with("Message-ID:")).unwrap();
            line[11..].trim().trim_matches(['<', '>']).to_owned()
        })
        .collect();
    v.sort();
    v
}

fn fake() -> FakeImap {
    let server = FakeImap::start('.');
    server.add_node("Lists");
    server.add_mailbox("Lists.rust", 11);
    server.add_mailbox("Lists/rust", 22);
    server.add_message("INBOX", message("inbox@x.test", "in the inbox"));
    server.add_message("Lists.rust", message("child@x.test", "in Lists.rust"));
    server.add_message("Lists/rust", message("slash@x.test", "in Lists/rust"));
    server
}

#[test]
fn two_server_folders_that_derive_one_local_name_stay_apart() {
    let server = fake();
    let env = Env::new(&server);
    env.quiet(&["sync"]);
    // The faithful child keeps the plain name; the literal slash is escaped.
    assert_eq!(env.local("Lists/rust").len(), 1);
    assert_eq!(env.local("Lists/rust")[0].0, "child@x.test");
    assert_eq!(env.local("Lists%2Frust").len(), 1);
    assert_eq!(env.local("Lists%2Frust")[0].0, "slash@x.test");
    // Stable: a second sync finds nothing changed and warns nothing (no UIDVALIDITY flip).
    let ids = (env.local("Lists/rust"), env.local("Lists%2Frust"));
    env.quiet(&["sync"]);
    assert_eq!((env.local("Lists/rust"), env.local("Lists%2Frust")), ids);
    // A store from before the mapping (no server names recorded) binds the same way again.
    let index = env.dir.path().join("data").join("index.sqlite3");
    let conn = rusqlite::Connection::open(&index).unwrap();
    conn.execute("UPDATE folders SET server_name = NULL", [])
        .unwrap();
    drop(conn);
    env.quiet(&["sync"]);
    assert_eq!((env.local("Lists/rust"), env.local("Lists%2Frust")), ids);
    env.quiet(&["sync"]);
}

#[test]
fn a_move_into_each_local_folder_reaches_its_own_server_folder() {
    let server = fake();
    let env = Env::new(&server);
    env.quiet(&["sync"]);
    let id = env.local("INBOX")[0].1.to_string();
    env.quiet(&["move", "Lists/rust", &id]);
    assert_eq!(
        server_mids(&server, "Lists.rust"),
        ["child@x.test", "inbox@x.test"]
    );
    assert_eq!(server_mids(&server, "Lists/rust"), ["slash@x.test"]);
    // A second move of the same message, from the folder the first one put it in.
    env.quiet(&["move", "Lists%2Frust", &id]);
    assert_eq!(server_mids(&server, "Lists.rust"), ["child@x.test"]);
    assert_eq!(
        server_mids(&server, "Lists/rust"),
        ["inbox@x.test", "slash@x.test"]
    );
    assert!(server_mids(&server, "INBOX").is_empty());
    let moves: Vec<String> = server
        .commands()
        .into_iter()
        .filter(|c| c.starts_with("UID MOVE"))
        .collect();
    assert_eq!(moves.len(), 2, "{moves:?}");
    // The second move took the UID from the first one's COPYUID: no search was needed.
    let searches = server.commands();
    assert!(
        !searches.iter().any(|c| c.starts_with("UID SEARCH HEADER")),
        "{searches:?}"
    );
    assert!(moves[0].ends_with("\"Lists.rust\""), "{moves:?}");
    assert!(moves[1].ends_with("\"Lists/rust\""), "{moves:?}");
    env.quiet(&["sync"]);
    let slash = env.local("Lists%2Frust");
    let mids: Vec<&str> = slash.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(mids, ["inbox@x.test", "slash@x.test"]);
    assert_eq!(slash[0].1.to_string(), id, "the moved row keeps its id");
    assert_eq!(env.local("Lists/rust").len(), 1);
    assert!(env.local("INBOX").is_empty());
    env.quiet(&["sync"]);
}

/// A refused change (the server has no such folder and refuses the MOVE): a warning, and the
/// local move is undone, so after a sync local and server agree.
#[test]
fn a_move_the_server_refuses_is_undone_with_a_warning() {
    let server = fake();
    server.add_node("Gone");
    let env = Env::new(&server);
    env.quiet(&["sync"]);
    let id = env.local("INBOX")[0].1.to_string();
    let out = env.run(&["move", "Gone", &id]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not applied") && err.contains("INBOX"),
        "{err}"
    );
    assert!(env.local("Gone").is_empty(), "the local move is undone");
    let back = env.local("INBOX");
    assert_eq!(back.len(), 1, "back where the server has it, at once");
    assert_eq!(back[0].1.to_string(), id, "with its id");
    assert_eq!(env.store().pending_actions("a").unwrap().len(), 0);
    env.quiet(&["sync"]);
    assert_eq!(env.local("INBOX").len(), 1, "back from the server");
    assert_eq!(env.local("INBOX")[0].0, "inbox@x.test");
    assert_eq!(server_mids(&server, "INBOX"), ["inbox@x.test"]);
}
