//! `postie folders`: folders with total and unread counts, from the local store.

use std::io::Write;

use serde_json::json;

use super::offline::{OfflineError, check_account, open_store, sanitize};
use super::{CliError, Context};
use crate::config::Config;

/// List folders with their total and unread message counts (from the local store).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FoldersArgs {
    /// Only this account's folders (default: every account).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Print a JSON array of {account, name, total, unread, role}.
    #[arg(long)]
    pub json: bool,
}

pub fn run_offline(
    config: &Config,
    args: &FoldersArgs,
    out: &mut dyn Write,
) -> Result<(), OfflineError> {
    check_account(config, args.account.as_deref())?;
    let store = open_store(config)?;
    let folders = store.folders(args.account.as_deref())?;
    if args.json {
        let arr: Vec<_> = folders
            .iter()
            .map(|f| {
                json!({
                    "account": f.account,
                    "name": f.name,
                    "total": f.total,
                    "unread": f.unread,
                    "role": f.role,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &arr).map_err(std::io::Error::from)?;
        writeln!(out)?;
        return Ok(());
    }
    let width = folders
        .iter()
        .map(|f| f.account.chars().count() + 1 + f.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    writeln!(out, "{:<width$}  {:>7}  {:>7}", "FOLDER", "TOTAL", "UNREAD")?;
    for f in &folders {
        let name = sanitize(&format!("{}/{}", f.account, f.name));
        writeln!(out, "{name:<width$}  {:>7}  {:>7}", f.total, f.unread)?;
    }
    Ok(())
}

/// The `postie folders` command.
pub fn run(ctx: &Context, args: FoldersArgs) -> Result<std::process::ExitCode, CliError> {
    let config = ctx.load_config()?;
    super::offline::run_to_stdout(|out| run_offline(&config, &args, out))
}
