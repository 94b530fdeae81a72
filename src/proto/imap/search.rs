//! Server-side search: `UID SEARCH CHARSET UTF-8 <keys>` in the selected folder, for the
//! messages whose bodies are not stored locally (the local index cannot see their text).
//!
//! What must hold: only plain `UID SEARCH` goes out (imap-proto cannot parse ESEARCH replies
//! nor SEARCH replies with MODSEQ, and an unparsable reply ends the connection), so no RETURN
//! option and no MODSEQ key is ever sent. Every value the user typed goes out as a quoted
//! string when it is printable ASCII, else as a literal (UTF-8 bytes, counted in bytes): no
//! input can end the command early or inject keys. Literals are non-synchronizing with
//! LITERAL+, else each waits for the server's `+`.

use async_imap::imap_proto::{MailboxDatum, Response};

use super::codec;
use super::error::ImapError;
use super::session::{ImapSession, ImapStream};

/// One piece of a search: a key or operator the caller chose (`BODY`, `OR`, `NOT`), or a
/// value the user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchToken {
    /// A search key or operator, sent as is. Only fixed words from the caller, never input.
    Key(&'static str),
    /// A string argument: quoted or a literal, whichever it needs.
    Value(String),
}

/// The command split where the server must say `+` before the next part (synchronizing
/// literals): the first part is sent as the command, each later part is written raw after a
/// continuation. With LITERAL+ there is one part.
pub fn encode_search(tokens: &[SearchToken], literal_plus: bool) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    let mut current: Vec<u8> = b"UID SEARCH CHARSET UTF-8".to_vec();
    for token in tokens {
        current.push(b' ');
        match token {
            SearchToken::Key(k) => current.extend_from_slice(k.as_bytes()),
            SearchToken::Value(v) => match quotable(v) {
                Some(q) => current.extend_from_slice(q.as_bytes()),
                None => {
                    let plus = if literal_plus { "+" } else { "" };
                    current.extend_from_slice(format!("{{{}{plus}}}", v.len()).as_bytes());
                    if literal_plus {
                        current.extend_from_slice(b"\r\n");
                    } else {
                        parts.push(std::mem::take(&mut current));
                    }
                    current.extend_from_slice(v.as_bytes());
                }
            },
        }
    }
    parts.push(current);
    parts
}

/// A quoted string for printable ASCII; `None` when the value needs a literal.
fn quotable(v: &str) -> Option<String> {
    if v.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        codec::quote(v).ok()
    } else {
        None
    }
}

impl<S: ImapStream> ImapSession<S> {
    /// UIDs of the selected folder's messages matching `tokens` (all keys ANDed, as IMAP
    /// does), ascending. An empty `tokens` is refused (it would match everything).
    pub async fn search_uids(&mut self, tokens: &[SearchToken]) -> Result<Vec<u32>, ImapError> {
        self.require_selected()?;
        if tokens.is_empty() {
            return Err(ImapError::InvalidArgument {
                reason: "an empty search would match every message".into(),
            });
        }
        let parts = encode_search(tokens, self.caps.literal_plus);
        let mut parts = parts.into_iter();
        let first = parts.next().unwrap_or_default();
        // The first part is ASCII up to the first literal's announced length; with LITERAL+
        // it also holds UTF-8 literal bytes, which `run_command` writes through unchanged.
        let first = String::from_utf8(first).map_err(|_| ImapError::InvalidArgument {
            reason: "a search value is not UTF-8".into(),
        })?;
        let tag = self.send(&first).await?;
        for part in parts {
            self.wait_continuation(&tag, "UID SEARCH").await?;
            let mut bytes = part;
            bytes.extend_from_slice(b"\r\n");
            self.write_raw(&bytes).await?;
        }
        self.search_result(&tag).await
    }

    /// The UIDs a `UID SEARCH` sent as `tag` answers, sorted, each once.
    pub(super) async fn search_result(
        &mut self,
        tag: &async_imap::imap_proto::RequestId,
    ) -> Result<Vec<u32>, ImapError> {
        let mut uids = Vec::new();
        self.finish(tag, "UID SEARCH", |r| match r {
            Response::MailboxData(MailboxDatum::Search(found)) => {
                uids.extend_from_slice(found);
                true
            }
            _ => false,
        })
        .await?;
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }

    /// Waits for the `+` before a synchronizing literal; a tagged NO/BAD (e.g. BADCHARSET)
    /// ends the command with an error.
    pub(super) async fn wait_continuation(
        &mut self,
        tag: &async_imap::imap_proto::RequestId,
        command: &str,
    ) -> Result<(), ImapError> {
        loop {
            let step = self
                .read_with(Some(self.io_timeout), |r, _| match r {
                    Response::Continue(_) => Some(Ok(())),
                    Response::Done {
                        tag: t,
                        status,
                        outcome,
                    } if t == tag => Some(Err((
                        super::session::own_status(status),
                        outcome.information.as_deref().unwrap_or("").to_owned(),
                    ))),
                    _ => None,
                })
                .await?;
            match step {
                Some(Ok(())) => return Ok(()),
                Some(Err((status, message))) => return Err(self.refused(command, status, message)),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SearchToken::{Key, Value};
    use super::*;

    #[test]
    fn ascii_values_are_quoted_with_quotes_and_backslashes_escaped() {
        let parts = encode_search(
            &[
                Key("BODY"),
                Value(r#"say "hi" \o/"#.into()),
                Key("NOT"),
                Key("FROM"),
                Value("x".into()),
            ],
            false,
        );
        assert_eq!(
            parts,
            vec![br#"UID SEARCH CHARSET UTF-8 BODY "say \"hi\" \\o/" NOT FROM "x""#.to_vec()]
        );
    }

    #[test]
    fn non_ascii_and_line_breaks_go_as_literals_counted_in_bytes() {
        let tokens = [
            Key("BODY"),
            Value("smörgåsbord".into()),
            Key("SUBJECT"),
            Value("a\r\nb".into()),
        ];
        assert_eq!(
            encode_search(&tokens, true),
            vec![
                "UID SEARCH CHARSET UTF-8 BODY {13+}\r\nsmörgåsbord SUBJECT {4+}\r\na\r\nb"
                    .as_bytes()
                    .to_vec()
            ]
        );
        // Without LITERAL+, each literal waits for the server's `+`.
        assert_eq!(
            encode_search(&tokens, false),
            vec![
                b"UID SEARCH CHARSET UTF-8 BODY {13}".to_vec(),
                "smörgåsbord SUBJECT {4}".as_bytes().to_vec(),
                b"a\r\nb".to_vec(),
            ]
        );
    }
}
