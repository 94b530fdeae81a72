//! Command-line definitions (clap derive), shared by the binary, the man page and completions.
//!
//! How to add a subcommand (the whole pattern, so every command looks the same):
//! 1. a file `src/cli/NAME.rs` with `pub struct NameArgs` (`#[derive(clap::Args)]`, its doc
//!    comments are the `--help` text) and `pub fn run(ctx: &Context, args: NameArgs) ->
//!    Result<ExitCode, CliError>`;
//! 2. one variant in [`Command`] and one arm in [`run`];
//! 3. if the command returns a new error type, one `#[from]` variant in [`CliError`] and one
//!    arm in [`CliError::kind`]. The binary prints the error chain and picks the exit code.
//!
//! This module owns argument parsing and the mapping from results to exit codes. It never
//! prints errors itself (main.rs does, as one line) and holds no mail logic: subcommands call
//! into config, credentials, engine and store.

mod check;
mod completions;
mod config;
pub mod delete;
pub mod demo;
mod first_run;
pub mod flag;
pub mod folder;
pub mod folders;
mod init;
mod init_email;
pub mod list;
mod login;
mod login_oauth2;
mod man;
pub mod move_to;
pub mod offline;
pub mod outbox;
mod plural;
pub mod read;
pub mod remote;
mod roff;
pub mod search;
pub mod send;
pub mod sync;
mod sync_progress;
pub mod tui;

use std::future::Future;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

use crate::error::ErrorKind;

pub use crate::error::chain_line as error_line;

pub use completions::CompletionsArgs;
pub use config::{ConfigAction, ConfigArgs};
pub use init::{InitArgs, InitError};
pub use login::LoginArgs;
pub use man::ManArgs;

/// postie: a terminal mail client (IMAP, POP3, SMTP submission) with an offline Maildir store.
///
/// Without a command, opens the terminal UI on the configured accounts.
#[derive(Debug, Parser)]
#[command(name = "postie", version, about, long_about)]
pub struct Cli {
    /// Read the config from PATH (default: $POSTIE_CONFIG, else the platform config dir,
    /// e.g. $XDG_CONFIG_HOME/postie/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Log to standard error: -v info, -vv debug, -vvv trace (default: warnings only,
    /// or the filter in $POSTIE_LOG).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// Never connect to a server: read and change the local store only (changes are queued
    /// for the next sync; messages sent wait in the outbox). POSTIE_OFFLINE=1 does the same
    /// (0, false, no, off or empty: online).
    #[arg(
        long,
        global = true,
        env = "POSTIE_OFFLINE",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub offline: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands: one variant and one file in `src/cli/` each.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented config template (never overwrites an existing file) and say where;
    /// with --email ADDR, find that account's servers and write the account.
    Init(InitArgs),
    /// Inspect the config file (`postie config check`).
    Config(ConfigArgs),
    /// Store an account's password in the system keyring, or (OAuth2 servers) log in with the
    /// provider and store the grant there.
    Login(LoginArgs),
    /// Print a shell completion script to standard output.
    Completions(CompletionsArgs),
    /// Print a man page (roff) to standard output: postie(1), postie-COMMAND(1),
    /// postie-config(5); or write them all to a directory (--out-dir).
    Man(ManArgs),
    /// Send a message: from flags, or a whole message on standard input (-t, or ADDR...);
    /// a sendmail stand-in (-i, -oi, -f ADDR).
    Send(Box<send::SendArgs>),
    /// List folders with total and unread counts (from the local store; works offline).
    Folders(folders::FoldersArgs),
    /// Create, rename, delete or subscribe to a folder (on the server at once for IMAP).
    Folder(folder::FolderArgs),
    /// List messages newest first: id, date, flags, sender, subject (works offline).
    List(list::ListArgs),
    /// Print a message as text (headers, body, attachment list), or its exact bytes (--raw).
    Read(read::ReadArgs),
    /// Search the local store (words, fields, flags, dates, attachments; works offline).
    #[command(after_long_help = search::SYNTAX)]
    Search(search::SearchArgs),
    /// Set or clear a flag (seen, answered, flagged, deleted, draft) on messages.
    Flag(flag::FlagArgs),
    /// Move messages to another folder of their account.
    Move(move_to::MoveArgs),
    /// Delete messages (to Trash where the account has one).
    Delete(delete::DeleteArgs),
    /// Open the terminal UI on a sample mailbox in a throw-away data dir (no config, no
    /// network); `--print` only builds it and prints where.
    Demo(demo::DemoArgs),
    /// Download new mail (POP3, IMAP), push changes made offline, and send the outbox.
    Sync(sync::SyncArgs),
    /// Show the messages queued for sending, send them now (flush), or drop one.
    Outbox(outbox::OutboxArgs),
}

/// What every subcommand gets besides its own arguments: the global options.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `--config PATH`, if given; see [`crate::config::locate`] for the rest of the lookup.
    pub config_path: Option<PathBuf>,
    /// How many `-v` were given.
    pub verbose: u8,
    /// `--offline`: never connect.
    pub offline: bool,
}

impl Context {
    /// Finds, reads and validates the config (the lookup order of the spec). Warnings about
    /// its permissions go to standard error here, once per run (every command loads the
    /// config once).
    pub fn load_config(&self) -> Result<crate::config::Config, CliError> {
        let (config, warnings) = self.load_config_with_warnings()?;
        for warning in warnings {
            eprintln!("postie: warning: {warning}");
        }
        Ok(config)
    }

    /// [`Context::load_config`] for the terminal UI, which may not write to the terminal:
    /// the permission warnings come back to be shown in the UI instead.
    pub fn load_config_with_warnings(
        &self,
    ) -> Result<(crate::config::Config, Vec<String>), CliError> {
        let config = crate::config::load(self.config_path.as_deref())?;
        let warnings = crate::config::permission_warnings(&config);
        Ok((config, warnings))
    }
}

/// Why a command failed. Every variant knows its [`ErrorKind`], which picks the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Credential(#[from] crate::credentials::CredentialError),
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    #[error(transparent)]
    OAuth2(#[from] crate::oauth2::OAuth2Error),
    #[error(transparent)]
    Init(#[from] InitError),
    #[error(transparent)]
    Send(#[from] send::SendError),
    #[error(transparent)]
    Offline(#[from] offline::OfflineError),
    #[error(transparent)]
    Tui(#[from] tui::TuiError),
    /// The arguments parsed but make no sense together (exit 64).
    #[error("{0}")]
    Usage(String),
    #[error("cannot read the password from the terminal")]
    Prompt(#[source] io::Error),
    #[error("cannot write to standard output")]
    Stdout(#[source] io::Error),
    #[error("cannot start the async runtime")]
    Runtime(#[source] io::Error),
    /// `postie sync` failed for one or more accounts; each was already reported.
    #[error("{failed} of {total} accounts failed to sync")]
    SyncFailed {
        failed: usize,
        total: usize,
        kind: ErrorKind,
    },
    #[error("{what} is not built yet")]
    NotBuilt { what: &'static str },
    #[error(transparent)]
    Engine(Box<crate::engine::AccountError>),
    /// `read` of a message whose body was never downloaded, with its server unreachable.
    #[error("cannot read message {id}: only its envelope is stored and its body was never fetched")]
    BodyNotFetched {
        id: crate::store::MessageId,
        #[source]
        source: Box<crate::engine::AccountError>,
    },
    /// `read` of an envelope-only message in an offline run (exit 69: not available offline).
    #[error(
        "cannot read message {id}: only its envelope is stored, and its body is not available \
         offline (run `postie read {id}` or `postie sync` without --offline to download it)"
    )]
    BodyNotAvailableOffline { id: crate::store::MessageId },
}

impl From<crate::engine::AccountError> for CliError {
    fn from(e: crate::engine::AccountError) -> CliError {
        CliError::Engine(Box::new(e))
    }
}

impl From<Box<crate::engine::AccountError>> for CliError {
    fn from(e: Box<crate::engine::AccountError>) -> CliError {
        CliError::Engine(e)
    }
}

impl CliError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CliError::Config(e) => e.kind(),
            CliError::Credential(e) => e.kind(),
            CliError::Net(e) => e.kind(),
            CliError::OAuth2(e) => e.kind(),
            CliError::Init(e) => e.kind(),
            CliError::Send(e) => e.kind(),
            CliError::Offline(e) => e.kind(),
            CliError::Tui(e) => e.kind(),
            CliError::Usage(_) => ErrorKind::Usage,
            CliError::Prompt(_) | CliError::Stdout(_) => ErrorKind::Io,
            CliError::SyncFailed { kind, .. } => *kind,
            CliError::Runtime(_) | CliError::NotBuilt { .. } => ErrorKind::Internal,
            CliError::Engine(e) => e.kind(),
            CliError::BodyNotFetched { .. } => ErrorKind::Temporary,
            CliError::BodyNotAvailableOffline { .. } => ErrorKind::Network,
        }
    }

    /// The process exit status for this error: [`exit_code`] of its kind, except where sysexits
    /// has a more precise code than any kind (an existing file `init` will not overwrite: 73).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Init(InitError::Exists { .. } | InitError::AccountExists { .. }) => {
                EX_CANTCREAT
            }
            other => exit_code(other.kind()),
        }
    }
}

/// sysexits(3) `EX_USAGE`: also what clap's own usage errors exit with.
pub const EX_USAGE: u8 = 64;
/// sysexits(3) `EX_CANTCREAT`: a (user specified) output file cannot be created.
pub const EX_CANTCREAT: u8 = 73;

/// The exit status for a kind of failure (sysexits, as sendmail and msmtp use them).
pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Usage => EX_USAGE,
        ErrorKind::Data => 65,
        ErrorKind::Network | ErrorKind::Tls => 69,
        ErrorKind::Internal => 70,
        ErrorKind::Io => 74,
        ErrorKind::Temporary => 75,
        ErrorKind::Protocol => 76,
        ErrorKind::Auth => 77,
        ErrorKind::Config => 78,
    }
}

/// Runs the parsed command line. Errors are returned, not printed: main.rs prints them as one
/// line and exits with [`CliError::exit_code`]. `Ok` carries the exit status for commands that
/// report a failure themselves (`config check` prints its `FILE:LINE` list, then exits 78).
///
/// `--offline` is decided here, once, for every command: connections are forbidden for the
/// whole process ([`crate::net::offline`]) before any command code runs.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    if cli.offline {
        crate::net::offline::forbid_connections();
    }
    let ctx = Context {
        config_path: cli.config,
        verbose: cli.verbose,
        offline: cli.offline,
    };
    match cli.command {
        None => tui::run(&ctx),
        Some(Command::Init(args)) => init::run(&ctx, args),
        Some(Command::Config(args)) => config::run(&ctx, args),
        Some(Command::Login(args)) => login::run(&ctx, args),
        Some(Command::Completions(args)) => completions::run(&ctx, args),
        Some(Command::Man(args)) => man::run(&ctx, args),
        Some(Command::Send(args)) => send::run(&ctx, *args),
        Some(Command::Folders(args)) => folders::run(&ctx, args),
        Some(Command::Folder(args)) => folder::run(&ctx, args),
        Some(Command::List(args)) => list::run(&ctx, args),
        Some(Command::Read(args)) => read::run(&ctx, args),
        Some(Command::Search(args)) => search::run(&ctx, args),
        Some(Command::Flag(args)) => flag::run(&ctx, args),
        Some(Command::Move(args)) => move_to::run(&ctx, args),
        Some(Command::Delete(args)) => delete::run(&ctx, args),
        Some(Command::Demo(args)) => demo::run(&ctx, args),
        Some(Command::Sync(args)) => sync::run(&ctx, args),
        Some(Command::Outbox(args)) => outbox::run(&ctx, args),
    }
}

/// Runs a future to completion on a fresh multi-threaded tokio runtime, for the subcommands
/// that talk to servers. Commands stay plain functions; only the ones that need async pay for
/// a runtime.
pub fn block_on<F: Future>(future: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    Ok(runtime.block_on(future))
}

/// Writes `bytes` to standard output. A closed pipe (`postie man | head`) is not a failure:
/// the reader has all it wanted.
pub fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Stdout(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn verbose_counts_and_config_is_global() {
        let cli = Cli::try_parse_from(["postie", "-vv", "config", "check", "--config", "/x"])
            .expect("parses");
        assert_eq!(cli.verbose, 2);
        assert_eq!(cli.config, Some(PathBuf::from("/x")));
        assert!(matches!(cli.command, Some(Command::Config(_))));
    }

    #[test]
    fn exit_codes_follow_sysexits() {
        assert_eq!(exit_code(ErrorKind::Usage), 64);
        assert_eq!(exit_code(ErrorKind::Data), 65);
        assert_eq!(exit_code(ErrorKind::Network), 69);
        assert_eq!(exit_code(ErrorKind::Tls), 69);
        assert_eq!(exit_code(ErrorKind::Internal), 70);
        assert_eq!(exit_code(ErrorKind::Io), 74);
        assert_eq!(exit_code(ErrorKind::Temporary), 75);
        assert_eq!(exit_code(ErrorKind::Protocol), 76);
        assert_eq!(exit_code(ErrorKind::Auth), 77);
        assert_eq!(exit_code(ErrorKind::Config), 78);
    }
}
