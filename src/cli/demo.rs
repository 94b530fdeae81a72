//! `postie demo` (until the TUI exists): builds the sample mailbox in a fresh throw-away data
//! dir and prints where it is and its folders.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::offline::OfflineError;
use super::{CliError, Context};
use crate::store::demo;

/// Creates the demo store in a new directory under `parent` (the system temp dir when `None`),
/// prints the path and the folder list, and returns the path.
pub fn run_offline(parent: Option<&Path>, out: &mut dyn Write) -> Result<PathBuf, OfflineError> {
    let parent = parent
        .map(Path::to_owned)
        .unwrap_or_else(std::env::temp_dir);
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = parent.join(format!("postie-demo-{}-{secs}", std::process::id()));
    let store = demo::generate(&dir)?;
    writeln!(out, "demo data dir: {}", dir.display())?;
    for f in store.folders(None)? {
        writeln!(
            out,
            "  {:<12} {:>3} messages, {:>3} unread",
            f.name, f.total, f.unread
        )?;
    }
    Ok(dir)
}

/// `postie demo` takes no arguments.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DemoArgs {}

/// The `postie demo` command (print-only until the terminal UI opens the demo store).
pub fn run(_ctx: &Context, _args: DemoArgs) -> Result<std::process::ExitCode, CliError> {
    super::offline::run_to_stdout(|out| run_offline(None, out).map(|_| ()))
}
