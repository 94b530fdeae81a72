//! A throw-away GnuPG home for one test: keys generated unattended (ECC, fast, no passphrase),
//! plain `gpg` runs on it, and its gpg-agent killed on drop so tests leave no processes.
//!
//! The directory is a short path under /tmp: gpg-agent's socket path must stay under ~107
//! bytes, which a path below a deep target dir can exceed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A private `GNUPGHOME`.
pub struct GnupgHome {
    dir: tempfile::TempDir,
}

impl GnupgHome {
    pub fn new() -> GnupgHome {
        let dir = tempfile::Builder::new()
            .prefix("pg")
            .tempdir_in("/tmp")
            .expect("temp GNUPGHOME");
        GnupgHome { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `gpg --batch ARGS` on this home with `stdin`; returns the output whatever the exit.
    pub fn gpg(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = Command::new("gpg")
            .env("GNUPGHOME", self.path())
            .arg("--batch")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gpg runs (install gnupg: scripts/mailservers install)");
        let mut input = child.stdin.take().expect("stdin");
        let data = stdin.to_vec();
        let writer = std::thread::spawn(move || {
            use std::io::Write as _;
            let _ = input.write_all(&data);
        });
        let out = child.wait_with_output().expect("gpg output");
        let _ = writer.join();
        out
    }

    fn gpg_ok(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let out = self.gpg(args, stdin);
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// A new key for `Name <email>`: an ed25519 primary for signing and a cv25519 subkey for
    /// encryption, no passphrase. Returns the fingerprint.
    pub fn generate(&self, name: &str, email: &str) -> String {
        let uid = format!("{name} <{email}>");
        self.gpg_ok(
            &[
                "--passphrase",
                "",
                "--quick-gen-key",
                &uid,
                "ed25519",
                "sign",
                "never",
            ],
            b"",
        );
        let fpr = self.fingerprint(email);
        self.gpg_ok(
            &[
                "--passphrase",
                "",
                "--quick-add-key",
                &fpr,
                "cv25519",
                "encr",
                "never",
            ],
            b"",
        );
        fpr
    }

    pub fn fingerprint(&self, email: &str) -> String {
        let listing = self.gpg_ok(&["--with-colons", "--list-keys", email], b"");
        String::from_utf8_lossy(&listing)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.trim_matches(':').split(':').next_back())
            .expect("a fingerprint")
            .to_owned()
    }

    /// The public key of `email`, armored.
    pub fn export(&self, email: &str) -> Vec<u8> {
        self.gpg_ok(&["--armor", "--export", email], b"")
    }

    pub fn import(&self, key: &[u8]) {
        self.gpg_ok(&["--import"], key);
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.path())
            .args(["--kill", "gpg-agent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
