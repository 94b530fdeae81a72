//! Handing mail to other programs: `|` (and `:pipe`, `:pipe-part`) pipes a message or an
//! attachment to a shell command, and the answers to opening an attachment and to piping —
//! output to show, or a program that wants the terminal.
//!
//! The rule for what is piped: `|` and `:pipe` pipe the whole message, exactly as stored
//! (what `git am` and `formail` want) — from the list or the reader alike; `:pipe-part` pipes
//! the reader's selected attachment, decoded. A command starting with `!` gets the terminal
//! (its output stays on screen until a key is pressed); otherwise its output is captured and
//! shown: one line in the status line, more in a pager overlay.

use super::super::model::{Model, Overlay, PromptKind};
use super::super::protocol::{Command, Launch, ProgramOutput};
use super::super::types::{BackendError, MessageId};
use super::normal::open_prompt;
use super::target_ids;

/// `|`: ask for the command to pipe the selected message to.
pub(super) fn ask(model: &mut Model) -> Vec<Command> {
    let ids = target_ids(model);
    if ids.is_empty() {
        model.set_error("No message to pipe");
        return Vec::new();
    }
    open_prompt(model, PromptKind::Pipe { ids, part: None }, "");
    Vec::new()
}

/// `:pipe CMD` / `:pipe-part CMD`: pipe at once, or ask for the command when none was given.
pub(super) fn command(model: &mut Model, part: bool, line: &str) -> Vec<Command> {
    let (ids, part) = if part {
        let selected = model.message.as_ref().and_then(|v| {
            let a = v.message.as_ref()?.attachments.get(v.attachment)?;
            Some((v.id.clone(), a.part))
        });
        match selected {
            Some((id, p)) => (vec![id], Some(p)),
            None => {
                model.set_error("No attachment selected: open a message that has one");
                return Vec::new();
            }
        }
    } else {
        (target_ids(model), None)
    };
    if ids.is_empty() {
        model.set_error("No message to pipe");
        return Vec::new();
    }
    if line.trim().is_empty() {
        open_prompt(model, PromptKind::Pipe { ids, part }, "");
        return Vec::new();
    }
    submit(model, ids, part, line)
}

/// The pipe prompt's Enter: `!CMD` runs in the terminal, `CMD` with its output captured.
pub(super) fn submit(
    model: &mut Model,
    ids: Vec<MessageId>,
    part: Option<usize>,
    text: &str,
) -> Vec<Command> {
    let (terminal, command) = match text.trim().strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, text.trim()),
    };
    if command.is_empty() {
        return Vec::new();
    }
    if !terminal {
        model.set_status(format!("Piping to {command}…"));
    }
    vec![Command::Pipe {
        ids,
        part,
        command: command.to_owned(),
        terminal,
    }]
}

/// The answer to opening an attachment or piping.
pub(super) fn launched(model: &mut Model, result: Result<Launch, BackendError>) -> Vec<Command> {
    match result {
        Err(e) => model.set_error(e.message),
        Ok(Launch::Detached { program }) => model.set_status(format!("Opened with {program}")),
        Ok(Launch::InTerminal(job)) => {
            model.status = None;
            return vec![Command::RunInTerminal(job)];
        }
        Ok(Launch::Output(out)) => show_output(model, out),
    }
    Vec::new()
}

/// One line of output goes to the status line; more opens the output overlay.
fn show_output(model: &mut Model, out: ProgramOutput) {
    let text = out.text.trim_end();
    if !text.contains('\n') {
        let line = if text.is_empty() {
            format!("{}: no output ({})", out.label, out.status)
        } else {
            format!("{}: {text} ({})", out.label, out.status)
        };
        if out.success {
            model.set_status(line);
        } else {
            model.set_error(line);
        }
        return;
    }
    model.output = Some(out);
    model.overlay = Overlay::Output;
    model.help = Some(0);
}

/// A program that had the terminal ended.
pub(super) fn job_done(model: &mut Model, label: String, result: Result<String, BackendError>) {
    match result {
        Ok(status) => model.set_status(format!("{label}: {status}")),
        Err(e) => model.set_error(e.message),
    }
}

/// How many lines the output overlay has (for scrolling).
pub(super) fn output_lines(model: &Model) -> usize {
    model.output.as_ref().map_or(0, |o| o.text.lines().count())
}
