//! Parsing and validation: good configs resolve as the spec says, bad ones name the right line.

use std::path::{Path, PathBuf};

use super::*;

fn env() -> Env {
    Env {
        home: Some(PathBuf::from("/home/a")),
        config_home: Some(PathBuf::from("/xdg/config")),
        data_home: Some(PathBuf::from("/xdg/data")),
        ..Env::default()
    }
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/c/config.toml"), &env())
}

/// The problems of a bad config, as `(line, message)`.
fn problems(text: &str) -> Vec<(Option<usize>, String)> {
    match parse(text) {
        Ok(config) => panic!("expected problems, got {config:#?}"),
        Err(ConfigError::Invalid { problems, .. }) => {
            problems.into_iter().map(|p| (p.line, p.message)).collect()
        }
        Err(other) => panic!("expected Invalid, got {other:?}"),
    }
}

/// Asserts exactly one problem, on `line`, whose message contains `needle`.
fn assert_one(text: &str, line: usize, needle: &str) {
    let found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, Some(line), "{found:#?}");
    assert!(found[0].1.contains(needle), "{found:#?}");
}

const GOOD: &str = r#"
[accounts.work]
email = "alice@x.test"
name = "Alice Example"

[accounts.work.incoming]
protocol = "imap"
host = "mail.x.test"
password_command = "pass show mail/work"

[accounts.work.outgoing]
host = "smtp.x.test"
tls = "starttls"
"#;

#[test]
fn good_config_resolves_defaults() {
    let config = parse(GOOD).expect("valid");
    assert_eq!(config.path.as_deref(), Some(Path::new("/c/config.toml")));
    assert_eq!(config.theme, "default");
    assert_eq!(config.data_dir, PathBuf::from("/xdg/data/postie"));
    assert_eq!(config.accounts.len(), 1);
    let account = &config.accounts[0];
    assert_eq!(account.name, "work");
    assert_eq!(account.email, "alice@x.test");
    assert_eq!(account.display_name.as_deref(), Some("Alice Example"));
    assert!(account.default, "the only account is the default");
    let Incoming::Imap(imap) = &account.incoming else {
        panic!("imap expected: {:?}", account.incoming)
    };
    assert_eq!(imap.server.port, 993);
    assert_eq!(imap.server.tls, TlsMode::Implicit);
    assert_eq!(imap.server.user, "alice@x.test");
    assert_eq!(imap.fetch_bodies, FetchBodies::OnDemand);
    assert_eq!(imap.idle_folders, vec!["INBOX".to_string()]);
    let out = account.outgoing_server().expect("outgoing");
    assert_eq!(out.port, 587);
    assert_eq!(out.tls, TlsMode::StartTls);
    assert_eq!(out.user, "alice@x.test", "inherited from incoming");
    assert_eq!(
        out.password_command.as_deref(),
        Some("pass show mail/work"),
        "inherited from incoming"
    );
    assert!(
        !account
            .outgoing
            .as_ref()
            .expect("outgoing")
            .queue_on_failure
    );
}

#[test]
fn port_defaults_per_protocol_and_tls() {
    let text = r#"
[accounts.a]
email = "a@x.test"
incoming = { protocol = "imap", host = "h", tls = "starttls" }
outgoing = { host = "h" }
[accounts.b]
email = "b@x.test"
incoming = { protocol = "pop3", host = "h" }
outgoing = { host = "h", tls = "none", allow_plaintext = true }
[accounts.c]
email = "c@x.test"
incoming = { protocol = "pop3", host = "h", tls = "starttls", port = 1100 }
"#;
    let config = parse(text).expect("valid");
    let ports: Vec<(u16, Option<u16>)> = config
        .accounts
        .iter()
        .map(|a| {
            (
                a.incoming_server().expect("server").port,
                a.outgoing_server().map(|s| s.port),
            )
        })
        .collect();
    assert_eq!(
        ports,
        vec![(143, Some(465)), (995, Some(587)), (1100, None)]
    );
}

#[test]
fn pop3_and_maildir_specific_keys() {
    let text = r#"
data_dir = "~/mail-store"
theme = "dark"
[keys]
compose = "m"
[accounts.p]
email = "p@x.test"
[accounts.p.incoming]
protocol = "pop3"
host = "pop.x.test"
user = "puser"
pop3_mode = "keep"
leave_on_server_days = 14
[accounts.p.outgoing]
host = "smtp.x.test"
queue_on_failure = true
[accounts.m]
email = "m@x.test"
default = true
[accounts.m.incoming]
protocol = "maildir"
path = "~/Maildir"
[accounts.m.outgoing]
host = "smtp.x.test"
"#;
    let config = parse(text).expect("valid");
    assert_eq!(config.data_dir, PathBuf::from("/home/a/mail-store"));
    assert_eq!(config.theme, "dark");
    assert_eq!(config.keys.get("compose").map(String::as_str), Some("m"));
    let names: Vec<&str> = config.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["m", "p"], "the default account comes first");
    assert_eq!(config.default_account().map(|a| a.name.as_str()), Some("m"));
    let Incoming::Maildir(maildir) = &config.accounts[0].incoming else {
        panic!("maildir expected")
    };
    assert_eq!(maildir.path, PathBuf::from("/home/a/Maildir"));
    assert_eq!(
        config.accounts[0]
            .outgoing_server()
            .map(|s| s.user.as_str()),
        Some("m@x.test"),
        "maildir accounts log in to SMTP with their email"
    );
    let p = config.account("p").expect("p");
    let Incoming::Pop3(pop3) = &p.incoming else {
        panic!("pop3 expected")
    };
    assert_eq!(pop3.mode, Pop3Mode::Keep);
    assert_eq!(pop3.leave_on_server_days, Some(14));
    assert!(!p.default);
    let out = p.outgoing.as_ref().expect("outgoing");
    assert!(out.queue_on_failure);
    assert_eq!(out.server.user, "puser", "inherited from incoming");
}

#[test]
fn data_dir_from_env_when_not_in_file() {
    let mut e = env();
    e.postie_data_dir = Some(PathBuf::from("/env/data"));
    let config = Config::parse(GOOD, Path::new("c.toml"), &e).expect("valid");
    assert_eq!(config.data_dir, PathBuf::from("/env/data"));
}

#[test]
fn typo_in_key_names_its_line_and_a_suggestion() {
    let text = GOOD.replace("host = \"mail.x.test\"", "hots = \"mail.x.test\"");
    let found = problems(&text);
    assert!(
        found.iter().any(|(l, m)| *l == Some(8)
            && m.contains("unknown key `hots`")
            && m.contains("did you mean `host`")),
        "{found:#?}"
    );
}

#[test]
fn every_unknown_key_is_reported() {
    let text = r#"colour = "red"
[accounts.a]
email = "a@x.test"
nmae = "A"
[accounts.a.incoming]
protocol = "imap"
host = "h"
prot = 1
[accounts.a.outgoing]
host = "h"
queue = true
"#;
    let lines: Vec<Option<usize>> = problems(text).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [Some(1), Some(4), Some(8), Some(11)]);
}

#[test]
fn wrong_type_names_the_key_and_line() {
    let text = GOOD.replace("name = \"Alice Example\"", "name = 42");
    assert_one(&text, 4, "name in [accounts.work]");
    let text = GOOD.replace(
        "host = \"smtp.x.test\"",
        "host = \"smtp.x.test\"\nport = \"587\"",
    );
    assert_one(&text, 13, "port");
}

#[test]
fn missing_email_points_at_the_account() {
    let text = GOOD.replace("email = \"alice@x.test\"\n", "");
    assert_one(&text, 2, "missing key `email`");
}

#[test]
fn missing_host_and_protocol() {
    let text = GOOD.replace("host = \"mail.x.test\"\n", "");
    assert_one(&text, 6, "missing key `host`");
    let text = GOOD.replace("protocol = \"imap\"\n", "");
    assert_one(&text, 6, "missing key `protocol`");
}

#[test]
fn tls_none_needs_allow_plaintext() {
    let text = GOOD.replace("tls = \"starttls\"", "tls = \"none\"");
    assert_one(&text, 13, "allow_plaintext");
    let ok = GOOD.replace(
        "tls = \"starttls\"",
        "tls = \"none\"\nallow_plaintext = true",
    );
    parse(&ok).expect("allowed explicitly");
}

#[test]
fn outgoing_inherits_allow_plaintext() {
    let text = GOOD
        .replace(
            "host = \"mail.x.test\"",
            "host = \"mail.x.test\"\ntls = \"none\"\nallow_plaintext = true",
        )
        .replace("tls = \"starttls\"", "tls = \"none\"");
    let config = parse(&text).expect("valid");
    assert!(
        config.accounts[0]
            .outgoing_server()
            .expect("out")
            .allow_plaintext
    );
}

#[test]
fn two_defaults_point_at_the_second() {
    let text = r#"
[accounts.a]
email = "a@x.test"
default = true
incoming = { protocol = "maildir", path = "/m/a" }

[accounts.b]
email = "b@x.test"
default = true
incoming = { protocol = "maildir", path = "/m/b" }
"#;
    assert_one(text, 9, "so has \"a\" (line 4)");
}

#[test]
fn bad_protocol_points_at_its_value() {
    let text = GOOD.replace("protocol = \"imap\"", "protocol = \"imapp\"");
    assert_one(&text, 7, "unknown protocol \"imapp\"");
}

#[test]
fn keys_of_another_protocol_are_explained() {
    let text = GOOD.replace(
        "host = \"mail.x.test\"",
        "host = \"mail.x.test\"\npop3_mode = \"delete\"",
    );
    assert_one(&text, 9, "only for protocol = \"pop3\"");
    let text = r#"
[accounts.m]
email = "m@x.test"
incoming = { protocol = "maildir", path = "/m", host = "h" }
"#;
    assert_one(text, 4, "only for protocol = \"imap\" or \"pop3\"");
}

#[test]
fn bad_port_and_bad_enum_values() {
    let text = GOOD.replace("tls = \"starttls\"", "port = 70000");
    assert_one(&text, 13, "not a TCP port");
    let text = GOOD.replace("tls = \"starttls\"", "tls = \"tsl\"");
    assert_one(&text, 13, "tls");
}

#[test]
fn syntax_errors_have_lines() {
    let found = problems("[accounts.a]\nemail = \"a@x.test\n");
    assert_eq!(found[0].0, Some(2), "{found:#?}");
}

#[test]
fn problems_in_several_accounts_are_all_reported() {
    let text = r#"
[accounts.a]
incoming = { protocol = "imap", host = "h", tls = "none" }

[accounts.b]
email = "b@x.test"
incoming = { protocol = "nntp" }
"#;
    let lines: Vec<Option<usize>> = problems(text).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(7)]);
}

#[test]
fn relative_paths_and_bad_account_names_are_refused() {
    let text = r#"
data_dir = "store"
[accounts."a/b"]
email = "a@x.test"
incoming = { protocol = "maildir", path = "Maildir" }
"#;
    let lines: Vec<Option<usize>> = problems(text).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(5)]);
}

#[test]
fn missing_ca_file_is_reported() {
    let text = GOOD.replace(
        "host = \"mail.x.test\"",
        "host = \"mail.x.test\"\nca_file = \"/nonexistent/ca.pem\"",
    );
    assert_one(&text, 9, "ca_file");
}

#[test]
fn no_accounts_is_valid_but_require_account_explains() {
    let config = parse("theme = \"default\"\n").expect("valid");
    let error = config.require_account(None).expect_err("no accounts");
    assert!(error.to_string().contains("postie init"), "{error}");
    let config = parse(GOOD).expect("valid");
    let error = config.require_account(Some("home")).expect_err("unknown");
    assert!(error.to_string().contains("work"), "{error}");
    assert_eq!(
        config.require_account(None).map(|a| a.name.as_str()).ok(),
        Some("work")
    );
}

#[test]
fn template_is_valid_as_written() {
    let config = parse(TEMPLATE).expect("the template passes config check");
    assert_eq!(config.accounts.len(), 1);
    for key in [
        "theme",
        "data_dir",
        "email",
        "name",
        "default",
        "protocol",
        "host",
        "port",
        "tls",
        "allow_plaintext",
        "ca_file",
        "user",
        "password_command",
        "pop3_mode",
        "fetch_bodies",
        "path",
        "queue_on_failure",
        "leave_on_server_days",
        "idle_folders",
    ] {
        assert!(
            TEMPLATE.contains(&format!("{key} =")),
            "the template documents {key}"
        );
    }
}

#[test]
fn invalid_error_is_one_line_with_count() {
    let text = GOOD
        .replace("email = \"alice@x.test\"\n", "")
        .replace("tls = \"starttls\"", "tls = \"none\"");
    let error = parse(&text).expect_err("invalid");
    let line = error.to_string();
    assert!(line.starts_with("/c/config.toml:2: "), "{line}");
    assert!(line.contains("and 1 more"), "{line}");
    assert!(!line.contains('\n'));
}

#[test]
fn field_names_match_the_structs() {
    assert!(hints::field_names::<raw::RawImap>().contains(&"fetch_bodies"));
    assert!(hints::field_names::<raw::RawPop3>().contains(&"pop3_mode"));
    assert_eq!(hints::field_names::<raw::RawMaildir>(), ["path"]);
}

#[test]
fn check_interval_per_account_with_default_off_and_notify_fallback() {
    let text = r#"
notify_command = "notify-send postie"
[accounts.a]
email = "a@x.test"
incoming = { protocol = "imap", host = "h" }
[accounts.b]
email = "b@x.test"
notify_command = "my-notifier"
incoming = { protocol = "pop3", host = "h", check_interval = "30s" }
[accounts.c]
email = "c@x.test"
incoming = { protocol = "pop3", host = "h", check_interval = "off" }
[accounts.d]
email = "d@x.test"
incoming = { protocol = "imap", host = "h", check_interval = 90 }
"#;
    let config = parse(text).expect("valid");
    let secs = |n| Some(std::time::Duration::from_secs(n));
    let got: Vec<_> = config
        .accounts
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.check_interval,
                a.notify_command.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("a", secs(300), Some("notify-send postie")),
            ("b", secs(30), Some("my-notifier")),
            ("c", None, Some("notify-send postie")),
            ("d", secs(90), Some("notify-send postie")),
        ]
    );
}

#[test]
fn a_bad_check_interval_names_its_line() {
    let text = GOOD.replace(
        "host = \"mail.x.test\"",
        "host = \"mail.x.test\"\ncheck_interval = \"5 minutes\"",
    );
    assert_one(
        &text,
        9,
        "check_interval in [accounts.work.incoming]: \"5 minutes\" is not a duration",
    );
    let text = GOOD.replace(
        "host = \"mail.x.test\"",
        "host = \"mail.x.test\"\ncheck_interval = true",
    );
    assert_one(&text, 9, "expected an integer or a string, not boolean");
}

#[test]
fn folder_pane_is_optional_and_a_bool() {
    assert_eq!(parse(GOOD).unwrap().folder_pane, None);
    let hidden = format!("folder_pane = false\n{GOOD}");
    assert_eq!(parse(&hidden).unwrap().folder_pane, Some(false));
    let found = problems(&format!("folder_pane = \"no\"\n{GOOD}"));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, Some(1), "{found:#?}");
}

#[test]
fn reader_headers_are_a_list_of_header_names() {
    assert_eq!(parse(GOOD).unwrap().headers, None);
    let text = format!("headers = [\"From\", \"X-Mailer\", \"List-Id\"]\n{GOOD}");
    assert_eq!(
        parse(&text).unwrap().headers,
        Some(vec![
            "From".to_string(),
            "X-Mailer".to_string(),
            "List-Id".to_string()
        ])
    );
    assert_one(
        &format!("headers = [\"From\", \"Reply To\"]\n{GOOD}"),
        1,
        "headers: \"Reply To\" is not a header name",
    );
    assert_one(&format!("\nheaders = []\n{GOOD}"), 2, "headers is empty");
}

#[test]
fn ui_auto_view_is_read_and_its_unknown_keys_named() {
    let text = format!("[ui]\nauto_view = [\"Text/HTML\", \"application/pdf\"]\n{GOOD}");
    let config = parse(&text).unwrap();
    assert_eq!(config.auto_view, ["text/html", "application/pdf"]);
    assert!(parse(GOOD).unwrap().auto_view.is_empty());
    assert_one(
        &format!("[ui]\nauto_veiw = [\"text/html\"]\n{GOOD}"),
        2,
        "did you mean `auto_view`",
    );
}

#[test]
fn reply_style_per_account_with_a_top_level_default() {
    use crate::mail::compose::ReplyStyle;
    let text = r#"
reply_style = "top"
[accounts.a]
email = "a@x.test"
incoming = { protocol = "imap", host = "h" }
[accounts.b]
email = "b@x.test"
reply_style = "bottom"
incoming = { protocol = "imap", host = "h" }
"#;
    let config = parse(text).expect("valid");
    let got: Vec<_> = config.accounts.iter().map(|a| a.reply_style).collect();
    assert_eq!(got, [Some(ReplyStyle::Top), Some(ReplyStyle::Bottom)]);
    let plain =
        "[accounts.a]\nemail = \"a@x.test\"\nincoming = { protocol = \"imap\", host = \"h\" }\n";
    assert_eq!(parse(plain).expect("valid").accounts[0].reply_style, None);
    let bad = "reply_style = \"middle\"\n[accounts.a]\nemail = \"a@x.test\"\nincoming = { protocol = \"imap\", host = \"h\" }\n";
    let e = parse(bad).expect_err("refused").to_string();
    assert!(
        e.contains(":1: reply_style") && e.contains("expected `bottom` or `top`"),
        "{e}"
    );
}
