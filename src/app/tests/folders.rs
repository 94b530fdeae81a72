//! Folder changes through the backend on a local account (the demo store): answered with
//! `Event::FolderManaged`, the store following; a rename keeps the messages' ids.

use super::*;
use crate::ui::FolderChange;

fn manage(r: &mut Rig, change: FolderChange) -> Result<(), ui::BackendError> {
    r.ask(Command::ManageFolder(change), |e| match e {
        Event::FolderManaged { result, .. } => Some(result),
        _ => None,
    })
}

fn names(r: &mut Rig) -> Vec<String> {
    r.folders().into_iter().map(|f| f.name).collect()
}

#[test]
fn local_folders_are_created_renamed_and_deleted() {
    let mut r = rig(Mode::Offline);
    let here = |name: &str| FolderRef::new(DEMO_ACCOUNT, name);
    manage(
        &mut r,
        FolderChange::Create {
            folder: here("Projects/New"),
            then_move: Vec::new(),
        },
    )
    .unwrap();
    assert!(names(&mut r).contains(&"Projects/New".to_owned()));
    let err = manage(
        &mut r,
        FolderChange::Create {
            folder: here("Projects/New"),
            then_move: Vec::new(),
        },
    )
    .unwrap_err();
    assert!(err.message.contains("exists"), "{}", err.message);

    let archived: Vec<_> = r
        .page(folder("Archive"), Sort::default(), 1, 0)
        .rows
        .into_iter()
        .map(|row| row.id)
        .collect();
    assert!(!archived.is_empty());
    manage(
        &mut r,
        FolderChange::Rename {
            folder: here("Archive"),
            to: "Old/Archive".into(),
        },
    )
    .unwrap();
    let names_now = names(&mut r);
    assert!(
        names_now.contains(&"Old/Archive".to_owned()) && !names_now.contains(&"Archive".to_owned()),
        "{names_now:?}"
    );
    let moved: Vec<_> = r
        .page(folder("Old/Archive"), Sort::default(), 2, 0)
        .rows
        .into_iter()
        .map(|row| row.id)
        .collect();
    assert_eq!(moved, archived, "same messages, same ids");

    // The UI asked y/n: a delete of a folder holding messages goes ahead.
    manage(
        &mut r,
        FolderChange::Delete {
            folder: here("Old/Archive"),
        },
    )
    .unwrap();
    assert!(!names(&mut r).contains(&"Old/Archive".to_owned()));
    let err = manage(
        &mut r,
        FolderChange::Delete {
            folder: here("INBOX"),
        },
    )
    .unwrap_err();
    assert!(err.message.contains("INBOX"), "{}", err.message);
    assert!(r.data.exists());
}
