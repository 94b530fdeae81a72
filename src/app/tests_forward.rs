//! Forward as attachment and list replies with a real store (the demo mailbox): the draft the
//! backend prepares, and the sent bytes carrying each original as a `message/rfc822` part
//! byte for byte.

use mail_parser::{MessageParser, MimeHeaders as _, PartType};

use super::tests::{folder, inbox, rig};
use super::*;
use crate::ui::{DraftAttachment, Sort};

#[test]
fn forward_as_attachment_sends_the_originals_byte_for_byte() {
    let mut r = rig(Mode::Demo);
    let page = r.page(inbox(), Sort::default(), 1, 0);
    let ids: Vec<ui::MessageId> = page.rows.iter().take(2).map(|row| row.id.clone()).collect();
    let draft = r.ask(
        Command::ForwardAttachment { ids: ids.clone() },
        |e| match e {
            Event::ForwardReady(result) => Some(result),
            _ => None,
        },
    );
    let mut draft = draft.expect("a draft");
    assert_eq!(
        draft.subject,
        format!("Fwd: {} (+1 more)", page.rows[0].subject)
    );
    assert!(matches!(
        &draft.attachments[..],
        [DraftAttachment::Message { message: a, .. }, DraftAttachment::Message { message: b, .. }]
            if *a == ids[0] && *b == ids[1]
    ));
    draft.to = vec!["bob@x.test".into()];
    draft.body = "FYI\n".into();
    let outcome = r.ask(Command::Send(draft), |e| match e {
        Event::Sent { result } => Some(result),
        _ => None,
    });
    assert_eq!(outcome, Ok(ui::SendOutcome::SavedOnly));

    let store = crate::store::Store::open(&r.data).expect("store");
    let originals: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| store.read_raw(convert::store_id(id).unwrap()).unwrap())
        .collect();
    let sent = r.page(folder("Sent"), Sort::default(), 2, 0);
    let row = sent
        .rows
        .iter()
        .find(|row| row.subject.ends_with("(+1 more)"))
        .expect("the forward is in Sent");
    let bytes = store.read_raw(convert::store_id(&row.id).unwrap()).unwrap();
    let msg = MessageParser::default().parse(&bytes).expect("parses");
    let forwarded: Vec<&[u8]> = msg
        .parts
        .iter()
        .filter_map(|p| match &p.body {
            PartType::Message(_) => {
                assert_eq!(
                    p.content_type().map(|c| (c.ctype(), c.subtype())),
                    Some(("message", Some("rfc822")))
                );
                Some(&bytes[p.offset_body as usize..p.offset_end as usize])
            }
            _ => None,
        })
        .collect();
    let crlf = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace("\r\n", "\n")
            .replace('\n', "\r\n")
    };
    assert_eq!(forwarded.len(), 2);
    for (got, want) in forwarded.iter().zip(&originals) {
        // The stored originals already end lines in CRLF; then the part is them exactly.
        assert_eq!(crlf(want).as_bytes(), *want, "demo messages are CRLF");
        assert_eq!(got.trim_ascii_end(), want.trim_ascii_end());
    }
    assert!(msg.body_text(0).unwrap().contains("FYI"));
}

#[test]
fn forward_of_an_unknown_message_is_an_error_not_a_panic() {
    let mut r = rig(Mode::Demo);
    let result = r.ask(
        Command::ForwardAttachment {
            ids: vec![ui::MessageId("999999".into())],
        },
        |e| match e {
            Event::ForwardReady(result) => Some(result),
            _ => None,
        },
    );
    assert!(result.is_err());
}

#[test]
fn an_opened_message_prefills_replies_below_the_quote_and_says_why_no_list_reply() {
    let mut r = rig(Mode::Demo);
    let page = r.page(inbox(), Sort::default(), 1, 0);
    let m = r.open(&page.rows[0].id);
    let reply = &m.prefill.reply;
    let lines: Vec<&str> = reply.body.split('\n').collect();
    // The default reply_style: the cursor on the last line, empty, a blank line above it,
    // and the quote above that.
    assert_eq!(reply.body_cursor, lines.len() - 1, "{:?}", reply.body);
    assert_eq!(lines[reply.body_cursor], "");
    assert_eq!(lines[reply.body_cursor - 1], "");
    assert!(lines[reply.body_cursor - 2].starts_with('>'), "{lines:?}");
    // The demo has no mailing-list mail.
    assert_eq!(
        m.prefill.list_reply,
        Err("not a mailing-list message (no List-Post header)".to_owned())
    );
}
