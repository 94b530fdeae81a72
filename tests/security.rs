//! Issue #9, item 5: security checks through the real `postie` binary.
//!
//! - TLS: a certificate for another host, and one from an untrusted (self-signed) CA, are
//!   refused (exit 69) before anything is sent; a proxy that strips STARTTLS makes postie
//!   refuse, and no AUTH/LOGIN/USER/PASS ever crosses the wire in clear.
//! - `tls = "none"` is refused by `postie config check` unless `allow_plaintext = true`.
//! - The password never appears in the log at the most verbose level (`-vvv`, and
//!   `POSTIE_LOG=trace` for every crate), in error messages, in the argv of postie or of any
//!   process while postie runs (password_command runs through `sh -c`), or in the store.
//! - The store's files are 0600 and its directories 0700 after a send.
//! - Terminal escape sequences in a message are shown inert by `read`, `list` and `search`.

#![allow(clippy::unwrap_used)]

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
mod support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use fault_proxy::{Fault, FaultProxy};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use support::child::{Finished, run_measured};
use support::proxy::{Protocol, StripTlsProxy};
use support::{TestUser, servers};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;

const DEADLINE: Duration = Duration::from_secs(60);

/// A temp home with a config; postie runs with a clean environment inside it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let text = format!("data_dir = {:?}\n\n{config}", data.display().to_string());
        fs::write(dir.path().join("config.toml"), text).unwrap();
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postie"));
        cmd.env_clear()
            .env("HOME", self.path())
            .env("PATH", "/usr/bin:/bin")
            .env("XDG_CONFIG_HOME", self.path().join("xdg-config"))
            .env("XDG_DATA_HOME", self.path().join("xdg-data"))
            .arg("--config")
            .arg(self.path().join("config.toml"))
            .args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Finished {
        run_measured(&mut self.command(args), DEADLINE)
    }

    /// Runs postie off the async runtime (proxies and listeners run on it meanwhile).
    async fn run_async(&self, args: &[&str]) -> Finished {
        let mut cmd = self.command(args);
        tokio::task::spawn_blocking(move || run_measured(&mut cmd, DEADLINE))
            .await
            .unwrap()
    }
}

/// An account that sends through `host:port`; mail comes from a local Maildir.
fn send_account(user: &TestUser, host: &str, port: u16, tls: &str, extra: &str) -> String {
    format!(
        r#"[accounts.main]
email = "{email}"

[accounts.main.incoming]
protocol = "maildir"
path = "{maildir}"

[accounts.main.outgoing]
host = "{host}"
port = {port}
tls = "{tls}"
user = "{login}"
password_command = "{command}"
{extra}
"#,
        email = user.email,
        maildir = user.home.join("unused-local-maildir").display(),
        login = user.login,
        command = user.password_command().replace('"', "\\\""),
    )
}

fn harness_ca_line() -> String {
    format!("ca_file = {:?}", servers().ca_file.display().to_string())
}

/// The forms a password can take on the wire or in a file: as is, and inside SASL PLAIN and
/// LOGIN base64.
fn secret_forms(user: &TestUser) -> Vec<Vec<u8>> {
    let b64 = |s: &[u8]| {
        base64::engine::general_purpose::STANDARD
            .encode(s)
            .into_bytes()
    };
    vec![
        user.password.as_bytes().to_vec(),
        b64(format!("\0{}\0{}", user.login, user.password).as_bytes()),
        b64(user.password.as_bytes()),
    ]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn assert_no_secret(what: &str, hay: &[u8], user: &TestUser) {
    for form in secret_forms(user) {
        assert!(
            !contains(hay, &form),
            "{what} holds the password (as {:?})",
            String::from_utf8_lossy(&form)
        );
    }
}

// ---------------------------------------------------------------------------------------
// TLS: wrong host, untrusted CA

struct Pki {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

fn pki(names: &[&str]) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        chain: vec![cert.der().clone()],
        key: key.serialize_der(),
    }
}

/// A TLS listener that accepts every connection and records whether any application data
/// ever arrived (it must not: the handshake has to fail first). Returns its port.
async fn tls_listener(pki: &Pki, got_data: Arc<AtomicBool>) -> u16 {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(pki.chain.clone(), key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let got_data = got_data.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    // An SMTP server speaks first; send a greeting, then see what comes.
                    use tokio::io::AsyncWriteExt as _;
                    let _ = tls.write_all(b"220 fake ESMTP\r\n").await;
                    let mut buf = [0u8; 64];
                    if let Ok(n) = tls.read(&mut buf).await
                        && n > 0
                    {
                        got_data.store(true, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_for_another_host_is_refused() {
    let user = servers().new_user("wronghost");
    let pki = pki(&["mail.elsewhere.test"]);
    let got_data = Arc::new(AtomicBool::new(false));
    let port = tls_listener(&pki, got_data.clone()).await;
    let home = Home::new("");
    let ca = home.path().join("ca.pem");
    fs::write(&ca, &pki.ca_pem).unwrap();
    let extra = format!("ca_file = {:?}", ca.display().to_string());
    fs::write(
        home.path().join("config.toml"),
        send_account(&user, "127.0.0.1", port, "implicit", &extra),
    )
    .unwrap();
    let out = home
        .run_async(&[
            "send",
            "--to",
            "x@example.test",
            "--subject",
            "s",
            "--body-file",
            "/dev/null",
        ])
        .await;
    assert_eq!(out.code, Some(69), "{}", out.stderr_text());
    assert!(
        out.stderr_text().contains("not valid for the name"),
        "{}",
        out.stderr_text()
    );
    assert!(
        !got_data.load(Ordering::SeqCst),
        "data crossed a refused TLS session"
    );
    assert_no_secret("stderr", &out.stderr, &user);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_certificate_is_refused_without_ca_file() {
    let user = servers().new_user("selfsigned");
    let pki = pki(&["localhost", "127.0.0.1"]);
    let got_data = Arc::new(AtomicBool::new(false));
    let port = tls_listener(&pki, got_data.clone()).await;
    let home = Home::new(&send_account(&user, "127.0.0.1", port, "implicit", ""));
    let out = home
        .run_async(&[
            "send",
            "--to",
            "x@example.test",
            "--subject",
            "s",
            "--body-file",
            "/dev/null",
        ])
        .await;
    assert_eq!(out.code, Some(69), "{}", out.stderr_text());
    assert!(
        out.stderr_text().contains("ca_file"),
        "{}",
        out.stderr_text()
    );
    assert!(
        !got_data.load(Ordering::SeqCst),
        "data crossed a refused TLS session"
    );
    assert_no_secret("stderr", &out.stderr, &user);
}

// ---------------------------------------------------------------------------------------
// STARTTLS stripped

/// What a client must never send in clear after a stripped STARTTLS.
fn assert_no_plaintext_auth(what: &str, sent: &[u8], user: &TestUser) {
    let upper = String::from_utf8_lossy(sent).to_ascii_uppercase();
    for verb in ["AUTH ", "LOGIN ", "USER ", "PASS ", "APOP "] {
        assert!(
            !upper
                .lines()
                .any(|l| l.starts_with(verb) || l.contains(&format!(" {verb}"))),
            "{what}: {verb:?} sent in clear: {upper}"
        );
    }
    assert_no_secret(what, sent, user);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_starttls_stripped_is_refused_without_plaintext_auth() {
    let s = servers();
    let user = s.new_user("stripsmtp");
    // Two attackers: one rewrites the EHLO reply, one drops the capability line.
    let strip = StripTlsProxy::start(s, s.ports.submission, Protocol::Smtp).await;
    let home = Home::new(&send_account(
        &user,
        &strip.host,
        strip.port,
        "starttls",
        &harness_ca_line(),
    ));
    let out = home
        .run_async(&[
            "send",
            "--to",
            &user.email,
            "--subject",
            "s",
            "--body-file",
            "/dev/null",
        ])
        .await;
    assert_ne!(
        out.code,
        Some(0),
        "sent without STARTTLS: {}",
        out.stderr_text()
    );
    assert!(
        out.stderr_text().to_ascii_lowercase().contains("starttls"),
        "{}",
        out.stderr_text()
    );
    assert_no_plaintext_auth("smtp (rewritten EHLO)", &strip.client_sent(), &user);

    let target = s.addr(s.ports.submission).parse().unwrap();
    let proxy = FaultProxy::start(target, Fault::StripCapability("STARTTLS".into()))
        .await
        .unwrap();
    let home = Home::new(&send_account(
        &user,
        "127.0.0.1",
        proxy.port(),
        "starttls",
        &harness_ca_line(),
    ));
    let out = home
        .run_async(&[
            "send",
            "--to",
            &user.email,
            "--subject",
            "s",
            "--body-file",
            "/dev/null",
        ])
        .await;
    assert_ne!(
        out.code,
        Some(0),
        "sent without STARTTLS: {}",
        out.stderr_text()
    );
    assert!(
        proxy.bytes_to_server() > 0,
        "postie never reached the proxy"
    );
    assert_no_secret("stderr", &out.stderr, &user);
    assert!(
        fs::read_dir(user.maildir.join("new"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 0
    );
}

// ---------------------------------------------------------------------------------------
// tls = "none"

#[test]
fn tls_none_needs_allow_plaintext() {
    let base = |extra: &str| {
        format!(
            "[accounts.a]\nemail = \"a@x.test\"\n\n[accounts.a.incoming]\nprotocol = \"imap\"\n\
host = \"mail.x.test\"\ntls = \"none\"\n{extra}\n"
        )
    };
    let home = Home::new(&base(""));
    let out = home.run(&["config", "check"]);
    assert_eq!(out.code, Some(78), "{}", out.stderr_text());
    let err = out.stderr_text() + &out.stdout_text();
    assert!(err.contains("config.toml:"), "FILE:LINE expected: {err}");
    assert!(err.contains("allow_plaintext"), "{err}");
    let home = Home::new(&base("allow_plaintext = true"));
    let out = home.run(&["config", "check"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr_text());
    // The same for an outgoing server, which does not inherit the incoming consent silently
    // unless the spec's defaults say so: a plain outgoing without it is refused.
    let home = Home::new(
        "[accounts.a]\nemail = \"a@x.test\"\n\n[accounts.a.incoming]\nprotocol = \"maildir\"\n\
path = \"/tmp/x\"\n\n[accounts.a.outgoing]\nhost = \"smtp.x.test\"\ntls = \"none\"\n",
    );
    let out = home.run(&["config", "check"]);
    assert_eq!(out.code, Some(78), "{}", out.stderr_text());
}

// ---------------------------------------------------------------------------------------
// The password: logs, errors, argv, store; store permissions

/// Polls every process's argv while `running` is set; returns every distinct one seen.
fn watch_argv(running: Arc<AtomicBool>) -> std::thread::JoinHandle<BTreeSet<Vec<u8>>> {
    std::thread::spawn(move || {
        let mut seen = BTreeSet::new();
        while running.load(Ordering::SeqCst) {
            if let Ok(dir) = fs::read_dir("/proc") {
                for e in dir.flatten() {
                    if let Ok(argv) = fs::read(e.path().join("cmdline")) {
                        seen.insert(argv);
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        seen
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            out.push(p.clone());
            if p.is_dir() {
                walk(&p, out);
            }
        }
    }
}

/// Every file of the data dir is 0600, every directory 0700, and none holds the password.
fn check_store(data: &Path, user: &TestUser) -> usize {
    let mut all = vec![data.to_path_buf()];
    walk(data, &mut all);
    for p in &all {
        let meta = fs::symlink_metadata(p).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{} is {mode:o}", p.display());
        } else {
            assert_eq!(mode, 0o600, "{} is {mode:o}", p.display());
            assert_no_secret(&p.display().to_string(), &fs::read(p).unwrap(), user);
        }
    }
    all.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_stays_out_of_logs_errors_argv_and_store() {
    let s = servers();
    let user = s.new_user("secret");
    // password_command through sh -c, slow enough that the watcher sees it and its children.
    let pw_file = user.password_file();
    let script = format!("sleep 0.3; cat '{}'", pw_file.display());
    let config = format!(
        r#"[accounts.main]
email = "{email}"

[accounts.main.incoming]
protocol = "maildir"
path = "{maildir}"

[accounts.main.outgoing]
host = "{host}"
port = {port}
tls = "starttls"
user = "{login}"
password_command = "{script}"
{ca}
"#,
        email = user.email,
        maildir = user.home.join("local").display(),
        host = s.host,
        port = s.ports.submission,
        login = user.login,
        ca = harness_ca_line(),
    );
    let home = Home::new(&config);
    let body = home.path().join("body.txt");
    fs::write(&body, "hello\n").unwrap();
    let body = body.display().to_string();

    let running = Arc::new(AtomicBool::new(true));
    let watcher = watch_argv(running.clone());
    // Success at -vvv.
    let ok = home
        .run_async(&[
            "-vvv",
            "send",
            "--to",
            &user.email,
            "--subject",
            "s1",
            "--body-file",
            &body,
        ])
        .await;
    // Success with every crate at trace (lettre, rustls, tokio...).
    let mut cmd = home.command(&[
        "send",
        "--to",
        &user.email,
        "--subject",
        "s2",
        "--body-file",
        &body,
    ]);
    cmd.env("POSTIE_LOG", "trace");
    let traced = tokio::task::spawn_blocking(move || run_measured(&mut cmd, DEADLINE))
        .await
        .unwrap();
    running.store(false, Ordering::SeqCst);
    let argvs = watcher.join().unwrap();
    assert_eq!(ok.code, Some(0), "{}", ok.stderr_text());
    assert_eq!(traced.code, Some(0), "{}", traced.stderr_text());
    assert!(ok.stderr.len() > 200, "-vvv logged almost nothing");
    assert_no_secret("stderr at -vvv", &ok.stderr, &user);
    assert_no_secret("stderr at POSTIE_LOG=trace", &traced.stderr, &user);
    assert_no_secret("stdout", &ok.stdout, &user);
    let saw_command = argvs.iter().any(|a| {
        contains(a, b"sleep 0.3") || contains(a, pw_file.display().to_string().as_bytes())
    });
    assert!(saw_command, "the watcher never saw password_command run");
    for argv in &argvs {
        assert_no_secret("a process's argv", argv, &user);
    }

    // A wrong password: the error names the failure, never the password tried.
    let wrong = format!("{}-wrong", user.password);
    let wrong_file = home.path().join("wrong");
    fs::write(&wrong_file, format!("{wrong}\n")).unwrap();
    let config = fs::read_to_string(home.path().join("config.toml"))
        .unwrap()
        .replace(
            &pw_file.display().to_string(),
            &wrong_file.display().to_string(),
        );
    fs::write(home.path().join("config.toml"), config).unwrap();
    let failed = home
        .run_async(&[
            "-vvv",
            "send",
            "--to",
            &user.email,
            "--subject",
            "s3",
            "--body-file",
            &body,
        ])
        .await;
    assert_eq!(failed.code, Some(77), "{}", failed.stderr_text());
    let mut wrong_user = user.clone();
    wrong_user.password = wrong;
    assert_no_secret("stderr of a refused login", &failed.stderr, &wrong_user);
    assert_no_secret("stderr of a refused login", &failed.stderr, &user);

    // The store, if the send wrote one (the Sent copy / outbox): private, free of the password.
    if home.data_dir().exists() {
        check_store(&home.data_dir(), &user);
    }
}

// ---------------------------------------------------------------------------------------
// Terminal escapes

#[test]
fn terminal_escapes_in_a_message_are_shown_inert() {
    let home = Home::new(
        "[accounts.acc]\nemail = \"me@x.test\"\n\n[accounts.acc.incoming]\nprotocol = \"pop3\"\n\
host = \"127.0.0.1\"\nport = 9\ntls = \"none\"\nallow_plaintext = true\n",
    );
    let raw: &[u8] = b"From: \x1b]0;owned\x07Eve <eve@x.test>\r\nTo: me@x.test\r\n\
Subject: escnee \x1b[2J\x1b[31mred =?utf-8?B?G1sybQ==?= =?utf-8?Q?=1B]8;;http://evil/=1B\\?= \xc2\x9b6n dle\r\n\
Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
body \x1b[?1049h\x1bP+q\x1b\\ \x07 \x08\x08 \xc2\x9b31m escneedle\r\n--b\r\n\
Content-Type: application/octet-stream; name=\"\x1b[5mevil.bin\"\r\n\
Content-Disposition: attachment; filename=\"=?utf-8?Q?=1B[31mx.bin?=\"\r\n\r\nxx\r\n--b--\r\n";
    {
        use postie::store::{AccountKind, NewMessage, Store};
        let mut store = Store::open(&home.data_dir()).unwrap();
        store.ensure_account("acc", AccountKind::Pop3).unwrap();
        let inbox = store.ensure_folder("acc", "INBOX").unwrap();
        store.deliver(inbox, &NewMessage::new(raw)).unwrap();
    }
    let inert = |what: &str, out: &[u8]| {
        assert!(!out.contains(&0x1b), "{what}: ESC reaches stdout: {out:?}");
        assert!(!out.contains(&0x07), "{what}: BEL reaches stdout");
        assert!(!out.contains(&0x08), "{what}: BS reaches stdout");
        assert!(
            !out.windows(2).any(|w| w == b"\xc2\x9b"),
            "{what}: a C1 CSI reaches stdout"
        );
    };
    let list = home.run(&["list", "--json"]);
    assert_eq!(list.code, Some(0), "{}", list.stderr_text());
    inert("list --json", &list.stdout);
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let id = rows[0]["id"].as_i64().unwrap().to_string();
    for args in [
        vec!["list"],
        vec!["read", id.as_str()],
        vec!["search", "escneedle"],
        vec!["search", "--json", "escneedle"],
        vec!["folders"],
    ] {
        let out = home.run(&args);
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr_text());
        inert(&format!("{args:?}"), &out.stdout);
        inert(&format!("{args:?} (stderr)"), &out.stderr);
        if args[0] != "folders" {
            assert!(
                out.stdout_text().contains("escnee"),
                "{args:?}: {}",
                out.stdout_text()
            );
        }
    }
    // --raw is the exact stored bytes, by design (for piping into other tools).
    let raw_out = home.run(&["read", "--raw", &id]);
    assert_eq!(raw_out.stdout, raw);
    // The store postie opened and indexed: files 0600, directories 0700.
    let nobody = TestUser {
        login: "nobody".into(),
        email: "nobody@x.test".into(),
        password: "not-in-this-store".into(),
        home: PathBuf::new(),
        maildir: PathBuf::new(),
    };
    assert!(check_store(&home.data_dir(), &nobody) >= 6);
}

// ---------------------------------------------------------------------------------------
// `postie sync`: STARTTLS stripped for IMAP and POP3; the password and the store after a sync

/// An IMAP or POP3 account on `port` of 127.0.0.1 with STARTTLS.
fn sync_account(user: &TestUser, protocol: &str, port: u16, extra: &str) -> String {
    format!(
        r#"[accounts.main]
email = "{email}"

[accounts.main.incoming]
protocol = "{protocol}"
host = "127.0.0.1"
port = {port}
tls = "starttls"
user = "{login}"
password_command = "{command}"
{ca}
{extra}
"#,
        email = user.email,
        login = user.login,
        command = user.password_command().replace('"', "\\\""),
        ca = harness_ca_line(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_and_pop3_starttls_stripped_is_refused_without_plaintext_auth() {
    let s = servers();
    for (protocol, port, proto) in [
        ("pop3", s.ports.pop3, Protocol::Pop3),
        ("imap", s.ports.imap, Protocol::Imap),
    ] {
        let user = s.new_user(&format!("strip{protocol}"));
        support::seed(&user, "INBOX", 2);
        let strip = StripTlsProxy::start(s, port, proto).await;
        let home = Home::new(&sync_account(&user, protocol, strip.port, ""));
        let out = home.run_async(&["sync"]).await;
        assert_ne!(out.code, Some(0), "{protocol}: synced without STARTTLS");
        assert!(
            out.stderr_text().to_ascii_lowercase().contains("starttls")
                || out.stderr_text().to_ascii_lowercase().contains("stls"),
            "{protocol}: {}",
            out.stderr_text()
        );
        assert_no_plaintext_auth(protocol, &strip.client_sent(), &user);
        assert_no_secret("stderr", &out.stderr, &user);

        let target = s.addr(port).parse().unwrap();
        let cap = if protocol == "pop3" {
            "STLS"
        } else {
            "STARTTLS"
        };
        let proxy = FaultProxy::start(target, Fault::StripCapability(cap.into()))
            .await
            .unwrap();
        let home = Home::new(&sync_account(&user, protocol, proxy.port(), ""));
        let out = home.run_async(&["sync"]).await;
        assert_ne!(out.code, Some(0), "{protocol}: synced without STARTTLS");
        assert!(
            proxy.bytes_to_server() > 0,
            "postie never reached the proxy"
        );
        let stored = home.data_dir().join("main/INBOX");
        assert!(
            !stored.join("cur").exists() && !stored.join("new").exists()
                || files_in(&stored).is_empty(),
            "{protocol}: mail was fetched without TLS"
        );
    }
}

fn files_in(maildir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(rd) = fs::read_dir(maildir.join(sub)) {
            out.extend(rd.flatten().map(|e| e.path()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_keeps_the_password_out_of_logs_argv_and_store_which_stays_private() {
    let s = servers();
    for (protocol, port) in [("pop3", s.ports.pop3), ("imap", s.ports.imap)] {
        let user = s.new_user(&format!("syncsecret{protocol}"));
        support::seed(&user, "INBOX", 3);
        let extra = if protocol == "imap" {
            "fetch_bodies = \"all\""
        } else {
            ""
        };
        let home = Home::new(&sync_account(&user, protocol, port, extra));
        let running = Arc::new(AtomicBool::new(true));
        let watcher = watch_argv(running.clone());
        let out = home.run_async(&["-vvv", "sync"]).await;
        let mut cmd = home.command(&["sync"]);
        cmd.env("POSTIE_LOG", "trace");
        let traced = tokio::task::spawn_blocking(move || run_measured(&mut cmd, DEADLINE))
            .await
            .unwrap();
        running.store(false, Ordering::SeqCst);
        let argvs = watcher.join().unwrap();
        assert_eq!(out.code, Some(0), "{protocol}: {}", out.stderr_text());
        assert_eq!(traced.code, Some(0), "{protocol}: {}", traced.stderr_text());
        assert_no_secret("stderr at -vvv", &out.stderr, &user);
        assert_no_secret("stderr at POSTIE_LOG=trace", &traced.stderr, &user);
        for argv in &argvs {
            assert_no_secret("a process's argv", argv, &user);
        }
        let stored = files_in(&home.data_dir().join("main/INBOX"));
        assert_eq!(stored.len(), 3, "{protocol}: the sync stored the messages");
        check_store(&home.data_dir(), &user);
    }
}
