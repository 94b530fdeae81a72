//! postie config snippets for a test user, as SPEC.md describes the format, so CLI and engine
//! tests point postie at the harness servers without writing hosts and ports themselves.
//!
//! The password reaches postie through `password_command = "cat FILE"` with a 0600 file in the
//! servers' directory, never through argv.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;

use super::{Servers, TestUser, servers};

/// Which incoming protocol an account uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    Imap,
    Pop3,
}

/// Which TLS mode a connection uses (postie's `tls` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    Implicit,
    StartTls,
}

impl Tls {
    fn as_str(self) -> &'static str {
        match self {
            Tls::Implicit => "implicit",
            Tls::StartTls => "starttls",
        }
    }
}

impl Servers {
    /// The port for a protocol and TLS mode.
    pub fn port_for(&self, incoming: Incoming, tls: Tls) -> u16 {
        match (incoming, tls) {
            (Incoming::Imap, Tls::Implicit) => self.ports.imaps,
            (Incoming::Imap, Tls::StartTls) => self.ports.imap,
            (Incoming::Pop3, Tls::Implicit) => self.ports.pop3s,
            (Incoming::Pop3, Tls::StartTls) => self.ports.pop3,
        }
    }

    /// The submission port for a TLS mode.
    pub fn submission_port(&self, tls: Tls) -> u16 {
        match tls {
            Tls::Implicit => self.ports.submissions,
            Tls::StartTls => self.ports.submission,
        }
    }
}

impl TestUser {
    /// A 0600 file holding the password (and a newline), created on first use.
    pub fn password_file(&self) -> PathBuf {
        let dir = servers().dir.join("secrets");
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let path = dir.join(&self.login);
        if !path.exists() {
            let tmp = dir.join(format!(".{}.tmp", self.login));
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", tmp.display()));
            writeln!(file, "{}", self.password)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", tmp.display()));
            std::fs::rename(&tmp, &path)
                .unwrap_or_else(|e| panic!("cannot rename {}: {e}", tmp.display()));
        }
        path
    }

    /// A `password_command` that prints the password.
    pub fn password_command(&self) -> String {
        format!("cat '{}'", self.password_file().display())
    }

    /// An `[accounts.NAME]` table (incoming + outgoing) for this user on the harness servers,
    /// trusting the harness CA through `ca_file`.
    pub fn account_toml(&self, name: &str, incoming: Incoming, tls: Tls) -> String {
        let s = servers();
        let protocol = match incoming {
            Incoming::Imap => "imap",
            Incoming::Pop3 => "pop3",
        };
        format!(
            r#"[accounts.{name}]
email = "{email}"

[accounts.{name}.incoming]
protocol = "{protocol}"
host = "{host}"
port = {port}
tls = "{tls}"
ca_file = "{ca}"
user = "{login}"
password_command = "{command}"

[accounts.{name}.outgoing]
host = "{host}"
port = {smtp_port}
tls = "{tls}"
"#,
            email = self.email,
            host = s.host,
            port = s.port_for(incoming, tls),
            tls = tls.as_str(),
            ca = s.ca_file.display(),
            login = self.login,
            command = self
                .password_command()
                .replace('\\', "\\\\")
                .replace('"', "\\\""),
            smtp_port = s.submission_port(tls),
        )
    }
}
