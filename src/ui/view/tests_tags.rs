//! Tagged rows on screen: a `*` mark that reads without colour, the theme's tag style, and the
//! count in the status line.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::view;
use crate::ui::fixtures::*;
use crate::ui::model::Model;

fn draw(m: &Model) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(m, f)).unwrap();
    t
}

/// The first mark of list row `dy` (the tag or flag column).
fn mark(m: &Model, t: &Terminal<TestBackend>, dy: u16) -> String {
    let list = crate::ui::layout::areas(m).list;
    t.backend().buffer()[(list.x + 1, list.y + 1 + dy)]
        .symbol()
        .to_owned()
}

fn status_line(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let y = buf.area.height - 1;
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

#[test]
fn tagged_rows_show_a_star_and_the_status_line_counts_them() {
    let (mut m, fake) = started(1234);
    // Rows 1 and 2 (row 2 is flagged: the `*` takes the `!`'s place, as in mutt).
    fake.keys(&mut m, "jTT");
    let t = draw(&m);
    let marks: Vec<String> = (0..4).map(|dy| mark(&m, &t, dy)).collect();
    assert_eq!(marks, [" ", "*", "*", " "]);
    let list = crate::ui::layout::areas(&m).list;
    let cell = &t.backend().buffer()[(list.x + 1, list.y + 2)];
    assert_eq!(cell.fg, m.theme.row_tagged.fg.unwrap(), "the tag style");
    let status = status_line(&t);
    assert!(status.contains(" 2 tagged "), "{status:?}");
    // Untagged again: the flag mark is back, and no count.
    fake.keys(&mut m, "kTkkT");
    assert!(m.tags.is_empty());
    let t = draw(&m);
    let marks: Vec<String> = (0..4).map(|dy| mark(&m, &t, dy)).collect();
    assert_eq!(marks, [" ", " ", "!", " "]);
    let status = status_line(&t);
    assert!(!status.contains("tagged"), "{status:?}");
}

#[test]
fn a_collapsed_thread_shows_the_mark_when_a_hidden_message_is_tagged() {
    let (mut m, fake) = started(1234);
    // Tag the reply (row 1), then collapse its thread from the root.
    fake.keys(&mut m, "jT");
    fake.keys(&mut m, "gg ");
    assert_eq!(m.list.as_ref().unwrap().hidden_under(0), 2, "collapsed");
    let t = draw(&m);
    assert_eq!(mark(&m, &t, 0), "*", "the hidden reply is tagged");
    assert_eq!(mark(&m, &t, 1), " ", "the next thread is not");
}
