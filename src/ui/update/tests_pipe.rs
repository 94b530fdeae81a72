//! `update()` with plain values: `|` and `:pipe`/`:pipe-part`, and the answers to opening and
//! piping (captured output, a program that wants the terminal, a detached viewer).

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::model::{Overlay, PromptKind};
use crate::ui::protocol::{Launch, ProgramOutput, TerminalJob};
use crate::ui::types::*;

fn opened() -> (Model, Fake, MessageId) {
    let (mut m, fake) = started(10);
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let id = MessageId("work-INBOX-0".into());
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
    (m, fake, id)
}

fn job(label: &str) -> TerminalJob {
    TerminalJob {
        shell: "less '/run/x/1-2.pdf'".into(),
        stdin: None,
        wait_key: false,
        label: label.into(),
        remove_after: vec!["/run/x/1-2.pdf".into()],
    }
}

#[test]
fn bar_pipes_the_selected_message_with_output_captured() {
    let (mut m, fake) = started(10);
    let cmds = fake.keys(&mut m, "j|");
    assert!(cmds.is_empty());
    let p = m.prompt.as_ref().expect("the pipe prompt");
    assert_eq!(
        p.kind,
        PromptKind::Pipe {
            ids: vec![MessageId("work-INBOX-1".into())],
            part: None
        }
    );
    assert!(p.kind.label().starts_with("Pipe message to"));
    fake.keys(&mut m, "wc -l");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::Pipe {
            ids: vec![MessageId("work-INBOX-1".into())],
            part: None,
            command: "wc -l".into(),
            terminal: false,
        }]
    );
    assert!(m.prompt.is_none());
    assert_eq!(m.status.as_ref().unwrap().text, "Piping to wc -l…");
}

#[test]
fn a_leading_bang_hands_the_terminal_over_and_empty_does_nothing() {
    let (mut m, fake, id) = opened();
    fake.keys(&mut m, "|! git am -3");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::Pipe {
            ids: vec![id],
            part: None,
            command: "git am -3".into(),
            terminal: true,
        }]
    );
    fake.keys(&mut m, "|");
    assert!(fake.send(&mut m, Msg::Key(key(KeyCode::Enter))).is_empty());
    fake.keys(&mut m, "|");
    assert!(fake.send(&mut m, Msg::Key(key(KeyCode::Esc))).is_empty());
    assert!(m.prompt.is_none());
}

#[test]
fn colon_pipe_and_pipe_part() {
    let (mut m, fake, id) = opened();
    fake.keys(&mut m, ":pipe !less");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::Pipe {
            ids: vec![id.clone()],
            part: None,
            command: "less".into(),
            terminal: true,
        }]
    );
    // The second attachment (part 3) is selected: pipe-part sends it.
    fake.keys(&mut m, "]:pipe-part file -");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::Pipe {
            ids: vec![id.clone()],
            part: Some(3),
            command: "file -".into(),
            terminal: false,
        }]
    );
    // Without a command it asks for one.
    fake.keys(&mut m, ":pipe-part");
    assert!(fake.send(&mut m, Msg::Key(key(KeyCode::Enter))).is_empty());
    assert_eq!(
        m.prompt.as_ref().unwrap().kind,
        PromptKind::Pipe {
            ids: vec![id],
            part: Some(3)
        }
    );
}

#[test]
fn pipe_part_without_an_open_message_says_so() {
    let (mut m, fake) = started(10);
    fake.keys(&mut m, ":pipe-part cat");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert!(cmds.is_empty());
    assert!(m.status.as_ref().unwrap().error);
    assert!(m.status.as_ref().unwrap().text.contains("No attachment"));
}

#[test]
fn one_line_of_output_goes_to_the_status_line_more_to_the_overlay() {
    let (mut m, _fake) = started(10);
    let out = |text: &str, success: bool| {
        Msg::Backend(Event::Piped {
            result: Ok(Launch::Output(ProgramOutput {
                label: "| wc -l".into(),
                text: text.into(),
                status: if success { "exit 0" } else { "exit 1" }.into(),
                success,
            })),
        })
    };
    assert!(update(&mut m, out("42\n", true)).is_empty());
    let s = m.status.clone().unwrap();
    assert_eq!(s.text, "| wc -l: 42 (exit 0)");
    assert!(!s.error);
    assert!(m.help.is_none());
    update(&mut m, out("", false));
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "| wc -l: no output (exit 1)"
    );
    assert!(m.status.as_ref().unwrap().error);
    update(&mut m, out("a\nb\nc\n", true));
    assert_eq!(m.overlay, Overlay::Output);
    assert_eq!(m.help, Some(0));
    assert_eq!(m.output.as_ref().unwrap().text, "a\nb\nc\n");
    // Esc closes it like the help overlay.
    update(&mut m, Msg::Key(key(KeyCode::Esc)));
    assert!(m.help.is_none());
}

#[test]
fn a_viewer_that_needs_the_terminal_goes_to_the_runner() {
    let (mut m, fake, _) = opened();
    fake.keys(&mut m, "v");
    let cmds = update(
        &mut m,
        Msg::Backend(Event::AttachmentOpened {
            result: Ok(Launch::InTerminal(job("less for application/pdf"))),
        }),
    );
    assert_eq!(
        cmds,
        vec![Command::RunInTerminal(job("less for application/pdf"))]
    );
    assert!(cmds[0].is_for_runner());
    assert!(m.status.is_none(), "the Opening… note is gone");
    update(
        &mut m,
        Msg::Backend(Event::TerminalJobDone {
            label: "less for application/pdf".into(),
            result: Ok("exit 0".into()),
        }),
    );
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "less for application/pdf: exit 0"
    );
    update(
        &mut m,
        Msg::Backend(Event::TerminalJobDone {
            label: "| git am".into(),
            result: Err(BackendError::new(
                crate::error::ErrorKind::Data,
                "| git am failed (exit 128)",
            )),
        }),
    );
    assert!(m.status.as_ref().unwrap().error);
    update(
        &mut m,
        Msg::Backend(Event::AttachmentOpened {
            result: Ok(Launch::Detached {
                program: "zathura".into(),
            }),
        }),
    );
    assert_eq!(m.status.as_ref().unwrap().text, "Opened with zathura");
}
