//! The screen at the sizes people use: 200x60, 80x24, 60x20, 30x15. Narrow, the subject gets
//! its columns first and a message takes the screen; the position and the account show in
//! the list title; a collapsed thread says how much of it is unread.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

use super::view;
use crate::ui::fixtures::*;
use crate::ui::model::Model;
use crate::ui::protocol::Event;
use crate::ui::update::{Msg, update};

fn draw(m: &Model) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(m, f)).unwrap();
    t
}

fn rows(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// A 1,234-message INBOX on a terminal of this size, the cursor on row 412 (visible 411).
fn sized(w: u16, h: u16) -> (Model, Fake) {
    let (mut m, fake) = started(20_000);
    fake.send(&mut m, Msg::Resize(w, h));
    (m, fake)
}

fn open(m: &mut Model, fake: &Fake) {
    fake.send(m, Msg::Key(key(KeyCode::Enter)));
    let id = m.message.as_ref().unwrap().id.clone();
    let mut msg = message(&id);
    msg.body = (1..=40).map(|i| format!("body line {i}\n")).collect();
    update(
        m,
        Msg::Backend(Event::Message {
            id,
            result: Ok(msg),
        }),
    );
}

/// The longest run of a subject's text shown on the list's first message row.
fn subject_columns(row: &str, subject: &str) -> usize {
    let at = row.find(subject).expect("the subject shows");
    row[at..].trim_end_matches(['│', ' ']).chars().count()
}

#[test]
fn at_60x20_the_subject_gets_30_columns_and_the_reader_the_screen() {
    let (mut m, fake) = sized(60, 20);
    let t = draw(&m);
    insta::assert_snapshot!("list_60x20", t.backend());
    let r = rows(&t);
    assert!(r[0].contains("work: INBOX · 1/20,000"), "{}", r[0]);
    // Subjects are "Topic number 0"... padded; measure the subject column's width instead.
    let cols = super::list::columns(58, false);
    assert!(cols.subject >= 30, "{cols:?}");
    assert!(cols.from >= 10, "the sender shrinks but stays: {cols:?}");
    assert!(subject_columns(&r[1], "Topic number 0") >= 14);
    open(&mut m, &fake);
    let t = draw(&m);
    insta::assert_snapshot!("reader_60x20", t.backend());
    let shown = rows(&t).iter().filter(|l| l.contains("body line")).count();
    assert!(shown >= 14, "{shown} body lines");
}

#[test]
fn at_30x15_the_subject_still_shows() {
    let (m, _) = sized(30, 15);
    let t = draw(&m);
    insta::assert_snapshot!("list_30x15", t.backend());
    assert!(rows(&t)[1].contains("Topic num"), "{:?}", rows(&t)[1]);
}

#[test]
fn at_80x24_the_folders_show_and_a_message_takes_the_screen() {
    let (mut m, fake) = sized(80, 24);
    let t = draw(&m);
    insta::assert_snapshot!("list_80x24", t.backend());
    assert!(rows(&t)[1].contains("○ work"), "{}", rows(&t)[1]);
    open(&mut m, &fake);
    let t = draw(&m);
    insta::assert_snapshot!("reader_80x24", t.backend());
    // A split would leave the message a few lines; full-screen it gets 18.
    let shown = rows(&t).iter().filter(|l| l.contains("body line")).count();
    assert!(shown >= 18, "{shown} body lines");
}

#[test]
fn at_200x60_full_width_columns_and_a_full_screen_reader_on_z() {
    let (mut m, fake) = sized(200, 60);
    fake.keys(&mut m, &"j".repeat(411));
    let t = draw(&m);
    insta::assert_snapshot!("list_200x60", t.backend());
    assert!(rows(&t)[0].contains("work: INBOX · 412/20,000 · date ▼"));
    assert_eq!(
        super::list::columns(172, true),
        super::list::Columns {
            date: 11,
            from: 21,
            size: 7,
            subject: 129
        },
        "wide, every column keeps its full width"
    );
    open(&mut m, &fake);
    fake.keys(&mut m, "Z");
    let t = draw(&m);
    let r = rows(&t);
    assert!(r[0].trim_start().starts_with("Topic number"), "{}", r[0]);
    assert!(
        r[0].contains("Topic number 0 · 412/20,000"),
        "the place: {}",
        r[0]
    );
    assert_eq!(r.iter().filter(|l| l.contains("body line")).count(), 40);
}

#[test]
fn columns_give_way_in_order_size_sender_date() {
    use super::list::{Columns, columns};
    let c = |date, from, size, subject| Columns {
        date,
        from,
        size,
        subject,
    };
    assert_eq!(columns(100, true), c(11, 21, 7, 57));
    assert_eq!(columns(70, true), c(11, 21, 0, 34), "the size goes first");
    assert_eq!(
        columns(60, false),
        c(11, 15, 0, 30),
        "then the sender shrinks"
    );
    assert_eq!(columns(56, false), c(11, 11, 0, 30), "to its minimum");
    assert_eq!(
        columns(54, false),
        c(7, 13, 0, 30),
        "then the date is short"
    );
    assert_eq!(columns(50, false), c(7, 0, 0, 39), "then the sender goes");
    assert_eq!(columns(40, false), c(7, 0, 0, 29));
    assert_eq!(columns(14, false), c(0, 0, 0, 10), "the date goes last");
}

#[test]
fn a_collapsed_thread_shows_its_unread_replies_in_bold() {
    let (mut m, fake) = started(40);
    // Thread at row 4 (replies 5 and 6, row 6 unread) collapses; its root (row 4) is read.
    fake.keys(&mut m, "jjjj ");
    let t = draw(&m);
    let r = rows(&t);
    let line = r.iter().position(|l| l.contains("Topic number 4")).unwrap();
    assert!(r[line].contains("(1/2) Topic number 4"), "{}", r[line]);
    assert!(r[line].contains("││ N"), "marked unread: {}", r[line]);
    let list = crate::ui::layout::areas(&m).list;
    let cell = t.backend().buffer()[(list.x + 40, line as u16)].modifier;
    assert!(cell.contains(Modifier::BOLD));
    // Read it all: the count goes, `(+2)` stays.
    fake.keys(&mut m, " jju");
    fake.keys(&mut m, "kk ");
    let r = rows(&draw(&m));
    let line = r.iter().find(|l| l.contains("Topic number 4")).unwrap();
    assert!(line.contains("(+2) Topic number 4"), "{line}");
}
