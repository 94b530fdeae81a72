//! `update()` for the pane keys: `Z` (full-screen reader), `B` (folder pane), the narrow
//! defaults below 80 columns, `Tab` over the panes on screen, and a collapsed thread's unread
//! count following a read mark.

use crossterm::event::KeyCode;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::types::*;

fn open_first(m: &mut Model, fake: &Fake) {
    fake.send(m, Msg::Key(key(KeyCode::Enter)));
    let id = MessageId("work-INBOX-0".into());
    update(
        m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
}

#[test]
fn z_reads_full_screen_and_back() {
    let (mut m, fake) = started(50);
    open_first(&mut m, &fake);
    let split = layout::areas(&m);
    assert!(split.list.height > 0 && split.folders.width > 0);
    fake.keys(&mut m, "Z");
    let full = layout::areas(&m);
    assert_eq!(
        full.message.unwrap().width,
        m.size.0,
        "the message takes every column"
    );
    assert_eq!((full.list.height, full.folders.width), (0, 0));
    assert_eq!(m.focus, Focus::Message);
    assert!(layout::message_height(&m) > 20);
    // Tab has nowhere else to go while reading full-screen.
    fake.send(&mut m, Msg::Key(key(KeyCode::Tab)));
    assert_eq!(m.focus, Focus::Message);
    // The choice lasts: the next message opens full-screen too, Esc goes back to the list.
    fake.send(&mut m, Msg::Key(key(KeyCode::Esc)));
    assert!(m.message.is_none());
    assert_eq!(m.focus, Focus::List);
    assert!(layout::areas(&m).list.height > 20);
    open_first(&mut m, &fake);
    assert!(layout::reader_full(&m));
    fake.keys(&mut m, "Z");
    assert_eq!(layout::areas(&m), split);
}

#[test]
fn b_hides_and_shows_the_folder_pane() {
    let (mut m, fake) = started(50);
    m.focus = Focus::Folders;
    fake.keys(&mut m, "B");
    assert_eq!(layout::areas(&m).folders.width, 0);
    assert_eq!(layout::areas(&m).list.width, m.size.0);
    assert_eq!(m.focus, Focus::List, "the focus leaves the hidden pane");
    // Tab skips it.
    fake.send(&mut m, Msg::Key(key(KeyCode::Tab)));
    assert_eq!(m.focus, Focus::List);
    fake.keys(&mut m, "B");
    assert!(layout::areas(&m).folders.width > 0);
    fake.send(&mut m, Msg::Key(key(KeyCode::Tab)));
    assert_eq!(m.focus, Focus::Folders);
}

#[test]
fn a_narrow_terminal_hides_the_folders_and_reads_full_screen() {
    let (mut m, fake) = started(50);
    fake.send(&mut m, Msg::Resize(60, 20));
    assert_eq!(m.focus, Focus::List);
    let a = layout::areas(&m);
    assert_eq!((a.folders.width, a.list.width), (0, 60));
    open_first(&mut m, &fake);
    assert!(layout::reader_full(&m));
    assert!(
        layout::message_height(&m) >= 14,
        "{} body lines",
        layout::message_height(&m)
    );
    // q closes the message, not postie.
    let cmds = fake.keys(&mut m, "q");
    assert!(!m.quit && cmds.is_empty());
    assert!(m.message.is_none());
    // B shows the folders here too, and Z splits the screen, if the user wants.
    fake.keys(&mut m, "B");
    assert!(layout::areas(&m).folders.width > 0);
    open_first(&mut m, &fake);
    fake.keys(&mut m, "Z");
    assert!(!layout::reader_full(&m));
    assert!(layout::areas(&m).list.height > 0);
}

#[test]
fn reading_a_reply_lowers_its_collapsed_threads_unread_count() {
    // Row 0 roots a thread of rows 1 and 2; row 3 is unread (3 % 3 == 0) but is not in it,
    // so the count starts from the fixture's: rows 1, 2 -> none unread. Use the thread at
    // 4: rows 5, 6 -> row 6 unread.
    let (mut m, fake) = started(50);
    let root = |m: &Model| m.list.as_ref().unwrap().row(4).unwrap().thread;
    assert_eq!(root(&m).unread_descendants, 1);
    fake.keys(&mut m, "jjjjjj");
    assert_eq!(
        m.list.as_ref().unwrap().selected_row().unwrap().id.0,
        "work-INBOX-6"
    );
    fake.keys(&mut m, "u");
    assert_eq!(root(&m).unread_descendants, 0);
    fake.keys(&mut m, "u");
    assert_eq!(root(&m).unread_descendants, 1);
}
