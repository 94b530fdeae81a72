//! Starting a private server instance from one of the repository's scripts
//! (`scripts/mailservers`, `scripts/interop-cyrus`, `scripts/interop-courier`) and reading the
//! `KEY=VALUE` file it writes: one way for all three, so a fix to how instances start (a
//! scratch dir on tmpfs, the watchdog that stops them when the test process ends) reaches all.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Path of `scripts/NAME` in this checkout.
///
/// `cargo test` sets CARGO_MANIFEST_DIR at run time too; that one wins over the compile-time
/// value, which is stale when a target dir is shared between checkouts.
pub fn script(name: &str) -> PathBuf {
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    root.join("scripts").join(name)
}

/// Where an instance's directory goes: tmpfs (/dev/shm) when there is one, since seeding writes
/// thousands of small files (10,000 take ~1 s there, ~6 s on a busy disk); the temp dir otherwise.
pub fn scratch_base() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let writable = shm.is_dir()
        && std::fs::metadata(shm)
            .map(|m| !m.permissions().readonly())
            .unwrap_or(false);
    if writable {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Runs `scripts/NAME start DIR --watch PID` for a fresh DIR (`postie-NAME-PID-NANOS` under
/// [`scratch_base`]; a name with no space or other character a server's config would trip on): the script's watchdog stops the instance when this process ends, since
/// the Rust test harness has no global teardown. `Ok(DIR)`; the error says what failed and
/// `remedy` (how to install or start it).
pub fn start(name: &str, label: &str, remedy: &str) -> Result<PathBuf, String> {
    let script = script(name);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = scratch_base().join(format!("postie-{name}-{}-{nanos}", std::process::id()));
    let started = Instant::now();
    // The script's daemons and watchdog all detach from our pipes, so output() returns as soon
    // as the script itself ends.
    let output = Command::new(&script)
        .arg("start")
        .arg(&dir)
        .arg("--watch")
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}\n{remedy}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "cannot start the private {label} instance ({} start failed: {})\n{}\n{remedy}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        ));
    }
    eprintln!(
        "support: started a private {label} instance in {} ({:.2} s)",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(dir)
}

/// A `KEY=VALUE` file an instance's script wrote (`servers.env`, `cyrus.env`, `courier.env`).
pub struct EnvFile {
    path: PathBuf,
    values: HashMap<String, String>,
}

impl EnvFile {
    pub fn read(path: &Path) -> Result<EnvFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let values = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(EnvFile {
            path: path.to_path_buf(),
            values,
        })
    }

    /// The value of `key`; an error naming the file when it is missing.
    pub fn get(&self, key: &str) -> Result<String, String> {
        self.values
            .get(key)
            .cloned()
            .ok_or_else(|| format!("{} lacks {key}", self.path.display()))
    }

    /// The value of `key` parsed as a `T` (a port, a pid, a uid).
    pub fn parse<T: FromStr>(&self, key: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key)?
            .parse()
            .map_err(|e| format!("{} {key}: {e}", self.path.display()))
    }
}
