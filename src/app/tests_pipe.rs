//! `|` with a real store (the demo mailbox): the exact stored bytes reach the command, several
//! messages go as one mbox, an attachment goes decoded; output and exit status come back, and
//! a command that wants the terminal gets a private copy to read.

use super::tests::{Rig, inbox, rig};
use super::*;

fn pipe(
    r: &mut Rig,
    ids: Vec<ui::MessageId>,
    part: Option<usize>,
    command: &str,
    terminal: bool,
) -> Result<ui::Launch, BackendError> {
    r.ask(
        Command::Pipe {
            ids,
            part,
            command: command.into(),
            terminal,
        },
        |e| match e {
            Event::Piped { result } => Some(result),
            _ => None,
        },
    )
}

fn output(launch: ui::Launch) -> ui::ProgramOutput {
    match launch {
        ui::Launch::Output(o) => o,
        other => panic!("expected captured output, got {other:?}"),
    }
}

/// Every file under `dir`.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn one_message_goes_through_byte_for_byte() {
    let mut r = rig(Mode::Demo);
    let ids: Vec<_> = r
        .page(inbox(), Sort::default(), 1, 0)
        .rows
        .into_iter()
        .map(|r| r.id)
        .collect();
    let out = r.data.join("piped.eml");
    let o = output(
        pipe(
            &mut r,
            vec![ids[0].clone()],
            None,
            &format!("cat > '{}'", out.display()),
            false,
        )
        .unwrap(),
    );
    assert!(o.success, "{o:?}");
    assert_eq!(o.status, "exit 0");
    assert_eq!(o.label, format!("| cat > '{}'", out.display()));
    let piped = std::fs::read(&out).unwrap();
    assert!(!piped.is_empty());
    let stored = files(&r.data)
        .into_iter()
        .filter(|p| p != &out)
        .any(|p| std::fs::read(&p).is_ok_and(|b| b == piped));
    assert!(stored, "the piped bytes are exactly a stored message file");

    // Two messages: one mbox, a From line each.
    let o = output(pipe(&mut r, ids[..2].to_vec(), None, "grep -c '^From '", false).unwrap());
    assert_eq!(o.text.trim(), "2");
    // The same mboxrd as `W` writes: each `From ` line names the sender and the date.
    let o = output(pipe(&mut r, ids[..2].to_vec(), None, "grep '^From '", false).unwrap());
    for line in o.text.lines() {
        assert!(line.contains('@') && !line.contains("1970"), "{line}");
    }

    // A failing command: its status and stderr come back.
    let o = output(
        pipe(
            &mut r,
            vec![ids[0].clone()],
            None,
            "echo broken >&2; exit 3",
            false,
        )
        .unwrap(),
    );
    assert!(!o.success);
    assert_eq!(o.status, "exit 3");
    assert_eq!(o.text.trim(), "broken");
}

#[test]
fn an_attachment_goes_decoded_and_a_terminal_pipe_gets_a_private_copy() {
    use std::os::unix::fs::PermissionsExt;
    let mut r = rig(Mode::Demo);
    let rows = r.page(inbox(), Sort::default(), 1, 0).rows;
    let m = rows
        .iter()
        .find_map(|row| {
            let m = r.open(&row.id);
            (!m.attachments.is_empty()).then_some(m)
        })
        .expect("the demo has a message with attachments");
    let a = &m.attachments[0];
    let o = output(pipe(&mut r, vec![m.id.clone()], Some(a.part), "wc -c", false).unwrap());
    assert_eq!(o.text.trim(), a.size.to_string());

    let job = match pipe(&mut r, vec![m.id.clone()], None, "less", true).unwrap() {
        ui::Launch::InTerminal(job) => job,
        other => panic!("expected a terminal job, got {other:?}"),
    };
    assert_eq!(job.shell, "less");
    assert!(job.wait_key);
    let copy = job.stdin.clone().expect("the message comes on stdin");
    assert_eq!(job.remove_after, vec![copy.clone()]);
    let meta = std::fs::metadata(&copy).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let dir = std::fs::metadata(copy.parent().unwrap()).unwrap();
    assert_eq!(dir.permissions().mode() & 0o777, 0o700);
    assert!(meta.len() > 0);
}

#[test]
fn nothing_to_pipe_is_an_error_not_a_panic() {
    let mut r = rig(Mode::Demo);
    assert!(pipe(&mut r, Vec::new(), None, "cat", false).is_err());
    let bogus = ui::MessageId("nope".into());
    assert!(pipe(&mut r, vec![bogus.clone()], None, "cat", false).is_err());
    assert!(pipe(&mut r, vec![bogus], Some(0), "cat", true).is_err());
}
