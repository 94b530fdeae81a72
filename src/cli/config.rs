//! `postie config check`: validate the config and print every problem as `FILE:LINE: message`.

use std::process::ExitCode;

use clap::Subcommand;

use super::plural::plural;
use super::{CliError, Context, check};
use crate::config::{self, ConfigError};

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate the config file: print each problem as FILE:LINE: message and exit 78, or a
    /// one-line summary and exit 0.
    Check,
}

pub fn run(ctx: &Context, args: ConfigArgs) -> Result<ExitCode, CliError> {
    match args.action {
        ConfigAction::Check => check(ctx),
    }
}

/// Problems go to standard error in the compiler format (`FILE:LINE: message`, no `postie:`
/// prefix) so editors can jump to them; the summary of a good file goes to standard output.
///
/// Exit 78 for anything that stops postie (a parse error, a bad `[keys]` entry or theme) and
/// for a file still holding the template's placeholders ("not yet configured": a newcomer must
/// not read "OK" before postie can work); warnings alone leave the exit status 0.
fn check(ctx: &Context) -> Result<ExitCode, CliError> {
    let path = config::locate(ctx.config_path.as_deref())?;
    let not_ok = ExitCode::from(super::exit_code(crate::error::ErrorKind::Config));
    let config = match config::Config::from_file(&path) {
        Ok(config) => config,
        Err(ConfigError::Invalid { path, problems }) => {
            for problem in &problems {
                eprintln!("{}", problem.display(&path));
            }
            return Ok(not_ok);
        }
        Err(other) => return Err(other.into()),
    };
    for warning in config::permission_warnings(&config) {
        eprintln!("warning: {warning}");
    }
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let keyring = |account: &str, user: &str| {
        crate::credentials::keyring_has_password(account, user).map_err(|e| match e {
            crate::credentials::CredentialError::Keyring { reason, .. } => reason,
            other => other.to_string(),
        })
    };
    let found = check::findings(&config, &text, &keyring);
    let mut all: Vec<_> = found
        .errors
        .iter()
        .chain(&found.placeholders)
        .chain(&found.warnings)
        .collect();
    all.sort_by_key(|p| p.line);
    for problem in all {
        eprintln!("{}", problem.display(&path));
    }
    if !found.errors.is_empty() {
        return Ok(not_ok);
    }
    if !found.placeholders.is_empty() {
        eprintln!(
            "{}: not yet configured: {} placeholder {} from the template; put your account's own {} there and run `postie config check` again",
            path.display(),
            found.placeholders.len(),
            plural(found.placeholders.len() as u64, "value is", "values are"),
            plural(found.placeholders.len() as u64, "value", "values"),
        );
        return Ok(not_ok);
    }
    let n = config.accounts.len();
    let warnings = match found.warnings.len() {
        0 => String::new(),
        w => format!(" ({w} {})", plural(w as u64, "warning", "warnings")),
    };
    let summary = match config.default_account() {
        Some(default) => format!(
            "{}: OK: {n} {}, default {:?}{warnings}\n",
            path.display(),
            plural(n as u64, "account", "accounts"),
            default.name
        ),
        None => format!(
            "{}: OK: no accounts yet (add an [accounts.NAME] table; `postie demo` works without one){warnings}\n",
            path.display()
        ),
    };
    super::write_stdout(summary.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
