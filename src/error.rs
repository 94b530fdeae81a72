//! The kinds of failure every layer reports, so that the engine knows what to retry and the
//! binary knows which exit code (sysexits, as sendmail and msmtp use them) to return.

/// What kind of failure an error is: decides retrying in the engine and the exit code in the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The command line was wrong (exit 64).
    Usage,
    /// Input data (a message on stdin, a file) is malformed (exit 65).
    Data,
    /// The config file is missing, malformed or inconsistent (exit 78).
    Config,
    /// The server refused the credentials, or none could be found (exit 77).
    Auth,
    /// The TLS handshake failed or the certificate is not trusted (exit 69).
    Tls,
    /// The server could not be reached, or the connection broke (exit 69; retryable).
    Network,
    /// The server said "not now" (4xx, `[SYS/TEMP]`, `[IN-USE]`); retryable (exit 75).
    Temporary,
    /// The server refused for good (5xx, `[SYS/PERM]`), or spoke a protocol we cannot follow.
    Protocol,
    /// The local store or another local file could not be read or written (exit 74).
    Io,
    /// A bug or an impossible state (exit 70).
    Internal,
}

impl ErrorKind {
    /// Whether trying the same thing again later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Network | ErrorKind::Temporary)
    }
}

/// An error and its sources joined by ": ", on one line. Each layer's Display leaves its source
/// out, so nothing is said twice; this is the line the CLI prints after `postie: ` and the text
/// the UI's status line shows.
pub fn chain_line(err: &dyn std::error::Error) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line.replace('\n', " ")
}
