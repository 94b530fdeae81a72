//! The typed config file: lookup, parsing with `FILE:LINE: message` errors, defaults and paths.
//!
//! The types here are the contract the rest of postie codes against: everything is resolved
//! (ports, TLS modes, inherited outgoing settings, `~`, the data dir), so no other module reads
//! the environment or applies a default. This module only reads files; it never connects,
//! never runs `password_command` and never touches the keyring (see [`crate::credentials`]).
//!
//! A config file other users could change is refused before it is parsed (`password_command`
//! runs from it); milder exposures are [`permission_warnings`] (see `permissions.rs`).

mod auth;
mod hints;
mod identity;
mod interval;
mod lines;
mod oauth2;
mod parse;
mod paths;
mod permissions;
mod raw;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_auth;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::ErrorKind;

pub use auth::AuthMethod;
pub use hints::{accepted_keys, did_you_mean};
pub use identity::{Identity, address_of};
pub use interval::{DEFAULT_CHECK_INTERVAL, MIN_CHECK_INTERVAL};
pub use lines::key_line;
pub use oauth2::{OAuth2Client, OAuth2Provider, endpoint_problem};
pub use paths::Env;

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
    /// `folder_pane`: whether the TUI starts with the folder pane shown; None (unset): shown
    /// unless the terminal is narrower than 80 columns.
    pub folder_pane: Option<bool>,
    /// Asked for address completions besides the addresses seen in mail (`sh -c`; `%s` is the
    /// typed text, shell-quoted; without `%s` it is appended as an argument).
    pub address_book_command: Option<String>,
    /// The headers the TUI's reader shows, in order (`headers`); None: its default list.
    /// Each is a valid header field name (checked here).
    pub headers: Option<Vec<String>>,
    /// `[ui] auto_view`: MIME types (lowercase; `text/*` allowed) the reader shows through
    /// their mailcap `copiousoutput` entry instead of the built-in conversion.
    pub auto_view: Vec<String>,
    /// `index_decrypted`: put the text of encrypted mail, once decrypted for reading, into the
    /// full-text index (in clear, on disk). Default false: encrypted mail is searched by its
    /// headers only.
    pub index_decrypted: bool,
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
    /// How often the TUI checks for new mail (`check_interval` of an imap or pop3 incoming
    /// table; default [`DEFAULT_CHECK_INTERVAL`]); None: never by the clock (`"off"`, and
    /// Maildir accounts, which the UI re-reads as it goes).
    pub check_interval: Option<std::time::Duration>,
    /// Run (`sh -c`) when the TUI finds new mail in the account: the account's
    /// `notify_command`, else the top-level one. Gets the news in `POSTIE_*` variables.
    pub notify_command: Option<String>,
    /// The Froms the account sends as: its own (`email`, `name`, `signature`) first, then each
    /// `[[accounts.NAME.identities]]` in file order. Never empty for a parsed account.
    pub identities: Vec<Identity>,
    /// Other addresses that are also "me" (`aliases`): replies answer from the identity the
    /// original was sent to, and reply-all drops every one of them.
    pub aliases: Vec<String>,
    /// Where a reply starts (`reply_style`): the account's value, else the top-level one;
    /// None: neither is set ([`crate::mail::compose::ReplyStyle::default`], below the quote).
    pub reply_style: Option<crate::mail::compose::ReplyStyle>,
    /// OpenPGP defaults for mail written from this account (`pgp_sign`, `pgp_encrypt`,
    /// `pgp_key`).
    pub pgp: PgpSettings,
}

/// An account's OpenPGP settings; the composer's toggles and `postie send --sign/--encrypt`
/// start from these.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PgpSettings {
    /// `pgp_sign`: sign new mail (default false).
    pub sign: bool,
    /// `pgp_encrypt`: when to encrypt new mail.
    pub encrypt: PgpEncrypt,
    /// `pgp_key`: the key to sign with (and to encrypt the sender's copy to): a key id,
    /// fingerprint or user id as gpg's --local-user takes it. None: the account's address.
    pub key: Option<String>,
    /// `autocrypt`: outgoing mail carries an Autocrypt header with the sender's public key
    /// (default false).
    pub autocrypt: bool,
}

/// `pgp_encrypt`: whether new mail is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PgpEncrypt {
    /// Only when asked (the composer's toggle, `postie send --encrypt`).
    #[default]
    Never,
    /// When every recipient has a usable key; otherwise sent unencrypted, as asked.
    IfAllKeys,
    /// Always: a recipient without a key stops the message.
    Always,
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
    /// The built-in OAuth2 client (`oauth2_provider` and friends; `postie login` gets its
    /// grant); None: no built-in OAuth2 for this server. An outgoing table without its own
    /// takes the incoming one's.
    pub oauth2: Option<OAuth2Client>,
    /// Login name (default: the account's email).
    pub user: String,
    /// Shell command whose first line of stdout is the password; else the keyring. Always
    /// None with `auth = "oauth2"`.
    pub password_command: Option<String>,
    /// `auth`: a password, or an OAuth2 access token (OAUTHBEARER / XOAUTH2).
    pub auth: AuthMethod,
    /// With `auth = "oauth2"`: shell command whose first line of stdout is an access token;
    /// None: the built-in OAuth2 client.
    pub oauth2_token_command: Option<String>,
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
    /// Download the special-use `\All` folder too (Gmail's "All Mail"): off by default, since
    /// it holds a second copy of every message of every other folder.
    pub sync_all_mail: bool,
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

/// The commented template `postie init` writes: every key of the spec's example, explained,
/// with one example account whose placeholder values parse as written (`postie config check`
/// then names each one still to replace).
pub const TEMPLATE: &str = include_str!("template.toml");

/// One problem in the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Another file the problem is in (a theme the config names), instead of the config.
    pub file: Option<PathBuf>,
    /// 1-based line, when the problem is tied to one.
    pub line: Option<usize>,
    /// What is wrong and, where it helps, how to fix it. One line.
    pub message: String,
}

impl Problem {
    /// `FILE:LINE: message` (or `FILE: message` when there is no line).
    pub fn display(&self, path: &Path) -> String {
        let path = self.file.as_deref().unwrap_or(path);
        match self.line {
            Some(line) => format!("{}:{line}: {}", path.display(), self.message),
            None => format!("{}: {}", path.display(), self.message),
        }
    }
}

/// Why there is no usable config. Every variant is [`ErrorKind::Config`] (exit 78).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no config file at {}: run `postie init` to write a template there", path.display())]
    NotFound { path: PathBuf },
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file has problems; `postie config check` prints them all, other commands the first.
    #[error("{}", summarize(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error(
        "cannot find the config directory: set $XDG_CONFIG_HOME or $HOME, or pass --config PATH"
    )]
    NoConfigDir,
    #[error(
        "no accounts in {}: add an [accounts.NAME] table (`postie init` writes an example), or try `postie demo`",
        path.as_deref().map(|p| p.display().to_string()).unwrap_or_else(|| "the config".to_string())
    )]
    NoAccounts { path: Option<PathBuf> },
    #[error("no account named {name:?}: the accounts are {}", known.join(", "))]
    UnknownAccount { name: String, known: Vec<String> },
    /// Other users could change the file (or put another in its place).
    #[error("{}: {reason}", path.display())]
    Insecure { path: PathBuf, reason: String },
}

fn summarize(path: &Path, problems: &[Problem]) -> String {
    let first = match problems.first() {
        Some(problem) => problem.display(path),
        None => format!("{}: invalid config", path.display()),
    };
    match problems.len() {
        0 | 1 => first,
        n => format!("{first} (and {} more; run `postie config check`)", n - 1),
    }
}

impl ConfigError {
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Config
    }
}

/// Where the config file is: `explicit` (`--config`), else `$POSTIE_CONFIG`, else
/// `$XDG_CONFIG_HOME/postie/config.toml` (the platform config dir). The file may not exist.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    Env::from_process().config_path(explicit)
}

/// Finds, reads and validates the config (see [`locate`]).
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let env = Env::from_process();
    let path = env.config_path(explicit)?;
    tracing::debug!(path = %path.display(), "reading config");
    let config = Config::from_file_with(&path, &env)?;
    tracing::debug!(
        accounts = config.accounts.len(),
        data_dir = %config.data_dir.display(),
        "config loaded"
    );
    Ok(config)
}

impl Config {
    /// Reads and validates the config at `path`, with the process environment.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        Config::from_file_with(path, &Env::from_process())
    }

    /// Reads and validates the config at `path`, with `env` for `~` and the data dir.
    pub fn from_file_with(path: &Path, env: &Env) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(ConfigError::NotFound {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if let Some(found) = permissions::inspect(path) {
            permissions::judge(&found, permissions::current_uid(), false).map_err(|reason| {
                ConfigError::Insecure {
                    path: path.to_path_buf(),
                    reason,
                }
            })?;
        }
        Config::parse(&text, path, env)
    }

    /// Validates config `text`; `path` is only used in messages and [`Config::path`].
    pub fn parse(text: &str, path: &Path, env: &Env) -> Result<Config, ConfigError> {
        parse::parse(text, path, env)
    }

    /// A config with no file and no accounts (for `postie demo`).
    pub fn empty(data_dir: PathBuf) -> Config {
        Config {
            path: None,
            theme: "default".to_string(),
            data_dir,
            accounts: Vec::new(),
            keys: BTreeMap::new(),
            folder_pane: None,
            address_book_command: None,
            headers: None,
            auto_view: Vec::new(),
            index_decrypted: false,
        }
    }

    /// The account named `name` (its `[accounts.NAME]` key).
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// The default account: the one with `default = true`, else the first in the file.
    pub fn default_account(&self) -> Option<&Account> {
        self.accounts.first()
    }

    /// The account a command should use: `name` (`--account`) if given, else the default.
    /// The errors say how to fix things (`postie init`, the list of account names).
    pub fn require_account(&self, name: Option<&str>) -> Result<&Account, ConfigError> {
        if self.accounts.is_empty() {
            return Err(ConfigError::NoAccounts {
                path: self.path.clone(),
            });
        }
        match name {
            None => self.default_account().ok_or(ConfigError::NoAccounts {
                path: self.path.clone(),
            }),
            Some(name) => self
                .account(name)
                .ok_or_else(|| ConfigError::UnknownAccount {
                    name: name.to_string(),
                    known: self.accounts.iter().map(|a| a.name.clone()).collect(),
                }),
        }
    }
}

/// What the CLI should warn about the config file's permissions, each as `FILE: message`:
/// group-writable, or readable by other users while a `password_command` in it prints the
/// password itself. Empty for a config without a file. (What must be refused was refused when
/// the file was read.)
pub fn permission_warnings(config: &Config) -> Vec<String> {
    let Some(path) = &config.path else {
        return Vec::new();
    };
    let Some(found) = permissions::inspect(path) else {
        return Vec::new();
    };
    let holds_secret = config.accounts.iter().any(|a| {
        [a.incoming_server(), a.outgoing_server()]
            .into_iter()
            .flatten()
            .filter_map(|s| s.password_command.as_deref())
            .any(permissions::holds_inline_secret)
    });
    permissions::judge(&found, permissions::current_uid(), holds_secret)
        .unwrap_or_default()
        .into_iter()
        .map(|w| format!("{}: {w}", path.display()))
        .collect()
}

impl Account {
    /// Whether `address` is one of the account's own: its email, an identity or an alias.
    pub fn is_me(&self, address: &str) -> bool {
        let address = address.trim();
        address.eq_ignore_ascii_case(&self.email)
            || self
                .identities
                .iter()
                .any(|i| i.address.eq_ignore_ascii_case(address))
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(address))
    }

    /// The key mail from `address` is signed with (and its Sent copy encrypted to): the
    /// `pgp_key` of the identity with that address, else the account's `pgp_key`; None: the
    /// key of `address` itself (gpg finds it by `<address>`).
    pub fn pgp_key_for(&self, address: &str) -> Option<&str> {
        self.identities
            .iter()
            .find(|i| i.address.eq_ignore_ascii_case(address.trim()))
            .and_then(|i| i.pgp_key.as_deref())
            .or(self.pgp.key.as_deref())
    }

    /// The incoming server, unless mail comes from a local Maildir.
    pub fn incoming_server(&self) -> Option<&Server> {
        self.incoming.server()
    }

    /// The SMTP submission server, if the account has an `[outgoing]` table.
    pub fn outgoing_server(&self) -> Option<&Server> {
        self.outgoing.as_ref().map(|o| &o.server)
    }
}

impl Incoming {
    /// The server to connect to (None for Maildir).
    pub fn server(&self) -> Option<&Server> {
        match self {
            Incoming::Imap(imap) => Some(&imap.server),
            Incoming::Pop3(pop3) => Some(&pop3.server),
            Incoming::Maildir(_) => None,
        }
    }

    /// `"imap"`, `"pop3"` or `"maildir"`, as in the config file.
    pub fn protocol(&self) -> &'static str {
        match self {
            Incoming::Imap(_) => "imap",
            Incoming::Pop3(_) => "pop3",
            Incoming::Maildir(_) => "maildir",
        }
    }
}
