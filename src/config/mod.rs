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
