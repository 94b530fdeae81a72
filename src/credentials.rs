//! Passwords: from the account's `password_command`, else the system keyring; and OAuth2
//! access tokens for `auth = "oauth2"` ([`login_secret`]).
//!
//! Owns: running `password_command` and `oauth2_token_command` (through `sh -c`, first line of
//! stdout), and the keyring
//! entries `postie login` writes (service `postie`, user `ACCOUNT/LOGIN`, so an account whose
//! incoming and outgoing logins differ keeps two). The keyring is Secret Service when a session
//! bus is there, else the kernel keyutils store, which also works headless (ssh, cron, CI).
//!
//! What must hold: a secret lives only in [`SecretString`]; it never reaches a log line, an
//! error message, a Debug output or the argv of any process. Errors name the account and say
//! what to do.

use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};

use secrecy::{ExposeSecret, SecretString};

use crate::config::{AuthMethod, Server};
use crate::error::ErrorKind;

const SERVICE: &str = "postie";

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// `key` is the config key the command came from (`password_command`,
    /// `oauth2_token_command`).
    #[error("cannot run {key} of account {account}")]
    CommandSpawn {
        account: String,
        key: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{key} of account {account} failed ({status}): {stderr}")]
    CommandFailed {
        account: String,
        key: &'static str,
        status: String,
        stderr: String,
    },
    #[error("{key} of account {account} printed nothing")]
    CommandEmpty { account: String, key: &'static str },
    #[error(
        "account {account} uses auth = \"oauth2\" without oauth2_token_command or \
         oauth2_provider: set one of them"
    )]
    OAuth2Client { account: String },
    /// The built-in OAuth2 client could not give an access token.
    #[error(transparent)]
    OAuth2(Box<crate::oauth2::OAuth2Error>),
    #[error(
        "no password for account {account} (login {user}): run `postie login {account}`, or set \
         password_command"
    )]
    NotFound { account: String, user: String },
    #[error("cannot use the system keyring for account {account}: {reason}")]
    Keyring { account: String, reason: String },
}

impl CredentialError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CredentialError::Keyring { .. } => ErrorKind::Io,
            CredentialError::OAuth2Client { .. } => ErrorKind::Config,
            CredentialError::OAuth2(e) => e.kind(),
            _ => ErrorKind::Auth,
        }
    }
}

/// What a login sends: a password (PLAIN, LOGIN, USER/PASS) or an OAuth2 access token
/// (OAUTHBEARER, XOAUTH2).
pub enum LoginSecret {
    Password(SecretString),
    Bearer(SecretString),
}

impl std::fmt::Debug for LoginSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LoginSecret::Password(_) => "Password(***)",
            LoginSecret::Bearer(_) => "Bearer(***)",
        })
    }
}

impl LoginSecret {
    /// The secret itself, whichever kind.
    pub fn secret(&self) -> &SecretString {
        match self {
            LoginSecret::Password(s) | LoginSecret::Bearer(s) => s,
        }
    }

    /// Whether it is an OAuth2 access token.
    pub fn is_bearer(&self) -> bool {
        matches!(self, LoginSecret::Bearer(_))
    }
}

/// What to log in to `server` with on behalf of `account`, per its `auth`.
///
/// Password: [`password`]. OAuth2: the first line `oauth2_token_command` prints (run again for
/// every call, so `fresh` changes nothing: the command decides whether to refresh), or the
/// built-in client's token, where `fresh = true` skips a cached token. Blocking, like
/// [`password`].
pub fn login_secret(
    account: &str,
    server: &Server,
    fresh: bool,
) -> Result<LoginSecret, CredentialError> {
    match server.auth {
        AuthMethod::Password => password(account, server).map(LoginSecret::Password),
        AuthMethod::OAuth2 => match &server.oauth2_token_command {
            Some(command) => {
                let _ = fresh;
                run_secret_command(account, "oauth2_token_command", command)
                    .map(LoginSecret::Bearer)
            }
            None if server.oauth2.is_some() => crate::oauth2::access_token(account, server, fresh)
                .map(LoginSecret::Bearer)
                .map_err(|e| CredentialError::OAuth2(Box::new(e))),
            None => Err(CredentialError::OAuth2Client {
                account: account.to_owned(),
            }),
        },
    }
}

/// The password for logging in to `server` on behalf of `account`.
///
/// Blocking: it may run a command or talk to D-Bus. From async code, call it through
/// `tokio::task::spawn_blocking`.
pub fn password(account: &str, server: &Server) -> Result<SecretString, CredentialError> {
    match &server.password_command {
        Some(command) => run_password_command(account, command),
        None => keyring_get(account, &server.user),
    }
}

/// Runs `command` with `sh -c` and takes the first line of its standard output.
///
/// The command's stdin is closed: a command that would prompt fails instead of hanging a sync.
pub fn run_password_command(account: &str, command: &str) -> Result<SecretString, CredentialError> {
    run_secret_command(account, "password_command", command)
}

/// Runs the command of config key `key` (as [`run_password_command`] does).
fn run_secret_command(
    account: &str,
    key: &'static str,
    command: &str,
) -> Result<SecretString, CredentialError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| CredentialError::CommandSpawn {
            account: account.to_owned(),
            key,
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr = stderr.trim();
        return Err(CredentialError::CommandFailed {
            account: account.to_owned(),
            key,
            status: output.status.to_string(),
            stderr: if stderr.is_empty() {
                "no error output".to_owned()
            } else {
                stderr.lines().next().unwrap_or_default().to_owned()
            },
        });
    }
    // Taken out of the Vec without a lossy copy lingering: the secret bytes are moved once.
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let first = stdout
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if first.is_empty() {
        return Err(CredentialError::CommandEmpty {
            account: account.to_owned(),
            key,
        });
    }
    Ok(SecretString::from(first.to_owned()))
}

/// Stores `secret` for `account`'s login `user` in the keyring (what `postie login` does).
pub fn store_password(
    account: &str,
    user: &str,
    secret: SecretString,
) -> Result<(), CredentialError> {
    let entry = entry(account, user)?;
    on_own_thread(move || entry.set_password(secret.expose_secret()))
        .map_err(|e| keyring_error(account, e))
}

/// Removes the keyring entry for `account`'s login `user`; true when there was one.
pub fn delete_password(account: &str, user: &str) -> Result<bool, CredentialError> {
    let entry = entry(account, user)?;
    match on_own_thread(move || entry.delete_credential()) {
        Ok(()) => Ok(true),
        Err(keyring_core::Error::NoEntry) => Ok(false),
        Err(e) => Err(keyring_error(account, e)),
    }
}

/// Whether the keyring holds a password for `account`'s login `user` (what `config check`
/// asks); the secret is dropped unread.
pub fn keyring_has_password(account: &str, user: &str) -> Result<bool, CredentialError> {
    match keyring_get(account, user) {
        Ok(_) => Ok(true),
        Err(CredentialError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The keyring entry for `account`'s key `user` (e.g. `oauth2/LOGIN` for [`crate::oauth2`]'s
/// tokens), or None when there is none.
pub fn keyring_secret(account: &str, user: &str) -> Result<Option<SecretString>, CredentialError> {
    match keyring_get(account, user) {
        Ok(secret) => Ok(Some(secret)),
        Err(CredentialError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn keyring_get(account: &str, user: &str) -> Result<SecretString, CredentialError> {
    let entry = entry(account, user)?;
    match on_own_thread(move || entry.get_password()) {
        Ok(p) => Ok(SecretString::from(p)),
        Err(keyring_core::Error::NoEntry) => Err(CredentialError::NotFound {
            account: account.to_owned(),
            user: user.to_owned(),
        }),
        Err(e) => Err(keyring_error(account, e)),
    }
}

fn entry(account: &str, user: &str) -> Result<keyring_core::Entry, CredentialError> {
    let store = default_store().map_err(|reason| CredentialError::Keyring {
        account: account.to_owned(),
        reason,
    })?;
    keyring_core::Entry::new_in_store(&store, SERVICE, &format!("{account}/{user}"))
        .map_err(|e| keyring_error(account, e))
}

fn keyring_error(account: &str, e: keyring_core::Error) -> CredentialError {
    // keyring errors carry no secret material; their Display is safe to show.
    CredentialError::Keyring {
        account: account.to_owned(),
        reason: e.to_string(),
    }
}

type Store = Arc<keyring_core::CredentialStore>;

/// Picks the keyring once per process.
fn default_store() -> Result<Store, String> {
    static STORE: OnceLock<Result<Store, String>> = OnceLock::new();
    STORE.get_or_init(|| on_own_thread(choose_store)).clone()
}

fn choose_store() -> Result<Store, String> {
    #[cfg(feature = "secret-service")]
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        match zbus_secret_service_keyring_store::Store::new() {
            Ok(store) => return Ok(store),
            Err(e) => tracing::debug!("Secret Service unavailable ({e}); using keyutils"),
        }
    }
    let store: Store = linux_keyutils_keyring_store::Store::new().map_err(|e| e.to_string())?;
    Ok(store)
}

/// Prepares this process for the keyutils store; call it first thing in `main`, before any
/// thread is started.
///
/// The keyutils store needs a real session keyring. A process started without a login session
/// (cron, CI, a container) only has the kernel's per-user fallback (`_uid_ses.UID`), where every
/// call fails with "access denied"; then join a fresh anonymous one. Entries are also linked
/// into the user's persistent keyring, which is how other processes find them. A real login
/// session's keyring is kept as it is. Keyrings belong to a thread's credentials and are
/// inherited by the threads it starts, hence "before any thread".
pub fn init_process_keyring() {
    const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    const KEYCTL_DESCRIBE: libc::c_long = 6;
    const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;
    let mut description = [0u8; 256];
    // SAFETY: GET_KEYRING_ID takes integers only; DESCRIBE writes at most `len` bytes into our
    // buffer; JOIN_SESSION_KEYRING with a null name creates an anonymous keyring. None of them
    // keeps a pointer past the call.
    unsafe {
        let id = libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_KEYRING_ID,
            KEY_SPEC_SESSION_KEYRING,
            0 as libc::c_long,
        );
        let fallback = if id < 0 {
            true
        } else {
            let len = libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_DESCRIBE,
                id,
                description.as_mut_ptr(),
                description.len(),
            );
            let text = &description[..(len.max(0) as usize).min(description.len())];
            text.split(|&b| b == b';')
                .nth(4)
                .is_none_or(|name| name.starts_with(b"_uid_ses."))
        };
        if fallback {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_JOIN_SESSION_KEYRING,
                std::ptr::null::<libc::c_char>(),
            );
        }
    }
}

/// Runs `f` on a short-lived thread of its own.
///
/// The Secret Service store starts a runtime of its own and panics on a tokio worker thread;
/// a plain thread keeps every keyring call safe whatever context it comes from.
fn on_own_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_command_first_line_is_the_password() {
        let secret = run_password_command("work", "printf 'hunter2\\nsecond line\\n'").unwrap();
        assert_eq!(secret.expose_secret(), "hunter2");
    }

    #[test]
    fn password_command_failure_names_account_and_stderr() {
        let err =
            run_password_command("work", "echo 'gpg: decryption failed' >&2; exit 2").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("account work"), "{text}");
        assert!(text.contains("gpg: decryption failed"), "{text}");
        assert_eq!(err.kind(), ErrorKind::Auth);
    }

    #[test]
    fn password_command_with_empty_output_is_an_error() {
        let err = run_password_command("work", "true").unwrap_err();
        assert!(matches!(err, CredentialError::CommandEmpty { .. }), "{err}");
    }

    #[test]
    fn oauth2_token_command_gives_a_bearer_token_and_names_its_key() {
        let mut server = Server {
            host: "imap.example.test".into(),
            port: 993,
            tls: crate::config::TlsMode::Implicit,
            allow_plaintext: false,
            ca_file: None,
            oauth2: None,
            user: "alice@example.test".into(),
            password_command: None,
            auth: AuthMethod::OAuth2,
            oauth2_token_command: Some("echo at-123; echo second".into()),
        };
        let secret = login_secret("work", &server, false).unwrap();
        assert!(secret.is_bearer());
        assert_eq!(secret.secret().expose_secret(), "at-123");
        assert!(!format!("{secret:?}").contains("at-123"));
        server.oauth2_token_command = Some("exit 3".into());
        let err = login_secret("work", &server, true).unwrap_err();
        assert!(
            err.to_string()
                .contains("oauth2_token_command of account work"),
            "{err}"
        );
        server.oauth2_token_command = None;
        let err = login_secret("work", &server, false).unwrap_err();
        assert!(matches!(err, CredentialError::OAuth2Client { .. }), "{err}");
    }

    #[test]
    fn secret_never_shows_in_debug() {
        let secret = run_password_command("work", "echo s3cr3t-value").unwrap();
        assert!(!format!("{secret:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn keyring_round_trip() {
        // A unique account name per run: the persistent keyring outlives the process.
        init_process_keyring();
        let account = format!("postie-test-{}", std::process::id());
        store_password(
            &account,
            "alice@example.test",
            SecretString::from("pa55-word"),
        )
        .unwrap();
        let server = Server {
            host: "imap.example.test".into(),
            port: 993,
            tls: crate::config::TlsMode::Implicit,
            allow_plaintext: false,
            ca_file: None,
            oauth2: None,
            user: "alice@example.test".into(),
            password_command: None,
            auth: AuthMethod::Password,
            oauth2_token_command: None,
        };
        assert_eq!(
            password(&account, &server).unwrap().expose_secret(),
            "pa55-word"
        );
        assert!(delete_password(&account, "alice@example.test").unwrap());
        let err = password(&account, &server).unwrap_err();
        assert!(matches!(err, CredentialError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("postie login"), "{err}");
    }
}
