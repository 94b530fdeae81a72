//! `postie move FOLDER ID...`: move messages to another folder of their account (queued for
//! the server on IMAP accounts).

use std::io::Write;

use super::offline::{OfflineError, open_store};
use super::{CliError, Context};
use crate::config::Config;
use crate::store::MessageId;

/// Move messages to FOLDER in their own account (created locally if missing).
#[derive(Debug, Clone, clap::Args)]
pub struct MoveArgs {
    /// The destination folder (`/` for subfolders).
    #[arg(value_name = "FOLDER")]
    pub folder: String,
    /// Message ids.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<MessageId>,
}

pub fn run_offline(
    config: &Config,
    args: &MoveArgs,
    _out: &mut dyn Write,
) -> Result<(), OfflineError> {
    let mut store = open_store(config)?;
    store.move_messages(&args.ids, &args.folder)?;
    Ok(())
}

/// The `postie move` command.
pub fn run(ctx: &Context, args: MoveArgs) -> Result<std::process::ExitCode, CliError> {
    let config = ctx.load_config()?;
    let accounts = super::remote::imap_accounts_of(&config, &args.ids);
    let code = super::offline::run_to_stdout(|out| run_offline(&config, &args, out))?;
    super::remote::apply_now(&config, &accounts)?;
    Ok(code)
}
