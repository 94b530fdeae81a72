//! `postie login ACCOUNT`: prompt (no echo) for the account's password(s) and store them in the
//! system keyring, one entry per (account, login user).
//!
//! Asks for the incoming server's user, then for the outgoing server's user when that is a
//! different login. Servers that use `password_command` or `oauth2_token_command` are skipped:
//! the keyring is not read for them. When standard input is not a terminal, each password is
//! one line read from it (`pass show mail/work | postie login work`), so scripts never put one
//! in argv.
//!
//! A server with a built-in OAuth2 client (`oauth2_provider`) gets an OAuth2 login instead
//! (`login_oauth2`); one login covers incoming and outgoing when they share the login user
//! and the grant (same token endpoint and client id).

use std::io::{self, BufRead, IsTerminal};
use std::process::ExitCode;

use secrecy::SecretString;

use super::{CliError, Context};
use crate::config::Server;

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The account's name: the NAME of its [accounts.NAME] table. The password is read from the
    /// terminal without echo, or one line per password from standard input when that is not a
    /// terminal.
    #[arg(value_name = "ACCOUNT")]
    pub account: String,
    /// OAuth2 servers: use the device authorization grant (prints a URL and a code to enter
    /// on any device with a browser) instead of a browser on this machine.
    #[arg(long)]
    pub device: bool,
    /// OAuth2 servers: only print the login URL; do not start a browser.
    #[arg(long)]
    pub no_browser: bool,
}

pub fn run(ctx: &Context, args: LoginArgs) -> Result<ExitCode, CliError> {
    let config = ctx.load_config()?;
    let account = config.require_account(Some(&args.account))?;

    let mut logins: Vec<(&'static str, &Server)> = Vec::new();
    if let Some(server) = account.incoming.server() {
        logins.push(("incoming", server));
    }
    if let Some(server) = account.outgoing_server() {
        let same_login = logins.iter().any(|(_, s)| {
            s.user == server.user
                && match (uses_builtin_oauth2(s), uses_builtin_oauth2(server)) {
                    (false, false) => true,
                    (true, true) => s
                        .oauth2
                        .as_ref()
                        .zip(server.oauth2.as_ref())
                        .is_some_and(|(a, b)| a.same_grant(b)),
                    _ => false,
                }
        });
        if !same_login {
            logins.push(("outgoing", server));
        }
    }

    if logins.is_empty() {
        return Err(CliError::Usage(format!(
            "account {:?} has no server that needs a password (its mail is a local Maildir and it has no [outgoing] table)",
            account.name
        )));
    }

    if !logins.iter().any(|(_, s)| uses_builtin_oauth2(s)) && (args.device || args.no_browser) {
        return Err(CliError::Usage(format!(
            "--device and --no-browser are for OAuth2 logins; account {:?} has no oauth2_provider",
            account.name
        )));
    }
    let mut stored = 0;
    for (role, server) in &logins {
        if uses_builtin_oauth2(server) {
            super::login_oauth2::login(&account.name, role, server, &args)?;
            continue;
        }
        if server.oauth2_token_command.is_some() {
            eprintln!(
                "postie: account {:?} {role}: uses oauth2_token_command (auth = \"oauth2\"), so no login is needed",
                account.name
            );
            continue;
        }
        if server.password_command.is_some() {
            eprintln!(
                "postie: account {:?} {role}: uses password_command, so no keyring entry is needed",
                account.name
            );
            continue;
        }
        let prompt = format!(
            "Password for {} at {} (account {:?}, {role}): ",
            server.user, server.host, account.name
        );
        let password = read_password(&prompt)?;
        if password.is_empty() {
            return Err(CliError::Usage(format!(
                "empty password for {} on account {:?}; nothing stored",
                server.user, account.name
            )));
        }
        crate::credentials::store_password(
            &account.name,
            &server.user,
            SecretString::from(password),
        )?;
        stored += 1;
    }
    if stored > 0 {
        eprintln!(
            "postie: stored {stored} password{} for account {:?} in the system keyring",
            if stored == 1 { "" } else { "s" },
            account.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `server` logs in with the built-in OAuth2 client's grant (which `postie login`
/// gets) rather than a password or an `oauth2_token_command`.
fn uses_builtin_oauth2(server: &Server) -> bool {
    server.auth == crate::config::AuthMethod::OAuth2
        && server.oauth2_token_command.is_none()
        && server.oauth2.is_some()
}

/// One password: from the terminal without echo, or one line of standard input when that is
/// not a terminal.
fn read_password(prompt: &str) -> Result<String, CliError> {
    if io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt).map_err(CliError::Prompt);
    }
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(CliError::Prompt)?;
    let len = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(len);
    Ok(line)
}
