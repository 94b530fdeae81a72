//! Engine errors: a layer's error plus the account (and server) it happened for, so the one
//! line the user sees says which account, which server and — from the layer below — what to do.

use crate::error::ErrorKind;

/// What went wrong, from the layer where it went wrong.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Credential(#[from] crate::credentials::CredentialError),
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    #[error(transparent)]
    Pop3(#[from] crate::proto::pop3::Pop3Error),
    #[error(transparent)]
    Imap(#[from] crate::proto::imap::ImapError),
    #[error(transparent)]
    Smtp(#[from] crate::proto::smtp::SmtpError),
    /// A blocking task (keyring, store) panicked or was cancelled.
    #[error("cannot finish a background task")]
    Task(#[source] tokio::task::JoinError),
    /// The account has no server of the kind the operation needs.
    #[error("has no {what} configured")]
    NotConfigured { what: &'static str },
    /// An envelope-only message the server no longer has (expunged, or its folder was
    /// renumbered): its body cannot be fetched.
    #[error("message {id} is no longer on the server (run postie sync)")]
    NotOnServer { id: crate::store::MessageId },
    /// The server refused the user name or password. `hint` says where the password came from
    /// and how to fix it (`postie login ACCOUNT`, or the `password_command`).
    #[error(
        "cannot log in as {user}: the server refused the password (it said \"{server_said}\"); {hint}"
    )]
    LoginRefused {
        user: String,
        server_said: String,
        hint: String,
    },
    /// The server refused an OAuth2 access token twice (the second time a fresh one).
    #[error(
        "cannot log in as {user}: the server refused the OAuth2 access token (it said \"{server_said}\"); {hint}"
    )]
    TokenRefused {
        user: String,
        server_said: String,
        hint: String,
    },
    /// The mailbox is locked by another session (POP3 `[IN-USE]`): retry later.
    #[error(
        "cannot open the mailbox: it is locked by another client; try again later (the server \
         said \"{server_said}\")"
    )]
    MailboxLocked { server_said: String },
    /// Another process holds the account's lock (it is syncing): retry when it has finished.
    #[error(
        "busy: it is being synced by {}; try again when that sync has finished",
        super::lock::holder_name(*pid)
    )]
    AccountBusy { pid: Option<u32> },
    /// The live connection is waiting out a backoff after failed connects (the action stays
    /// queued and goes when it connects).
    #[error("not connected ({error}); trying again in {}s", retry_in.as_secs())]
    Reconnecting {
        error: String,
        retry_in: std::time::Duration,
    },
    /// The account's live connection has ended (postie is quitting).
    #[error("cannot use the account's connection: it has been closed")]
    ConnectionClosed,
    /// A folder operation on an IMAP account while offline or unreachable: folder changes are
    /// never queued (`what` is e.g. "creating a folder").
    #[error(
        "{what} needs a connection to the IMAP server; try again online (folder changes are \
         not queued)"
    )]
    NeedsConnection { what: &'static str },
    /// SUBSCRIBE on an account without server folders.
    #[error("has no server folders to subscribe to (only IMAP accounts do)")]
    NoSubscriptions,
}

impl EngineError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::Store(e) => e.kind(),
            EngineError::Credential(e) => e.kind(),
            EngineError::Net(e) => e.kind(),
            EngineError::Pop3(e) => e.kind(),
            EngineError::Imap(e) => e.kind(),
            EngineError::Smtp(e) => e.kind(),
            EngineError::Task(_) => ErrorKind::Internal,
            EngineError::NotConfigured { .. } => ErrorKind::Config,
            EngineError::NotOnServer { .. } => ErrorKind::Protocol,
            EngineError::LoginRefused { .. } | EngineError::TokenRefused { .. } => ErrorKind::Auth,
            EngineError::MailboxLocked { .. } | EngineError::AccountBusy { .. } => {
                ErrorKind::Temporary
            }
            EngineError::Reconnecting { .. } => ErrorKind::Network,
            EngineError::ConnectionClosed => ErrorKind::Temporary,
            EngineError::NeedsConnection { .. } => ErrorKind::Network,
            EngineError::NoSubscriptions => ErrorKind::Usage,
        }
    }
}

/// An [`EngineError`] for one account and, where there was one, one server.
///
/// Displayed as `account NAME (HOST:PORT)`; the cause follows through `source()`, so the CLI's
/// one line reads e.g. `postie: account work (mail.example.org:995): cannot log in ...`.
#[derive(Debug, thiserror::Error)]
#[error("account {account}{}", server.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
pub struct AccountError {
    pub account: String,
    /// `host:port`, when the failure concerns a server.
    pub server: Option<String>,
    #[source]
    pub source: EngineError,
}

impl AccountError {
    pub fn new(
        account: &str,
        server: Option<&crate::config::Server>,
        source: impl Into<EngineError>,
    ) -> Self {
        AccountError {
            account: account.to_owned(),
            server: server.map(|s| format!("{}:{}", s.host, s.port)),
            source: source.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.source.kind()
    }
}
