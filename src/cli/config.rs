//! `postie config check`: validate the config and print every problem as `FILE:LINE: message`.

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, Context};
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
fn check(ctx: &Context) -> Result<ExitCode, CliError> {
    let path = config::locate(ctx.config_path.as_deref())?;
    match config::Config::from_file(&path) {
        Ok(config) => {
            for warning in config::permission_warnings(&config) {
                eprintln!("warning: {warning}");
            }
            let n = config.accounts.len();
            let summary = match config.default_account() {
                Some(default) => format!(
                    "{}: OK: {n} account{}, default {:?}\n",
                    path.display(),
                    if n == 1 { "" } else { "s" },
                    default.name
                ),
                None => format!(
                    "{}: OK: no accounts yet (add an [accounts.NAME] table; `postie demo` works without one)\n",
                    path.display()
                ),
            };
            super::write_stdout(summary.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(ConfigError::Invalid { path, problems }) => {
            for problem in &problems {
                eprintln!("{}", problem.display(&path));
            }
            Ok(ExitCode::from(super::exit_code(
                crate::error::ErrorKind::Config,
            )))
        }
        Err(other) => Err(other.into()),
    }
}
