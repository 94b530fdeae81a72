//! The offline commands against a Maildir account and the demo store, through their `run`
//! functions (the binary wiring lands with the CLI branch).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use postie::cli::offline::OfflineError;
use postie::cli::{delete, demo, flag, folders, list, move_to, read, search};
use postie::config::{Account, Config, Incoming, MaildirIncoming};
use serde_json::Value;

fn config(data_dir: &Path, maildir: Option<&Path>) -> Config {
    Config {
        path: None,
        theme: "default".into(),
        data_dir: data_dir.to_owned(),
        accounts: maildir
            .map(|p| {
                vec![Account {
                    name: "local".into(),
                    email: "me@x.test".into(),
                    display_name: None,
                    default: true,
                    incoming: Incoming::Maildir(MaildirIncoming { path: p.to_owned() }),
                    outgoing: None,
                    check_interval: None,
                    notify_command: None,
                    identities: Vec::new(),
                    aliases: Vec::new(),
                    reply_style: None,
                    pgp: Default::default(),
                }]
            })
            .unwrap_or_default(),
        keys: BTreeMap::new(),
        folder_pane: None,
        address_book_command: None,
        headers: None,
        auto_view: Vec::new(),
        index_decrypted: false,
    }
}

fn maildir_fixture(root: &Path) {
    let msgs: [(&str, &str, &str); 3] = [
        (
            "cur/1700000001.a.host:2,S",
            "Mon, 1 Jan 2024 10:00:00 +0000",
            "Quarterly report",
        ),
        (
            "new/1700000002.b.host",
            "Tue, 2 Jan 2024 10:00:00 +0100",
            "=?UTF-8?Q?Caf=C3=A9?= opening",
        ),
        (
            "cur/1700000003.c.host:2,",
            "Wed, 3 Jan 2024 10:00:00 -0500",
            "Lunch",
        ),
    ];
    for d in [
        "cur",
        "new",
        "tmp",
        ".Archive/cur",
        ".Archive/new",
        ".Archive/tmp",
    ] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    for (i, (file, date, subject)) in msgs.iter().enumerate() {
        fs::write(
            root.join(file),
            format!(
                "From: Person {i} <p{i}@x.test>\r\nTo: me@x.test, Other <o@x.test>\r\n\
Subject: {subject}\r\nDate: {date}\r\nMessage-ID: <{i}@x.test>\r\n\r\nbody number {i}\r\n"
            ),
        )
        .unwrap();
    }
}

fn run_json(f: impl FnOnce(&mut Vec<u8>) -> Result<(), OfflineError>) -> Value {
    let mut out = Vec::new();
    f(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn list_folders_search_read_flag_move_delete_on_a_maildir_account() {
    let data = tempfile::tempdir().unwrap();
    let mdir = tempfile::tempdir().unwrap();
    maildir_fixture(mdir.path());
    let cfg = config(data.path(), Some(mdir.path()));

    let listed = run_json(|o| {
        list::run_offline(
            &cfg,
            &list::ListArgs {
                json: true,
                ..Default::default()
            },
            o,
        )
    });
    let arr = listed.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    let first = &arr[0];
    assert_eq!(first["subject"], "Lunch");
    assert_eq!(first["account"], "local");
    assert_eq!(first["folder"], "INBOX");
    assert_eq!(first["date"], "2024-01-03T10:00:00-05:00");
    assert_eq!(first["from"], "Person 2 <p2@x.test>");
    assert_eq!(
        first["to"],
        serde_json::json!(["me@x.test", "Other <o@x.test>"])
    );
    assert_eq!(first["flags"], serde_json::json!([]));
    assert_eq!(first["has_body"], true);
    assert_eq!(arr[2]["flags"], serde_json::json!(["seen"]));
    assert_eq!(arr[1]["subject"], "Café opening");
    let id_lunch = first["id"].as_i64().unwrap();

    // Ids are stable across runs.
    let again = run_json(|o| {
        list::run_offline(
            &cfg,
            &list::ListArgs {
                json: true,
                limit: Some(1),
                ..Default::default()
            },
            o,
        )
    });
    assert_eq!(again[0]["id"].as_i64(), Some(id_lunch));

    let fl = run_json(|o| {
        folders::run_offline(
            &cfg,
            &folders::FoldersArgs {
                json: true,
                ..Default::default()
            },
            o,
        )
    });
    assert_eq!(
        fl,
        serde_json::json!([
            {"account": "local", "name": "INBOX", "total": 3, "unread": 2, "role": "inbox"},
            {"account": "local", "name": "Archive", "total": 0, "unread": 0, "role": "archive"},
        ])
    );

    let found = run_json(|o| {
        let args = search::SearchArgs {
            query: vec!["cafe".into()],
            json: true,
            ..Default::default()
        };
        search::run_offline(&cfg, &args, o)
    });
    assert_eq!(found.as_array().unwrap().len(), 1);
    let id_cafe = found[0]["id"].as_i64().unwrap();
    let by_from = run_json(|o| {
        let args = search::SearchArgs {
            query: vec!["from:p0@x.test".into()],
            json: true,
            ..Default::default()
        };
        search::run_offline(&cfg, &args, o)
    });
    assert_eq!(by_from[0]["subject"], "Quarterly report");

    let mut out = Vec::new();
    read::run_offline(
        &cfg,
        &read::ReadArgs {
            id: id_cafe,
            raw: true,
        },
        &mut out,
    )
    .unwrap();
    assert_eq!(
        out,
        fs::read(mdir.path().join("new/1700000002.b.host")).unwrap()
    );
    let mut out = Vec::new();
    read::run_offline(
        &cfg,
        &read::ReadArgs {
            id: id_cafe,
            raw: false,
        },
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("Subject: Café opening\n\nbody number 1"),
        "{text}"
    );

    let mut sink = Vec::new();
    let fa = flag::FlagArgs {
        action: flag::FlagAction::Add,
        flag: "flagged".into(),
        ids: vec![id_cafe],
    };
    flag::run_offline(&cfg, &fa, &mut sink).unwrap();
    assert!(
        mdir.path().join("cur/1700000002.b.host:2,F").exists(),
        "the file is renamed in place"
    );
    let bad = flag::FlagArgs {
        flag: "important".into(),
        ..fa.clone()
    };
    let err = flag::run_offline(&cfg, &bad, &mut sink).unwrap_err();
    assert_eq!(err.kind(), postie::error::ErrorKind::Usage);

    move_to::run_offline(
        &cfg,
        &move_to::MoveArgs {
            folder: "Archive".into(),
            ids: vec![id_cafe],
        },
        &mut sink,
    )
    .unwrap();
    assert!(
        mdir.path()
            .join(".Archive/cur/1700000002.b.host:2,F")
            .exists()
    );
    delete::run_offline(
        &cfg,
        &delete::DeleteArgs {
            ids: vec![id_lunch],
        },
        &mut sink,
    )
    .unwrap();
    assert!(!mdir.path().join("cur/1700000003.c.host:2,").exists());

    let mut out = Vec::new();
    list::run_offline(&cfg, &list::ListArgs::default(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("Quarterly report"));

    let err = read::run_offline(
        &cfg,
        &read::ReadArgs {
            id: 9999,
            raw: false,
        },
        &mut sink,
    )
    .unwrap_err();
    assert_eq!(err.kind(), postie::error::ErrorKind::Usage);
    let err = list::run_offline(
        &cfg,
        &list::ListArgs {
            account: Some("nope".into()),
            ..Default::default()
        },
        &mut sink,
    )
    .unwrap_err();
    assert_eq!(err.kind(), postie::error::ErrorKind::Usage);
}

#[test]
fn commands_work_on_the_demo_store() {
    let parent = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let dir = demo::run_offline(Some(parent.path()), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("demo data dir:") && text.contains("Lists/Rust"),
        "{text}"
    );
    let cfg = config(&dir, None);
    let all = run_json(|o| {
        list::run_offline(
            &cfg,
            &list::ListArgs {
                json: true,
                ..Default::default()
            },
            o,
        )
    });
    assert!(all.as_array().unwrap().len() >= 20);
    let hits = run_json(|o| {
        let args = search::SearchArgs {
            query: vec!["subject:offsite".into()],
            json: true,
            ..Default::default()
        };
        search::run_offline(&cfg, &args, o)
    });
    assert!(hits.as_array().unwrap().len() >= 5);
    let fl = run_json(|o| {
        folders::run_offline(
            &cfg,
            &folders::FoldersArgs {
                json: true,
                ..Default::default()
            },
            o,
        )
    });
    assert_eq!(fl.as_array().unwrap().len(), 6);
}

/// The same commands through the binary, from an empty environment (HOME and XDG dirs in a
/// temp dir): JSON shapes, raw bytes, and the exit codes of failures.
#[test]
fn the_binary_runs_the_offline_commands_with_spec_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let mdir = home.path().join("Maildir");
    maildir_fixture(&mdir);
    let cfg = home.path().join("config/postie/config.toml");
    fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    fs::write(
        &cfg,
        format!(
            "[accounts.local]\nemail = \"me@x.test\"\n\n[accounts.local.incoming]\n\
protocol = \"maildir\"\npath = \"{}\"\n",
            mdir.display()
        ),
    )
    .unwrap();
    let postie = || {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("postie");
        cmd.env_clear()
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("PATH", "/usr/bin:/bin");
        cmd
    };
    let out = postie()
        .args(["list", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let list: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    for key in [
        "id", "account", "folder", "date", "from", "to", "subject", "flags", "has_body",
    ] {
        assert!(list[0].get(key).is_some(), "missing {key}");
    }
    let id = list[1]["id"].as_i64().unwrap().to_string();
    let raw = postie()
        .args(["read", "--raw", &id])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(raw, fs::read(mdir.join("new/1700000002.b.host")).unwrap());
    let text = postie()
        .args(["list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(text).unwrap().lines().count(), 3);
    let folders = postie()
        .args(["folders", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let folders: Value = serde_json::from_slice(&folders).unwrap();
    assert_eq!(folders[0]["unread"], 2);
    let hits = postie()
        .args(["search", "--json", "subject:lunch"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        serde_json::from_slice::<Value>(&hits)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    postie()
        .args(["flag", "add", "seen", &id])
        .assert()
        .success();
    assert!(mdir.join("cur/1700000002.b.host:2,S").exists());
    postie().args(["read", "424242"]).assert().code(64);
    postie()
        .args(["flag", "add", "shiny", &id])
        .assert()
        .code(64);
    postie()
        .args(["list", "--account", "nope"])
        .assert()
        .code(64);
    postie()
        .args(["list", "--folder", "Nope"])
        .assert()
        .code(64);
    // The data dir (platform default under XDG_DATA_HOME) holds the index, private.
    let index = home.path().join("data/postie/index.sqlite3");
    assert!(index.exists());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&index).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// `postie read` of a message stored with CRLF line ends (as everything IMAP and POP3
/// download is): plain lines, no U+FFFD where each CR was.
#[test]
fn the_binary_reads_a_crlf_message_as_plain_lines() {
    let home = tempfile::tempdir().unwrap();
    let mdir = home.path().join("Maildir");
    maildir_fixture(&mdir);
    fs::write(
        mdir.join("cur/1700000009.crlf.host:2,S"),
        "From: Crlf <c@x.test>\r\nTo: me@x.test\r\nSubject: line ends\r\n\
Date: Thu, 4 Jan 2024 10:00:00 +0000\r\nMessage-ID: <crlf@x.test>\r\n\r\n\
first line\r\nsecond line\r\n\r\nafter a blank\r\n",
    )
    .unwrap();
    let cfg = home.path().join("config.toml");
    fs::write(
        &cfg,
        format!(
            "[accounts.local]\nemail = \"me@x.test\"\n\n[accounts.local.incoming]\n\
protocol = \"maildir\"\npath = \"{}\"\n",
            mdir.display()
        ),
    )
    .unwrap();
    let postie = || {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("postie");
        cmd.env_clear()
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("PATH", "/usr/bin:/bin")
            .arg("--config")
            .arg(&cfg);
        cmd
    };
    let out = postie()
        .args(["search", "--json", "subject:ends"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let hits: Value = serde_json::from_slice(&out).unwrap();
    let id = hits[0]["id"].as_i64().unwrap().to_string();
    let out = postie()
        .args(["read", &id])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        !text.contains('\u{FFFD}') && !text.contains('\r'),
        "{text:?}"
    );
    assert!(
        text.ends_with("Subject: line ends\n\nfirst line\nsecond line\n\nafter a blank\n"),
        "{text:?}"
    );
}

#[test]
fn sync_of_a_maildir_account_says_how_many_messages_it_indexed() {
    let home = tempfile::tempdir().unwrap();
    let mdir = home.path().join("Maildir");
    maildir_fixture(&mdir);
    let cfg = home.path().join("config.toml");
    fs::write(
        &cfg,
        format!(
            "[accounts.local]\nemail = \"me@x.test\"\n\n[accounts.local.incoming]\n\
protocol = \"maildir\"\npath = \"{}\"\n",
            mdir.display()
        ),
    )
    .unwrap();
    let sync = || {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("postie");
        cmd.env_clear()
            .env("HOME", home.path())
            .env("POSTIE_DATA_DIR", home.path().join("data"))
            .env("PATH", "/usr/bin:/bin")
            .arg("--config")
            .arg(&cfg)
            .arg("sync");
        let out = cmd.assert().success().get_output().clone();
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // The fixture's three messages, all new to the index.
    let (stdout, stderr) = sync();
    assert_eq!(stdout, "local: 3 messages indexed\n");
    assert_eq!(stderr, "", "no line per folder, no progress off a terminal");
    let (stdout, stderr) = sync();
    assert_eq!(stdout, "local: nothing new\n");
    assert_eq!(stderr, "");
    fs::remove_file(mdir.join("cur/1700000003.c.host:2,")).unwrap();
    let (stdout, _) = sync();
    assert_eq!(stdout, "local: 1 gone from the Maildir\n");
}
