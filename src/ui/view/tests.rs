//! View snapshots through ratatui's `TestBackend` (text only; styles are checked cell by cell
//! where they carry meaning: unread in bold, URLs styled).

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

use super::view;
use crate::ui::fixtures::*;
use crate::ui::model::Model;
use crate::ui::protocol::Event;
use crate::ui::types::*;
use crate::ui::update::{Msg, update};

fn draw(m: &Model) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(m, f)).unwrap();
    t
}

fn opened() -> Model {
    let (mut m, fake) = started(1234);
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let id = MessageId("work-INBOX-0".into());
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
    m
}

#[test]
fn main_screen() {
    let (mut m, fake) = started(1234);
    fake.keys(&mut m, "jj");
    update(
        &mut m,
        Msg::Backend(Event::AccountState {
            account: "work".into(),
            state: AccountState::Online,
        }),
    );
    update(
        &mut m,
        Msg::Backend(Event::AccountState {
            account: "home".into(),
            state: AccountState::Syncing {
                done: 40,
                total: Some(120),
            },
        }),
    );
    let t = draw(&m);
    insta::assert_snapshot!(t.backend());
    // Unread rows are bold, read ones not (row 0 is unread, row 1 read).
    let list = crate::ui::layout::areas(&m).list;
    let cell = |dy: u16| t.backend().buffer()[(list.x + 40, list.y + 1 + dy)].modifier;
    assert!(cell(0).contains(Modifier::BOLD));
    assert!(!cell(1).contains(Modifier::BOLD));
}

#[test]
fn collapsed_thread_and_flat_sort_by_size() {
    let (mut m, fake) = started(1234);
    fake.keys(&mut m, " ");
    insta::assert_snapshot!("collapsed", draw(&m).backend());
    fake.keys(&mut m, "tooo");
    insta::assert_snapshot!("flat_by_size", draw(&m).backend());
}

#[test]
fn message_view() {
    let m = opened();
    let t = draw(&m);
    insta::assert_snapshot!(t.backend());
    // The URL is drawn in the url style.
    let buf = t.backend().buffer();
    let area = buf.area;
    let pos = (0..area.height)
        .flat_map(|y| (0..area.width).map(move |x| (x, y)))
        .find(|&(x, y)| {
            buf[(x, y)].symbol() == "h"
                && buf[(x + 1, y)].symbol() == "t"
                && buf[(x + 4, y)].symbol() == "s"
        })
        .unwrap();
    assert_eq!(buf[pos].style().fg, m.theme.url.fg);
    assert!(buf[pos].modifier.contains(Modifier::UNDERLINED));
}

#[test]
fn filter_prompt_and_error() {
    let (mut m, fake) = started(1234);
    fake.keys(&mut m, "/plan");
    insta::assert_snapshot!("filter_prompt", draw(&m).backend());
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    update(
        &mut m,
        Msg::Backend(Event::Error(BackendError::new(
            crate::error::ErrorKind::Network,
            "work: cannot connect to mail.x.test:993: connection refused",
        ))),
    );
    insta::assert_snapshot!("error_status", draw(&m).backend());
}

#[test]
fn help_overlay() {
    let (mut m, fake) = started(10);
    m.size = (100, 60);
    fake.keys(&mut m, "?");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn compose_screen_with_completions() {
    let (mut m, fake) = started(10);
    m.size = (80, 20);
    fake.keys(&mut m, "cal");
    update(
        &mut m,
        Msg::Backend(Event::Completions {
            prefix: "al".into(),
            result: Ok(vec![
                "Alice Example <alice@x.test>".into(),
                "Alan <alan@x.test>".into(),
            ]),
        }),
    );
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn reply_compose() {
    let mut m = opened();
    m.size = (80, 20);
    let fake = Fake { total: 10 };
    fake.keys(&mut m, "r");
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn tiny_terminal_does_not_panic() {
    for (w, h) in [(1, 1), (10, 3), (20, 5), (0, 0)] {
        let mut m = opened();
        m.size = (w, h);
        draw(&m);
        let fake = Fake { total: 10 };
        fake.keys(&mut m, "c");
        draw(&m);
    }
}

#[test]
fn fit_counts_columns_and_drops_control_characters() {
    assert_eq!(super::fit("会議の議題", 5), "会議…");
    assert_eq!(super::pad("会議", 5), "会議 ");
    assert_eq!(super::fit("a\tb\u{1b}[2J", 20), "a b [2J");
    assert_eq!(super::thousands(1_234_567), "1,234,567");
}

#[test]
fn help_shows_the_keys_in_force() {
    let keys = std::collections::BTreeMap::from([("down".to_string(), "J C-n".to_string())]);
    let m = model_with(crate::ui::keymap::Keymap::from_config(&keys).unwrap());
    let text: Vec<String> = super::help::lines(&m)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    let down = text.iter().find(|l| l.contains(" down ")).unwrap();
    assert!(down.starts_with("  J C-n "), "{down}");
    assert!(
        text.iter()
            .any(|l| l.starts_with("  :sort date|sender|subject|size [reverse]"))
    );
    // The search syntax, in short, after the commands.
    let syntax = text
        .iter()
        .position(|l| l.starts_with("Search syntax"))
        .expect("a search syntax section");
    let rest = text[syntax..].join("\n");
    for key in [
        "from:",
        "is:unread",
        "has:attachment",
        "after:",
        "before:",
        "folder:",
        "-word",
    ] {
        assert!(rest.contains(key), "help names {key}");
    }
}

#[test]
fn no_accounts_shows_the_notice() {
    let mut m = Model::new(
        &[],
        crate::ui::keymap::Keymap::default(),
        crate::ui::theme::Theme::default(),
    );
    m.size = (80, 12);
    m.notice = Some("No accounts configured. Run `postie init` to write a config template, or `postie demo` to try postie on sample mail.".into());
    insta::assert_snapshot!(draw(&m).backend());
}

#[test]
fn another_process_syncing_an_account_shows_in_the_status_line() {
    let (mut m, _) = started(10);
    let why = "busy: being synced by process 4242; trying again in 30s";
    update(
        &mut m,
        Msg::Backend(Event::AccountState {
            account: "work".into(),
            state: AccountState::Busy(why.into()),
        }),
    );
    let t = draw(&m);
    let buffer = t.backend().buffer();
    let last = buffer.area.height - 1;
    let status: String = (0..buffer.area.width)
        .map(|x| buffer[(x, last)].symbol())
        .collect();
    assert!(status.contains("work ◐ busy"), "{status:?}");
    assert!(
        status.contains("being synced by process 4242"),
        "{status:?}"
    );
    // News, not an error: the account is not marked failed.
    let shown = m.status.as_ref().expect("a status");
    assert_eq!(shown.text, format!("work: {why}"));
    assert!(!shown.error);
    assert_eq!(m.folders.accounts[0].state, AccountState::Busy(why.into()));
}

/// The text of a drawn screen's rows.
fn rows(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

const LONG_ERROR: &str = "example: no password for account example (login you@example.org): \
     run `postie login example`, or set password_command";

#[test]
fn a_long_error_keeps_its_remedy_visible_on_two_rows() {
    let (mut m, _fake) = started(10);
    update(
        &mut m,
        Msg::Backend(Event::Error(BackendError::new(
            crate::error::ErrorKind::Auth,
            LONG_ERROR,
        ))),
    );
    let t = draw(&m);
    let rows = rows(&t);
    let bottom = rows[rows.len() - 2..].join(" ");
    assert!(bottom.contains("postie login example"), "{bottom}");
    assert!(bottom.contains("password_command"), "{bottom}");
    assert!(rows[rows.len() - 1].contains("work ○ offline"), "{bottom}");
    // Narrower than the error on two rows: the end still shows, the middle goes.
    m.size = (60, 24);
    let narrow = self::rows(&draw(&m));
    let bottom = narrow[narrow.len() - 2..].join(" ");
    assert!(bottom.contains("or set password_command"), "{bottom}");
    assert!(bottom.contains('…'), "{bottom}");
    // A short error keeps to one row.
    update(
        &mut m,
        Msg::Backend(Event::Error(BackendError::new(
            crate::error::ErrorKind::Auth,
            "short",
        ))),
    );
    assert_eq!(crate::ui::layout::status_rows(&m), 1);
}

#[test]
fn messages_shows_recent_errors_in_full() {
    let (mut m, fake) = started(10);
    m.size = (60, 30);
    for text in ["first failure", LONG_ERROR] {
        update(
            &mut m,
            Msg::Backend(Event::Error(BackendError::new(
                crate::error::ErrorKind::Auth,
                text,
            ))),
        );
    }
    fake.keys(&mut m, ":messages");
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let shown = rows(&draw(&m)).join("\n");
    assert!(shown.contains("Messages"), "{shown}");
    assert!(shown.contains("first failure"), "{shown}");
    assert!(shown.contains("`postie login example`, or set"), "{shown}");
    fake.send(&mut m, Msg::Key(key(KeyCode::Esc)));
    assert_eq!(m.help, None);
}

#[test]
fn a_long_error_while_composing_keeps_its_remedy_visible() {
    let (mut m, fake) = started(10);
    m.size = (60, 20);
    fake.keys(&mut m, "c");
    update(
        &mut m,
        Msg::Backend(Event::Error(BackendError::new(
            crate::error::ErrorKind::Auth,
            LONG_ERROR,
        ))),
    );
    assert!(m.compose.is_some(), "still composing");
    let rows = rows(&draw(&m));
    let bottom = rows[rows.len() - 2..].join(" ");
    assert!(bottom.contains("or set password_command"), "{bottom}");
}
