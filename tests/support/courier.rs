//! The Courier + Exim interop harness (issue 15): a private Courier IMAP 5.0 / POP 1.0 and a
//! private Exim 4.96 submission server on 127.0.0.1, started by `scripts/interop-courier`, with
//! per-test users, postie config snippets and raw IMAP / Maildir access to check what the
//! server holds.
//!
//! Why a second harness beside [`super::servers`]: Dovecot and Postfix forgive what other
//! servers do not. Courier keeps every personal folder under `INBOX.` with separator `.`
//! (`CREATE "Sent"` is refused), has no MOVE, CONDSTORE, QRESYNC or SPECIAL-USE; Exim is a
//! submission server that is not Postfix.
//!
//! Where the servers come from: `POSTIE_TEST_COURIER=/path/courier.env` names a running
//! instance; otherwise one private instance per test process, started on first use and stopped
//! by the script's watchdog when the process exits. When the packages are missing the calling
//! test fails saying to run `scripts/interop-courier install`; it never skips.
//!
//! Like the rest of the support code, this never uses postie's own modules.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::TestUser;
use super::config::{Incoming, Tls};
use super::instance;
use super::wire::{LineConn, tls_config_with_roots};

/// The environment variable naming a running instance's `courier.env`.
pub const COURIER_ENV_VAR: &str = "POSTIE_TEST_COURIER";

/// A running Courier + Exim pair, as its `courier.env` describes it.
#[derive(Debug)]
pub struct Courier {
    pub dir: PathBuf,
    pub host: String,
    pub tls_name: String,
    /// Courier IMAP with STARTTLS, IMAPS, POP3 with STLS, POP3S.
    pub imap: u16,
    pub imaps: u16,
    /// IMAPS on the same store without UIDPLUS in CAPABILITY (the no-UIDPLUS fallbacks).
    pub imaps_no_uidplus: u16,
    pub pop3: u16,
    pub pop3s: u16,
    /// Exim: submission with STARTTLS (AUTH only after it) and with implicit TLS.
    pub submission: u16,
    pub submissions: u16,
    pub ca_file: PathBuf,
    pub domain: String,
    /// Courier users' homes: `MAIL_ROOT/ADDRESS/Maildir`.
    pub mail_root: PathBuf,
    /// Where Exim delivers: `EXIM_MAIL_ROOT/ADDRESS/Maildir`.
    pub exim_mail_root: PathBuf,
    pub mail_uid: u32,
    pub mail_gid: u32,
    pub imap_log: PathBuf,
    pub pop3_log: PathBuf,
    pub exim_log: PathBuf,
    script: PathBuf,
}

static COURIER: OnceLock<Result<Courier, String>> = OnceLock::new();

/// The Courier + Exim instance of this test process (started on first use).
pub fn courier() -> &'static Courier {
    match COURIER.get_or_init(init) {
        Ok(c) => c,
        Err(message) => panic!("{message}"),
    }
}

fn init() -> Result<Courier, String> {
    if let Some(path) = std::env::var_os(COURIER_ENV_VAR).filter(|p| !p.is_empty()) {
        return Courier::from_env_file(Path::new(&path));
    }
    let dir = instance::start(
        "interop-courier",
        "Courier + Exim",
        "run scripts/interop-courier install (as root), or scripts/test",
    )?;
    Courier::from_env_file(&dir.join("courier.env"))
}

impl Courier {
    /// Reads a `courier.env` written by `scripts/interop-courier start`.
    pub fn from_env_file(path: &Path) -> Result<Courier, String> {
        let env = instance::EnvFile::read(path)?;
        let get = |key: &str| env.get(key);
        let num = |key: &str| env.parse::<u32>(key);
        let port = |key: &str| env.parse::<u16>(key);
        Ok(Courier {
            dir: get("DIR")?.into(),
            host: get("HOST")?,
            tls_name: get("TLS_NAME")?,
            imap: port("IMAP_PORT")?,
            imaps: port("IMAPS_PORT")?,
            imaps_no_uidplus: port("IMAPS_NO_UIDPLUS_PORT")?,
            pop3: port("POP3_PORT")?,
            pop3s: port("POP3S_PORT")?,
            submission: port("SUBMISSION_PORT")?,
            submissions: port("SUBMISSIONS_PORT")?,
            ca_file: get("CA_FILE")?.into(),
            domain: get("DOMAIN")?,
            mail_root: get("MAIL_ROOT")?.into(),
            exim_mail_root: get("EXIM_MAIL_ROOT")?.into(),
            mail_uid: num("MAIL_UID")?,
            mail_gid: num("MAIL_GID")?,
            imap_log: get("IMAP_LOG")?.into(),
            pop3_log: get("POP3_LOG")?.into(),
            exim_log: get("EXIM_LOG")?.into(),
            script: get("SCRIPT")?.into(),
        })
    }

    /// A new user `PREFIX-<unique>@DOMAIN` in Courier's userdb and Exim's password file, with
    /// an empty Maildir (the password goes over stdin, never argv).
    pub fn new_user(&self, prefix: &str) -> TestUser {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut rng = super::seed::XorShift::new(
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
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .take(30)
            .collect();
        let name = format!(
            "{clean}-{}-{n}-{}",
            std::process::id(),
            rng.alnum(4).to_lowercase()
        );
        let password = rng.alnum(20);
        let email = format!("{name}@{}", self.domain);
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
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{password}").unwrap_or_else(|e| panic!("adduser stdin: {e}"));
        }
        let output = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("adduser: {e}"));
        assert!(
            output.status.success(),
            "cannot add Courier user {email}: {}",
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

    /// Stops Exim (the outbox test's "server down"); [`Courier::start_exim`] brings it back on
    /// the same ports.
    pub fn stop_exim(&self) {
        self.script_command("stop-exim");
    }

    pub fn start_exim(&self) {
        self.script_command("start-exim");
    }

    fn script_command(&self, verb: &str) {
        let output = Command::new(&self.script)
            .arg(verb)
            .arg(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.script.display()));
        assert!(
            output.status.success(),
            "interop-courier {verb}: {}",
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }

    /// A 0600 file with the user's password, for `password_command = "cat FILE"`.
    pub fn password_file(&self, user: &TestUser) -> PathBuf {
        let dir = self.dir.join("secrets");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let path = dir.join(&user.login);
        if !path.exists() {
            let tmp = dir.join(format!(".{}.tmp", user.login));
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
            writeln!(file, "{}", user.password).unwrap_or_else(|e| panic!("{e}"));
            std::fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("{e}"));
        }
        path
    }

    /// An `[accounts.NAME]` table: incoming from Courier (`incoming`, `tls`), outgoing through
    /// Exim with the same TLS mode, trusting the run's CA.
    pub fn account_toml(
        &self,
        user: &TestUser,
        name: &str,
        incoming: Incoming,
        tls: Tls,
    ) -> String {
        let (protocol, port, tls_word, smtp_port) = match (incoming, tls) {
            (Incoming::Imap, Tls::Implicit) => ("imap", self.imaps, "implicit", self.submissions),
            (Incoming::Imap, Tls::StartTls) => ("imap", self.imap, "starttls", self.submission),
            (Incoming::Pop3, Tls::Implicit) => ("pop3", self.pop3s, "implicit", self.submissions),
            (Incoming::Pop3, Tls::StartTls) => ("pop3", self.pop3, "starttls", self.submission),
        };
        format!(
            r#"[accounts.{name}]
email = "{email}"

[accounts.{name}.incoming]
protocol = "{protocol}"
host = "{host}"
port = {port}
tls = "{tls_word}"
ca_file = "{ca}"
user = "{login}"
password_command = "cat '{secret}'"

[accounts.{name}.outgoing]
host = "{host}"
port = {smtp_port}
tls = "{tls_word}"
"#,
            email = user.email,
            host = self.host,
            ca = self.ca_file.display(),
            login = user.login,
            secret = self.password_file(user).display(),
        )
    }

    /// The Maildir directory of Courier folder `wire` (`INBOX` or `INBOX.NAME`).
    pub fn folder_dir(&self, user: &TestUser, wire: &str) -> PathBuf {
        if wire.eq_ignore_ascii_case("INBOX") {
            return user.maildir.clone();
        }
        let rest = wire
            .strip_prefix("INBOX.")
            .unwrap_or_else(|| panic!("Courier folders live under INBOX.: {wire:?}"));
        user.maildir.join(format!(".{rest}"))
    }

    /// The messages Exim delivered to `user` (bytes as stored, LF line ends), oldest first.
    pub fn exim_delivered(&self, user: &TestUser) -> Vec<Vec<u8>> {
        let dir = self.exim_mail_root.join(&user.email).join("Maildir");
        let mut files: Vec<(SystemTime, PathBuf)> = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
                for e in entries.filter_map(|e| e.ok()) {
                    let modified = e
                        .metadata()
                        .and_then(|m| m.modified())
                        .unwrap_or(UNIX_EPOCH);
                    files.push((modified, e.path()));
                }
            }
        }
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .collect()
    }

    /// Waits (polling) until Exim has delivered at least `n` messages to `user`.
    pub fn wait_exim_delivered(&self, user: &TestUser, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.exim_delivered(user);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "Exim delivered {} of {n} messages to {} in 30 s; see {}",
                got.len(),
                user.email,
                self.exim_log.display()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Courier's POP3 log lines of `user`'s sessions that ended (`LOGOUT, user=...`).
    pub fn pop3_logouts(&self, user: &TestUser) -> Vec<String> {
        let text = std::fs::read_to_string(&self.pop3_log).unwrap_or_default();
        let needle = format!("LOGOUT, user={},", user.login);
        text.lines()
            .filter(|l| l.contains(&needle))
            .map(str::to_owned)
            .collect()
    }

    fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        let pem = std::fs::read(&self.ca_file)
            .unwrap_or_else(|e| panic!("{}: {e}", self.ca_file.display()));
        tls_config_with_roots(&pem)
    }

    /// A logged-in IMAPS session of `user` (a second client beside postie).
    pub async fn imap_session(&self, user: &TestUser) -> LineConn<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect((self.host.as_str(), self.imaps))
            .await
            .unwrap_or_else(|e| panic!("cannot connect to Courier IMAPS: {e}"));
        let name = ServerName::try_from(self.tls_name.clone()).unwrap_or_else(|e| panic!("{e}"));
        let tls = TlsConnector::from(self.tls_config())
            .connect(name, tcp)
            .await
            .unwrap_or_else(|e| panic!("TLS with Courier: {e}"));
        let mut conn = LineConn::new(tls);
        let greeting = conn.read_line().await;
        assert!(greeting.starts_with("* OK"), "Courier greeting: {greeting}");
        let (_, done) = conn
            .imap(
                "l",
                &format!("LOGIN \"{}\" \"{}\"", user.login, user.password),
            )
            .await;
        assert!(done.starts_with("OK"), "Courier LOGIN: {done}");
        conn
    }
}

/// Runs `command` on `conn`, asserting a tagged OK; returns the untagged lines.
pub async fn imap_ok<S>(conn: &mut LineConn<S>, command: &str) -> Vec<String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (untagged, done) = conn.imap("c", command).await;
    assert!(done.starts_with("OK"), "Courier {command}: {done}");
    untagged
}

/// APPENDs `message` (CRLF) to Courier folder `mailbox` with `flags` (e.g. `\Seen`, or "").
pub async fn imap_append<S>(conn: &mut LineConn<S>, mailbox: &str, flags: &str, message: &[u8])
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    conn.send(&format!(
        "a APPEND \"{mailbox}\" ({flags}) {{{}}}",
        message.len()
    ))
    .await;
    let cont = conn.read_line().await;
    assert!(cont.starts_with('+'), "APPEND continuation: {cont}");
    conn.send_bytes(message).await;
    conn.send("").await;
    loop {
        let line = conn.read_line().await;
        if line.starts_with("a ") {
            assert!(line.starts_with("a OK"), "APPEND to {mailbox}: {line}");
            return;
        }
    }
}

/// A temp HOME with a postie config (`data_dir` inside it) for driving the real binary.
pub struct PostieHome {
    pub dir: tempfile::TempDir,
}

impl PostieHome {
    /// A home whose config holds `accounts` (one or more `[accounts.X]` tables).
    pub fn new(accounts: &str) -> PostieHome {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let home = PostieHome { dir };
        home.write_config(accounts);
        home
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Replaces the config (same data dir).
    pub fn write_config(&self, accounts: &str) {
        let text = format!(
            "data_dir = {:?}\n\n{accounts}",
            self.data_dir().display().to_string()
        );
        std::fs::write(self.config(), text).unwrap_or_else(|e| panic!("config: {e}"));
    }

    /// Runs postie with `args` (stdin from `input`) in a clean environment.
    pub fn run(&self, args: &[&str], input: &[u8]) -> std::process::Output {
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
            .write_stdin(input.to_vec())
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap_or_else(|e| panic!("run postie: {e}"))
    }

    /// Runs; must exit 0 without a warning on stderr. Returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, b"");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !err.to_lowercase().contains("warning"),
            "postie {args:?}: {:?}\nstderr: {err}",
            out.status
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `postie list --folder FOLDER --json`, as (subject, id, flags) sorted by subject.
    pub fn list(&self, folder: &str) -> Vec<(String, i64, Vec<String>)> {
        let text = self.ok(&["list", "--folder", folder, "--limit", "1000", "--json"]);
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("list --json: {e}: {text}"));
        let mut out: Vec<(String, i64, Vec<String>)> = v
            .as_array()
            .unwrap_or_else(|| panic!("list --json is no array: {text}"))
            .iter()
            .map(|m| {
                (
                    m["subject"].as_str().unwrap_or_default().to_owned(),
                    m["id"].as_i64().unwrap_or_default(),
                    m["flags"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|f| f.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// The id of the message with `subject` in local `folder`.
    pub fn id_of(&self, folder: &str, subject: &str) -> String {
        self.list(folder)
            .into_iter()
            .find(|(s, _, _)| s == subject)
            .map(|(_, id, _)| id.to_string())
            .unwrap_or_else(|| panic!("no {subject:?} in local {folder}: {:?}", self.list(folder)))
    }
}

/// A small RFC 5322 message (CRLF) with a unique Message-ID.
pub fn message(from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n\
         Message-ID: <{n}.{}.{}@interop.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        std::process::id(),
        subject.replace(' ', "-")
    )
    .into_bytes()
}

/// The files of a Maildir folder (`new/` and `cur/`).
pub fn maildir_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            files.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    files.sort();
    files
}
