//! The typed config file: lookup, parsing with `FILE:LINE: message` errors, defaults and paths.
//!
//! SKELETON: the types below are the contract other modules code against. The parser,
//! validation and path resolution are being written (see issue #2).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// The whole, validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the config was read from (None for the built-in demo config).
    pub path: Option<PathBuf>,
    /// Theme name: a file in themes/ or `<config dir>/postie/themes/`.
    pub theme: String,
    /// The local store's root, resolved (`data_dir`, else `$POSTIE_DATA_DIR`, else platform).
    pub data_dir: PathBuf,
    /// Accounts, the default account first, the rest in file order.
    pub accounts: Vec<Account>,
    /// The `[keys]` table: action name -> key, validated by the UI.
    pub keys: BTreeMap<String, String>,
}

/// One `[accounts.NAME]` table.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub email: String,
    pub display_name: Option<String>,
    pub default: bool,
    pub incoming: Incoming,
    pub outgoing: Option<Outgoing>,
}

/// How mail comes in: one variant per `protocol`.
#[derive(Debug, Clone)]
pub enum Incoming {
    Imap(ImapIncoming),
    Pop3(Pop3Incoming),
    Maildir(MaildirIncoming),
}

/// A server to connect to, with everything defaulted and resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub host: String,
    /// The explicit port, or the protocol's standard one for the TLS mode.
    pub port: u16,
    pub tls: TlsMode,
    /// Required for `tls = "none"`.
    pub allow_plaintext: bool,
    /// An extra trusted CA (PEM), on top of the system roots.
    pub ca_file: Option<PathBuf>,
    /// Login name (default: the account's email).
    pub user: String,
    /// Shell command whose first line of stdout is the password; else the keyring.
    pub password_command: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Implicit,
    StartTls,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapIncoming {
    pub server: Server,
    pub fetch_bodies: FetchBodies,
    /// Folders the TUI keeps an IDLE connection on (default: INBOX).
    pub idle_folders: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchBodies {
    OnDemand,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Incoming {
    pub server: Server,
    pub mode: Pop3Mode,
    /// Keep mode only: delete from the server this many days after download.
    pub leave_on_server_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop3Mode {
    Keep,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirIncoming {
    /// The Maildir root, `~` expanded.
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub server: Server,
    /// Queue in the outbox (exit 75) instead of failing when the server cannot be reached.
    pub queue_on_failure: bool,
}

/// The commented template `postie init` writes. Valid as written.
pub const TEMPLATE: &str = "";

/// One problem in the config file: `FILE:LINE: message` when displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when the problem is tied to one.
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    /// `FILE:LINE: message` (or `FILE: message` when there is no line).
    pub fn display(&self, path: &std::path::Path) -> String {
        match self.line {
            Some(line) => format!("{}:{line}: {}", path.display(), self.message),
            None => format!("{}: {}", path.display(), self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no config file at {}: run `postie init` to write a template there", path.display())]
    NotFound { path: PathBuf },
    #[error("config not implemented yet")]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("no account named {name:?}")]
    UnknownAccount { name: String },
}

impl ConfigError {
    pub fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Config
    }
}

/// Where the config file is: `explicit` (`--config`), else `$POSTIE_CONFIG`, else the platform
/// config dir's `postie/config.toml`.
pub fn locate(explicit: Option<&std::path::Path>) -> Result<PathBuf, ConfigError> {
    Ok(explicit.map(PathBuf::from).unwrap_or_default())
}

/// Finds, reads and validates the config.
pub fn load(explicit: Option<&std::path::Path>) -> Result<Config, ConfigError> {
    Config::from_file(&locate(explicit)?)
}

impl Config {
    pub fn from_file(path: &std::path::Path) -> Result<Config, ConfigError> {
        Err(ConfigError::NotFound {
            path: path.to_path_buf(),
        })
    }
    pub fn default_account(&self) -> Option<&Account> {
        self.accounts.first()
    }
    pub fn require_account(&self, name: Option<&str>) -> Result<&Account, ConfigError> {
        let name = name.unwrap_or_default();
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .ok_or(ConfigError::UnknownAccount {
                name: name.to_string(),
            })
    }
}

impl Incoming {
    pub fn server(&self) -> Option<&Server> {
        match self {
            Incoming::Imap(i) => Some(&i.server),
            Incoming::Pop3(p) => Some(&p.server),
            Incoming::Maildir(_) => None,
        }
    }
}

impl Account {
    pub fn outgoing_server(&self) -> Option<&Server> {
        self.outgoing.as_ref().map(|o| &o.server)
    }
}
