//! `postie folder create|rename|delete|subscribe|unsubscribe ACCOUNT NAME [NEW]`: manage an
//! account's folders (issue 13, item 5).
//!
//! This file owns the arguments and the one confirmation line; the work is
//! [`crate::engine::folders`]. IMAP accounts change the server at once and need a connection
//! (offline or unreachable: refused, exit 69, nothing changed); Maildir, POP3 and local
//! accounts change the store only.

use std::process::ExitCode;

use super::offline::open_store;
use super::remote::CONNECT_TIMEOUT;
use super::{CliError, Context, block_on, write_stdout};
use crate::engine::folders::{FolderOp, manage_folder};
use crate::net::offline::connections_allowed;

/// Create, rename, delete or (IMAP) subscribe to a folder of an account.
#[derive(Debug, clap::Args)]
pub struct FolderArgs {
    #[command(subcommand)]
    pub action: FolderAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum FolderAction {
    /// Create folder NAME (`/` for subfolders), on the server for IMAP accounts.
    Create {
        #[arg(value_name = "ACCOUNT")]
        account: String,
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Rename folder NAME (and its subfolders) to NEW; messages keep their ids.
    Rename {
        #[arg(value_name = "ACCOUNT")]
        account: String,
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(value_name = "NEW")]
        new: String,
    },
    /// Delete folder NAME (not INBOX, not one with subfolders).
    Delete {
        #[arg(value_name = "ACCOUNT")]
        account: String,
        #[arg(value_name = "NAME")]
        name: String,
        /// Delete it even though it holds messages (they are lost).
        #[arg(long)]
        force: bool,
    },
    /// Subscribe to folder NAME on the IMAP server.
    Subscribe {
        #[arg(value_name = "ACCOUNT")]
        account: String,
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Unsubscribe from folder NAME on the IMAP server.
    Unsubscribe {
        #[arg(value_name = "ACCOUNT")]
        account: String,
        #[arg(value_name = "NAME")]
        name: String,
    },
}

impl FolderAction {
    fn split(self) -> (String, FolderOp) {
        match self {
            FolderAction::Create { account, name } => (account, FolderOp::Create { name }),
            FolderAction::Rename { account, name, new } => (
                account,
                FolderOp::Rename {
                    from: name,
                    to: new,
                },
            ),
            FolderAction::Delete {
                account,
                name,
                force,
            } => (account, FolderOp::Delete { name, force }),
            FolderAction::Subscribe { account, name } => {
                (account, FolderOp::Subscribe { name, on: true })
            }
            FolderAction::Unsubscribe { account, name } => {
                (account, FolderOp::Subscribe { name, on: false })
            }
        }
    }
}

/// The `postie folder` command.
pub fn run(ctx: &Context, args: FolderArgs) -> Result<ExitCode, CliError> {
    let config = ctx.load_config()?;
    let (account_name, op) = args.action.split();
    let Some(account) = config.accounts.iter().find(|a| a.name == account_name) else {
        return Err(CliError::Usage(format!(
            "no account {account_name:?} in the config (see `postie config check`)"
        )));
    };
    let mut store = open_store(&config)?;
    block_on(manage_folder(
        &mut store,
        account,
        &op,
        connections_allowed(),
        CONNECT_TIMEOUT,
    ))??;
    write_stdout(format!("{} in account {account_name}\n", op.done_line()).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
