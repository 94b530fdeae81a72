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
    init_logging(cli.verbose);
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
    let filter = match verbose {
        0 => EnvFilter::try_from_env("POSTIE_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        1 => EnvFilter::new("warn,postie=info"),
        2 => EnvFilter::new("info,postie=debug"),
        // Not "trace" for every crate: protocol libraries trace raw lines, AUTH included.
        _ => EnvFilter::new("info,postie=trace"),
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .try_init();
}
