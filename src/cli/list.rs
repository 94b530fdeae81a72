//! `postie list`: envelopes from the local store, newest first. Works offline.

use std::io::Write;

use super::offline::{
    OfflineError, check_account, default_account, open_store, write_json_messages,
    write_text_messages,
};
use super::{CliError, Context};
use crate::config::Config;
use crate::store::ListQuery;

/// List messages from the local store, newest first: id, date, flags, sender, subject.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListArgs {
    /// The account (default: the default account).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// The folder (default: INBOX). Subfolders are written with `/`: `Lists/Rust`.
    #[arg(long, value_name = "FOLDER")]
    pub folder: Option<String>,
    /// Show at most N messages.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Skip the N newest messages first (for paging with --limit).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: u64,
    /// Print a JSON array of {id, account, folder, date, from, to, cc, subject, flags,
    /// has_body, message_id, size}.
    #[arg(long)]
    pub json: bool,
}

pub fn run_offline(
    config: &Config,
    args: &ListArgs,
    out: &mut dyn Write,
) -> Result<(), OfflineError> {
    check_account(config, args.account.as_deref())?;
    let store = open_store(config)?;
    let account = args.account.clone().or_else(|| default_account(config));
    let q = ListQuery {
        account,
        folder: Some(args.folder.clone().unwrap_or_else(|| "INBOX".to_owned())),
        limit: args.limit,
        offset: args.offset,
    };
    let msgs = match store.list(&q) {
        // Nothing synced yet: the default INBOX is simply empty, not a usage error.
        Err(crate::store::StoreError::NoSuchFolder { .. }) if args.folder.is_none() => Vec::new(),
        other => other?,
    };
    if args.json {
        write_json_messages(out, &msgs)?;
    } else {
        write_text_messages(out, &msgs)?;
    }
    Ok(())
}

/// The `postie list` command.
pub fn run(ctx: &Context, args: ListArgs) -> Result<std::process::ExitCode, CliError> {
    let config = ctx.load_config()?;
    super::offline::run_to_stdout(|out| run_offline(&config, &args, out))
}
