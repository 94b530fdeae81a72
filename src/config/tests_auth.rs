//! `auth` and `oauth2_token_command`: what resolves, what is refused at which line, and what
//! the outgoing table inherits.

use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/c/config.toml"), &Env::default())
}

fn problems(text: &str) -> Vec<(Option<usize>, String)> {
    match parse(text) {
        Ok(config) => panic!("expected problems, got {config:#?}"),
        Err(ConfigError::Invalid { problems, .. }) => {
            problems.into_iter().map(|p| (p.line, p.message)).collect()
        }
        Err(other) => panic!("expected Invalid, got {other:?}"),
    }
}

fn account(incoming: &str, outgoing: &str) -> String {
    format!(
        "data_dir = \"/d\"\n\
         [accounts.work]\n\
         email = \"me@example.org\"\n\
         [accounts.work.incoming]\n\
         protocol = \"imap\"\n\
         host = \"imap.example.org\"\n\
         {incoming}\
         [accounts.work.outgoing]\n\
         host = \"smtp.example.org\"\n\
         {outgoing}"
    )
}

#[test]
fn oauth2_with_a_token_command_resolves_and_outgoing_inherits_it() {
    let text = account(
        "auth = \"oauth2\"\noauth2_token_command = \"oama access me@example.org\"\n",
        "",
    );
    let config = parse(&text).expect("valid");
    let account = &config.accounts[0];
    let incoming = account.incoming.server().expect("imap");
    assert_eq!(incoming.auth, AuthMethod::OAuth2);
    assert_eq!(
        incoming.oauth2_token_command.as_deref(),
        Some("oama access me@example.org")
    );
    assert_eq!(incoming.password_command, None);
    let outgoing = account.outgoing_server().expect("smtp");
    assert_eq!(outgoing.auth, AuthMethod::OAuth2);
    assert_eq!(outgoing.oauth2_token_command, incoming.oauth2_token_command);
}

#[test]
fn the_default_is_password_and_an_outgoing_password_command_keeps_it_a_password_login() {
    let text = account(
        "auth = \"oauth2\"\noauth2_token_command = \"get-token\"\n",
        "password_command = \"pass show smtp\"\n",
    );
    let config = parse(&text).expect("valid");
    let outgoing = config.accounts[0].outgoing_server().expect("smtp");
    assert_eq!(outgoing.auth, AuthMethod::Password);
    assert_eq!(outgoing.password_command.as_deref(), Some("pass show smtp"));
    assert_eq!(outgoing.oauth2_token_command, None);

    let plain = parse(&account("", "")).expect("valid");
    assert_eq!(
        plain.accounts[0].incoming.server().expect("imap").auth,
        AuthMethod::Password
    );
}

#[test]
fn oauth2_with_a_password_command_is_refused_at_the_auth_line() {
    let text = account(
        "auth = \"oauth2\"\npassword_command = \"pass show x\"\noauth2_token_command = \"t\"\n",
        "",
    );
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, Some(7), "{found:#?}");
    assert!(found[0].1.contains("remove password_command"), "{found:#?}");
}

#[test]
fn oauth2_without_a_command_or_provider_is_refused() {
    let found = problems(&account("auth = \"oauth2\"\n", ""));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, Some(7), "{found:#?}");
    assert!(
        found[0].1.contains("needs oauth2_token_command") && found[0].1.contains("oauth2_provider"),
        "{found:#?}"
    );
}

#[test]
fn an_unknown_auth_value_and_a_stray_token_command_are_refused_at_their_lines() {
    let found = problems(&account(
        "auth = \"kerberos\"\n",
        "oauth2_token_command = \"t\"\n",
    ));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].0, Some(7), "{found:#?}");
    assert!(found[0].1.contains("auth"), "{found:#?}");
    assert!(found[0].1.contains("oauth2"), "{found:#?}");
    assert_eq!(found[1].0, Some(10), "{found:#?}");
    assert!(
        found[1].1.contains("only with auth = \"oauth2\""),
        "{found:#?}"
    );
}
