//! `postie completions SHELL`: a completion script generated from the same clap definition.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, CliError, Context};

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(_ctx: &Context, args: CompletionsArgs) -> Result<ExitCode, CliError> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "postie", &mut script);
    super::write_stdout(&script)?;
    Ok(ExitCode::SUCCESS)
}
