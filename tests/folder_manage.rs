//! Issue 13, item 5: `postie folder create|rename|delete` against the real Dovecot of the
//! harness (the server's side read by LIST over a raw session and from the user's Maildir),
//! and on a Maildir account (its directories are the server).
//!
//! What is checked: each change is on the server at once and in the local store; a rename keeps
//! the messages and their ids, and a following sync does not fetch them again; a folder holding
//! messages is deleted only with --force; INBOX stays; offline, an IMAP folder change is refused
//! (never queued) and nothing changes.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use postie::store::{ListQuery, Store};
use support::config::{Incoming, Tls};
use support::{TestUser, new_user, seed, servers};

struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    /// One account `a`: the given `[accounts.a]` TOML.
    fn new(account: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!("data_dir = {:?}\n\n{account}", data.display().to_string()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        Env { dir, config }
    }

    fn imap(user: &TestUser) -> Env {
        Env::new(&user.account_toml("a", Incoming::Imap, Tls::Implicit))
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
            .arg(&self.config)
            .args(args)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    }

    /// Runs; must exit 0. Returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "postie {args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs; must exit with `code`. Returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "postie {args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        err
    }

    fn store(&self) -> Store {
        let config = postie::config::load(Some(Path::new(&self.config))).unwrap();
        let mut store = Store::open(&config.data_dir).unwrap();
        store.register_accounts(&config).unwrap();
        store.refresh().unwrap();
        store
    }

    fn local_folders(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .store()
            .folders(Some("a"))
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        v.sort();
        v
    }

    /// (Message-ID, id, UID) of a local folder, sorted.
    fn local(&self, folder: &str) -> Vec<(String, i64, Option<u32>)> {
        let mut v: Vec<_> = self
            .store()
            .list(&ListQuery {
                account: Some("a".into()),
                folder: Some(folder.into()),
                ..ListQuery::default()
            })
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.message_id.unwrap_or_default(), m.id, m.uid))
            .collect();
        v.sort();
        v
    }
}

/// The server's folder names, by LIST over a raw session.
fn server_folders(user: &TestUser) -> Vec<String> {
    listed(user, "LIST")
}

/// The server's subscribed folders, by LSUB over a raw session.
fn server_subscribed(user: &TestUser) -> Vec<String> {
    listed(user, "LSUB")
}

fn listed(user: &TestUser, verb: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c = servers().imaps_session(user).await;
        let (lines, st) = c.imap("L", &format!("{verb} \"\" \"*\"")).await;
        assert!(st.starts_with("OK"), "{st}");
        let prefix = format!("* {verb} ");
        let mut names: Vec<String> = lines
            .iter()
            .filter(|l| l.starts_with(&prefix))
            .map(|l| {
                let name = l.rsplit_once(' ').unwrap().1;
                name.trim_matches('"').to_owned()
            })
            .collect();
        names.sort();
        names
    })
}

#[test]
fn imap_folders_are_created_renamed_and_deleted_on_the_server_and_locally() {
    let user = new_user("folders");
    seed::seed(&user, "INBOX", 2);
    seed::seed(&user, "Projects", 3);
    let env = Env::imap(&user);
    env.ok(&["sync"]);
    let before = env.local("Projects");
    assert_eq!(before.len(), 3, "{before:?}");

    // Create, nested: on the server and locally.
    let out = env.ok(&["folder", "create", "a", "Work/New"]);
    assert!(out.contains("created"), "{out}");
    assert!(server_folders(&user).contains(&"Work/New".to_owned()));
    assert!(env.local_folders().contains(&"Work/New".to_owned()));
    // Twice: refused, one line.
    let err = env.fails(&["folder", "create", "a", "Work/New"], 64);
    assert!(err.contains("exists"), "{err}");

    // Rename: the server has the new name only; the messages kept their ids and UIDs.
    env.ok(&["folder", "rename", "a", "Projects", "Archive2024"]);
    let listed = server_folders(&user);
    assert!(listed.contains(&"Archive2024".to_owned()), "{listed:?}");
    assert!(!listed.contains(&"Projects".to_owned()), "{listed:?}");
    assert_eq!(user.message_files("Archive2024").len(), 3);
    let folders = env.local_folders();
    assert!(folders.contains(&"Archive2024".to_owned()), "{folders:?}");
    assert!(!folders.contains(&"Projects".to_owned()), "{folders:?}");
    assert_eq!(env.local("Archive2024"), before);
    // A following sync fetches nothing again: same rows, same ids, nothing new elsewhere.
    env.ok(&["sync"]);
    assert_eq!(env.local("Archive2024"), before);
    assert!(!env.local_folders().contains(&"Projects".to_owned()));

    // INBOX stays.
    let err = env.fails(&["folder", "rename", "a", "INBOX", "Old"], 64);
    assert!(err.contains("INBOX"), "{err}");
    let err = env.fails(&["folder", "delete", "a", "INBOX"], 64);
    assert!(err.contains("INBOX"), "{err}");

    // Delete of a folder holding messages: refused without --force, nothing changed.
    let err = env.fails(&["folder", "delete", "a", "Archive2024"], 64);
    assert!(
        err.contains("--force") && err.contains("3 messages"),
        "{err}"
    );
    assert!(server_folders(&user).contains(&"Archive2024".to_owned()));
    assert_eq!(env.local("Archive2024"), before);
    env.ok(&["folder", "delete", "a", "Archive2024", "--force"]);
    assert!(!server_folders(&user).contains(&"Archive2024".to_owned()));
    assert!(!env.local_folders().contains(&"Archive2024".to_owned()));
    assert!(!user.folder_dir("Archive2024").exists());

    // An empty folder goes without --force; its local directory too.
    let dir = env.dir.path().join("data/a/Work/New");
    assert!(dir.is_dir(), "{}", dir.display());
    env.ok(&["folder", "delete", "a", "Work/New"]);
    assert!(!server_folders(&user).contains(&"Work/New".to_owned()));
    assert!(!env.local_folders().contains(&"Work/New".to_owned()));
    assert!(!dir.exists());
    // And a sync afterwards warns nothing and brings nothing back.
    let out = env.run(&["sync"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("warning"), "{err}");
    let folders = env.local_folders();
    assert!(
        !folders.contains(&"Archive2024".to_owned()) && !folders.contains(&"Work/New".to_owned()),
        "{folders:?}"
    );
}

#[test]
fn a_server_refusal_is_one_line_with_the_servers_words() {
    let user = new_user("folders-refused");
    seed::seed(&user, "INBOX", 1);
    let env = Env::imap(&user);
    env.ok(&["sync"]);
    // Dovecot's Maildir++ layout cannot hold a '.' in a name; the store could.
    let out = env.run(&["folder", "create", "a", "v1.2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("refused CREATE"), "{err}");
    assert!(!env.local_folders().contains(&"v1.2".to_owned()));
    assert!(!server_folders(&user).contains(&"v1.2".to_owned()));
}

#[test]
fn imap_folder_changes_need_a_connection_and_are_not_queued() {
    let user = new_user("folders-offline");
    seed::seed(&user, "INBOX", 1);
    seed::seed(&user, "Projects", 1);
    let env = Env::imap(&user);
    env.ok(&["sync"]);
    let err = env.fails(&["--offline", "folder", "create", "a", "Later"], 69);
    assert!(err.contains("needs a connection"), "{err}");
    let err = env.fails(
        &["--offline", "folder", "rename", "a", "Projects", "P2"],
        69,
    );
    assert!(err.contains("needs a connection"), "{err}");
    assert!(!env.local_folders().contains(&"Later".to_owned()));
    assert!(env.local_folders().contains(&"Projects".to_owned()));
    assert_eq!(env.store().pending_actions("a").unwrap().len(), 0);
    // Online but the server cannot be reached: the same refusal, exit 69.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let unreachable = Env::new(
        &user
            .account_toml("a", Incoming::Imap, Tls::Implicit)
            .replacen(
                &format!("port = {}\n", servers().ports.imaps),
                &format!("port = {dead_port}\n"),
                1,
            ),
    );
    let err = unreachable.fails(&["folder", "create", "a", "Later"], 69);
    assert!(err.contains("needs a connection"), "{err}");
    // Subscriptions: online only, on the server.
    env.fails(&["--offline", "folder", "subscribe", "a", "Projects"], 69);
    assert!(!server_subscribed(&user).contains(&"Projects".to_owned()));
    env.ok(&["folder", "subscribe", "a", "Projects"]);
    assert!(server_subscribed(&user).contains(&"Projects".to_owned()));
    env.ok(&["folder", "unsubscribe", "a", "Projects"]);
    assert!(!server_subscribed(&user).contains(&"Projects".to_owned()));
    // Nothing reached the server, at once or at the next sync.
    env.ok(&["sync"]);
    let listed = server_folders(&user);
    assert!(!listed.contains(&"Later".to_owned()), "{listed:?}");
    assert!(listed.contains(&"Projects".to_owned()), "{listed:?}");
}

/// A Maildir account: its directories are the server, changed at once, offline too.
#[test]
fn a_maildir_account_changes_its_directories() {
    let home = tempfile::tempdir().unwrap();
    let mdir = home.path().join("Mail");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(mdir.join(sub)).unwrap();
        std::fs::create_dir_all(mdir.join("Lists/cur").parent().unwrap().join(sub)).unwrap();
    }
    std::fs::write(
        mdir.join("Lists/cur/1.x:2,S"),
        "From: a@x.test\nSubject: kept\nMessage-ID: <kept@x.test>\n\nbody\n",
    )
    .unwrap();
    let env = Env::new(&format!(
        "[accounts.a]\nemail = \"me@x.test\"\n\n[accounts.a.incoming]\nprotocol = \"maildir\"\n\
         path = {:?}\n",
        mdir.display().to_string()
    ));
    env.ok(&["folders"]);
    let before = env.local("Lists");
    assert_eq!(before.len(), 1);

    env.ok(&["--offline", "folder", "create", "a", "Projects/New"]);
    assert!(mdir.join("Projects/New/cur").is_dir());
    env.ok(&["folder", "rename", "a", "Lists", "Mailing"]);
    assert!(!mdir.join("Lists").exists());
    assert!(mdir.join("Mailing/cur/1.x:2,S").is_file());
    assert_eq!(env.local("Mailing"), before, "same message, same id");
    let err = env.fails(&["folder", "delete", "a", "Mailing"], 64);
    assert!(err.contains("--force"), "{err}");
    assert!(mdir.join("Mailing/cur/1.x:2,S").is_file());
    env.ok(&["folder", "delete", "a", "Mailing", "--force"]);
    assert!(!mdir.join("Mailing").exists());
    env.ok(&["folder", "delete", "a", "Projects/New"]);
    assert!(!mdir.join("Projects/New").exists());
    let err = env.fails(&["folder", "subscribe", "a", "INBOX"], 64);
    assert!(err.contains("only IMAP"), "{err}");
    let folders = env.local_folders();
    assert_eq!(folders, vec!["INBOX".to_owned()], "{folders:?}");
}
