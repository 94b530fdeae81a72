//! `auth = "oauth2"` with `oauth2_token_command` against the real Dovecot (IMAP, POP3) and
//! Postfix submission (SASL through Dovecot), whose oauth2 passdb asks the test identity
//! provider about every token: both mechanisms (forced with `POSTIE_SASL_MECHANISM`), a token
//! that expired before the login (one fresh token, one retry), a revoked token (exit 77, one
//! line, the server's decoded reason, no token text anywhere).
//!
//! The token command is a small shell script printing line N of a file on its Nth run (the
//! last line after that), and counting its runs: what an `oama` or `mutt_oauth2.py` does when
//! its cached token is stale is to print a new one.

mod support;

use std::path::PathBuf;
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt as _;
use support::config::{Incoming, Tls};
use support::idp::Idp;
use support::{TestUser, seed, servers};

const EX_NOPERM: i32 = 77;

/// One postie installation whose account logs in with tokens printed by a script.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// An account for `user` with `incoming` (IMAP or POP3, implicit TLS) and the Postfix
    /// submission port, both with `auth = "oauth2"` and the token script.
    fn new(user: &TestUser, incoming: Incoming, tokens: &[&str]) -> Env {
        let env = Env {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        env.set_tokens(tokens);
        let script = env.dir.path().join("token.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\n\
             d=$(dirname \"$0\")\n\
             n=$(cat \"$d/runs\" 2>/dev/null || echo 0)\n\
             n=$((n + 1))\n\
             echo $n >\"$d/runs\"\n\
             line=$(sed -n \"${n}p\" \"$d/tokens\")\n\
             [ -n \"$line\" ] || line=$(tail -n 1 \"$d/tokens\")\n\
             echo \"$line\"\n",
        )
        .expect("write token script");
        let account = user
            .account_toml("acct", incoming, Tls::Implicit)
            .lines()
            .filter(|l| !l.starts_with("password_command"))
            .collect::<Vec<_>>()
            .join("\n");
        let account = account.replace(
            &format!("user = \"{}\"", user.login),
            &format!(
                "user = \"{}\"\nauth = \"oauth2\"\noauth2_token_command = \"sh {}\"",
                user.login,
                script.display()
            ),
        );
        let text = format!("data_dir = \"{}\"\n\n{account}\n", env.data_dir().display());
        std::fs::write(env.config_path(), text).expect("write config");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(env.config_path(), std::fs::Permissions::from_mode(0o600))
            .expect("chmod config");
        env
    }

    fn set_tokens(&self, tokens: &[&str]) {
        std::fs::write(self.dir.path().join("tokens"), tokens.join("\n") + "\n")
            .expect("write tokens");
        let _ = std::fs::remove_file(self.dir.path().join("runs"));
    }

    /// How often the token command ran.
    fn runs(&self) -> u32 {
        std::fs::read_to_string(self.dir.path().join("runs"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Messages in the local INBOX: files for POP3; IMAP reports its new envelopes (bodies
    /// come on demand).
    fn synced(&self, out: &Output, incoming: Incoming) -> usize {
        match incoming {
            Incoming::Pop3 => self.stored(),
            Incoming::Imap => {
                let text = stderr(out) + &String::from_utf8_lossy(&out.stdout);
                text.lines()
                    .find_map(|l| l.strip_prefix("acct/INBOX: ")?.strip_suffix(" new"))
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0)
            }
        }
    }

    fn stored(&self) -> usize {
        let inbox = self.data_dir().join("acct/INBOX");
        ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(inbox.join(sub)).ok())
            .map(|rd| rd.count())
            .sum()
    }

    /// `postie -vvv ARGS` (trace logging on stderr: the token must not be in it either).
    async fn run(&self, mechanism: Option<&str>, args: &[&str], stdin: &[u8]) -> Output {
        let home = self.dir.path();
        let mut cmd = StdCommand::cargo_bin("postie").expect("postie binary");
        cmd.env_clear()
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("POSTIE_DATA_DIR", self.data_dir())
            .env("PATH", "/usr/bin:/bin")
            .arg("-vvv")
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(m) = mechanism {
            cmd.env("POSTIE_SASL_MECHANISM", m);
        }
        let stdin = stdin.to_vec();
        tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            let mut child = cmd.spawn().expect("run postie");
            if let Some(mut input) = child.stdin.take() {
                input.write_all(&stdin).expect("write stdin");
            }
            child.wait_with_output().expect("wait for postie")
        })
        .await
        .expect("join")
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "postie failed ({}): {}",
        out.status,
        stderr(out)
    );
}

/// Dovecot's log lines for `user` logging in with `mechanism`.
fn dovecot_logins(user: &TestUser, mechanism: &str) -> usize {
    let log = std::fs::read_to_string(&servers().dovecot_log).unwrap_or_default();
    let needle = format!("user=<{}>, method={mechanism},", user.login);
    log.lines()
        .filter(|l| l.contains("Login: ") && l.contains(&needle))
        .count()
}

/// Waits for the Postfix log to show `user` authenticated with `mechanism`.
async fn postfix_saw(user: &TestUser, mechanism: &str) -> bool {
    let needle = format!("sasl_method={mechanism}, sasl_username={}", user.login);
    for _ in 0..100 {
        let log = std::fs::read_to_string(&servers().postfix_log).unwrap_or_default();
        if log.contains(&needle) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn no_token_in(text: &str, tokens: &[&str]) {
    for token in tokens {
        assert!(!text.contains(token), "a token leaked: {text}");
    }
}

async fn sync_with(mechanism: &str, incoming: Incoming) {
    let s = servers();
    let user = s.new_user(&format!("oauth-{mechanism}"));
    seed(&user, "INBOX", 3);
    let token = s.idp().issue(&user.login, None).access_token;
    let env = Env::new(&user, incoming, &[&token]);
    let out = env.run(Some(mechanism), &["sync"], b"").await;
    assert_ok(&out);
    assert_eq!(env.synced(&out, incoming), 3, "{}", stderr(&out));
    assert_eq!(env.runs(), 1);
    assert!(
        dovecot_logins(&user, mechanism) >= 1,
        "Dovecot saw no {mechanism} login of {}",
        user.login
    );
    no_token_in(&stderr(&out), &[&token]);
}

#[tokio::test]
async fn imap_sync_with_xoauth2() {
    sync_with("XOAUTH2", Incoming::Imap).await;
}

#[tokio::test]
async fn imap_sync_with_oauthbearer() {
    sync_with("OAUTHBEARER", Incoming::Imap).await;
}

#[tokio::test]
async fn pop3_sync_with_xoauth2() {
    sync_with("XOAUTH2", Incoming::Pop3).await;
}

#[tokio::test]
async fn pop3_sync_with_oauthbearer() {
    sync_with("OAUTHBEARER", Incoming::Pop3).await;
}

async fn send_with(mechanism: &str) {
    let s = servers();
    let alice = s.new_user(&format!("oauth-send-{mechanism}"));
    let bob = s.new_user("oauth-rcpt");
    let token = s.idp().issue(&alice.login, None).access_token;
    // POP3 incoming: the Sent copy stays local, so only the submission logs in.
    let env = Env::new(&alice, Incoming::Pop3, &[&token]);
    let subject = format!("via-{mechanism}");
    let out = env
        .run(
            Some(mechanism),
            &["send", "--to", &bob.email, "--subject", &subject],
            b"hello\n",
        )
        .await;
    assert_ok(&out);
    let files = bob
        .wait_for_messages("INBOX", 1, Duration::from_secs(15))
        .await;
    let body = std::fs::read_to_string(&files[0]).expect("read delivered");
    assert!(body.contains(&subject), "{body}");
    assert!(
        postfix_saw(&alice, mechanism).await,
        "Postfix logged no {mechanism} login"
    );
    no_token_in(&stderr(&out), &[&token]);
}

#[tokio::test]
async fn send_through_postfix_with_xoauth2() {
    send_with("XOAUTH2").await;
}

#[tokio::test]
async fn send_through_postfix_with_oauthbearer() {
    send_with("OAUTHBEARER").await;
}

#[tokio::test]
async fn an_expired_token_gets_one_fresh_token_and_the_retry_logs_in() {
    let s = servers();
    let idp: Idp = s.idp();
    let user = s.new_user("oauth-expired");
    seed(&user, "INBOX", 2);
    // The first token has expired by the time postie logs in; the command's second run
    // prints a good one, as a token helper does once its cached token is stale.
    let stale = idp.issue(&user.login, Some(0)).access_token;
    let fresh = idp.issue(&user.login, None).access_token;
    let env = Env::new(&user, Incoming::Imap, &[&stale, &fresh]);
    let before = idp.stats(&user.login).introspect;
    let out = env.run(None, &["sync"], b"").await;
    assert_ok(&out);
    assert_eq!(env.synced(&out, Incoming::Imap), 2, "{}", stderr(&out));
    assert_eq!(env.runs(), 2, "one fresh token, no more");
    // Dovecot asked the IdP about both tokens (it may ask about a refused one more than once).
    assert!(idp.stats(&user.login).introspect - before >= 2);
    no_token_in(&stderr(&out), &[&stale, &fresh]);

    // The same for a submission: the stale token first, then a fresh one.
    let bob = s.new_user("oauth-expired-rcpt");
    let stale = idp.issue(&user.login, Some(0)).access_token;
    let fresh = idp.issue(&user.login, None).access_token;
    env.set_tokens(&[&stale, &fresh]);
    let out = env
        .run(
            None,
            &["send", "--to", &bob.email, "--subject", "retry"],
            b"x\n",
        )
        .await;
    assert_ok(&out);
    // Stale, fresh (the submission's retry), then once more for the IMAP Sent copy.
    assert_eq!(env.runs(), 3, "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    bob.wait_for_messages("INBOX", 1, Duration::from_secs(15))
        .await;
}

async fn revoked(incoming: Incoming, mechanism: &str, args: &[&str]) {
    let s = servers();
    let idp = s.idp();
    let user = s.new_user("oauth-revoked");
    let token = idp.issue(&user.login, None).access_token;
    idp.revoke(&user.login);
    let env = Env::new(&user, incoming, &[&token]);
    let out = env.run(Some(mechanism), args, b"text\n").await;
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(EX_NOPERM), "{text}");
    assert_eq!(env.runs(), 2, "one retry with a fresh token: {text}");
    no_token_in(&text, &[&token]);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("postie:")).collect();
    assert_eq!(lines.len(), 1, "{text}");
    let line = lines[0];
    assert!(
        line.contains("account acct") || line.contains("account \"acct\""),
        "{line}"
    );
    assert!(line.contains("refused the OAuth2 access token"), "{line}");
    assert!(line.contains("oauth2_token_command"), "{line}");
    // Dovecot's JSON error (RFC 7628 §3.2.2), decoded.
    assert!(line.contains("OAuth2 error: "), "{line}");
}

#[tokio::test]
async fn a_revoked_token_over_imap_exits_77_with_the_decoded_reason() {
    revoked(Incoming::Imap, "OAUTHBEARER", &["sync"]).await;
}

#[tokio::test]
async fn a_revoked_token_over_pop3_exits_77_with_the_decoded_reason() {
    revoked(Incoming::Pop3, "XOAUTH2", &["sync"]).await;
}

#[tokio::test]
async fn a_revoked_token_for_submission_exits_77_with_the_decoded_reason() {
    let bob = servers().new_user("oauth-revoked-rcpt");
    revoked(
        Incoming::Pop3,
        "OAUTHBEARER",
        &["send", "--to", &bob.email, "--subject", "no"],
    )
    .await;
}

#[tokio::test]
async fn login_says_a_token_command_needs_no_login_and_config_check_is_clean() {
    let user = servers().new_user("oauth-login");
    let env = Env::new(&user, Incoming::Imap, &["unused"]);
    let out = env.run(None, &["login", "acct"], b"").await;
    assert_ok(&out);
    let text = stderr(&out);
    assert!(
        text.contains("uses oauth2_token_command (auth = \"oauth2\"), so no login is needed"),
        "{text}"
    );
    assert_eq!(env.runs(), 0, "login must not run the token command");
    let out = env.run(None, &["config", "check"], b"").await;
    assert_ok(&out);
    let text = stderr(&out);
    assert!(!text.contains("warning"), "{text}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK: 1 account"));
}

#[tokio::test]
async fn an_outbox_flush_retries_a_stale_token_once() {
    let s = servers();
    let idp = s.idp();
    let user = s.new_user("oauth-outbox");
    let bob = s.new_user("oauth-outbox-rcpt");
    let stale = idp.issue(&user.login, Some(0)).access_token;
    let fresh = idp.issue(&user.login, None).access_token;
    // POP3 incoming: the Sent copy stays local, so only the submission asks for tokens.
    let env = Env::new(&user, Incoming::Pop3, &[&stale, &fresh]);
    let out = env
        .run(
            None,
            &[
                "--offline",
                "send",
                "--to",
                &bob.email,
                "--subject",
                "queued",
            ],
            b"later\n",
        )
        .await;
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert_eq!(env.runs(), 0, "offline: no token is asked for");
    let out = env.run(None, &["outbox", "flush"], b"").await;
    assert_ok(&out);
    assert_eq!(env.runs(), 2, "{}", stderr(&out));
    let files = bob
        .wait_for_messages("INBOX", 1, Duration::from_secs(15))
        .await;
    let body = std::fs::read_to_string(&files[0]).expect("read delivered");
    assert!(body.contains("queued"), "{body}");
    no_token_in(&stderr(&out), &[&stale, &fresh]);
}
