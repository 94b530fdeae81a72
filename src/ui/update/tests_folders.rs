//! `update()` with plain values: `:mkdir`, `:rename`, `:rmdir` and the offer to create a
//! missing folder on a move (issue 13, item 5).

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::model::PromptKind;
use crate::ui::protocol::FolderChange;
use crate::ui::types::*;

fn typed(fake: &Fake, m: &mut Model, line: &str) -> Vec<Command> {
    let mut cmds = fake.keys(m, line);
    cmds.extend(fake.send(m, Msg::Key(key(KeyCode::Enter))));
    cmds
}

fn status(m: &Model) -> (String, bool) {
    let s = m.status.as_ref().expect("a status line");
    (s.text.clone(), s.error)
}

fn question(m: &Model) -> Option<(FolderChange, String)> {
    match &m.prompt.as_ref()?.kind {
        k @ PromptKind::Confirm(change) => Some((change.clone(), k.label().into_owned())),
        _ => None,
    }
}

fn answered(change: FolderChange) -> Msg {
    Msg::Backend(Event::FolderManaged {
        change,
        result: Ok(()),
    })
}

#[test]
fn mkdir_creates_in_the_current_account_and_reloads_its_folders() {
    let (mut m, fake) = started(10);
    let cmds = typed(&fake, &mut m, ":mkdir Projects/New");
    let change = FolderChange::Create {
        folder: FolderRef::new("work", "Projects/New"),
        then_move: Vec::new(),
    };
    assert_eq!(cmds, vec![Command::ManageFolder(change.clone())]);
    let cmds = fake.send(&mut m, answered(change));
    assert_eq!(
        cmds,
        vec![Command::LoadFolders {
            account: Some("work".into())
        }]
    );
    assert_eq!(status(&m), ("Folder Projects/New created".into(), false));
    // An existing folder: refused in the UI, nothing sent.
    assert!(typed(&fake, &mut m, ":mkdir Archive").is_empty());
    assert!(status(&m).1, "an error: {:?}", status(&m));
    assert!(typed(&fake, &mut m, ":mkdir").is_empty());
    assert!(status(&m).1);
}

#[test]
fn rmdir_asks_first_and_leaves_a_deleted_folder_for_the_inbox() {
    let (mut m, fake) = started(10);
    typed(&fake, &mut m, ":folder Projects");
    let projects = FolderRef::new("work", "Projects");
    assert_eq!(m.current, Some(projects.clone()));
    assert!(
        typed(&fake, &mut m, ":rmdir").is_empty(),
        "nothing before y"
    );
    let (change, label) = question(&m).expect("a y/n question");
    assert_eq!(
        change,
        FolderChange::Delete {
            folder: projects.clone()
        }
    );
    assert!(
        label.contains("Delete folder Projects") && label.contains("y/n"),
        "{label}"
    );
    // Anything but y cancels.
    assert!(fake.keys(&mut m, "n").is_empty());
    assert!(m.prompt.is_none());
    assert_eq!(status(&m).0, "Cancelled");
    typed(&fake, &mut m, ":rmdir");
    let cmds = fake.keys(&mut m, "y");
    assert_eq!(cmds, vec![Command::ManageFolder(change.clone())]);
    let cmds = fake.send(&mut m, answered(change));
    assert_eq!(m.current, Some(FolderRef::new("work", "INBOX")));
    assert!(cmds.contains(&Command::LoadFolders {
        account: Some("work".into())
    }));
    assert_eq!(status(&m), ("Folder Projects deleted".into(), false));
    // INBOX is never offered.
    assert!(typed(&fake, &mut m, ":rmdir").is_empty());
    assert!(m.prompt.is_none() && status(&m).1);
    assert!(typed(&fake, &mut m, ":rename Old").is_empty());
    assert!(m.prompt.is_none() && status(&m).1);
}

#[test]
fn rename_asks_then_follows_the_open_folder() {
    let (mut m, fake) = started(10);
    typed(&fake, &mut m, ":folder Projects");
    typed(&fake, &mut m, ":rename Clients/Acme");
    let change = FolderChange::Rename {
        folder: FolderRef::new("work", "Projects"),
        to: "Clients/Acme".into(),
    };
    assert_eq!(question(&m).map(|q| q.0), Some(change.clone()));
    assert_eq!(
        fake.keys(&mut m, "y"),
        vec![Command::ManageFolder(change.clone())]
    );
    fake.send(&mut m, answered(change));
    assert_eq!(m.current, Some(FolderRef::new("work", "Clients/Acme")));
    // Renaming the parent of the open folder follows it too.
    fake.send(
        &mut m,
        answered(FolderChange::Rename {
            folder: FolderRef::new("work", "Clients"),
            to: "Customers".into(),
        }),
    );
    assert_eq!(m.current, Some(FolderRef::new("work", "Customers/Acme")));
    // A name that exists is refused before asking.
    assert!(typed(&fake, &mut m, ":rename Archive").is_empty());
    assert!(m.prompt.is_none() && status(&m).1);
}

#[test]
fn moving_to_a_missing_folder_offers_to_create_it_then_moves() {
    let (mut m, fake) = started(10);
    let id = MessageId("work-INBOX-0".into());
    fake.keys(&mut m, "m");
    let cmds = typed(&fake, &mut m, "Projects/New");
    assert!(cmds.is_empty(), "{cmds:?}");
    let (change, label) = question(&m).expect("offered");
    let folder = FolderRef::new("work", "Projects/New");
    assert_eq!(
        change,
        FolderChange::Create {
            folder: folder.clone(),
            then_move: vec![id.clone()],
        }
    );
    assert_eq!(label, "Create folder Projects/New in work? y/n ");
    assert_eq!(
        fake.keys(&mut m, "y"),
        vec![Command::ManageFolder(change.clone())]
    );
    let cmds = fake.send(&mut m, answered(change.clone()));
    assert_eq!(
        cmds,
        vec![
            Command::Move {
                ids: vec![id],
                to: folder
            },
            Command::LoadFolders {
                account: Some("work".into())
            }
        ]
    );
    // A refusal (e.g. offline) is shown, and nothing moves.
    let cmds = fake.send(
        &mut m,
        Msg::Backend(Event::FolderManaged {
            change,
            result: Err(BackendError::new(
                crate::error::ErrorKind::Network,
                "account work: creating a folder needs a connection",
            )),
        }),
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(
        status(&m),
        (
            "account work: creating a folder needs a connection".into(),
            true
        )
    );
}
