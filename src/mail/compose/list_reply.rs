//! List replies (`L`): a reply addressed to the mailing list's posting address, read from the
//! original's `List-Post` header (RFC 2369).
//!
//! What must hold: only a `mailto:` URL of `List-Post` is ever used as the address (an http
//! one is not mail); `List-Post: NO` (the list does not take posts) is a refusal, never a
//! guess; everything else about the reply (subject, threading, quote) is [`super::reply`]'s.

use mail_parser::MessageParser;

use super::{ComposeError, Draft, Mailbox, reply};

/// Why a list reply cannot be written.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListReplyError {
    #[error("not a mailing-list message (no List-Post header)")]
    NotAList,
    #[error("the list does not accept posts (List-Post: NO); reply to the sender instead")]
    PostingNotAllowed,
    #[error("the list gives no mail address to post to (List-Post: {0})")]
    NoMailto(String),
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// The posting address of a `List-Post` value: `Ok(None)` for `NO`.
pub fn list_post_address(value: &str) -> Result<Option<Mailbox>, ListReplyError> {
    let value = value.trim();
    let bare = value.split('(').next().unwrap_or("").trim();
    if bare.eq_ignore_ascii_case("no") {
        return Ok(None);
    }
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let url: String = rest[open + 1..open + close]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        rest = &rest[open + close + 1..];
        if url.len() > 7 && url[..7].eq_ignore_ascii_case("mailto:") {
            let addr = url[7..].split('?').next().unwrap_or("");
            if let Ok(mailbox) = Mailbox::new(&percent_decode(addr), None) {
                return Ok(Some(mailbox));
            }
        }
    }
    Err(ListReplyError::NoMailto(value.to_owned()))
}

/// `%40` and friends in a mailto URL (RFC 6068); a broken escape stays as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A reply to `original` from `me`, addressed to the list only (no Cc).
pub fn list_reply(original: &[u8], me: &Mailbox) -> Result<Draft, ListReplyError> {
    let msg = MessageParser::default()
        .parse_headers(original)
        .ok_or(ComposeError::Unparseable)?;
    let post = msg
        .header_raw("List-Post")
        .ok_or(ListReplyError::NotAList)?;
    let address = list_post_address(post)?.ok_or(ListReplyError::PostingNotAllowed)?;
    let mut draft = reply(original, me, false)?;
    draft.to = vec![address];
    draft.cc.clear();
    Ok(draft)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Mailbox {
        Mailbox::new("alice@x.test", None).expect("valid")
    }

    #[test]
    fn list_post_forms() {
        let addr = |v: &str| list_post_address(v).map(|m| m.map(|m| m.addr));
        assert_eq!(
            addr("<mailto:dev@lists.x.test>"),
            Ok(Some("dev@lists.x.test".into()))
        );
        assert_eq!(
            addr("<http://x.test/post> (web),\r\n <mailto:dev%40lists.x.test?subject=hi>"),
            Ok(Some("dev@lists.x.test".into()))
        );
        assert_eq!(addr("NO (posting not allowed on this list)"), Ok(None));
        assert_eq!(
            addr("<https://x.test/post>"),
            Err(ListReplyError::NoMailto("<https://x.test/post>".into()))
        );
    }

    #[test]
    fn list_reply_goes_to_the_list_only() {
        let raw = b"From: Bob <bob@x.test>\r\nTo: dev@lists.x.test\r\nCc: carol@x.test\r\n\
Reply-To: bob@x.test\r\nSubject: [dev] plans\r\nMessage-ID: <l1@x.test>\r\n\
List-Id: Dev <dev.lists.x.test>\r\nList-Post: <mailto:dev@lists.x.test>\r\n\r\nhello\r\n";
        let draft = list_reply(raw, &me()).expect("a list message");
        assert_eq!(
            draft.to,
            vec![Mailbox::new("dev@lists.x.test", None).unwrap()]
        );
        assert!(draft.cc.is_empty());
        assert_eq!(draft.subject, "Re: [dev] plans");
        assert_eq!(draft.in_reply_to.as_deref(), Some("<l1@x.test>"));
        assert!(draft.body.contains("> hello"));
    }

    #[test]
    fn refusals_say_why() {
        let plain = b"From: bob@x.test\r\nSubject: s\r\n\r\nhi\r\n";
        assert_eq!(list_reply(plain, &me()), Err(ListReplyError::NotAList));
        let closed = b"From: bob@x.test\r\nList-Post: NO\r\nSubject: s\r\n\r\nhi\r\n";
        assert_eq!(
            list_reply(closed, &me()),
            Err(ListReplyError::PostingNotAllowed)
        );
    }
}
