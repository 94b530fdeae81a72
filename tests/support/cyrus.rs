//! A real Cyrus IMAP 3.6 (IMAP, POP3) for the interop tests (issue 15), started by
//! `scripts/interop-cyrus`, plus a blocking raw IMAP client to play "another client" and a
//! runner for the real `postie` binary with a config pointing at Cyrus.
//!
//! Where the instance comes from: `POSTIE_TEST_CYRUS=/path/cyrus.env` names a running one;
//! otherwise one private instance per test process is started on first use in a temp dir, and
//! a watchdog (`--watch`) stops it when the process exits. When Cyrus is not installed the
//! calling test fails saying "run scripts/interop-cyrus install"; it never skips.
//!
//! The instance keeps Cyrus's default namespace (`INBOX.Sent`, separator `.`), checks passwords
//! for real (a private sasldb) and has three IMAPS faces on one store: [`Cyrus::imaps`] with
//! CONDSTORE/QRESYNC/UIDPLUS/MOVE, [`Cyrus::plain_imaps`] with UIDPLUS and MOVE suppressed, and
//! [`Cyrus::bare_imaps`] with CONDSTORE, QRESYNC and SPECIAL-USE suppressed too.
//! Like the rest of the harness this module never uses postie's own modules for what it checks.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::pki_types::ServerName;

use super::instance;
use super::wire::tls_config_with_roots;

/// The environment variable naming a running instance's `cyrus.env`.
pub const CYRUS_ENV_VAR: &str = "POSTIE_TEST_CYRUS";

/// A running private Cyrus, as its `cyrus.env` describes it.
#[derive(Debug)]
pub struct Cyrus {
    pub dir: PathBuf,
    pub host: String,
    pub tls_name: String,
    /// IMAP with STARTTLS.
    pub imap: u16,
    /// IMAPS with every extension the build has (CONDSTORE, QRESYNC, UIDPLUS, MOVE, ...).
    pub imaps: u16,
    /// IMAPS on the same store with UIDPLUS and MOVE suppressed.
    pub plain_imaps: u16,
    /// IMAPS on the same store with UIDPLUS, MOVE, CONDSTORE, QRESYNC, SPECIAL-USE, ESEARCH and
    /// LIST-EXTENDED suppressed.
    pub bare_imaps: u16,
    pub pop3: u16,
    pub pop3s: u16,
    pub ca_file: PathBuf,
    pub log: PathBuf,
    script: PathBuf,
}

/// A user of the Cyrus instance (INBOX and its Drafts/Sent/Trash/Junk appear at first login).
#[derive(Debug, Clone)]
pub struct CyrusUser {
    pub login: String,
    pub password: String,
    pub email: String,
}

static CYRUS: OnceLock<Result<Cyrus, String>> = OnceLock::new();

/// The Cyrus of this test process, started on first use; panics saying what to do otherwise.
pub fn cyrus() -> &'static Cyrus {
    match CYRUS.get_or_init(init) {
        Ok(c) => c,
        Err(message) => panic!("{message}"),
    }
}

fn init() -> Result<Cyrus, String> {
    if let Some(path) = std::env::var_os(CYRUS_ENV_VAR).filter(|p| !p.is_empty()) {
        return Cyrus::from_env_file(Path::new(&path));
    }
    let dir = instance::start(
        "interop-cyrus",
        "Cyrus",
        "run scripts/interop-cyrus install (as root), or scripts/test",
    )?;
    Cyrus::from_env_file(&dir.join("cyrus.env"))
}

impl Cyrus {
    /// Reads a `cyrus.env` written by `scripts/interop-cyrus start`.
    pub fn from_env_file(path: &Path) -> Result<Cyrus, String> {
        let env = instance::EnvFile::read(path)?;
        let get = |key: &str| env.get(key);
        let port = |key: &str| env.parse::<u16>(key);
        Ok(Cyrus {
            dir: get("DIR")?.into(),
            host: get("HOST")?,
            tls_name: get("TLS_NAME")?,
            imap: port("IMAP_PORT")?,
            imaps: port("IMAPS_PORT")?,
            plain_imaps: port("PLAIN_IMAPS_PORT")?,
            bare_imaps: port("BARE_IMAPS_PORT")?,
            pop3: port("POP3_PORT")?,
            pop3s: port("POP3S_PORT")?,
            ca_file: get("CA_FILE")?.into(),
            log: get("LOG")?.into(),
            script: get("SCRIPT")?.into(),
        })
    }

    /// A new user `PREFIX_<pid>_<n>_<nanos>` (Cyrus user names hold no `.`: it is the separator).
    pub fn new_user(&self, prefix: &str) -> CyrusUser {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let clean: String = prefix
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(30)
            .collect();
        let login = format!("{clean}_{}_{n}", std::process::id());
        let password = format!("pw{nanos:x}{n}Zq");
        let mut child = Command::new(&self.script)
            .arg("adduser")
            .arg(&self.dir)
            .arg(&login)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.script.display()));
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{password}").unwrap_or_else(|e| panic!("adduser stdin: {e}"));
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("adduser: {e}"));
        assert!(
            out.status.success(),
            "cannot add Cyrus user {login}: {}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
        CyrusUser {
            email: format!("{login}@cyrus.test"),
            login,
            password,
        }
    }

    /// A raw IMAPS session on `port` (one of [`Cyrus::imaps`], [`Cyrus::plain_imaps`]),
    /// logged in as `user`.
    pub fn session(&self, port: u16, user: &CyrusUser) -> RawImap {
        let ca = std::fs::read(&self.ca_file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", self.ca_file.display()));
        let name = ServerName::try_from(self.tls_name.clone())
            .unwrap_or_else(|e| panic!("bad TLS name: {e}"));
        let conn = rustls::ClientConnection::new(tls_config_with_roots(&ca), name)
            .unwrap_or_else(|e| panic!("rustls: {e}"));
        let tcp = TcpStream::connect((self.host.as_str(), port))
            .unwrap_or_else(|e| panic!("cannot connect to Cyrus at {}:{port}: {e}", self.host));
        tcp.set_read_timeout(Some(Duration::from_secs(20))).ok();
        tcp.set_nodelay(true).ok();
        let mut imap = RawImap {
            stream: BufReader::new(rustls::StreamOwned::new(conn, tcp)),
            tag: 0,
        };
        let greeting = imap.line();
        assert!(greeting.starts_with("* OK"), "Cyrus greeting: {greeting}");
        imap.ok(&format!(
            "LOGIN {} {}",
            quoted(&user.login),
            quoted(&user.password)
        ));
        imap
    }
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A blocking IMAP client for tests: one command at a time, literals read inline.
pub struct RawImap {
    stream: BufReader<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>,
    tag: u32,
}

impl RawImap {
    fn line(&mut self) -> String {
        let mut buf = Vec::new();
        let n = self
            .stream
            .read_until(b'\n', &mut buf)
            .unwrap_or_else(|e| panic!("reading from Cyrus: {e}"));
        assert!(n > 0, "Cyrus closed the connection");
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// Sends `command` (bytes may hold `{n+}` literals) and returns (untagged responses with
    /// their literals inlined, the tagged status line without its tag).
    pub fn command_bytes(&mut self, command: &[u8]) -> (Vec<String>, String) {
        self.tag += 1;
        let tag = format!("T{}", self.tag);
        let stream = self.stream.get_mut();
        stream
            .write_all(format!("{tag} ").as_bytes())
            .and_then(|_| stream.write_all(command))
            .and_then(|_| stream.write_all(b"\r\n"))
            .and_then(|_| stream.flush())
            .unwrap_or_else(|e| panic!("writing to Cyrus: {e}"));
        let mut untagged = Vec::new();
        loop {
            let mut line = self.line();
            // Inline literals: `... {N}` then N bytes, then the rest of the response.
            while let Some(n) = line
                .strip_suffix('}')
                .and_then(|l| l.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut literal = vec![0u8; n];
                self.stream
                    .read_exact(&mut literal)
                    .unwrap_or_else(|e| panic!("reading a literal from Cyrus: {e}"));
                line.push_str(&String::from_utf8_lossy(&literal));
                let rest = self.line();
                line.push_str(&rest);
            }
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                return (untagged, status.to_owned());
            }
            untagged.push(line);
        }
    }

    /// [`RawImap::command_bytes`] for a text command.
    pub fn command(&mut self, command: &str) -> (Vec<String>, String) {
        self.command_bytes(command.as_bytes())
    }

    /// Runs `command`; panics unless the server says OK. Returns the untagged responses.
    pub fn ok(&mut self, command: &str) -> Vec<String> {
        let (untagged, status) = self.command(command);
        assert!(
            status.starts_with("OK"),
            "Cyrus refused {command:?}: {status}"
        );
        untagged
    }

    /// APPENDs `message` to `mailbox` with `flags` (e.g. `"(\\Seen)"` or `""`).
    pub fn append(&mut self, mailbox: &str, flags: &str, message: &[u8]) {
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!("{flags} ")
        };
        let mut cmd = format!(
            "APPEND {} {flags}{{{}+}}\r\n",
            quoted(mailbox),
            message.len()
        )
        .into_bytes();
        cmd.extend_from_slice(message);
        let (_, status) = self.command_bytes(&cmd);
        assert!(status.starts_with("OK"), "APPEND to {mailbox}: {status}");
    }

    /// SELECTs `mailbox`; returns how many messages it holds (EXISTS).
    pub fn select(&mut self, mailbox: &str) -> usize {
        self.ok(&format!("SELECT {}", quoted(mailbox)))
            .iter()
            .filter_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
            .next_back()
            .unwrap_or_else(|| panic!("SELECT {mailbox}: no EXISTS"))
    }

    /// The server folders (wire names) LIST shows.
    pub fn folders(&mut self) -> Vec<String> {
        let mut names: Vec<String> = self
            .ok("LIST \"\" \"*\"")
            .iter()
            .filter_map(|l| l.strip_prefix("* LIST "))
            .filter_map(|l| {
                l.rsplit_once(' ')
                    .map(|(_, n)| n.trim_matches('"').to_owned())
            })
            .collect();
        names.sort();
        names
    }

    /// Message-ID -> flags of every message in `mailbox` (selected by this call).
    pub fn flags_by_message_id(&mut self, mailbox: &str) -> HashMap<String, Vec<String>> {
        let mut out = HashMap::new();
        // Cyrus answers FETCH 1:* in an empty mailbox with NO.
        if self.select(mailbox) == 0 {
            return out;
        }
        for line in self.ok("FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])") {
            let flags = line
                .split_once("FLAGS (")
                .and_then(|(_, r)| r.split_once(')'))
                .map(|(f, _)| {
                    f.split_whitespace()
                        .map(|s| s.to_owned())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let mid = line
                .split_once("<")
                .and_then(|(_, r)| r.split_once('>'))
                .map(|(m, _)| m.to_owned());
            if let Some(mid) = mid {
                out.insert(mid, flags);
            }
        }
        out
    }

    /// The Message-IDs in `mailbox`, sorted.
    pub fn message_ids(&mut self, mailbox: &str) -> Vec<String> {
        let mut ids: Vec<String> = self.flags_by_message_id(mailbox).into_keys().collect();
        ids.sort();
        ids
    }
}

/// A small RFC 5322 message with CRLF line ends.
pub fn message(message_id: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Someone <someone@elsewhere.test>\r\nTo: user@cyrus.test\r\nSubject: {subject}\r\n\
         Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{message_id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// The real `postie` binary with its own HOME, data dir and a config for one Cyrus account
/// named `c` (plus any extra TOML appended), run with a generous deadline.
pub struct Postie {
    pub dir: tempfile::TempDir,
}

/// What a Cyrus account of the config uses.
pub struct Account<'a> {
    pub user: &'a CyrusUser,
    /// "imap" or "pop3".
    pub protocol: &'a str,
    pub port: u16,
    /// Extra lines for `[accounts.c.incoming]` (e.g. `pop3_mode = "delete"`).
    pub incoming_extra: &'a str,
    /// Extra TOML after the account (e.g. an `[accounts.c.outgoing]` table).
    pub tail: &'a str,
}

impl Postie {
    pub fn new(account: Account<'_>) -> Postie {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let secret = dir.path().join("cyrus-password");
        std::fs::write(&secret, format!("{}\n", account.user.password))
            .unwrap_or_else(|e| panic!("write {}: {e}", secret.display()));
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).ok();
        let c = cyrus();
        let text = format!(
            "data_dir = \"{data}\"\n\n[accounts.c]\nemail = \"{email}\"\n\n\
             [accounts.c.incoming]\nprotocol = \"{protocol}\"\nhost = \"{host}\"\nport = {port}\n\
             tls = \"implicit\"\nca_file = \"{ca}\"\nuser = \"{login}\"\n\
             password_command = \"cat '{secret}'\"\n{extra}\n{tail}",
            data = dir.path().join("data").display(),
            email = account.user.email,
            protocol = account.protocol,
            host = c.host,
            port = account.port,
            ca = c.ca_file.display(),
            login = account.user.login,
            secret = secret.display(),
            extra = account.incoming_extra,
            tail = account.tail,
        );
        let config = dir.path().join("config.toml");
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("write config: {e}"));
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).ok();
        Postie { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// Runs `postie --config CONFIG ARGS` with `stdin` (ends within 120 s or fails).
    pub fn run_with_input(&self, args: &[&str], stdin: &[u8]) -> Output {
        let home = self.dir.path();
        assert_cmd::Command::cargo_bin("postie")
            .unwrap_or_else(|e| panic!("postie binary: {e}"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .arg("--config")
            .arg(self.config())
            .args(args)
            .write_stdin(stdin.to_vec())
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap_or_else(|e| panic!("postie {args:?}: {e}"))
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_input(args, b"")
    }

    /// Runs; panics unless it exits 0 without a warning. Returns stdout.
    pub fn quiet(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !err.to_lowercase().contains("warning"),
            "postie {args:?}: {:?}\nstderr: {err}\nCyrus log: {}",
            out.status,
            cyrus().log.display()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `postie list --json --folder FOLDER` of account `c`, as JSON objects.
    pub fn list(&self, folder: &str) -> Vec<serde_json::Value> {
        let text = self.quiet(&[
            "list",
            "--account",
            "c",
            "--folder",
            folder,
            "--limit",
            "1000",
            "--json",
        ]);
        match serde_json::from_str(&text) {
            Ok(serde_json::Value::Array(items)) => items,
            other => panic!("postie list --json: {other:?}\n{text}"),
        }
    }

    /// `postie folders --json` of account `c`: the local folder names, sorted.
    pub fn folders(&self) -> Vec<String> {
        let text = self.quiet(&["folders", "--account", "c", "--json"]);
        let mut names: Vec<String> = match serde_json::from_str(&text) {
            Ok(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|f| f["name"].as_str().map(str::to_owned))
                .collect(),
            other => panic!("postie folders --json: {other:?}\n{text}"),
        };
        names.sort();
        names
    }
}

/// The id (as text) of the listed message whose subject is `subject`.
pub fn id_of(listed: &[serde_json::Value], subject: &str) -> String {
    listed
        .iter()
        .find(|m| m["subject"].as_str() == Some(subject))
        .and_then(|m| m["id"].as_i64().map(|id| id.to_string()))
        .unwrap_or_else(|| panic!("no message {subject:?} in {listed:#?}"))
}

/// The flags (lower-case words) of the listed message whose subject is `subject`.
pub fn flags_of(listed: &[serde_json::Value], subject: &str) -> Vec<String> {
    let m = listed
        .iter()
        .find(|m| m["subject"].as_str() == Some(subject))
        .unwrap_or_else(|| panic!("no message {subject:?} in {listed:#?}"));
    let mut flags: Vec<String> = m["flags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    flags.sort();
    flags
}

/// Subjects of listed messages, sorted.
pub fn subjects(listed: &[serde_json::Value]) -> Vec<String> {
    let mut v: Vec<String> = listed
        .iter()
        .filter_map(|m| m["subject"].as_str().map(str::to_owned))
        .collect();
    v.sort();
    v
}

/// An IMAP account on Cyrus port `port` that downloads every body (`fetch_bodies = "all"`).
pub fn imap_account(user: &CyrusUser, port: u16) -> Postie {
    Postie::new(Account {
        user,
        protocol: "imap",
        port,
        incoming_extra: "fetch_bodies = \"all\"\n",
        tail: "",
    })
}

/// A user with three messages in INBOX (the second one \Seen), appended by another client.
pub fn user_with_three(prefix: &str) -> CyrusUser {
    let c = cyrus();
    let user = c.new_user(prefix);
    let mut imap = c.session(c.imaps, &user);
    imap.append("INBOX", "", &message("one@cyrus.test", "first", "body one"));
    imap.append(
        "INBOX",
        "(\\Seen)",
        &message("two@cyrus.test", "second", "body two"),
    );
    imap.append(
        "INBOX",
        "",
        &message("three@cyrus.test", "third", "body three"),
    );
    user
}

/// The local folder that mirrors server folder `wire` (`INBOX.Junk` -> whatever postie named it).
pub fn local_folder_of(postie: &Postie, wire: &str) -> String {
    let last = wire.rsplit('.').next().unwrap_or(wire);
    let folders = postie.folders();
    folders
        .iter()
        .find(|f| f.rsplit('/').next() == Some(last))
        .cloned()
        .unwrap_or_else(|| panic!("no local folder for {wire} in {folders:?}"))
}
