//! The `postie` binary: parse the command line, set up logging and TLS, run the command, and
//! turn a failure into one line on standard error and a sysexits exit status.

use std::process::ExitCode;

use clap::Parser;
use postie::cli::{self, Cli};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version come here too: they print to stdout and succeed.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(cli::EX_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // Before any thread exists: the keyutils keyring belongs to the thread's credentials.
    postie::credentials::init_process_keyring();
    match &cli.command {
        None => init_file_logging(cli.verbose),
        // The demo leaves nothing behind: no log unless asked for.
        Some(cli::Command::Demo(args)) if !args.print => {
            if cli.verbose > 0 || std::env::var_os("POSTIE_LOG").is_some() {
                init_file_logging(cli.verbose);
            }
        }
        Some(_) => init_logging(cli.verbose),
    }
    // rustls panics at the first handshake if it cannot tell which provider to use; an `Err`
    // here only means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();

    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("postie: {}", cli::error_line(&err));
            ExitCode::from(err.exit_code())
        }
    }
}

/// Logs go to standard error, never stdout (scripts parse stdout). `-v` info, `-vv` debug,
/// `-vvv` trace; without `-v`, warnings only unless `$POSTIE_LOG` holds a filter.
fn init_logging(verbose: u8) {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter_for(verbose))
        .try_init();
}

/// While the terminal UI runs, nothing may write to the terminal: logs go to `postie.log` in
/// the default data dir (`$POSTIE_DATA_DIR`, else the platform's), appended, 0600. When that
/// file cannot be opened, logging is off.
fn init_file_logging(verbose: u8) {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let Some(dir) = postie::config::Env::from_process().default_data_dir() else {
        return;
    };
    let _ = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir);
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(dir.join("postie.log"))
    else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter_for(verbose))
        .try_init();
}

fn filter_for(verbose: u8) -> EnvFilter {
    match verbose {
        0 => EnvFilter::try_from_env("POSTIE_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        1 => EnvFilter::new("warn,postie=info"),
        2 => EnvFilter::new("info,postie=debug"),
        // Not "trace" for every crate: protocol libraries trace raw lines, AUTH included.
        _ => EnvFilter::new("info,postie=trace"),
    }
}
