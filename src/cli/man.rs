//! `postie man`: the man page (roff), generated from the same clap definition.

use std::process::ExitCode;

use clap::CommandFactory;

use super::{Cli, CliError, Context};

#[derive(Debug, clap::Args)]
pub struct ManArgs {}

pub fn run(_ctx: &Context, _args: ManArgs) -> Result<ExitCode, CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(CliError::Stdout)?;
    super::write_stdout(&page)?;
    Ok(ExitCode::SUCCESS)
}
