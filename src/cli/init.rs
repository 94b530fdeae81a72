//! `postie init`: write the commented config template where the config lookup will find it;
//! with `--email ADDR`, find the account's servers and write that account instead (see
//! `init_email.rs`).
//!
//! Never overwrites: the file is created with `create_new` (atomic, so two racing `init`s
//! cannot clobber each other either), mode 0600 because it may hold a `password_command`; its
//! directory is created 0700.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{CliError, Context};
use crate::error::ErrorKind;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Find the servers of this address (provider table, autoconfig, DNS SRV, checked guesses)
    /// and write its account, saying where each setting came from; appended as a new
    /// [accounts.NAME] to an existing config, which is otherwise left as it is.
    #[arg(long, value_name = "ADDR")]
    pub email: Option<String>,
    /// The account's name with --email (default: the domain's first label, e.g. `example`).
    #[arg(long, value_name = "NAME", requires = "email")]
    pub name: Option<String>,
    /// With --email: print the account's TOML instead of writing it.
    #[arg(long, requires = "email")]
    pub dry_run: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// Exit 73 (`EX_CANTCREAT`), not 78: the existing config may be perfectly good, and a
    /// script should not be told it is broken.
    #[error("{} already exists; not overwriting it (edit it, or run `postie config check`)", path.display())]
    Exists { path: PathBuf },
    #[error("cannot create directory {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// `init --email` into a config that already has an account of that name.
    #[error("{} already has an account {name:?}; not touching it (choose another with --name)", path.display())]
    AccountExists { path: PathBuf, name: String },
    /// `init --email` into a config it cannot safely add to.
    #[error("cannot add an account to {}: {reason}; fix it first (`postie config check`)", path.display())]
    Unparsable { path: PathBuf, reason: String },
    #[error(transparent)]
    Discover(#[from] crate::discover::DiscoverError),
}

impl InitError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            InitError::Exists { .. }
            | InitError::AccountExists { .. }
            | InitError::Unparsable { .. } => ErrorKind::Config,
            InitError::CreateDir { .. } | InitError::Write { .. } => ErrorKind::Io,
            InitError::Discover(e) => e.kind(),
        }
    }
}

pub fn run(ctx: &Context, args: InitArgs) -> Result<ExitCode, CliError> {
    if let Some(email) = args.email {
        return super::init_email::run(ctx, &email, args.name, args.dry_run);
    }
    let path = crate::config::locate(ctx.config_path.as_deref())?;
    write_template(&path)?;
    let message = format!(
        "wrote a config template to {}\nedit it, then run `postie config check` and `postie login ACCOUNT`\n",
        path.display()
    );
    super::write_stdout(message.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Creates `path` (and its missing parent directories, 0700) holding [`crate::config::TEMPLATE`].
pub fn write_template(path: &Path) -> Result<(), InitError> {
    write_new(path, crate::config::TEMPLATE.as_bytes())
}

/// Creates `path` (and its missing parent directories, 0700), mode 0600, holding `contents`;
/// never over an existing file ([`InitError::Exists`]).
pub fn write_new(path: &Path, contents: &[u8]) -> Result<(), InitError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|source| InitError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
    }
    let mut file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(InitError::Exists {
                path: path.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(InitError::Write {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if let Err(source) = written {
        // Leave no half-written config behind: the next `init` would refuse to replace it.
        let _ = fs::remove_file(path);
        return Err(InitError::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    Ok(())
}
