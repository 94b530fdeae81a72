//! `postie demo`: the terminal UI on the sample mailbox (see [`super::tui::run_demo`]);
//! `postie demo --print` builds it in a fresh data dir and prints where it is and its folders.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::offline::OfflineError;
use super::plural::plural;
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
        let total = f.total;
        writeln!(
            out,
            "  {:<12} {total:>3} {:<9} {:>3} unread",
            f.name,
            format!("{},", plural(total, "message", "messages")),
            f.unread
        )?;
    }
    Ok(dir)
}

/// `postie demo [--print]`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DemoArgs {
    /// Do not open the terminal UI: build the sample mailbox, print its directory and folders,
    /// and leave it there (for the offline commands: `POSTIE_DATA_DIR=DIR postie list`).
    #[arg(long)]
    pub print: bool,
}

/// The `postie demo` command: the terminal UI on the demo store, or `--print`.
pub fn run(ctx: &Context, args: DemoArgs) -> Result<std::process::ExitCode, CliError> {
    if args.print {
        super::offline::run_to_stdout(|out| run_offline(None, out).map(|_| ()))
    } else {
        super::tui::run_demo(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::run_offline;

    #[test]
    fn print_counts_one_message_in_the_singular() {
        let parent = tempfile::tempdir().expect("temp dir");
        let mut out = Vec::new();
        run_offline(Some(parent.path()), &mut out).expect("demo store");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(!text.contains(" 1 messages"), "{text}");
        assert!(
            text.contains(" 1 message,"),
            "the demo has a folder of one: {text}"
        );
        assert!(text.contains(" messages,"), "{text}");
    }
}
