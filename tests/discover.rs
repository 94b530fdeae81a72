//! `postie init --email`: account discovery from the provider table, autoconfig files, SRV
//! records and guesses checked against the real harness servers, through the binary, with a
//! local DNS server and a local HTTP server (the test hooks of `src/discover/hooks.rs`).

#![allow(clippy::unwrap_used)]

mod support;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use support::fake_dns::{FakeDns, Rr};
use support::fake_http::FakeHttp;

const AUTOCONFIG: &str = "/mail/config-v1.1.xml";
const WELL_KNOWN: &str = "/.well-known/autoconfig/mail/config-v1.1.xml";

struct Env {
    dir: tempfile::TempDir,
    dns: FakeDns,
    http: FakeHttp,
    extra: Vec<(String, String)>,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            dns: FakeDns::start(),
            http: FakeHttp::start(),
            extra: Vec::new(),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config/postie/config.toml")
    }

    fn postie(&self, args: &[&str]) -> Output {
        let home = self.dir.path();
        let mut cmd = Command::cargo_bin("postie").unwrap();
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("POSTIE_DATA_DIR", home.join("data"))
            .env("POSTIE_DNS_SERVER", self.dns.addr.to_string())
            .env("POSTIE_AUTOCONFIG_BASE", self.http.base());
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        cmd.arg("--config")
            .arg(self.config())
            .args(args)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.postie(args);
        assert!(
            out.status.success(),
            "postie {args:?}: {:?}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.postie(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "postie {args:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        stderr
    }

    fn written(&self) -> toml::Table {
        std::fs::read_to_string(self.config())
            .unwrap()
            .parse()
            .unwrap()
    }
}

fn autoconfig_file(imap_host: &str, smtp_host: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="auto.test">
    <domain>auto.test</domain>
    <incomingServer type="imap">
      <hostname>{imap_host}</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>{smtp_host}</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"#
    )
}

fn server<'a>(doc: &'a toml::Table, name: &str, table: &str) -> &'a toml::Value {
    &doc["accounts"][name][table]
}

#[test]
fn gmail_and_outlook_come_from_the_table_without_any_network() {
    let env = Env::new();
    // --offline: any lookup would be refused, so a hit proves the table answered alone.
    let gmail = env.ok(&["--offline", "init", "--email", "ann@gmail.com", "--dry-run"]);
    let doc: toml::Table = gmail.parse().unwrap();
    let incoming = server(&doc, "gmail", "incoming");
    assert_eq!(incoming["host"].as_str(), Some("imap.gmail.com"));
    assert_eq!(incoming["port"].as_integer(), Some(993));
    assert_eq!(incoming["tls"].as_str(), Some("implicit"));
    assert_eq!(incoming["auth"].as_str(), Some("oauth2"));
    assert_eq!(incoming["oauth2_provider"].as_str(), Some("google"));
    assert!(gmail.contains("from the built-in table (Gmail)"), "{gmail}");

    let outlook = env.ok(&[
        "--offline",
        "init",
        "--email",
        "bob@hotmail.co.uk",
        "--name",
        "ms",
        "--dry-run",
    ]);
    let doc: toml::Table = outlook.parse().unwrap();
    assert_eq!(
        server(&doc, "ms", "incoming")["host"].as_str(),
        Some("outlook.office365.com")
    );
    let outgoing = server(&doc, "ms", "outgoing");
    assert_eq!(outgoing["host"].as_str(), Some("smtp-mail.outlook.com"));
    assert_eq!(outgoing["port"].as_integer(), Some(587));
    assert_eq!(outgoing["tls"].as_str(), Some("starttls"));
    assert_eq!(outgoing["oauth2_provider"].as_str(), Some("microsoft"));
    let outlook_com = env.ok(&[
        "--offline",
        "init",
        "--email",
        "carl@outlook.com",
        "--dry-run",
    ]);
    assert!(
        outlook_com.contains("from the built-in table (Outlook.com)"),
        "{outlook_com}"
    );
    assert!(env.http.requests().is_empty());
    assert!(!env.config().exists(), "--dry-run writes nothing");
}

#[test]
fn a_microsoft_365_domain_is_found_by_its_mx() {
    let env = Env::new();
    env.dns.add(
        "contoso.test",
        Rr::Mx(10, "contoso-test.mail.protection.outlook.com".into()),
    );
    let out = env.ok(&["init", "--email", "eve@contoso.test", "--dry-run"]);
    assert!(out.contains("Microsoft 365, by the MX host"), "{out}");
    let doc: toml::Table = out.parse().unwrap();
    assert_eq!(
        server(&doc, "contoso", "outgoing")["host"].as_str(),
        Some("smtp.office365.com")
    );
    assert!(env.http.requests().is_empty(), "the table answered first");
}

#[test]
fn autoconfig_at_the_autoconfig_host_is_written_with_its_source() {
    let env = Env::new();
    env.http.serve(
        AUTOCONFIG,
        autoconfig_file("imap.auto.test", "smtp.auto.test"),
    );
    let out = env.ok(&["init", "--email", "ann@auto.test"]);
    assert!(
        out.contains(
            "incoming: imap imap.auto.test:993 TLS (login ann), from autoconfig.auto.test"
        ),
        "{out}"
    );
    assert!(
        out.contains("outgoing: smtp smtp.auto.test:587 STARTTLS"),
        "{out}"
    );
    assert!(out.contains("postie login auto"), "{out}");
    // Both places of the https round are asked at once; the address goes in the query.
    let mut requests = env.http.requests();
    requests.sort();
    assert_eq!(
        requests,
        [
            WELL_KNOWN.to_owned(),
            format!("{AUTOCONFIG}?emailaddress=ann%40auto.test")
        ]
    );
    let doc = env.written();
    let incoming = server(&doc, "auto", "incoming");
    assert_eq!(incoming["protocol"].as_str(), Some("imap"));
    assert_eq!(incoming["user"].as_str(), Some("ann"));
    assert_eq!(
        doc["accounts"]["auto"]["email"].as_str(),
        Some("ann@auto.test")
    );
    // The written file is a valid config as it is.
    env.ok(&["config", "check"]);
}

#[test]
fn autoconfig_in_well_known_and_an_existing_config_is_only_appended_to() {
    let env = Env::new();
    env.http.serve(
        WELL_KNOWN,
        autoconfig_file("mail.auto.test", "mail.auto.test"),
    );
    let mine = "# my own comment\ntheme = \"default\"\n\n[accounts.home]\nemail = \"me@home.test\"\n\n[accounts.home.incoming]\nprotocol = \"maildir\"\npath = \"~/Maildir\"\n";
    std::fs::create_dir_all(env.config().parent().unwrap()).unwrap();
    std::fs::write(env.config(), mine).unwrap();
    let out = env.ok(&["init", "--email", "ann@auto.test", "--name", "work"]);
    assert!(out.contains("from auto.test/.well-known"), "{out}");
    assert!(
        out.contains("tried first: autoconfig.auto.test: not found (HTTP 404)"),
        "{out}"
    );
    let text = std::fs::read_to_string(env.config()).unwrap();
    assert!(text.starts_with(mine), "the rest is untouched:\n{text}");
    assert!(text.contains("[accounts.work.incoming]"), "{text}");
    env.ok(&["config", "check"]);
    // The same name again: refused (73), the file unchanged.
    let err = env.fails(&["init", "--email", "ann@auto.test", "--name", "work"], 73);
    assert!(err.contains("already has an account \"work\""), "{err}");
    assert_eq!(std::fs::read_to_string(env.config()).unwrap(), text);
}

#[test]
fn a_huge_or_malformed_autoconfig_is_refused_and_srv_records_answer() {
    let env = Env::new();
    let huge = format!("<clientConfig>{}</clientConfig>", "<x/>".repeat(300 * 1024));
    env.http.serve(AUTOCONFIG, huge);
    env.http
        .serve(WELL_KNOWN, "<clientConfig><emailProvider></clientConfig>");
    env.dns
        .add("_imaps._tcp.srv.test", Rr::Srv(0, 0, 0, ".".into()))
        .add(
            "_imap._tcp.srv.test",
            Rr::Srv(10, 0, 143, "imap.srv.test".into()),
        )
        .add(
            "_imap._tcp.srv.test",
            Rr::Srv(5, 0, 1143, "imap2.srv.test".into()),
        )
        .add(
            "_submission._tcp.srv.test",
            Rr::Srv(0, 1, 587, "smtp.srv.test".into()),
        );
    let out = env.ok(&["init", "--email", "ann@srv.test"]);
    assert!(
        out.contains("autoconfig.srv.test: refused: larger than 1024 KiB"),
        "{out}"
    );
    assert!(
        out.contains("srv.test/.well-known: refused: it is not well-formed XML"),
        "{out}"
    );
    assert!(
        out.contains("incoming: imap imap2.srv.test:1143 STARTTLS (login ann@srv.test), from the SRV record _imap._tcp.srv.test"),
        "{out}"
    );
    assert!(
        out.contains("outgoing: smtp smtp.srv.test:587 STARTTLS"),
        "{out}"
    );
    env.ok(&["config", "check"]);
}

#[test]
fn a_truncated_srv_answer_is_asked_again_over_tcp() {
    let env = Env::new();
    env.dns
        .add(
            "_imaps._tcp.tc.test",
            Rr::Srv(0, 0, 993, "imap.tc.test".into()),
        )
        .add(
            "_submissions._tcp.tc.test",
            Rr::Srv(0, 0, 465, "smtp.tc.test".into()),
        )
        .truncate_over_udp("_imaps._tcp.tc.test");
    let out = env.ok(&["init", "--email", "ann@tc.test", "--dry-run"]);
    assert!(out.contains("imap.tc.test:993 TLS"), "{out}");
    assert!(env.dns.tcp_queries() >= 1, "the TCP retry was made");
}

#[test]
fn nothing_found_exits_69_saying_what_was_tried() {
    let env = Env::new();
    let started = Instant::now();
    let err = env.fails(&["init", "--email", "ann@nothing.test"], 69);
    for said in [
        "no mail settings found for ann@nothing.test",
        "the built-in provider table",
        "autoconfig.nothing.test: not found (HTTP 404)",
        "SRV records of nothing.test: none usable",
        "guessed hosts of nothing.test",
    ] {
        assert!(err.contains(said), "{said:?} missing: {err}");
    }
    assert!(!env.config().exists());
    assert!(started.elapsed() < Duration::from_secs(60), "bounded");
    let err = env.fails(&["--offline", "init", "--email", "ann@nothing.test"], 69);
    assert!(err.contains("nothing on the network (--offline)"), "{err}");
    let err = env.fails(&["init", "--email", "not-an-address"], 64);
    assert!(err.contains("not an email address"), "{err}");
}

#[test]
fn an_mx_guess_checked_against_the_real_servers_is_written_and_syncs() {
    let s = support::servers();
    let user = s.new_user("discover");
    support::seed(&user, "INBOX", 2);
    let domain = user.email.rsplit_once('@').unwrap().1.to_owned();
    let mut env = Env::new();
    // The domain's MX is "localhost" (the name the harness certificate is for). imap.DOMAIN,
    // guessed first, reaches the same servers, but their certificate is not for that name:
    // it must not be taken. mail./smtp. names do not exist.
    env.dns
        .add(&domain, Rr::Mx(10, "localhost".into()))
        .add("localhost", Rr::A([127, 0, 0, 1]))
        .add(&format!("imap.{domain}"), Rr::A([127, 0, 0, 1]));
    let ports = format!(
        "imaps={},imap={},pop3s={},pop3={},submissions={},submission={}",
        s.ports.imaps,
        s.ports.imap,
        s.ports.pop3s,
        s.ports.pop3,
        s.ports.submissions,
        s.ports.submission
    );
    env.extra = vec![
        ("POSTIE_DISCOVER_PORTS".into(), ports),
        ("SSL_CERT_FILE".into(), s.ca_file.display().to_string()),
    ];
    let out = env.ok(&["init", "--email", &user.email, "--name", "found"]);
    assert!(
        out.contains(&format!(
            "incoming: imap localhost:{} TLS (login {}), from a guess from the MX of {domain} (checked by connecting",
            s.ports.imaps, user.email
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "outgoing: smtp localhost:{} TLS",
            s.ports.submissions
        )),
        "{out}"
    );
    // What `postie login found` would add: the password (here through a command).
    let text = std::fs::read_to_string(env.config()).unwrap();
    let user_line = format!("user = \"{}\"\n", user.email);
    let with_password = text.replacen(
        &user_line,
        &format!(
            "{user_line}password_command = {:?}\n",
            user.password_command()
        ),
        1,
    );
    assert_ne!(text, with_password);
    std::fs::write(env.config(), with_password).unwrap();
    env.ok(&["config", "check"]);
    env.ok(&["sync"]);
    let list = env.ok(&["list", "--account", "found"]);
    assert_eq!(list.trim().lines().count(), 2, "{list}");
}
