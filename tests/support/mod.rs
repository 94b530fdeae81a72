//! The real-server test harness: a private Dovecot (IMAP, POP3, LMTP, SASL) and Postfix
//! (submission) on 127.0.0.1, started by `scripts/mailservers`, plus per-test users, fast
//! Maildir seeding and small raw-protocol helpers. Dovecot (and through its SASL, Postfix) also
//! accepts XOAUTH2 and OAUTHBEARER with tokens from the test identity provider ([`idp`]).
//!
//! Every integration test that needs servers calls [`servers()`] and takes host, ports, CA and
//! domain from it, never from constants of its own. Each test creates its own user with
//! [`Servers::new_user`], so tests run in parallel without sharing a mailbox.
//!
//! This module may use tokio, rustls and the other crates postie depends on, but never postie's
//! own modules: the harness must keep working while they change, and must not test itself with
//! the code it is there to test.
//!
//! Where the servers come from:
//! - `POSTIE_TEST_SERVERS=/path/servers.env` (what `scripts/test` sets): that running instance;
//! - otherwise a private instance per test process, started on first use in a temp dir and
//!   stopped by a watchdog (from `scripts/mailservers start --watch`) when the process exits,
//!   since the Rust test harness has no global teardown.
//!
//! If the packages are missing or the servers cannot start, the calling test fails with a
//! message saying to run `scripts/test`; it never skips.

#![allow(dead_code)]

pub mod child;
pub mod config;
pub mod counting_listener;
pub mod courier;
pub mod cut_proxy;
pub mod cyrus;
pub mod fake_dns;
pub mod fake_http;
pub mod fake_imap;
pub mod fake_pop3;
pub mod gnupg;
pub mod hostile_imap;
pub mod hostile_pop3;
pub mod hostile_smtp;
pub mod idp;
pub mod instance;
pub mod pgp_party;
pub mod proxy;
pub mod seed;
pub mod wire;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[allow(unused_imports)]
pub use seed::{Seeded, seed, seed_with};

/// The environment variable naming a running instance's `servers.env`.
pub const SERVERS_ENV_VAR: &str = "POSTIE_TEST_SERVERS";

/// The listening ports of one instance, all on [`Servers::host`].
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// IMAP, plaintext with STARTTLS.
    pub imap: u16,
    /// IMAP over implicit TLS.
    pub imaps: u16,
    /// POP3, plaintext with STLS.
    pub pop3: u16,
    /// POP3 over implicit TLS.
    pub pop3s: u16,
    /// SMTP submission, STARTTLS required before AUTH.
    pub submission: u16,
    /// SMTP submission over implicit TLS.
    pub submissions: u16,
    /// Dovecot's LMTP (no auth): delivers straight into a user's INBOX.
    pub lmtp: u16,
    /// The test OAuth2 identity provider (`scripts/test-idp`, plain HTTP): Dovecot's oauth2
    /// passdb introspects XOAUTH2/OAUTHBEARER tokens there. See [`idp`].
    pub idp: u16,
}

/// A running Dovecot + Postfix pair, as described by its `servers.env`.
#[derive(Debug)]
pub struct Servers {
    /// The instance's directory: config, logs, state and the users' mail.
    pub dir: PathBuf,
    /// The address every service listens on ("127.0.0.1").
    pub host: String,
    /// The name the server certificate is issued for ("localhost"; 127.0.0.1 is in it too).
    pub tls_name: String,
    pub ports: Ports,
    /// The PEM file of the per-run CA that issued the server certificate.
    pub ca_file: PathBuf,
    /// The mail domain Postfix delivers for ("example.test"); users are `NAME@DOMAIN`.
    pub domain: String,
    /// The IMAP hierarchy separator ('/'); on disk Maildir++ uses '.' between levels.
    pub separator: char,
    /// Where the users' homes live (`MAIL_ROOT/LOGIN/Maildir`).
    pub mail_root: PathBuf,
    /// The uid and gid Dovecot accesses mail as: seeded files must belong to them.
    pub mail_uid: u32,
    pub mail_gid: u32,
    pub dovecot_log: PathBuf,
    pub postfix_log: PathBuf,
    script: PathBuf,
}

/// One mail account on the test servers, fresh for the test that made it.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// What to log in with (IMAP, POP3, SMTP AUTH): the full address.
    pub login: String,
    /// The user's address, `NAME@DOMAIN`.
    pub email: String,
    /// The password (test-only; no special characters).
    pub password: String,
    /// The user's home directory.
    pub home: PathBuf,
    /// The user's Maildir (INBOX; other folders are `.NAME` below it).
    pub maildir: PathBuf,
}

static SERVERS: OnceLock<Result<Servers, String>> = OnceLock::new();

/// The shared servers of this test process: started once, on first use (see the module docs).
///
/// Panics with a message saying what to do when they cannot be had.
pub fn servers() -> &'static Servers {
    match SERVERS.get_or_init(init) {
        Ok(servers) => servers,
        Err(message) => panic!("{message}"),
    }
}

/// Shorthand for `servers().new_user(prefix)`.
pub fn new_user(prefix: &str) -> TestUser {
    servers().new_user(prefix)
}

fn init() -> Result<Servers, String> {
    match std::env::var_os(SERVERS_ENV_VAR) {
        Some(path) if !path.is_empty() => Servers::from_env_file(Path::new(&path)).map_err(|e| {
            format!(
                "{SERVERS_ENV_VAR}={}: {e}\nStart the servers with scripts/test (or unset {SERVERS_ENV_VAR} to let the tests start their own).",
                Path::new(&path).display()
            )
        }),
        _ => start_private(),
    }
}

/// Path of `scripts/mailservers` in this checkout.
pub fn mailservers_script() -> PathBuf {
    instance::script("mailservers")
}

fn start_private() -> Result<Servers, String> {
    let dir = instance::start(
        "mailservers",
        "mail servers",
        "Run the tests with scripts/test, which installs the packages (as root) and starts the servers.",
    )?;
    Servers::from_env_file(&dir.join("servers.env"))
}

impl Servers {
    /// Reads a `servers.env` written by `scripts/mailservers start`.
    pub fn from_env_file(path: &Path) -> Result<Servers, String> {
        let env = instance::EnvFile::read(path)?;
        let get = |key: &str| env.get(key);
        let port = |key: &str| env.parse::<u16>(key);
        let id = |key: &str| env.parse::<u32>(key);
        Ok(Servers {
            dir: get("DIR")?.into(),
            host: get("HOST")?,
            tls_name: get("TLS_NAME")?,
            ports: Ports {
                imap: port("IMAP_PORT")?,
                imaps: port("IMAPS_PORT")?,
                pop3: port("POP3_PORT")?,
                pop3s: port("POP3S_PORT")?,
                submission: port("SUBMISSION_PORT")?,
                submissions: port("SUBMISSIONS_PORT")?,
                lmtp: port("LMTP_PORT")?,
                idp: port("IDP_PORT")?,
            },
            ca_file: get("CA_FILE")?.into(),
            domain: get("DOMAIN")?,
            separator: get("SEPARATOR")?.chars().next().unwrap_or('/'),
            mail_root: get("MAIL_ROOT")?.into(),
            mail_uid: id("MAIL_UID")?,
            mail_gid: id("MAIL_GID")?,
            dovecot_log: get("DOVECOT_LOG")?.into(),
            postfix_log: get("POSTFIX_LOG")?.into(),
            script: get("SCRIPT")?.into(),
        })
    }

    /// The harness CA certificate, PEM.
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(&self.ca_file).unwrap_or_else(|e| {
            panic!("cannot read the harness CA {}: {e}", self.ca_file.display())
        })
    }

    /// Creates a new user `PREFIX-<unique>@DOMAIN` with a random password and an empty Maildir.
    ///
    /// The prefix is lowercased and reduced to letters, digits, '.', '-' and '_'.
    pub fn new_user(&self, prefix: &str) -> TestUser {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut rng = seed::XorShift::new(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
                ^ (u64::from(std::process::id()) << 32)
                ^ n,
        );
        let clean: String = prefix
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(40)
            .collect();
        let clean = if clean.is_empty() {
            "user".to_string()
        } else {
            clean
        };
        let name = format!(
            "{clean}-{}-{n}-{}",
            std::process::id(),
            rng.alnum(4).to_lowercase()
        );
        let password = rng.alnum(20);
        let email = format!("{name}@{}", self.domain);
        // The password goes over stdin, never argv.
        let mut child = Command::new(&self.script)
            .arg("adduser")
            .arg(&self.dir)
            .arg(&email)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.script.display()));
        child
            .stdin
            .take()
            .map(|mut stdin| writeln!(stdin, "{password}"))
            .transpose()
            .unwrap_or_else(|e| panic!("cannot pass the password to adduser: {e}"));
        let output = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("adduser: {e}"));
        assert!(
            output.status.success(),
            "cannot add test user {email}: {}",
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
        let home = self.mail_root.join(&email);
        TestUser {
            login: email.clone(),
            email,
            password,
            maildir: home.join("Maildir"),
            home,
        }
    }

    /// `host:port` for a port of this instance.
    pub fn addr(&self, port: u16) -> String {
        format!("{}:{port}", self.host)
    }
}

impl TestUser {
    /// The Maildir directory of an IMAP folder: INBOX is the Maildir itself, `A/B` is `.A.B`.
    ///
    /// Folder names must be ASCII without '.' (no modified-UTF-7 encoding is done here).
    pub fn folder_dir(&self, folder: &str) -> PathBuf {
        if folder.eq_ignore_ascii_case("INBOX") {
            return self.maildir.clone();
        }
        assert!(
            folder.is_ascii() && !folder.contains('.') && !folder.is_empty(),
            "support: folder names must be ASCII without '.': {folder:?}"
        );
        self.maildir.join(format!(".{}", folder.replace('/', ".")))
    }

    /// The message files of a folder (`new/` and `cur/`), sorted by name.
    pub fn message_files(&self, folder: &str) -> Vec<PathBuf> {
        let dir = self.folder_dir(folder);
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
                files.extend(
                    entries
                        .filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|p| p.is_file()),
                );
            }
        }
        files.sort();
        files
    }

    /// Waits (polling) until a folder holds at least `n` messages; panics after `timeout`.
    pub async fn wait_for_messages(
        &self,
        folder: &str,
        n: usize,
        timeout: Duration,
    ) -> Vec<PathBuf> {
        let deadline = Instant::now() + timeout;
        loop {
            let files = self.message_files(folder);
            if files.len() >= n {
                return files;
            }
            assert!(
                Instant::now() < deadline,
                "{} {folder}: {} messages after {timeout:?}, expected {n}; see {}",
                self.email,
                files.len(),
                servers().postfix_log.display()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}
