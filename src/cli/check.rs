//! What a parsed config must still pass before postie can use it, with `FILE:LINE` for each
//! finding: the `[keys]` table and the theme (validated by the UI, so the TUI would refuse to
//! start), and the warnings of `postie config check` (template placeholders, a password source
//! that is missing, a `password_command` whose program is not on `PATH`, an action a `[keys]`
//! entry left without a key).
//!
//! What must hold: `config check` and the TUI's start path use the same [`ui_problems`], so a
//! file `config check` passes never stops the TUI, and the TUI reports the same `FILE:LINE`
//! errors instead of a bare exit 78. A user's theme file is checked style by style, each
//! problem at its line in that file (`themes/NAME.toml:5: ...`), not only the first. This module only reads (the config, theme files, `PATH`,
//! the keyring); it never runs `password_command`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::{Account, Config, Problem, Server, key_line};
use crate::ui::keymap::{Action, Keymap, KeymapError};

/// Domains reserved for examples (RFC 2606): never a real account's, so a template value.
const PLACEHOLDER_DOMAINS: [&str; 3] = ["example.org", "example.com", "example.net"];

/// Everything `config check` has to say about a config that parsed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// The TUI (or a sync) would refuse this: exit 78.
    pub errors: Vec<Problem>,
    /// Values still from the template (`example.org`): the file is not yet configured.
    pub placeholders: Vec<Problem>,
    /// Worth knowing, but postie works.
    pub warnings: Vec<Problem>,
}

/// Whether the keyring holds a password for (account, login); `Err` when it cannot be asked.
pub type KeyringProbe<'a> = &'a dyn Fn(&str, &str) -> Result<bool, String>;

/// The checks of `config check` on a parsed config whose file text is `text`.
pub fn findings(config: &Config, text: &str, keyring: KeyringProbe<'_>) -> Findings {
    let mut found = Findings {
        errors: ui_problems_in(config, text),
        ..Findings::default()
    };
    found.warnings.extend(unbound_actions(&config.keys, text));
    for account in &config.accounts {
        found.placeholders.extend(placeholders(account, text));
        found
            .warnings
            .extend(password_sources(account, text, keyring));
    }
    found.placeholders.sort_by_key(|p| p.line);
    found.warnings.sort_by_key(|p| p.line);
    found
}

/// The problems that would stop the TUI: the `[keys]` table and the theme. Reads the config
/// file again for the lines; a config without a file (the demo) has none.
pub fn ui_problems(config: &Config) -> Vec<Problem> {
    let text = config
        .path
        .as_deref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    ui_problems_in(config, &text)
}

fn ui_problems_in(config: &Config, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    // Each entry alone first, so every bad one is reported, not only the first.
    let mut all_good = true;
    for (name, spec) in &config.keys {
        let one = BTreeMap::from([(name.clone(), spec.clone())]);
        if let Err(e) = Keymap::from_config(&one) {
            all_good = false;
            problems.push(keys_problem(&e, name, text));
        }
    }
    if all_good && let Err(e) = Keymap::from_config(&config.keys) {
        let name = match &e {
            KeymapError::Conflict { second, .. } => second.clone(),
            _ => String::new(),
        };
        problems.push(keys_problem(&e, &name, text));
    }
    let themes = user_theme_dir(config);
    // A user's theme file: each of its problems at its own line (a style name, a colour).
    let theme_file = themes
        .as_deref()
        .map(|d| d.join(format!("{}.toml", config.theme)));
    let in_file: Vec<Problem> = theme_file
        .as_ref()
        .filter(|_| !config.theme.contains(['/', '\\']))
        .and_then(|path| Some((path, std::fs::read_to_string(path).ok()?)))
        .map(|(path, theme_text)| {
            crate::ui::theme::check_file(&theme_text)
                .into_iter()
                .map(|p| Problem {
                    file: Some(path.clone()),
                    line: p.line,
                    message: format!("theme {:?}: {}", config.theme, p.message),
                })
                .collect()
        })
        .unwrap_or_default();
    if !in_file.is_empty() {
        problems.extend(in_file);
    } else if let Err(e) = crate::ui::theme::load(&config.theme, themes.as_deref()) {
        problems.push(Problem {
            file: None,
            line: key_line(text, &["theme"]),
            message: format!("theme: {}", crate::error::chain_line(&e)),
        });
    }
    problems
}

/// Users' themes live beside the config file: `<config dir>/themes/NAME.toml`.
pub fn user_theme_dir(config: &Config) -> Option<PathBuf> {
    config
        .path
        .as_deref()
        .and_then(Path::parent)
        .map(|d| d.join("themes"))
}

fn keys_problem(e: &KeymapError, name: &str, text: &str) -> Problem {
    let mut message = e.to_string();
    if let KeymapError::UnknownAction { name, .. } = e {
        // The whole list is long; the nearest name is what a typo needs.
        message = format!("[keys]: unknown action {name:?}");
        if let Some(near) = nearest_action(name) {
            message.push_str(&format!(" (did you mean {near:?}?)"));
        }
        message.push_str("; `postie` shows every action under ? and docs/keys.md lists them");
    }
    Problem {
        file: None,
        line: key_line(text, &["keys", name]).or_else(|| key_line(text, &["keys"])),
        message,
    }
}

fn nearest_action(name: &str) -> Option<&'static str> {
    let names: Vec<&'static str> = Action::ALL.iter().map(|a| a.name()).collect();
    crate::config::did_you_mean(name, &names)
}

/// Actions with default keys that a `[keys]` entry took away, leaving them unbound.
fn unbound_actions(keys: &BTreeMap<String, String>, text: &str) -> Vec<Problem> {
    let Ok(keymap) = Keymap::from_config(keys) else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    for &action in Action::ALL {
        if keys.contains_key(action.name())
            || action.default_keys().is_empty()
            || !keymap.keys_for(action).is_empty()
        {
            continue;
        }
        let taker = keys
            .iter()
            .find(|(_, spec)| {
                spec.split_whitespace()
                    .any(|k| action.default_keys().split_whitespace().any(|d| d == k))
            })
            .map(|(name, _)| name.as_str())
            .unwrap_or("");
        warnings.push(Problem {
file: None,
            line: key_line(text, &["keys", taker]).or_else(|| key_line(text, &["keys"])),
            message: format!(
                "warning: [keys]: {} now has no key ({} went to {taker}); give it one, e.g. {} = \"...\"",
                action.name(),
                action.default_keys(),
                action.name()
            ),
        });
    }
    warnings
}

fn is_placeholder(value: &str) -> bool {
    let domain = value
        .rsplit('@')
        .next()
        .unwrap_or(value)
        .to_ascii_lowercase();
    PLACEHOLDER_DOMAINS
        .iter()
        .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
}

/// Template values still in place: `email`, incoming and outgoing `host` on example domains.
fn placeholders(account: &Account, text: &str) -> Vec<Problem> {
    let name = account.name.as_str();
    let mut values = vec![(vec!["accounts", name, "email"], account.email.clone())];
    if let Some(server) = account.incoming_server() {
        values.push((
            vec!["accounts", name, "incoming", "host"],
            server.host.clone(),
        ));
    }
    if let Some(server) = account.outgoing_server() {
        values.push((
            vec!["accounts", name, "outgoing", "host"],
            server.host.clone(),
        ));
    }
    values
        .into_iter()
        .filter(|(_, value)| is_placeholder(value))
        .map(|(path, value)| Problem {
file: None,
            line: key_line(text, &path).or_else(|| key_line(text, &path[..path.len() - 1])),
            message: format!(
                "account {name}: {} = {value:?} is a placeholder from the template: put your own value here",
                path[path.len() - 1]
            ),
        })
        .collect()
}

/// Each server login needs a password: from `password_command` (whose program should be on
/// `PATH`), else the keyring (`postie login`); an `auth = "oauth2"` login needs its
/// `oauth2_token_command`'s program on `PATH`.
fn password_sources(account: &Account, text: &str, keyring: KeyringProbe<'_>) -> Vec<Problem> {
    let name = account.name.as_str();
    let mut servers: Vec<(&str, &Server)> = Vec::new();
    if let Some(s) = account.incoming_server() {
        servers.push(("incoming", s));
    }
    if let Some(s) = account.outgoing_server()
        && !servers.iter().any(|(_, i)| {
            i.user == s.user
                && i.password_command == s.password_command
                && i.oauth2_token_command == s.oauth2_token_command
        })
    {
        servers.push(("outgoing", s));
    }
    let mut warnings = Vec::new();
    for (table, server) in servers {
        let line_of = |key: &str| {
            key_line(text, &["accounts", name, table, key])
                .or_else(|| key_line(text, &["accounts", name, table]))
        };
        if server.auth == crate::config::AuthMethod::OAuth2 {
            if let Some(program) = server
                .oauth2_token_command
                .as_deref()
                .and_then(missing_program)
            {
                warnings.push(Problem {
                    file: None,
                    line: line_of("oauth2_token_command"),
                    message: format!(
                        "warning: account {name}: oauth2_token_command runs {program:?}, which is not on PATH; install it or give its full path"
                    ),
                });
            }
            // Without a command the built-in client's grant is used (`postie login`).
            if server.oauth2_token_command.is_none()
                && server.oauth2.is_some()
                && let Ok(false) = keyring(name, &format!("oauth2/{}", server.user))
            {
                warnings.push(Problem {
                    file: None,
                    line: line_of("oauth2_provider"),
                    message: format!(
                        "warning: account {name}: no OAuth2 grant for login {} yet: run `postie login {name}`",
                        server.user
                    ),
                });
            }
            continue;
        }
        match &server.password_command {
            Some(command) => {
                if let Some(program) = missing_program(command) {
                    warnings.push(Problem {
file: None,
                        line: line_of("password_command"),
                        message: format!(
                            "warning: account {name}: password_command runs {program:?}, which is not on PATH; install it or give its full path"
                        ),
                    });
                }
            }
            None => match keyring(name, &server.user) {
                Ok(true) => {}
                Ok(false) => warnings.push(Problem {
file: None,
                    line: line_of("host"),
                    message: format!(
                        "warning: account {name}: no password for login {} (no password_command, nothing in the keyring): run `postie login {name}`",
                        server.user
                    ),
                }),
                Err(reason) => warnings.push(Problem {
file: None,
                    line: line_of("host"),
                    message: format!(
                        "warning: account {name}: cannot ask the keyring for login {} ({reason}); set password_command, or run `postie login {name}` where the keyring works",
                        server.user
                    ),
                }),
            },
        }
    }
    warnings
}

/// The first word of a shell command when it names a program that cannot be found (a bare
/// name not on `PATH`, or a path that does not exist). Shell syntax (builtins, assignments,
/// quotes) is not second-guessed: the command runs through `sh -c`.
fn missing_program(command: &str) -> Option<String> {
    let first = command.split_whitespace().next()?;
    if first.contains(['=', '\'', '"', '$', '(', '{', '`', '\\']) || SH_WORDS.contains(&first) {
        return None;
    }
    let found = if first.contains('/') {
        Path::new(first).exists()
    } else {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(first).is_file()))
    };
    (!found).then(|| first.to_string())
}

/// Shell builtins and keywords a command may start with.
const SH_WORDS: &[&str] = &[
    "exec", "echo", "printf", "read", "test", "[", "if", "command", ".", "eval",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;

    fn parse(text: &str) -> Config {
        let env = Env {
            home: Some(PathBuf::from("/home/u")),
            postie_data_dir: Some(PathBuf::from("/tmp/data")),
            ..Env::default()
        };
        Config::parse(text, Path::new("/c/config.toml"), &env).expect("valid config")
    }

    fn no_keyring(_: &str, _: &str) -> Result<bool, String> {
        Ok(false)
    }

    fn has_keyring(_: &str, _: &str) -> Result<bool, String> {
        Ok(true)
    }

    const REAL: &str = "[accounts.w]\nemail = \"me@mail.test\"\n[accounts.w.incoming]\nprotocol = \"imap\"\nhost = \"imap.mail.test\"\n";

    #[test]
    fn an_oauth2_server_needs_a_grant_not_a_password() {
        let text = format!(
            "{REAL}oauth2_provider = \"google\"\noauth2_client_id = \"id\"\n[accounts.w.outgoing]\nhost = \"smtp.mail.test\"\n"
        );
        let config = parse(&text);
        let only_grants = |_: &str, user: &str| Ok(user.starts_with("oauth2/"));
        assert!(findings(&config, &text, &only_grants).warnings.is_empty());
        let found = findings(&config, &text, &no_keyring);
        assert_eq!(found.warnings.len(), 1, "{found:?}");
        assert_eq!(found.warnings[0].line, Some(6));
        assert!(
            found.warnings[0]
                .message
                .contains("no OAuth2 grant for login me@mail.test yet: run `postie login w`"),
            "{found:?}"
        );
    }

    #[test]
    fn unknown_action_and_bad_key_are_errors_at_their_lines() {
        let text = format!("{REAL}[keys]\ncompse = \"c\"\nreply = \"C-\"\n");
        let found = findings(&parse(&text), &text, &has_keyring);
        let lines: Vec<_> = found.errors.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![Some(7), Some(8)], "{found:?}");
        assert!(found.errors[0].message.contains("\"compse\""));
        assert!(found.errors[0].message.contains("did you mean \"compose\""));
        assert!(found.errors[1].message.contains("reply"));
    }

    #[test]
    fn two_actions_on_one_key_is_an_error_at_the_second() {
        let text = format!("{REAL}[keys]\ncompose = \"x\"\nreply = \"x\"\n");
        let found = findings(&parse(&text), &text, &has_keyring);
        assert_eq!(found.errors.len(), 1, "{found:?}");
        assert_eq!(found.errors[0].line, Some(8));
    }

    #[test]
    fn a_missing_theme_is_an_error_at_the_theme_line() {
        let text = format!("theme = \"nope\"\n{REAL}");
        let found = findings(&parse(&text), &text, &has_keyring);
        assert_eq!(found.errors.len(), 1);
        assert_eq!(found.errors[0].line, Some(1));
        assert!(found.errors[0].message.contains("\"nope\""));
    }

    #[test]
    fn a_bad_colour_in_a_users_theme_is_an_error_at_the_theme_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("themes")).expect("themes dir");
        std::fs::write(
            dir.path().join("themes/mine.toml"),
            "row_unread = { fg = \"chartreuse-ish\" }\n",
        )
        .expect("theme");
        let text = format!("theme = \"mine\"\n{REAL}");
        let env = Env {
            home: Some(PathBuf::from("/home/u")),
            postie_data_dir: Some(PathBuf::from("/tmp/data")),
            ..Env::default()
        };
        std::fs::write(dir.path().join("config.toml"), &text).expect("config");
        let config = Config::parse(&text, &dir.path().join("config.toml"), &env).expect("valid");
        let problems = ui_problems(&config);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, Some(1));
        assert!(
            problems[0].message.contains("chartreuse-ish"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_key_taken_from_another_action_warns_that_it_is_unbound() {
        let text = format!("{REAL}[keys]\ncompose = \"m\"\n");
        let found = findings(&parse(&text), &text, &has_keyring);
        assert!(found.errors.is_empty());
        assert_eq!(found.warnings.len(), 1, "{found:?}");
        assert_eq!(found.warnings[0].line, Some(7));
        assert!(found.warnings[0].message.contains("move now has no key"));
    }

    #[test]
    fn the_untouched_template_is_not_yet_configured() {
        let text = crate::config::TEMPLATE;
        let found = findings(&parse(text), text, &no_keyring);
        assert!(found.errors.is_empty(), "{found:?}");
        let fields: Vec<_> = found
            .placeholders
            .iter()
            .map(|p| {
                p.message
                    .split(" = ")
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert_eq!(fields.len(), 3, "{fields:?}");
        assert!(found.placeholders.iter().all(|p| p.line.is_some()));
        assert!(
            found
                .warnings
                .iter()
                .any(|w| w.message.contains("run `postie login example`")),
            "{found:?}"
        );
    }

    #[test]
    fn the_templates_keys_example_breaks_no_default_binding() {
        let uncommented = crate::config::TEMPLATE.replace("# [keys]\n# ", "[keys]\n");
        assert_ne!(uncommented, crate::config::TEMPLATE, "the example is there");
        let found = findings(&parse(&uncommented), &uncommented, &has_keyring);
        assert!(found.errors.is_empty(), "{found:?}");
        assert!(
            !found.warnings.iter().any(|w| w.message.contains("[keys]")),
            "{found:?}"
        );
    }

    #[test]
    fn password_sources_warn_but_do_not_fail() {
        let text = format!("{REAL}password_command = \"no-such-program-xyz show mail\"\n");
        let found = findings(&parse(&text), &text, &no_keyring);
        assert!(found.errors.is_empty() && found.placeholders.is_empty());
        assert_eq!(found.warnings.len(), 1, "{found:?}");
        assert_eq!(found.warnings[0].line, Some(6));
        assert!(found.warnings[0].message.contains("no-such-program-xyz"));

        let found = findings(&parse(REAL), REAL, &no_keyring);
        assert_eq!(found.warnings.len(), 1, "{found:?}");
        assert!(found.warnings[0].message.contains("postie login w"));
        assert!(
            findings(&parse(REAL), REAL, &has_keyring)
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn oauth2_logins_need_no_keyring_entry_and_their_command_is_checked() {
        let text = format!(
            "{REAL}auth = \"oauth2\"\noauth2_token_command = \"no-such-token-helper-xyz get\"\n"
        );
        let found = findings(&parse(&text), &text, &no_keyring);
        assert!(found.errors.is_empty() && found.placeholders.is_empty());
        assert_eq!(found.warnings.len(), 1, "{found:?}");
        assert_eq!(found.warnings[0].line, Some(7));
        assert!(
            found.warnings[0]
                .message
                .contains("oauth2_token_command runs \"no-such-token-helper-xyz\""),
            "{found:?}"
        );
        let text = format!("{REAL}auth = \"oauth2\"\noauth2_token_command = \"sh -c true\"\n");
        assert!(
            findings(&parse(&text), &text, &no_keyring)
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn placeholders_are_example_domains_only() {
        assert!(is_placeholder("imap.example.org"));
        assert!(is_placeholder("you@example.com"));
        assert!(is_placeholder("EXAMPLE.NET"));
        assert!(!is_placeholder("imap.fastmail.com"));
        assert!(!is_placeholder("notexample.org"));
    }
}
