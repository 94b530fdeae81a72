//! The [`Backend`] that runs the `gpg` program on the user's keyring (`GNUPGHOME` respected,
//! as the environment passes it through).
//!
//! Every run: `--batch --no-tty` (gpg never reads the terminal; passphrases come from
//! gpg-agent's pinentry), `--status-fd 2` (the machine-readable `[GNUPG:]` lines, parsed by
//! [`StatusReport`]; human messages around them are ignored), no key lookups on the network
//! (`--auto-key-locate local`, `--no-auto-key-retrieve`), a deadline after which gpg is killed,
//! and data only on stdin/stdout: no secret in argv, no plaintext in a file. The one file is a
//! detached signature being checked (public data), in a private temp file removed afterwards.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::status::{StatusReport, micalg};
use super::{Backend, Decrypted, DetachedSignature, PgpError};

/// How long one gpg run may take by default: long enough to type a passphrase into pinentry.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The `gpg` program as a [`Backend`].
#[derive(Debug, Clone)]
pub struct Gpg {
    /// The program to run (default `gpg` from PATH).
    pub program: PathBuf,
    pub timeout: Duration,
    /// postie's keyring of Autocrypt peers' keys ([`super::autocrypt`]), searched after the
    /// user's own when it exists; never written by these runs.
    pub extra_keyring: Option<PathBuf>,
}

impl Default for Gpg {
    fn default() -> Self {
        Gpg {
            program: PathBuf::from("gpg"),
            timeout: DEFAULT_TIMEOUT,
            extra_keyring: None,
        }
    }
}

impl Gpg {
    /// The default gpg, with the Autocrypt peers' keyring of the data dir `data_dir`.
    pub fn with_peers(data_dir: &std::path::Path) -> Gpg {
        Gpg {
            extra_keyring: Some(super::autocrypt::keyring(data_dir)),
            ..Gpg::default()
        }
    }

    /// Imports `keydata` into `keyring` only (not the user's keyring).
    pub fn import_to(&self, keyring: &std::path::Path, keydata: &[u8]) -> Result<(), PgpError> {
        let keyring = keyring.as_os_str().to_owned();
        let args = [
            OsString::from("--no-default-keyring"),
            OsString::from("--keyring"),
            keyring,
            OsString::from("--import"),
        ];
        let run = Gpg {
            extra_keyring: None,
            ..self.clone()
        }
        .run(&args, keydata)?;
        if !run.success {
            return Err(PgpError::Failed {
                action: "remember an Autocrypt key",
                detail: run.messages,
            });
        }
        Ok(())
    }
}

/// One finished gpg run.
struct Run {
    success: bool,
    stdout: Vec<u8>,
    report: StatusReport,
    /// The human-readable stderr lines (not status lines), for error messages.
    messages: String,
}

impl Gpg {
    fn run(&self, args: &[OsString], input: &[u8]) -> Result<Run, PgpError> {
        let mut child = Command::new(&self.program)
            .args([
                "--batch",
                "--no-tty",
                "--status-fd",
                "2",
                "--auto-key-locate",
                "local",
                "--no-auto-key-retrieve",
            ])
            .args(
                self.extra_keyring
                    .iter()
                    .filter(|k| k.exists())
                    .flat_map(|k| [OsString::from("--keyring"), k.as_os_str().to_owned()]),
            )
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| PgpError::Spawn {
                program: self.program.display().to_string(),
                source,
            })?;
        let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PgpError::Failed {
                action: "run gpg",
                detail: "no pipes to the process".into(),
            });
        };
        let input = input.to_vec();
        // gpg may stop reading early (an error); a broken pipe then is not ours to report.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(PgpError::Timeout(self.timeout.as_secs()));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(PgpError::Failed {
                        action: "run gpg",
                        detail: e.to_string(),
                    });
                }
            }
        };
        let _ = writer.join();
        let stdout = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        let messages = String::from_utf8_lossy(&stderr)
            .lines()
            .filter(|l| !l.starts_with("[GNUPG:]"))
            .map(|l| l.strip_prefix("gpg: ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("; ");
        Ok(Run {
            success: status.success(),
            stdout,
            report: StatusReport::parse(&stderr),
            messages,
        })
    }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// A temp file for a detached signature, private to the user, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn with(data: &[u8]) -> std::io::Result<TempFile> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "postie-sig-{}-{}.asc",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path)?;
        let file_guard = TempFile(path);
        file.write_all(data)?;
        Ok(file_guard)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Backend for Gpg {
    fn sign_detached(&self, data: &[u8], signer: &str) -> Result<DetachedSignature, PgpError> {
        let run = self.run(
            &os(&[
                "--armor",
                "--detach-sign",
                "--local-user",
                signer,
                "--output",
                "-",
            ]),
            data,
        )?;
        if !run.report.invalid_signers.is_empty() {
            return Err(PgpError::NoSigningKey(signer.to_owned()));
        }
        let micalg = run.report.created_hash_algo.and_then(micalg);
        match micalg {
            Some(micalg) if run.success && !run.stdout.is_empty() => Ok(DetachedSignature {
                armored: run.stdout,
                micalg,
            }),
            _ => Err(PgpError::Failed {
                action: "sign",
                detail: run.messages,
            }),
        }
    }

    fn encrypt(
        &self,
        data: &[u8],
        recipients: &[String],
        signer: Option<&str>,
    ) -> Result<Vec<u8>, PgpError> {
        // The user chose these recipients; like mutt's and aerc's gpg setups, their keys are
        // used without requiring a web-of-trust path ("--trust-model always").
        let mut args = os(&["--armor", "--trust-model", "always", "--encrypt"]);
        if let Some(signer) = signer {
            args.extend(os(&["--sign", "--local-user", signer]));
        }
        for r in recipients {
            args.push("--recipient".into());
            args.push(r.into());
        }
        args.extend(os(&["--output", "-"]));
        let run = self.run(&args, data)?;
        if !run.report.invalid_recipients.is_empty() {
            return Err(PgpError::MissingKeys(run.report.invalid_recipients));
        }
        if let Some(signer) = signer
            && !run.report.invalid_signers.is_empty()
        {
            return Err(PgpError::NoSigningKey(signer.to_owned()));
        }
        if !run.success || run.stdout.is_empty() {
            return Err(PgpError::Failed {
                action: "encrypt",
                detail: run.messages,
            });
        }
        Ok(run.stdout)
    }

    fn verify_detached(&self, data: &[u8], signature: &[u8]) -> Result<StatusReport, PgpError> {
        let file = TempFile::with(signature).map_err(|e| PgpError::Failed {
            action: "check a signature",
            detail: format!("cannot write a temp file: {e}"),
        })?;
        let mut args = os(&["--verify"]);
        args.push(file.0.clone().into());
        args.push("-".into());
        // A bad signature is a non-zero exit and still a result.
        Ok(self.run(&args, data)?.report)
    }

    fn decrypt(&self, data: &[u8]) -> Result<Decrypted, PgpError> {
        let run = self.run(&os(&["--decrypt", "--output", "-"]), data)?;
        // Decrypted, or a clear-signed text (signatures, nothing encrypted): gpg's output is the
        // plaintext even when the signature is bad, which the report then says.
        let readable = run.report.decryption_okay
            || (run.report.encrypted_to.is_empty() && !run.report.signatures.is_empty());
        let plaintext = (readable && !run.report.decryption_failed && !run.stdout.is_empty())
            .then_some(run.stdout);
        Ok(Decrypted {
            plaintext,
            report: run.report,
        })
    }

    fn can_encrypt_to(&self, address: &str) -> Result<bool, PgpError> {
        let pattern = format!("<{address}>");
        let run = self.run(
            &os(&["--with-colons", "--list-keys", "--", pattern.as_str()]),
            b"",
        )?;
        Ok(usable_for_encryption(&String::from_utf8_lossy(&run.stdout)))
    }

    fn export_minimal(&self, key: &str) -> Result<Vec<u8>, PgpError> {
        let run = self.run(
            &os(&["--export", "--export-options", "export-minimal", "--", key]),
            b"",
        )?;
        if !run.success || run.stdout.is_empty() {
            return Err(PgpError::NoSigningKey(key.to_owned()));
        }
        Ok(run.stdout)
    }
}

/// Whether `--with-colons --list-keys` output shows a key that can encrypt: a `pub` record
/// not revoked, expired, invalid or disabled, whose overall capabilities (field 12, capital
/// letters) include `E`.
fn usable_for_encryption(colons: &str) -> bool {
    colons.lines().any(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        fields.first() == Some(&"pub")
            && !matches!(fields.get(1), Some(v) if v.contains(['r', 'e', 'i', 'd', 'n']))
            && fields
                .get(11)
                .is_some_and(|caps| caps.contains('E') && !caps.contains('D'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_keys_from_colon_listings() {
        let good = "tru::1:1\npub:u:255:22:DD8A:1796681757:::u:::scESC:::::ed25519:::0:\n";
        assert!(usable_for_encryption(good));
        let sign_only = "pub:u:255:22:DD8A:1796681757:::u:::scSC:::::ed25519:::0:\n";
        assert!(!usable_for_encryption(sign_only));
        let revoked = "pub:r:255:22:DD8A:1796681757:::u:::scESC:::::ed25519:::0:\n";
        assert!(!usable_for_encryption(revoked));
        assert!(!usable_for_encryption(""));
    }

    #[test]
    fn a_missing_program_is_a_config_error_not_a_panic() {
        let gpg = Gpg {
            program: PathBuf::from("/nonexistent/postie-no-gpg"),
            timeout: Duration::from_secs(5),
            extra_keyring: None,
        };
        let err = gpg.decrypt(b"x").expect_err("no such program");
        assert_eq!(err.kind(), crate::error::ErrorKind::Config);
    }
}
