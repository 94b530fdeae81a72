//! `postie flag add|remove FLAG ID...`: set or clear a flag in the store at once; for IMAP
//! accounts the change is applied to the server at once when it is reachable, else queued and
//! replayed at the next sync.

use std::io::Write;

use super::offline::{OfflineError, open_store};
use super::{CliError, Context};
use crate::config::Config;
use crate::mail::Flag;
use crate::store::MessageId;

/// Set or clear a flag: seen, answered, flagged, deleted or draft.
#[derive(Debug, Clone, clap::Args)]
pub struct FlagArgs {
    /// add or remove.
    #[arg(value_enum)]
    pub action: FlagAction,
    /// seen, answered, flagged, deleted or draft.
    #[arg(value_name = "FLAG")]
    pub flag: String,
    /// Message ids.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<MessageId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlagAction {
    Add,
    Remove,
}

pub fn run_offline(
    config: &Config,
    args: &FlagArgs,
    _out: &mut dyn Write,
) -> Result<(), OfflineError> {
    let flag = Flag::parse(&args.flag).ok_or_else(|| {
        OfflineError::Usage(format!(
            "unknown flag {:?} (use seen, answered, flagged, deleted or draft)",
            args.flag
        ))
    })?;
    let mut store = open_store(config)?;
    store.set_flag(&args.ids, flag, args.action == FlagAction::Add)?;
    Ok(())
}

/// The `postie flag` command.
pub fn run(ctx: &Context, args: FlagArgs) -> Result<std::process::ExitCode, CliError> {
    let config = ctx.load_config()?;
    let accounts = super::remote::imap_accounts_of(&config, &args.ids);
    let code = super::offline::run_to_stdout(|out| run_offline(&config, &args, out))?;
    super::remote::apply_now(&config, &accounts)?;
    Ok(code)
}
