//! Two people exchanging OpenPGP mail through the harness servers with postie on both ends
//! (tests/pgp*.rs): each a mail user, a throw-away GnuPG home with their key, and a postie
//! config; plus the MIME helpers that let plain `gpg` check what arrived (the bytes on disk).
//!
//! Like the rest of the harness it runs the postie binary and never uses postie's modules.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

use super::config::{Incoming, Tls};
use super::gnupg::GnupgHome;
use super::{TestUser, servers};

pub const WAIT: Duration = Duration::from_secs(20);

/// One person: a mail user on the harness, a GnuPG home with their key, a postie config.
pub struct Party {
    pub user: TestUser,
    pub name: &'static str,
    pub gnupg: GnupgHome,
    pub dir: tempfile::TempDir,
}

impl Party {
    pub fn new(prefix: &str, name: &'static str) -> Party {
        Party::with_keys(prefix, name, true)
    }

    pub fn with_keys(prefix: &str, name: &'static str, key: bool) -> Party {
        let user = servers().new_user(prefix);
        let gnupg = GnupgHome::new();
        if key {
            gnupg.generate(name, &user.email);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let account = user
            .account_toml("main", Incoming::Imap, Tls::Implicit)
            .replacen(
                "\n\n[accounts.main.incoming]",
                &format!("\nname = \"{name}\"\n\n[accounts.main.incoming]"),
                1,
            );
        let config = format!("data_dir = {:?}\n\n{account}", dir.path().join("data"));
        std::fs::write(dir.path().join("config.toml"), config).expect("write config");
        Party {
            user,
            name,
            gnupg,
            dir,
        }
    }

    /// Appends `toml` to the config (e.g. `[[accounts.main.identities]]` tables).
    pub fn add_config(&self, toml: &str) {
        let mut config = std::fs::read_to_string(self.config()).expect("read config");
        config.push_str(toml);
        std::fs::write(self.config(), config).expect("write config");
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn postie(&self, args: &[&str], stdin: &[u8]) -> Output {
        let home = self.dir.path();
        Command::cargo_bin("postie")
            .expect("binary")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("GNUPGHOME", self.gnupg.path())
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .arg("--config")
            .arg(self.config())
            .args(args)
            .write_stdin(stdin.to_vec())
            .timeout(Duration::from_secs(120))
            .output()
            .expect("postie runs")
    }

    pub fn ok(&self, args: &[&str], stdin: &[u8]) -> String {
        let out = self.postie(args, stdin);
        assert!(
            out.status.success(),
            "postie {args:?}: {:?}\nstderr: {}\nstdout: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Alice sends to `to` with extra `flags`, the body on stdin.
    pub fn send(&self, to: &Party, subject: &str, flags: &[&str], body: &str) -> Output {
        let to = format!("{} <{}>", to.name, to.user.email);
        let mut args = vec!["send", "--to", &to, "--subject", subject];
        args.extend_from_slice(flags);
        self.postie(&args, body.as_bytes())
    }

    /// Syncs, then `postie read`s the message whose subject is `subject` (listed so, or, for
    /// encrypted mail, shown so by `read`).
    pub fn read_by_subject(&self, subject: &str) -> String {
        self.ok(&["sync"], b"");
        let list = self.ok(&["list", "--json", "--folder", "INBOX"], b"");
        let messages: serde_json::Value = serde_json::from_str(&list).expect("list --json");
        let messages = messages.as_array().expect("an array");
        if let Some(m) = messages.iter().find(|m| m["subject"] == subject) {
            return self.ok(&["read", &m["id"].to_string()], b"");
        }
        // Encrypted with protected headers: listed as `...`, the real Subject shows in `read`.
        messages
            .iter()
            .filter(|m| m["subject"] == "...")
            .map(|m| self.ok(&["read", &m["id"].to_string()], b""))
            .find(|shown| shown.contains(&format!("\nSubject: {subject}\n")))
            .unwrap_or_else(|| panic!("no message {subject:?} in {list}"))
    }
}

/// Each imports the other's public key.
pub fn exchange_keys(a: &Party, b: &Party) {
    a.gnupg.import(&b.gnupg.export(&b.user.email));
    b.gnupg.import(&a.gnupg.export(&a.user.email));
}

pub async fn delivered(user: &TestUser, n: usize) -> Vec<Vec<u8>> {
    let files = user.wait_for_messages("INBOX", n, WAIT).await;
    assert_eq!(files.len(), n, "{}: {files:?}", user.email);
    let mut all: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read delivered message"))
        .collect();
    all.sort_by_key(|m| String::from_utf8_lossy(m).contains("Subject: tampered"));
    all
}

/// CRLF line ends (Dovecot stores LF; the signature covers the CRLF form).
pub fn crlf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The boundary parameter of the top-level Content-Type.
pub fn boundary(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let start = head.find("boundary=\"").expect("a boundary") + "boundary=\"".len();
    head[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The parts of a CRLF multipart message, each exactly as between its delimiters.
pub fn parts(message: &[u8]) -> Vec<Vec<u8>> {
    let delimiter = format!("\r\n--{}", boundary(message));
    let mut at = find(message, delimiter.as_bytes()).expect("first delimiter") + delimiter.len();
    let mut out = Vec::new();
    while !message[at..].starts_with(b"--") {
        let line_end = at + find(&message[at..], b"\r\n").expect("line end") + 2;
        let next =
            line_end + find(&message[line_end..], delimiter.as_bytes()).expect("next delimiter");
        out.push(message[line_end..next].to_vec());
        at = next + delimiter.len();
    }
    out
}

/// The body of a part (after its header block).
pub fn part_body(part: &[u8]) -> Vec<u8> {
    let at = find(part, b"\r\n\r\n").expect("part header end") + 4;
    part[at..].to_vec()
}

/// `gpg --verify` of the delivered file's signed part with its detached signature, as a
/// plain GnuPG user would do it; returns gpg's status output.
pub fn gpg_verify(home: &GnupgHome, delivered: &[u8]) -> (bool, String) {
    let message = crlf(delivered);
    let parts = parts(&message);
    assert_eq!(parts.len(), 2, "multipart/signed has two parts");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let sig = dir.path().join("sig.asc");
    std::fs::write(&data, &parts[0]).expect("write data");
    std::fs::write(&sig, part_body(&parts[1])).expect("write sig");
    let out = home.gpg(
        &[
            "--status-fd",
            "1",
            "--verify",
            sig.to_str().expect("utf-8 path"),
            data.to_str().expect("utf-8 path"),
        ],
        b"",
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The fingerprint of the key that made the signature, from gpg's VALIDSIG status line.
pub fn signing_fingerprint(status: &str) -> Option<String> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("[GNUPG:] VALIDSIG "))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
}
