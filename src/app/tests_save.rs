//! The raw view's bytes and saving whole messages, with a real store: `LoadRaw` answers the
//! stored bytes; `SaveMessages` writes them to .eml files or an mbox; an envelope-only message
//! is refused with the remedy and nothing is written.

use super::tests::{inbox, rig, unreachable_imap};
use super::*;

fn raw(r: &mut tests::Rig, id: &ui::MessageId) -> Result<Vec<u8>, BackendError> {
    r.ask(Command::LoadRaw { id: id.clone() }, |e| match e {
        Event::Raw { result, .. } => Some(result),
        _ => None,
    })
}

fn save(
    r: &mut tests::Rig,
    ids: &[ui::MessageId],
    path: &std::path::Path,
) -> Result<String, BackendError> {
    r.ask(
        Command::SaveMessages {
            ids: ids.to_vec(),
            path: path.to_path_buf(),
        },
        |e| match e {
            Event::MessagesSaved { result, .. } => Some(result),
            _ => None,
        },
    )
}

#[test]
fn saved_messages_are_the_bytes_the_raw_view_shows() {
    let mut r = rig(Mode::Demo);
    let ids: Vec<ui::MessageId> = r
        .page(inbox(), Sort::default(), 1, 0)
        .rows
        .into_iter()
        .take(2)
        .map(|row| row.id)
        .collect();
    let bytes: Vec<Vec<u8>> = ids.iter().map(|id| raw(&mut r, id).unwrap()).collect();
    assert!(bytes.iter().all(|b| b.len() > 100));
    let out = tempfile::tempdir().unwrap();

    let mbox = out.path().join("two.mbox");
    let said = save(&mut r, &ids, &mbox).unwrap();
    assert_eq!(
        said,
        format!("Saved 2 messages to the new mbox {}", mbox.display())
    );
    let lf = |b: &Vec<u8>| String::from_utf8_lossy(b).replace("\r\n", "\n");
    let back: Vec<String> = crate::mail::mbox::messages(&std::fs::read(&mbox).unwrap())
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert_eq!(back, bytes.iter().map(lf).collect::<Vec<_>>());

    let dir = out.path().join("eml");
    let said = save(&mut r, &ids[..1], &dir.join("")).unwrap();
    assert!(said.starts_with("Saved 1 message to "), "{said}");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    assert_eq!(std::fs::read(files[0].path()).unwrap(), bytes[0]);
}

#[test]
fn an_envelope_only_message_is_refused_with_the_remedy_and_nothing_written() {
    let (mut r, id) = unreachable_imap(Mode::Offline);
    let err = raw(&mut r, &id).unwrap_err();
    assert!(err.message.contains("only the envelope"), "{}", err.message);
    assert!(
        err.message.contains("open it while online"),
        "{}",
        err.message
    );
    let out = tempfile::tempdir().unwrap();
    let mbox = out.path().join("x.mbox");
    assert!(save(&mut r, std::slice::from_ref(&id), &mbox).is_err());
    assert!(!mbox.exists());
}
