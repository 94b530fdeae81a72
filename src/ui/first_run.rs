//! The first-run form: `postie` with no config file asks for an address, shows the settings
//! discovery found for it (and where each came from), asks for the account's name, and has
//! the config written; then the mail screen starts.
//!
//! Pure, like the rest of the UI: [`update`] turns a [`FormMsg`] into state and
//! [`FormCommand`]s; the runner (`cli/first_run.rs`) does the discovery and the writing and
//! answers with [`FormMsg::Found`], [`FormMsg::NotFound`], [`FormMsg::Written`] or
//! [`FormMsg::WriteFailed`]. What must hold: nothing is written before the user has seen the
//! settings and confirmed the name, and a command is only sent from the step that expects it
//! (a second Enter while looking up does not start a second lookup).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Where the form is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Typing the address.
    Address,
    /// Discovery is running for the address.
    Looking,
    /// The settings found are shown: Enter accepts, Esc goes back to the address.
    Confirm,
    /// Typing (or accepting) the account's name.
    Name,
    /// The config is being written.
    Writing,
    /// Written: Enter opens the mail screen, q quits.
    Done,
}

/// The form's whole state.
#[derive(Debug, Clone)]
pub struct FirstRun {
    pub step: Step,
    /// Where the config will be written (shown).
    pub config_path: String,
    pub address: String,
    pub name: String,
    /// What discovery found: one line per server and its source, then what was tried.
    pub found: Vec<String>,
    /// The last failure (nothing found, cannot write), or the next-steps note once written.
    pub message: Option<String>,
    /// A first Ctrl-C was pressed: the next one quits (as on the mail screen).
    pub interrupted: bool,
}

/// What the form is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormMsg {
    Key(KeyEvent),
    Paste(String),
    /// Discovery answered: the lines to show and the name it suggests.
    Found {
        lines: Vec<String>,
        default_name: String,
    },
    NotFound(String),
    /// The config was written; `next` says what to do next (`postie login NAME`...).
    Written {
        next: String,
    },
    WriteFailed(String),
}

/// What the form asks the runner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormCommand {
    Discover {
        address: String,
    },
    Write {
        name: String,
    },
    /// Leave without a config.
    Quit,
    /// The config is written: start the mail screen on it.
    OpenMail,
}

impl FirstRun {
    pub fn new(config_path: &str) -> FirstRun {
        FirstRun {
            step: Step::Address,
            config_path: config_path.to_owned(),
            address: String::new(),
            name: String::new(),
            found: Vec::new(),
            message: None,
            interrupted: false,
        }
    }
}

/// One step of the form.
pub fn update(form: &mut FirstRun, msg: FormMsg) -> Vec<FormCommand> {
    match msg {
        FormMsg::Key(key) if key.kind == KeyEventKind::Release => Vec::new(),
        FormMsg::Key(key)
            if key.modifiers.contains(KeyModifiers::CONTROL)
                && matches!(key.code, KeyCode::Char('c')) =>
        {
            if form.interrupted {
                return vec![FormCommand::Quit];
            }
            form.interrupted = true;
            Vec::new()
        }
        FormMsg::Key(key) => {
            form.interrupted = false;
            on_key(form, key)
        }
        FormMsg::Paste(text) => {
            let text: String = text.chars().filter(|c| !c.is_control()).collect();
            match form.step {
                Step::Address => form.address.push_str(text.trim()),
                Step::Name => form.name.push_str(text.trim()),
                _ => {}
            }
            Vec::new()
        }
        FormMsg::Found {
            lines,
            default_name,
        } if form.step == Step::Looking => {
            form.found = lines;
            form.name = default_name;
            form.message = None;
            form.step = Step::Confirm;
            Vec::new()
        }
        FormMsg::NotFound(why) if form.step == Step::Looking => {
            form.message = Some(why);
            form.step = Step::Address;
            Vec::new()
        }
        FormMsg::Written { next } if form.step == Step::Writing => {
            form.message = Some(next);
            form.step = Step::Done;
            Vec::new()
        }
        FormMsg::WriteFailed(why) if form.step == Step::Writing => {
            form.message = Some(why);
            form.step = Step::Name;
            Vec::new()
        }
        // An answer the form no longer waits for.
        FormMsg::Found { .. }
        | FormMsg::NotFound(_)
        | FormMsg::Written { .. }
        | FormMsg::WriteFailed(_) => Vec::new(),
    }
}

fn on_key(form: &mut FirstRun, key: KeyEvent) -> Vec<FormCommand> {
    match form.step {
        Step::Address => match key.code {
            KeyCode::Esc => vec![FormCommand::Quit],
            KeyCode::Enter if form.address.trim().contains('@') => {
                form.address = form.address.trim().to_owned();
                form.message = None;
                form.step = Step::Looking;
                vec![FormCommand::Discover {
                    address: form.address.clone(),
                }]
            }
            KeyCode::Enter => {
                form.message = Some("type your email address, e.g. you@example.org".into());
                Vec::new()
            }
            code => {
                edit(&mut form.address, code);
                Vec::new()
            }
        },
        Step::Looking | Step::Writing => match key.code {
            KeyCode::Esc => vec![FormCommand::Quit],
            _ => Vec::new(),
        },
        Step::Confirm => match key.code {
            KeyCode::Enter | KeyCode::Char('y') => {
                form.step = Step::Name;
                Vec::new()
            }
            KeyCode::Esc | KeyCode::Char('n') => {
                form.step = Step::Address;
                form.found.clear();
                Vec::new()
            }
            _ => Vec::new(),
        },
        Step::Name => match key.code {
            KeyCode::Esc => {
                form.step = Step::Confirm;
                Vec::new()
            }
            KeyCode::Enter if !form.name.trim().is_empty() => {
                form.name = form.name.trim().to_owned();
                form.message = None;
                form.step = Step::Writing;
                vec![FormCommand::Write {
                    name: form.name.clone(),
                }]
            }
            KeyCode::Enter => Vec::new(),
            code => {
                edit(&mut form.name, code);
                Vec::new()
            }
        },
        Step::Done => match key.code {
            KeyCode::Enter => vec![FormCommand::OpenMail],
            KeyCode::Esc | KeyCode::Char('q') => vec![FormCommand::Quit],
            _ => Vec::new(),
        },
    }
}

fn edit(field: &mut String, code: KeyCode) {
    match code {
        KeyCode::Backspace => {
            field.pop();
        }
        KeyCode::Char(c) if !c.is_control() && field.len() < 320 => field.push(c),
        _ => {}
    }
}

/// Draws the form.
pub fn view(form: &FirstRun, frame: &mut Frame) {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut lines = vec![
        Line::from(Span::styled("Welcome to postie.", bold)),
        Line::from(""),
        Line::from(format!(
            "There is no config file yet; this sets up your first account and writes it to {}.",
            form.config_path
        )),
        Line::from(""),
        Line::from(vec![
            Span::styled("Email address: ", bold),
            Span::raw(form.address.clone()),
            Span::raw(if form.step == Step::Address { "_" } else { "" }),
        ]),
    ];
    if form.step == Step::Looking {
        lines.push(Line::from(""));
        lines.push(Line::from("Looking up the settings for this address…"));
    }
    if !form.found.is_empty() && form.step != Step::Address {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Found:", bold)));
        lines.extend(form.found.iter().map(|l| Line::from(format!("  {l}"))));
    }
    if matches!(form.step, Step::Name | Step::Writing | Step::Done) {
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled("Account name: ", bold),
            Span::raw(form.name.clone()),
            Span::raw(if form.step == Step::Name { "_" } else { "" }),
        ]));
    }
    if let Some(message) = &form.message {
        lines.push(Line::from(""));
        lines.push(Line::from(message.clone()));
    }
    if form.step == Step::Address {
        lines.push(Line::from(""));
        lines.push(Line::from(
            "Or quit (Esc) and run `postie init` for a commented template to fill in by hand, \
             or `postie demo` to look around a sample mailbox first.",
        ));
    }
    if form.interrupted {
        lines.push(Line::from(""));
        lines.push(Line::from("Press Ctrl-C again to quit."));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        match form.step {
            Step::Address => "Enter: look up   Esc: quit",
            Step::Looking => "Esc: quit",
            Step::Confirm => "Enter: use these settings   Esc: another address",
            Step::Name => "Enter: write the config   Esc: back",
            Step::Writing => "Writing the config…",
            Step::Done => "Enter: open postie   q: quit",
        },
        Style::default().add_modifier(Modifier::DIM),
    )));
    let area: Rect = frame.area();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" postie: first run ");
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> FormMsg {
        FormMsg::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(form: &mut FirstRun, text: &str) {
        for c in text.chars() {
            assert!(update(form, key(KeyCode::Char(c))).is_empty());
        }
    }

    #[test]
    fn address_then_confirm_then_name_then_write_then_open() {
        let mut form = FirstRun::new("/cfg/config.toml");
        typed(&mut form, "ann@exampel");
        update(&mut form, key(KeyCode::Backspace));
        update(&mut form, key(KeyCode::Backspace));
        typed(&mut form, "le.org");
        assert_eq!(
            update(&mut form, key(KeyCode::Enter)),
            [FormCommand::Discover {
                address: "ann@example.org".into()
            }]
        );
        assert!(
            update(&mut form, key(KeyCode::Enter)).is_empty(),
            "one lookup"
        );
        update(
            &mut form,
            FormMsg::Found {
                lines: vec!["incoming: imap imap.example.org:993 TLS".into()],
                default_name: "example".into(),
            },
        );
        assert_eq!(form.step, Step::Confirm);
        assert!(
            update(&mut form, key(KeyCode::Enter)).is_empty(),
            "no write yet"
        );
        assert_eq!(form.step, Step::Name);
        update(&mut form, key(KeyCode::Backspace));
        typed(&mut form, "E");
        assert_eq!(
            update(&mut form, key(KeyCode::Enter)),
            [FormCommand::Write {
                name: "examplE".into()
            }]
        );
        update(
            &mut form,
            FormMsg::Written {
                next: "store the password with `postie login examplE`".into(),
            },
        );
        assert_eq!(form.step, Step::Done);
        assert_eq!(
            update(&mut form, key(KeyCode::Enter)),
            [FormCommand::OpenMail]
        );
    }

    #[test]
    fn nothing_found_or_a_failed_write_goes_back_and_says_why() {
        let mut form = FirstRun::new("/c");
        assert!(
            update(&mut form, key(KeyCode::Enter)).is_empty(),
            "empty address"
        );
        assert!(form.message.is_some());
        typed(&mut form, "a@b.test");
        update(&mut form, key(KeyCode::Enter));
        update(
            &mut form,
            FormMsg::NotFound("no mail settings found".into()),
        );
        assert_eq!(form.step, Step::Address);
        assert_eq!(form.message.as_deref(), Some("no mail settings found"));
        // A late answer to a lookup the form left is ignored.
        update(
            &mut form,
            FormMsg::Found {
                lines: vec![],
                default_name: "x".into(),
            },
        );
        assert_eq!(form.step, Step::Address);
        update(&mut form, key(KeyCode::Enter));
        update(
            &mut form,
            FormMsg::Found {
                lines: vec!["l".into()],
                default_name: "b".into(),
            },
        );
        update(&mut form, key(KeyCode::Esc));
        assert_eq!(form.step, Step::Address, "Esc: another address");
        update(&mut form, key(KeyCode::Enter));
        update(
            &mut form,
            FormMsg::Found {
                lines: vec!["l".into()],
                default_name: "b".into(),
            },
        );
        update(&mut form, key(KeyCode::Char('y')));
        update(&mut form, key(KeyCode::Enter));
        update(&mut form, FormMsg::WriteFailed("b already exists".into()));
        assert_eq!(form.step, Step::Name);
        let ctrl_c = || FormMsg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert!(update(&mut form, ctrl_c()).is_empty(), "the first one asks");
        assert!(form.interrupted);
        update(&mut form, key(KeyCode::Char('x')));
        assert!(
            update(&mut form, ctrl_c()).is_empty(),
            "another key reset it"
        );
        assert_eq!(update(&mut form, ctrl_c()), [FormCommand::Quit]);
    }
}
