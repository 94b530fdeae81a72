//! `--offline`, enforced where every connection starts.
//!
//! A postie run with `--offline` (or `POSTIE_OFFLINE=1`) opens no connection at all, whatever
//! the command. The CLI decides that once, before the command runs ([`forbid_connections`]).
//! From then on [`super::connect_tcp_within`], the one function every IMAP, POP3 and SMTP
//! connection goes through, refuses with [`NetError::Offline`] before resolving a name, and the
//! engine's password lookup refuses before it runs a `password_command`. Commands ask
//! [`connections_allowed`] to choose what they do instead (queue, skip an account, say a body
//! is not downloaded), but one that forgets to ask still cannot connect: it gets the error.
//!
//! Process-wide on purpose: offline is a property of the whole run, and a switch at the
//! connection itself cannot be bypassed by a new code path. It is only ever switched on, never
//! back off, so no caller can see it change under it except from allowed to refused.

use std::sync::atomic::{AtomicBool, Ordering};

use super::NetError;

static OFFLINE: AtomicBool = AtomicBool::new(false);

/// Forbids every connection for the rest of the process (`--offline`). Called by the CLI
/// before it runs the command; there is no way back.
pub fn forbid_connections() {
    OFFLINE.store(true, Ordering::SeqCst);
}

/// Whether this process may connect to servers (false after [`forbid_connections`]).
pub fn connections_allowed() -> bool {
    !OFFLINE.load(Ordering::SeqCst)
}

/// `Ok` when connections are allowed, else [`NetError::Offline`] naming the server that would
/// have been contacted.
pub fn check_allowed(host: &str, port: u16) -> Result<(), NetError> {
    refuse_when(!connections_allowed(), host, port)
}

/// The decision itself, apart from the process-wide switch (so it is tested without flipping
/// the switch under other tests in the same process).
fn refuse_when(offline: bool, host: &str, port: u16) -> Result<(), NetError> {
    if offline {
        Err(NetError::Offline {
            host: host.to_owned(),
            port,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn offline_refuses_naming_the_server_and_online_allows() {
        assert!(refuse_when(false, "mail.x.test", 993).is_ok());
        let err = refuse_when(true, "mail.x.test", 993).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Network);
        let line = err.to_string();
        assert!(
            line.contains("mail.x.test:993") && line.contains("--offline"),
            "{line}"
        );
    }
}
