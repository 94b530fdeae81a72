//! `cargo run --example seed`: the test harness's mailbox seeding, for scripts (scripts/bench).
//!
//! The seeding code lives in tests/support (seed.rs, seed/corpus.rs) and is included here with
//! `#[path]`, so the benchmark seeds exactly the corpus the integration tests use, and the
//! postie binary never depends on test code (an example is built only on request, with the
//! dev-dependencies). Nothing of postie's own library is used.
//!
//! ```text
//! seed user PREFIX COUNT OUT      new user on the running harness servers ($POSTIE_TEST_SERVERS),
//!                                 COUNT messages in its INBOX; writes OUT as shell assignments
//!                                 (LOGIN, EMAIL, MAILDIR, PASSWORD_FILE). The password itself
//!                                 is only in the 0600 PASSWORD_FILE, never printed.
//! seed maildir DIR COUNT          COUNT messages into a plain Maildir DIR (created), no servers
//! ```

#[path = "../tests/support/mod.rs"]
#[allow(dead_code, unused_imports, clippy::all)]
mod support;

use std::fs::{self, File};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, UNIX_EPOCH};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["user", prefix, count, out] => {
            count_arg(count).and_then(|n| seed_user(prefix, n, Path::new(out)))
        }
        ["maildir", dir, count] => count_arg(count).and_then(|n| seed_maildir(Path::new(dir), n)),
        _ => Err("usage: seed user PREFIX COUNT OUT | seed maildir DIR COUNT".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seed: {e}");
            ExitCode::from(1)
        }
    }
}

fn count_arg(s: &str) -> Result<usize, String> {
    s.parse().map_err(|e| format!("bad count {s:?}: {e}"))
}

/// A fresh harness user with `n` messages in INBOX (the harness panics with a clear message when
/// the servers are missing; that ends this process with status 101).
fn seed_user(prefix: &str, n: usize, out: &Path) -> Result<(), String> {
    let started = Instant::now();
    let user = support::new_user(prefix);
    let seeded = support::seed(&user, "INBOX", n);
    let password_file = user.password_file();
    let bytes: usize = seeded.iter().map(|s| s.bytes().len()).sum();
    let text = format!(
        "LOGIN='{}'\nEMAIL='{}'\nMAILDIR='{}'\nPASSWORD_FILE='{}'\nCOUNT={n}\nBYTES={bytes}\n",
        user.login,
        user.email,
        user.maildir.display(),
        password_file.display()
    );
    write_new(out, text.as_bytes())?;
    eprintln!(
        "seed: {} <- {n} messages ({:.1} MB) in {:.1} s",
        user.login,
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `n` messages of the harness corpus in a plain Maildir (flags in the names, mtime = Date), as
/// a local mail store for neomutt, notmuch and postie's maildir accounts.
fn seed_maildir(dir: &Path, n: usize) -> Result<(), String> {
    let started = Instant::now();
    for sub in ["", "cur", "new", "tmp"] {
        let d = dir.join(sub);
        fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        fs::set_permissions(&d, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot chmod {}: {e}", d.display()))?;
    }
    let mut bytes = 0usize;
    for (k, message) in support::seed::generate(0xbe4c, "bench@example.test", n)
        .into_iter()
        .enumerate()
    {
        let size = message.bytes.len();
        bytes += size;
        let base = format!(
            "{}.M{k}P{}.postie-bench,S={size}",
            1_600_000_000 + k,
            std::process::id()
        );
        let dest: PathBuf = if message.recent {
            dir.join("new").join(&base)
        } else {
            dir.join("cur").join(format!("{base}:2,{}", message.flags))
        };
        let tmp = dir.join("tmp").join(&base);
        let mut file =
            File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        file.write_all(&message.bytes)
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        file.set_modified(UNIX_EPOCH + Duration::from_secs(message.date.max(0) as u64))
            .map_err(|e| format!("cannot set the mtime of {}: {e}", tmp.display()))?;
        drop(file);
        fs::rename(&tmp, &dest).map_err(|e| format!("cannot rename {}: {e}", tmp.display()))?;
    }
    eprintln!(
        "seed: {} <- {n} messages ({:.1} MB) in {:.1} s",
        dir.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
