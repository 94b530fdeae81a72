//! `postie search`: full-text search of the local store. Works offline.

use std::io::Write;

use super::offline::{
    OfflineError, check_account, open_store, write_json_messages, write_text_messages,
};
use super::{CliError, Context};
use crate::config::Config;

/// Search the local store (subject, addresses, body text); best match first.
///
/// QUERY: words (all must match), "exact phrases", from:WORD, to:WORD (To and Cc; cc: is
/// the same), subject:WORD, body:WORD, a field with a phrase (subject:"weekly report"), a
/// trailing * for a prefix (deploy*), -WORD to exclude (-from:noreply too). Case and accents
/// are ignored ("cafe" finds "Café"). The whole syntax: docs/search.md, or `man postie-search`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SearchArgs {
    /// The query; several arguments are joined with spaces.
    #[arg(required = true, value_name = "QUERY")]
    pub query: Vec<String>,
    /// Only this account (default: every account).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Only this folder.
    #[arg(long, value_name = "FOLDER")]
    pub folder: Option<String>,
    /// Show at most N results.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Print a JSON array (the same objects as `list --json`).
    #[arg(long)]
    pub json: bool,
}

pub fn run_offline(
    config: &Config,
    args: &SearchArgs,
    out: &mut dyn Write,
) -> Result<(), OfflineError> {
    check_account(config, args.account.as_deref())?;
    let query = args.query.join(" ");
    let store = open_store(config)?;
    let msgs = store.search(
        &query,
        args.account.as_deref(),
        args.folder.as_deref(),
        args.limit,
    )?;
    if args.json {
        write_json_messages(out, &msgs)?;
    } else {
        write_text_messages(out, &msgs)?;
    }
    Ok(())
}

/// The `postie search` command.
pub fn run(ctx: &Context, args: SearchArgs) -> Result<std::process::ExitCode, CliError> {
    let config = ctx.load_config()?;
    super::offline::run_to_stdout(|out| run_offline(&config, &args, out))
}
