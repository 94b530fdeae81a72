//! postie's built-in OAuth2 client against the test identity provider (`scripts/test-idp`):
//! `postie login` with the authorization code flow (the test plays the browser: it reads the
//! printed URL, lets the IdP answer with its redirect, and takes that to postie's loopback
//! listener) and with the device grant (the test approves the user code), then
//! `postie::oauth2::access_token` as the engine calls it: cached, refreshed before expiry,
//! rotated refresh tokens stored, a revoked grant reported as "run `postie login`".
//!
//! The grant lives in the keyring (keyutils here: the child runs without a session bus, and so
//! does this process), shared by the child and this process as the user's keyring is.

mod support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt as _;
use postie::config::{Config, Server};
use postie::error::ErrorKind;
use postie::oauth2::{OAuth2Error, access_token};
use secrecy::ExposeSecret as _;
use support::{TestUser, new_user, servers};

/// A temp home with a config for `user` whose incoming and outgoing servers use the test IdP.
struct Setup {
    dir: tempfile::TempDir,
    user: TestUser,
    /// The account's name (unique per test: keyring entries outlive the process).
    name: String,
}

impl Setup {
    fn new(prefix: &str) -> Setup {
        Setup::with_token_url(prefix, None)
    }

    fn with_token_url(prefix: &str, token_url: Option<String>) -> Setup {
        postie::credentials::init_process_keyring();
        let s = servers();
        let user = new_user(prefix);
        let idp = s.idp().url;
        let name = user.login.replace(['@', '.'], "-");
        let dir = tempfile::tempdir().expect("temp dir");
        let token_url = token_url.unwrap_or_else(|| format!("{idp}/token"));
        let config = format!(
            r#"data_dir = "{data}"

[accounts.{name}]
email = "{email}"

[accounts.{name}.incoming]
protocol = "imap"
host = "{host}"
port = {imap}
tls = "starttls"
ca_file = "{ca}"
user = "{login}"
oauth2_provider = "custom"
oauth2_client_id = "postie-test"
oauth2_auth_url = "{idp}/authorize"
oauth2_token_url = "{token_url}"
oauth2_device_url = "{idp}/device"
oauth2_scopes = ["mail", "offline_access"]

[accounts.{name}.outgoing]
host = "{host}"
port = {submission}
tls = "starttls"
"#,
            data = dir.path().join("data").display(),
            email = user.email,
            host = s.host,
            imap = s.ports.imap,
            ca = s.ca_file.display(),
            login = user.login,
            submission = s.ports.submission,
        );
        std::fs::write(dir.path().join("config.toml"), config).expect("write config");
        Setup { dir, user, name }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// The incoming server as the engine sees it.
    fn server(&self) -> Server {
        let config = Config::from_file(&self.config()).expect("config parses");
        let account = config.account(&self.name).expect("account");
        account.incoming_server().expect("imap").clone()
    }

    /// `postie --config C ARGS` with a clean environment (plus `env`), stderr piped.
    fn spawn(&self, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Child {
        let home = self.dir.path();
        let mut cmd = Command::cargo_bin("postie").expect("binary");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("RUST_LOG", "trace");
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd.arg("--config")
            .arg(self.config())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("postie starts")
    }

    /// `postie -vvv ARGS` with stdin piped.
    fn spawn_with_stdin(&self, args: &[&str]) -> Child {
        let mut all = vec!["-vvv"];
        all.extend_from_slice(args);
        self.spawn(&all, &[])
    }

    /// Puts a grant from the IdP straight into the keyring, as `postie login` would.
    fn seed_grant(&self, refresh_token: &str) {
        postie::credentials::store_password(
            &self.name,
            &format!("oauth2/{}", self.user.login),
            refresh_token.to_owned().into(),
        )
        .expect("keyring write");
    }

    fn stored_refresh_token(&self) -> Option<String> {
        postie::credentials::keyring_secret(&self.name, &format!("oauth2/{}", self.user.login))
            .expect("keyring read")
            .map(|s| s.expose_secret().to_owned())
    }
}

/// Reads a child's stderr on a thread: lines as they come, and the whole text at the end.
struct StderrLines {
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl StderrLines {
    fn of(child: &mut Child) -> StderrLines {
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        StderrLines {
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line for which `pick` gives a value (generous deadline: debug builds on a
    /// busy machine).
    fn find<T>(&mut self, mut pick: impl FnMut(&str) -> Option<T>) -> T {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    let found = pick(&line);
                    self.seen.push(line);
                    if let Some(found) = found {
                        return found;
                    }
                }
                Err(e) => panic!(
                    "no such line on stderr ({e}); so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Everything, once the child has closed stderr.
    fn rest(mut self) -> String {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(60)) {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }
}

/// Waits (generously) for the child and returns its exit code.
fn exit_code(child: &mut Child) -> i32 {
    for _ in 0..1200 {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("postie login did not end within 120 s");
}

/// One HTTP GET on 127.0.0.1 (the browser's part), no redirects followed.
fn browser_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n",
        if path.is_empty() { "/" } else { path }
    )
    .expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, reply)
}

/// The authorization URL postie printed.
fn authorize_url(line: &str) -> Option<String> {
    let prefix = format!("{}/authorize?", servers().idp().url);
    line.trim()
        .starts_with(&prefix)
        .then(|| line.trim().to_owned())
}

/// A fake `xdg-open` that records its arguments, in a directory to put first on PATH.
fn fake_xdg_open(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let record = dir.join("xdg-open.args");
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\n",
            record.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    (bin, record)
}

#[test]
fn code_flow_login_through_the_loopback_redirect_stores_a_working_grant() {
    let setup = Setup::new("oauth-code");
    let idp = servers().idp();
    let (bin, record) = fake_xdg_open(setup.dir.path());
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let mut child = setup.spawn(
        &["login", &setup.name],
        &[("PATH", path.as_os_str()), ("DISPLAY", ":99".as_ref())],
    );
    let mut stderr = StderrLines::of(&mut child);
    let url = stderr.find(authorize_url);
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{url}"
    );

    // The browser: the IdP approves (login_hint) and redirects to postie's listener.
    let reply = idp.get(url.trim_start_matches(&idp.url));
    assert_eq!(reply.status, 302, "{}", reply.body);
    let location = reply.header("location").expect("Location").to_owned();
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let code = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .expect("code in the redirect")
        .to_owned();
    let (status, page) = browser_get(&location);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("close this tab"), "{page}");

    assert_eq!(exit_code(&mut child), 0, "{}", stderr.rest());
    let stderr = stderr.rest();
    assert!(stderr.contains("logged in"), "{stderr}");

    // One login covers incoming and outgoing (same user, same client): one code exchanged.
    let stats = idp.stats(&setup.user.login);
    assert_eq!((stats.authorize, stats.token), (1, 1), "{stats:?}");

    // The engine's call finds the access token the login cached: no refresh.
    let token = access_token(&setup.name, &setup.server(), false).expect("access token");
    let introspected = idp
        .post("/introspect", &[("token", token.expose_secret())])
        .json();
    assert_eq!(introspected["active"], true, "{introspected}");
    assert_eq!(introspected["username"], setup.user.login.as_str());
    assert_eq!(idp.stats(&setup.user.login).refresh, 0);

    // Secrets: the browser got the URL only; no code or token on stderr at trace level.
    let args = std::fs::read_to_string(&record).expect("xdg-open was started");
    assert_eq!(args.trim(), url);
    let refresh = setup.stored_refresh_token().expect("refresh token stored");
    for secret in [code.as_str(), token.expose_secret(), refresh.as_str()] {
        assert!(!stderr.contains(secret), "a secret on stderr:\n{stderr}");
        assert!(
            !args.contains(secret),
            "a secret in xdg-open's argv: {args}"
        );
    }
}

#[test]
fn a_redirect_with_another_state_is_refused() {
    let setup = Setup::new("oauth-state");
    let idp = servers().idp();
    // --no-browser: a display and an xdg-open are there, and still no browser is started.
    let (bin, record) = fake_xdg_open(setup.dir.path());
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let mut child = setup.spawn(
        &["login", &setup.name, "--no-browser"],
        &[("PATH", path.as_os_str()), ("DISPLAY", ":99".as_ref())],
    );
    let mut stderr = StderrLines::of(&mut child);
    let url = stderr.find(authorize_url);
    let reply = idp.get(url.trim_start_matches(&idp.url));
    let location = reply.header("location").expect("Location").to_owned();
    let forged: String = location
        .split('&')
        .map(|p| {
            if p.starts_with("state=") {
                "state=forged"
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let (status, _) = browser_get(&forged);
    assert_eq!(status, 400);
    assert_eq!(exit_code(&mut child), 77);
    let stderr = stderr.rest();
    assert!(stderr.contains("state mismatch"), "{stderr}");
    assert_eq!(
        idp.stats(&setup.user.login).token,
        0,
        "the code was not exchanged"
    );
    assert!(setup.stored_refresh_token().is_none());
    assert!(
        !record.exists(),
        "xdg-open was started despite --no-browser"
    );
}

#[test]
fn device_flow_login_is_approved_elsewhere() {
    let setup = Setup::new("oauth-device");
    let idp = servers().idp();
    let mut child = setup.spawn(&["login", &setup.name, "--device"], &[]);
    let mut stderr = StderrLines::of(&mut child);
    let user_code = stderr.find(|line| {
        line.split_once("enter the code ")
            .map(|(_, code)| code.trim().to_owned())
    });
    // Let postie poll (interval 1 s) and hear "authorization_pending" before the approval.
    std::thread::sleep(Duration::from_millis(1500));
    idp.approve(&user_code, &setup.user.login);
    assert_eq!(exit_code(&mut child), 0, "{}", stderr.rest());
    let stats = idp.stats(&setup.user.login);
    assert_eq!(stats.device, 1, "{stats:?}");
    let token = access_token(&setup.name, &setup.server(), false).expect("access token");
    let introspected = idp
        .post("/introspect", &[("token", token.expose_secret())])
        .json();
    assert_eq!(introspected["username"], setup.user.login.as_str());
}

#[test]
fn access_token_is_cached_and_refreshed_before_it_expires() {
    let setup = Setup::new("oauth-refresh");
    let idp = servers().idp();
    idp.set_user(&setup.user.login, 5, false);
    setup.seed_grant(&idp.issue(&setup.user.login, None).refresh_token);
    let server = setup.server();

    let first = access_token(&setup.name, &server, false).expect("first token");
    let again = access_token(&setup.name, &server, false).expect("cached token");
    assert_eq!(first.expose_secret(), again.expose_secret());
    assert_eq!(
        idp.stats(&setup.user.login).refresh,
        1,
        "the second call used the cache"
    );

    // A 5 s token is refreshed once half its life has passed.
    std::thread::sleep(Duration::from_secs(6));
    let later = access_token(&setup.name, &server, false).expect("refreshed token");
    assert_ne!(first.expose_secret(), later.expose_secret());
    assert_eq!(idp.stats(&setup.user.login).refresh, 2);

    // fresh = true (the server refused the token): refresh now, cache or not.
    let fresh = access_token(&setup.name, &server, true).expect("fresh token");
    assert_ne!(later.expose_secret(), fresh.expose_secret());
    assert_eq!(idp.stats(&setup.user.login).refresh, 3);
}

#[test]
fn a_rotated_refresh_token_is_stored_and_the_old_one_never_used_again() {
    let setup = Setup::new("oauth-rotate");
    let idp = servers().idp();
    idp.set_user(&setup.user.login, 3600, true);
    let seeded = idp.issue(&setup.user.login, None).refresh_token;
    setup.seed_grant(&seeded);
    let server = setup.server();
    let mut seen = vec![seeded];
    for _ in 0..3 {
        // The IdP kills a refresh token once it has rotated it: reusing one is invalid_grant.
        access_token(&setup.name, &server, true).expect("refresh with the newest token");
        let stored = setup.stored_refresh_token().expect("stored");
        assert!(
            !seen.contains(&stored),
            "the refresh token was not replaced"
        );
        seen.push(stored);
    }
    let stats = idp.stats(&setup.user.login);
    assert_eq!((stats.refresh, stats.token), (3, 3), "{stats:?}");
}

#[test]
fn a_revoked_grant_says_run_postie_login() {
    let setup = Setup::new("oauth-revoked");
    let idp = servers().idp();
    setup.seed_grant(&idp.issue(&setup.user.login, None).refresh_token);
    let server = setup.server();
    access_token(&setup.name, &server, false).expect("token before the revocation");
    idp.revoke(&setup.user.login);
    let err = access_token(&setup.name, &server, true).expect_err("revoked");
    assert!(matches!(err, OAuth2Error::Revoked { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    let host = idp.url.trim_start_matches("http://");
    assert_eq!(
        err.to_string(),
        format!(
            "account {0}: the OAuth2 grant at {host} was revoked or has expired; run `postie login {0}`",
            setup.name
        )
    );
    // The dead access token is not handed out from the cache either.
    let err = access_token(&setup.name, &server, false).expect_err("still revoked");
    assert_eq!(err.kind(), ErrorKind::Auth);
}

#[test]
fn an_unreachable_token_endpoint_is_a_network_error_naming_the_host() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let setup = Setup::with_token_url("oauth-down", Some(format!("http://127.0.0.1:{port}/token")));
    setup.seed_grant("rt-whatever");
    let err = access_token(&setup.name, &setup.server(), false).expect_err("unreachable");
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(!err.to_string().contains("rt-whatever"), "{err}");
}

#[test]
fn no_grant_yet_says_run_postie_login() {
    let setup = Setup::new("oauth-nogrant");
    let err = access_token(&setup.name, &setup.server(), false).expect_err("no grant");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.to_string()
            .contains(&format!("run `postie login {}`", setup.name)),
        "{err}"
    );
}

/// `postie -vvv ARGS` to the end (trace logging: no token may show in it either).
fn run(setup: &Setup, args: &[&str], stdin: &[u8]) -> (i32, String) {
    let mut child = setup.spawn_with_stdin(args);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("postie ends");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), text)
}

/// Dovecot's successful logins of `user`, any mechanism.
fn dovecot_logins(user: &TestUser) -> usize {
    let log = std::fs::read_to_string(&servers().dovecot_log).unwrap_or_default();
    let needle = format!("user=<{}>, method=", user.login);
    log.lines()
        .filter(|l| l.contains("Login: ") && l.contains(&needle))
        .count()
}

#[test]
fn the_built_in_grant_syncs_sends_and_is_refreshed_before_the_token_expires() {
    let setup = Setup::new("oauth-mail");
    let idp = servers().idp();
    support::seed(&setup.user, "INBOX", 2);
    idp.set_user(&setup.user.login, 5, false);
    setup.seed_grant(&idp.issue(&setup.user.login, None).refresh_token);

    let (code, first) = run(&setup, &["sync"], b"");
    assert_eq!(code, 0, "{first}");
    let after_first = idp.stats(&setup.user.login);
    assert!(after_first.refresh >= 1, "{after_first:?}");

    // The 5 s token is past its time: the next sync refreshes before it logs in, so Dovecot
    // never sees a dead token (every token it looked up was good for a login).
    std::thread::sleep(Duration::from_secs(6));
    let (code, second) = run(&setup, &["sync"], b"");
    assert_eq!(code, 0, "{second}");
    let after_second = idp.stats(&setup.user.login);
    assert!(
        after_second.refresh > after_first.refresh,
        "{after_second:?}"
    );
    assert_eq!(
        after_second.introspect as usize,
        dovecot_logins(&setup.user),
        "a token was refused: {after_second:?}\n{second}"
    );
    assert!(
        first.contains(&format!("{}/INBOX: 2 new", setup.name)),
        "{first}"
    );

    let (code, sent) = run(
        &setup,
        &[
            "send",
            "--to",
            &setup.user.email,
            "--subject",
            "built-in oauth2",
        ],
        b"hello\n",
    );
    assert_eq!(code, 0, "{sent}");

    let token = access_token(&setup.name, &setup.server(), false).expect("token");
    let refresh = setup.stored_refresh_token().expect("grant");
    for text in [&first, &second, &sent] {
        assert!(
            !text.contains(token.expose_secret()),
            "a token leaked: {text}"
        );
        assert!(!text.contains(&refresh), "the refresh token leaked: {text}");
    }
}

#[test]
fn a_revoked_built_in_grant_stops_sync_with_exit_77_and_one_line() {
    let setup = Setup::new("oauth-mail-revoked");
    let idp = servers().idp();
    setup.seed_grant(&idp.issue(&setup.user.login, None).refresh_token);
    let (code, text) = run(&setup, &["sync"], b"");
    assert_eq!(code, 0, "{text}");
    idp.revoke(&setup.user.login);

    let (code, text) = run(&setup, &["sync"], b"");
    assert_eq!(code, 77, "{text}");
    let host = idp.url.trim_start_matches("http://");
    let line = format!(
        "account {0}: the OAuth2 grant at {host} was revoked or has expired; run `postie login {0}`",
        setup.name
    );
    assert!(text.contains(&line), "{text}");
}
