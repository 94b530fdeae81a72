//! `postie` with no config file: the first-run form ([`crate::ui::first_run`]) on the terminal,
//! with discovery ([`crate::discover`]) on a thread of its own and the config written as
//! `postie init --email` writes it; then the mail screen starts on the new config.
//!
//! This file is the form's runner, the only IO of it: keys in, commands out, answers back as
//! messages. What must hold: the terminal is restored however the form ends (a guard), and the
//! account written is exactly the one whose settings the user was shown.

use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::{self, Event as TermEvent};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::tui::TuiError;
use super::{CliError, Context};
use crate::discover::{self, DiscoverError, Found, render};
use crate::ui::first_run::{self, FirstRun, FormCommand, FormMsg};
use crate::ui::terminal::{self, TerminalError};

/// Restores the terminal when the form ends, however it ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = terminal::restore();
    }
}

/// Runs the form for a config to be written at `path`.
pub fn run(ctx: &Context, path: &Path) -> Result<ExitCode, CliError> {
    super::tui::check_terminal()?;
    let open_mail = {
        terminal::install_panic_hook();
        terminal::enter().map_err(|e| TuiError::Terminal(TerminalError::Setup(e)))?;
        let _restore = Restore;
        form_loop(path)?
    };
    if open_mail {
        return super::tui::run(ctx);
    }
    Ok(ExitCode::SUCCESS)
}

/// Returns whether the mail screen is to be opened (the config was written).
fn form_loop(path: &Path) -> Result<bool, CliError> {
    let draw_error = |e| TuiError::Terminal(TerminalError::Draw(e));
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout())).map_err(draw_error)?;
    let mut form = FirstRun::new(&path.display().to_string());
    let (tx, rx) = mpsc::channel::<(String, Result<Found, DiscoverError>)>();
    let mut found: Option<Found> = None;
    let mut pending: VecDeque<FormMsg> = VecDeque::new();
    // Drawn when something changed (a message, a resize), not on the poll's clock.
    let mut dirty = true;
    loop {
        if dirty {
            term.draw(|frame| first_run::view(&form, frame))
                .map_err(draw_error)?;
            dirty = false;
        }
        let msg = if let Some(msg) = pending.pop_front() {
            msg
        } else if let Ok((address, result)) = rx.try_recv() {
            match result {
                // Only the answer for the address still in the form counts.
                Ok(f) if address == form.address => {
                    let mut lines = render::source_lines(&f);
                    lines.extend(f.tried.iter().map(|t| format!("tried first: {t}")));
                    let default_name = render::default_name(&f.email);
                    found = Some(f);
                    FormMsg::Found {
                        lines,
                        default_name,
                    }
                }
                Ok(_) => continue,
                Err(e) => FormMsg::NotFound(crate::error::chain_line(&e)),
            }
        } else if event::poll(Duration::from_millis(100))
            .map_err(|_| TuiError::Terminal(TerminalError::Input))?
        {
            match event::read().map_err(|_| TuiError::Terminal(TerminalError::Input))? {
                TermEvent::Key(key) => FormMsg::Key(key),
                TermEvent::Paste(text) => FormMsg::Paste(text),
                TermEvent::Resize(..) => {
                    term.autoresize().map_err(draw_error)?;
                    dirty = true;
                    continue;
                }
                _ => continue,
            }
        } else {
            continue;
        };
        dirty = true;
        for command in first_run::update(&mut form, msg) {
            match command {
                FormCommand::Discover { address } => {
                    found = None;
                    let tx = tx.clone();
                    std::thread::spawn(move || {
                        let result = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map(|rt| rt.block_on(discover::discover(&address)));
                        if let Ok(result) = result {
                            let _ = tx.send((address, result));
                        }
                    });
                }
                FormCommand::Write { name } => pending.push_back(write(path, &name, &found)),
                FormCommand::Quit => return Ok(false),
                FormCommand::OpenMail => return Ok(true),
            }
        }
    }
}

fn write(path: &Path, name: &str, found: &Option<Found>) -> FormMsg {
    let Some(found) = found else {
        return FormMsg::WriteFailed("nothing to write: look the address up again".into());
    };
    if let Some(problem) = super::init_email::bad_name(name) {
        return FormMsg::WriteFailed(problem);
    }
    let text = super::init_email::account_text(name, found);
    match super::init_email::add_account(path, name, &text) {
        Ok(_) => FormMsg::Written {
            next: format!(
                "Wrote account {name:?} to {}. Next: {}",
                path.display(),
                render::next_steps(name, found)
            ),
        },
        Err(e) => FormMsg::WriteFailed(crate::error::chain_line(&e)),
    }
}
