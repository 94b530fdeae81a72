//! `postie delete ID...`: to the account's Trash if it has one, else removed (queued for the
//! server on IMAP accounts).

use std::io::Write;

use super::offline::{OfflineError, open_store};
use super::{CliError, Context};
use crate::config::Config;
use crate::store::MessageId;

/// Delete messages: moved to Trash where the account has one, else removed.
#[derive(Debug, Clone, clap::Args)]
pub struct DeleteArgs {
    /// Message ids.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<MessageId>,
}

pub fn run_offline(
    config: &Config,
    args: &DeleteArgs,
    _out: &mut dyn Write,
) -> Result<(), OfflineError> {
    let mut store = open_store(config)?;
    store.delete_messages(&args.ids)?;
    Ok(())
}

/// The `postie delete` command.
pub fn run(ctx: &Context, args: DeleteArgs) -> Result<std::process::ExitCode, CliError> {
    let config = ctx.load_config()?;
    let accounts = super::remote::imap_accounts_of(&config, &args.ids);
    let code = super::offline::run_to_stdout(|out| run_offline(&config, &args, out))?;
    super::remote::apply_now(&config, &accounts)?;
    Ok(code)
}
