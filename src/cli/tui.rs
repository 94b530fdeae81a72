//! The terminal UI's entry points: `postie` (the configured accounts; `--offline`), `postie`
//! without a config (the first-run form of `first_run.rs`, which writes one), and `postie demo`.
//!
//! This file only wires: it loads the config, key map and theme, opens the store, starts the
//! backend ([`crate::app`]) and runs [`crate::ui::terminal::run`]. Everything that can be
//! refused (a bad key map, an unknown theme, no terminal) is refused before the screen is
//! taken over, as one line on standard error.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{CliError, Context};
use crate::app::{self, Mode, Options};
use crate::config::{Config, ConfigError};
use crate::error::ErrorKind;
use crate::store::Store;
use crate::ui::{self, Keymap, Model};

/// Why the terminal UI could not start (its failures once running travel as events).
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("the terminal UI needs a terminal: standard input and output must be one")]
    NotATerminal,
    #[error(transparent)]
    Keymap(#[from] ui::KeymapError),
    #[error(transparent)]
    Theme(#[from] ui::ThemeError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Terminal(#[from] ui::terminal::TerminalError),
    #[error("cannot start the backend thread")]
    Thread(#[source] std::io::Error),
}

impl TuiError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            TuiError::NotATerminal => ErrorKind::Usage,
            TuiError::Keymap(e) => e.kind(),
            TuiError::Theme(e) => e.kind(),
            TuiError::Store(e) => e.kind(),
            TuiError::Terminal(e) => e.kind(),
            TuiError::Thread(_) => ErrorKind::Internal,
        }
    }
}

/// `postie` and `postie --offline`.
pub fn run(ctx: &Context) -> Result<ExitCode, CliError> {
    let (config, warnings) = match ctx.load_config_with_warnings() {
        Ok(loaded) => loaded,
        Err(CliError::Config(ConfigError::NotFound { path })) => {
            return super::first_run::run(ctx, &path);
        }
        Err(e) => return Err(e),
    };
    // The same checks and FILE:LINE messages as `postie config check`.
    let problems = super::check::ui_problems(&config);
    if let (false, Some(path)) = (problems.is_empty(), config.path.clone()) {
        return Err(ConfigError::Invalid { path, problems }.into());
    }
    let mut model = model_for(&config, &account_names(&config))?;
    // Nothing may be written to the terminal the UI runs in: the config's permission
    // warnings go to the log and the status line.
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    if let Some(first) = warnings.first() {
        model.set_status(format!("warning: {first}"));
    }
    // open_store picks up what changed in the Maildirs (a Maildir account's only "sync"); the
    // UI's folder list and the start-up sync look again, so no second look here.
    let store = crate::cli::offline::open_store(&config)?;
    let mode = if ctx.offline {
        Mode::Offline
    } else {
        Mode::Online
    };
    let options = Options {
        mode,
        accounts: account_names(&config),
        config,
        initial_sync: true,
    };
    run_ui(model, store, options)
}

fn account_names(config: &Config) -> Vec<String> {
    config.accounts.iter().map(|a| a.name.clone()).collect()
}

/// A model with the config's key map and theme (users' themes beside the config file).
fn model_for(config: &Config, accounts: &[String]) -> Result<Model, CliError> {
    let keymap = Keymap::from_config(&config.keys).map_err(TuiError::from)?;
    let user_themes = super::check::user_theme_dir(config);
    let theme = ui::theme::load(&config.theme, user_themes.as_deref()).map_err(TuiError::from)?;
    let mut model = Model::new(accounts, keymap, theme);
    model.folder_pane = config.folder_pane;
    model.identities = config
        .accounts
        .iter()
        .map(|a| {
            let identities = a
                .identities
                .iter()
                .map(|i| ui::Identity {
                    from: i.from.clone(),
                    signature: i.signature.clone(),
                })
                .collect();
            (a.name.clone(), identities)
        })
        .collect();
    if let Some(headers) = &config.headers {
        model.reader_headers.clone_from(headers);
    }
    model.pgp_defaults = crate::app::pgp_defaults(config);
    Ok(model)
}

/// `postie demo`: the demo mailbox in a fresh directory under the temp dir, removed on exit.
pub fn run_demo(_ctx: &Context) -> Result<ExitCode, CliError> {
    check_terminal()?;
    let dir = demo_dir();
    let result = (|| {
        let store = crate::store::demo::generate(&dir).map_err(TuiError::from)?;
        let config = Config::empty(dir.clone());
        let accounts = vec![app::DEMO_ACCOUNT.to_owned()];
        let mut model = model_for(&config, &accounts)?;
        model.identities.insert(
            app::DEMO_ACCOUNT.to_owned(),
            vec![ui::Identity {
                from: app::DEMO_FROM.to_owned(),
                signature: None,
            }],
        );
        let options = Options {
            mode: Mode::Demo,
            config,
            accounts,
            initial_sync: false,
        };
        run_ui(model, store, options)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A new, unique directory name for a demo store.
pub fn demo_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("postie-demo-{}-{nanos}", std::process::id()))
}

pub(super) fn check_terminal() -> Result<(), TuiError> {
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(TuiError::NotATerminal)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

/// Starts the backend on `store` and runs the UI until the user quits.
fn run_ui(model: Model, store: Store, options: Options) -> Result<ExitCode, CliError> {
    check_terminal()?;
    let runtime = runtime()?;
    let handles = app::start(store, options, runtime.handle().clone()).map_err(TuiError::Thread)?;
    let result = runtime.block_on(ui::terminal::run(model, handles.commands, handles.events));
    // The command sender is gone with `run`: the backend thread ends after its current
    // command and any submission in flight (so a message being sent is sent or queued, never
    // lost). A sync still running is dropped with the runtime: the store is durable at every
    // step, and the next sync resumes.
    let notes = handles.thread.join().unwrap_or_default();
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result.map_err(TuiError::from)?;
    // The terminal is restored: say what did not reach the servers (actions still queued).
    for note in notes {
        eprintln!("postie: {note}");
    }
    Ok(ExitCode::SUCCESS)
}
