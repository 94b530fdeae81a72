//! `update()` for the header toggle (`h`), the raw view (`H`, `:raw`) and saving whole
//! messages (`W`, `:save PATH`), and what the message pane then draws.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::ui::fixtures::*;
use crate::ui::model::RawText;
use crate::ui::protocol::Command;
use crate::ui::types::*;

/// A model with message 0 open and loaded, every header of it known.
fn reading() -> (Model, Fake, MessageId) {
    let (mut m, fake) = started(10);
    m.size = (100, 40);
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    let id = MessageId("work-INBOX-0".into());
    let mut msg = message(&id);
    msg.all_headers = vec![
        (
            "Received".into(),
            "from relay.x.test by mx.y.test; Wed, 25 Nov 2026".into(),
        ),
        ("Message-ID".into(), "<t0@x.test>".into()),
        ("From".into(), "Alice Example <alice@x.test>".into()),
        ("Reply-To".into(), "alice@x.test".into()),
        ("To".into(), "Bob <bob@y.test>".into()),
        ("Subject".into(), "Topic number 0".into()),
        ("Date".into(), "Wed, 25 Nov 2026 11:00:00 +0000".into()),
    ];
    update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(msg),
        }),
    );
    (m, fake, id)
}

fn screen(m: &Model) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| crate::ui::view::view(m, f)).unwrap();
    let b = t.backend().buffer().clone();
    (0..b.area.height)
        .map(|y| (0..b.area.width).map(|x| b[(x, y)].symbol()).collect())
        .collect()
}

#[test]
fn h_shows_every_header_in_file_order_and_h_again_the_usual_ones() {
    let (mut m, fake, _) = reading();
    let before = screen(&m).join("\n");
    assert!(!before.contains("Received:"), "{before}");
    assert!(
        !before.contains("Reply-To:"),
        "a Reply-To equal to From is not shown:\n{before}"
    );
    assert!(before.find("Date:").unwrap() < before.find("From:").unwrap());
    assert_eq!(fake.keys(&mut m, "h"), vec![]);
    assert!(m.message.as_ref().unwrap().all_headers);
    let all = screen(&m).join("\n");
    let at = |s: &str| all.find(s).unwrap_or_else(|| panic!("{s} missing:\n{all}"));
    assert!(at("Received:") < at("Message-ID:"));
    assert!(at("Message-ID:") < at("From:"));
    assert!(at("Reply-To:") < at("Subject:"));
    fake.keys(&mut m, "h");
    assert!(!screen(&m).join("\n").contains("Received:"));
}

#[test]
fn h_from_the_list_opens_the_message_with_every_header() {
    let (mut m, fake) = started(10);
    m.focus = Focus::Folders;
    assert_eq!(
        fake.keys(&mut m, "hH"),
        vec![],
        "the folder pane opens no message"
    );
    assert!(m.message.is_none());
    m.focus = Focus::List;
    let cmds = fake.keys(&mut m, "h");
    assert_eq!(
        cmds.first(),
        Some(&Command::OpenMessage(MessageId("work-INBOX-0".into())))
    );
    assert!(m.message.as_ref().unwrap().all_headers);
}

#[test]
fn raw_view_asks_for_the_bytes_shows_them_safely_and_esc_returns() {
    let (mut m, fake, id) = reading();
    assert_eq!(
        fake.keys(&mut m, "H"),
        vec![Command::LoadRaw { id: id.clone() }]
    );
    assert_eq!(m.message.as_ref().unwrap().raw, Some(RawText::Loading));
    let hostile =
        b"Subject: \x1b]0;owned\x07\x1b[2Jhi\r\nX-Bidi: \xe2\x80\xae\r\n\r\nbody \x9b\xff\r\n"
            .to_vec();
    update(
        &mut m,
        Msg::Backend(Event::Raw {
            id: id.clone(),
            result: Ok(hostile),
        }),
    );
    let shown = screen(&m);
    let all = shown.join("\n");
    assert!(all.contains("Raw: Topic number 0"), "{all}");
    assert!(all.contains("Subject: ^[]0;owned^G^[[2Jhi"), "{all}");
    assert!(all.contains("X-Bidi: <U+202E>"), "{all}");
    assert!(all.contains("body \\x9B\\xFF"), "{all}");
    assert!(
        !all.chars()
            .any(|c| c.is_control() && c != '\n' || c == '\u{202e}'),
        "a control character reached the screen: {all:?}"
    );
    // Find works on the raw lines.
    fake.keys(&mut m, "/X-Bidi");
    assert_eq!(m.message.as_ref().unwrap().find_hits, vec![1]);
    fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    fake.send(&mut m, Msg::Key(key(KeyCode::Esc)));
    assert!(
        m.message.is_some(),
        "Esc leaves the raw view, not the message"
    );
    assert_eq!(m.message.as_ref().unwrap().raw, None);
    assert!(!screen(&m).join("\n").contains("Raw:"));
    // :raw does the same as H; H again returns.
    assert_eq!(
        fake.send(&mut m, Msg::Key(key(KeyCode::Char(':'))))
            .into_iter()
            .chain(fake.keys(&mut m, "raw"))
            .chain(fake.send(&mut m, Msg::Key(key(KeyCode::Enter))))
            .collect::<Vec<_>>(),
        vec![Command::LoadRaw { id }]
    );
    fake.keys(&mut m, "H");
    assert_eq!(m.message.as_ref().unwrap().raw, None);
}

#[test]
fn raw_from_the_list_waits_for_the_message_then_asks() {
    let (mut m, fake) = started(10);
    let id = MessageId("work-INBOX-0".into());
    let cmds = fake.keys(&mut m, "H");
    assert!(cmds.contains(&Command::OpenMessage(id.clone())), "{cmds:?}");
    assert!(!cmds.iter().any(|c| matches!(c, Command::LoadRaw { .. })));
    let cmds = update(
        &mut m,
        Msg::Backend(Event::Message {
            id: id.clone(),
            result: Ok(message(&id)),
        }),
    );
    assert_eq!(cmds, vec![Command::LoadRaw { id: id.clone() }]);
    update(
        &mut m,
        Msg::Backend(Event::Raw {
            id,
            result: Err(BackendError::new(
                crate::error::ErrorKind::Temporary,
                "only the envelope is stored",
            )),
        }),
    );
    assert_eq!(m.message.as_ref().unwrap().raw, None);
    assert!(m.status.as_ref().unwrap().error);
}

#[test]
fn w_asks_for_a_path_and_saves_the_selected_message_there() {
    let (mut m, fake) = started(10);
    m.home = Some("/home/alice".into());
    assert_eq!(fake.keys(&mut m, "W"), vec![]);
    assert_eq!(
        m.prompt.as_ref().unwrap().kind.label(),
        "Save message to (mbox file, or dir/ for .eml): "
    );
    fake.keys(&mut m, "~/mail/saved.mbox");
    let cmds = fake.send(&mut m, Msg::Key(key(KeyCode::Enter)));
    assert_eq!(
        cmds,
        vec![Command::SaveMessages {
            ids: vec![MessageId("work-INBOX-0".into())],
            path: "/home/alice/mail/saved.mbox".into(),
        }]
    );
    update(
        &mut m,
        Msg::Backend(Event::MessagesSaved {
            ids: vec![MessageId("work-INBOX-0".into())],
            result: Ok("Saved 1 message to the new mbox /home/alice/mail/saved.mbox".into()),
        }),
    );
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "Saved 1 message to the new mbox /home/alice/mail/saved.mbox"
    );
}

#[test]
fn save_command_saves_the_open_message_and_save_part_the_attachment() {
    let (mut m, fake, id) = reading();
    let run = |m: &mut Model, line: &str| {
        let mut cmds = fake.send(m, Msg::Key(key(KeyCode::Char(':'))));
        cmds.extend(fake.keys(m, line));
        cmds.extend(fake.send(m, Msg::Key(key(KeyCode::Enter))));
        cmds
    };
    assert_eq!(
        run(&mut m, "save /tmp/out/"),
        vec![Command::SaveMessages {
            ids: vec![id.clone()],
            path: "/tmp/out/".into(),
        }]
    );
    assert_eq!(
        run(&mut m, "save-part /tmp/plan.pdf"),
        vec![Command::SaveAttachment {
            id,
            part: 2,
            path: "/tmp/plan.pdf".into(),
        }]
    );
    assert!(run(&mut m, "save").is_empty());
    assert!(matches!(
        m.prompt.as_ref().unwrap().kind,
        crate::ui::model::PromptKind::SaveMessages { .. }
    ));
}
