//! Search on the server for what the local index cannot see: messages stored as envelopes
//! only (`fetch_bodies` other than "all") have no body text locally, so a body word misses
//! them. The user's query ([`Query`], the same syntax as the local search) is translated to
//! IMAP SEARCH keys and run in each folder that has such messages; hits are mapped back to the
//! stored messages by UID.
//!
//! What must hold: only folders whose stored UIDVALIDITY still matches the server are asked
//! (otherwise a UID would name another message); a hit the store does not know (not synced
//! yet) is left out, never invented; nothing is written to the store. A folder the server
//! refuses to select is skipped, a broken connection ends the search with the error.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use super::{ConnectOptions, convert, open};
use crate::config::{Account, ImapIncoming};
use crate::engine::{AccountError, EngineError};
use crate::proto::imap::SearchToken::{self, Key, Value};
use crate::proto::imap::{ImapError, TcpImapSession};
use crate::store::index::search::{Filter, Query, State, Term};
use crate::store::{MessageId, Store};

/// The IMAP SEARCH keys for `query`, ANDed: a word or phrase anywhere is TEXT, `from:` FROM,
/// `to:`/`cc:` (TO OR CC), `subject:` SUBJECT, `body:` BODY; `is:` states are UNSEEN, SEEN,
/// FLAGGED, ANSWERED, DRAFT; `after:`/`before:` are SENTSINCE/SENTBEFORE (the Date header, by
/// day, as the local search compares); an excluded clause is NOT. `folder:`/`account:` pick
/// the folders searched (`plan`) rather than keys. IMAP matches substrings, so a trailing
/// `*` (prefix) needs no key of its own.
///
/// `None` (ask no server) when the servers cannot add anything: no word that could be in a
/// body the store lacks (the local search already saw every envelope, flag and date), or a
/// `has:attachment` clause (IMAP has no such key, and an envelope-only message's attachments
/// are not known, so it matches neither `has:attachment` nor its negation).
pub fn search_keys(query: &Query) -> Option<Vec<SearchToken>> {
    let needs_body = query
        .text_terms()
        .any(|(negated, t)| !negated && matches!(t.column, None | Some("body")));
    if !needs_body || query.tests_attachments() {
        return None;
    }
    let mut keys = Vec::new();
    for clause in &query.clauses {
        let at = keys.len();
        match &clause.filter {
            Filter::Text(term) => push_term(&mut keys, term),
            Filter::Is(state) => keys.push(Key(match state {
                State::Unread => "UNSEEN",
                State::Read => "SEEN",
                State::Flagged => "FLAGGED",
                State::Answered => "ANSWERED",
                State::Draft => "DRAFT",
            })),
            Filter::After(day) => keys.extend([Key("SENTSINCE"), Value(imap_date(*day))]),
            Filter::Before(day) => keys.extend([Key("SENTBEFORE"), Value(imap_date(*day))]),
            Filter::HasAttachment | Filter::Folder(_) | Filter::Account(_) => continue,
        }
        if clause.negated {
            keys.insert(at, Key("NOT"));
        }
    }
    Some(keys)
}

fn push_term(keys: &mut Vec<SearchToken>, term: &Term) {
    let value = || Value(term.text.clone());
    match term.column {
        Some("sender") => keys.extend([Key("FROM"), value()]),
        Some("recipients") => keys.extend([Key("OR"), Key("TO"), value(), Key("CC"), value()]),
        Some("subject") => keys.extend([Key("SUBJECT"), value()]),
        Some("body") => keys.extend([Key("BODY"), value()]),
        _ => keys.extend([Key("TEXT"), value()]),
    }
}

/// RFC 3501 `date`: `7-Dec-2026` (month names are English whatever the locale).
fn imap_date(day: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}-{}-{}",
        day.day(),
        MONTHS[day.month0() as usize],
        day.year()
    )
}

/// One folder to search: its wire name, the UIDVALIDITY the store's UIDs belong to, and the
/// stored messages by UID.
pub(crate) struct FolderPlan {
    wire: String,
    validity: u32,
    by_uid: HashMap<u32, MessageId>,
}

/// The folders of `account` (only `folder` when given, and only those the query's `folder:`
/// and `account:` clauses admit) holding envelope-only messages.
pub(crate) fn plan(
    store: &Store,
    account: &str,
    folder: Option<&str>,
    query: &Query,
) -> Result<Vec<FolderPlan>, EngineError> {
    let mut todo = Vec::new();
    for (id, name, state) in store.folder_states(account)? {
        if folder.is_some_and(|f| !same_folder(f, &name)) || !query.admits(account, &name) {
            continue;
        }
        let Some(validity) = state.uidvalidity else {
            continue;
        };
        let uids = store.uid_map(id)?;
        if uids.iter().all(|u| u.has_body) {
            continue;
        }
        let wire = state
            .server_name
            .clone()
            .unwrap_or_else(|| convert::server_name(&name, state.delimiter.as_deref()));
        let by_uid = uids.iter().map(|u| (u.uid, u.id)).collect();
        todo.push(FolderPlan {
            wire,
            validity,
            by_uid,
        });
    }
    Ok(todo)
}

/// Searches each planned folder on `session`. A folder the server refuses (gone, a key it
/// does not support) is skipped; a broken session ends the search with the error.
pub(crate) async fn search_on(
    session: &mut TcpImapSession,
    plan: &[FolderPlan],
    keys: &[SearchToken],
) -> Result<Vec<MessageId>, ImapError> {
    let mut hits = Vec::new();
    for folder in plan {
        let found = async {
            let sel = session.select(&folder.wire).await?;
            if sel.uid_validity != folder.validity {
                return Ok(Vec::new());
            }
            session.search_uids(keys).await
        }
        .await;
        session.take_unsolicited();
        match found {
            Ok(uids) => hits.extend(uids.iter().filter_map(|u| folder.by_uid.get(u).copied())),
            Err(_) if session.is_usable() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hits)
}

/// Runs `query` on the account's server (a connection of its own) in each folder (only
/// `folder` when given) that holds envelope-only messages. Returns the stored messages the
/// server matched.
pub async fn search_server(
    store: &Store,
    account: &Account,
    imap: &ImapIncoming,
    query: &str,
    folder: Option<&str>,
    options: &ConnectOptions,
) -> Result<Vec<MessageId>, AccountError> {
    let err = |e: EngineError| AccountError::new(&account.name, Some(&imap.server), e);
    let Ok(query) = Query::parse(query) else {
        return Ok(Vec::new()); // the local search reports the error
    };
    let Some(keys) = search_keys(&query) else {
        return Ok(Vec::new());
    };
    let todo = plan(store, &account.name, folder, &query).map_err(err)?;
    if todo.is_empty() {
        return Ok(Vec::new());
    }
    let mut session = open(account, imap, options).await?;
    let result = search_on(&mut session, &todo, &keys).await;
    if session.is_usable() {
        session.logout().await;
    }
    result.map_err(|e| err(e.into()))
}

/// Folder names as the store compares them: INBOX in any case.
fn same_folder(wanted: &str, stored: &str) -> bool {
    wanted == stored || (wanted.eq_ignore_ascii_case("inbox") && stored == "INBOX")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::imap::encode_search;

    fn parse(query: &str) -> Query {
        Query::parse_at(query, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()).unwrap()
    }

    fn wire(query: &str) -> String {
        let keys = search_keys(&parse(query)).expect("keys");
        String::from_utf8(encode_search(&keys, true).concat()).unwrap()
    }

    #[test]
    fn fields_words_phrases_and_exclusions_become_search_keys() {
        assert_eq!(
            wire(r#"from:alice subject:"weekly report" deploy* -to:bob"#),
            r#"UID SEARCH CHARSET UTF-8 FROM "alice" SUBJECT "weekly report" TEXT "deploy" NOT OR TO "bob" CC "bob""#
        );
        assert_eq!(
            wire("body:lunch cc:carol"),
            r#"UID SEARCH CHARSET UTF-8 BODY "lunch" OR TO "carol" CC "carol""#
        );
    }

    #[test]
    fn non_ascii_goes_as_a_literal_and_quotes_are_escaped() {
        assert_eq!(
            wire("smörgåsbord"),
            "UID SEARCH CHARSET UTF-8 TEXT {13+}\r\nsmörgåsbord"
        );
        assert_eq!(
            wire(r#"subject:back\slash body:x"#),
            r#"UID SEARCH CHARSET UTF-8 SUBJECT "back\\slash" BODY "x""#
        );
    }

    #[test]
    fn states_dates_and_negations_become_search_keys() {
        assert_eq!(
            wire("body:lunch is:unread -is:flagged is:answered -is:read is:draft"),
            r#"UID SEARCH CHARSET UTF-8 BODY "lunch" UNSEEN NOT FLAGGED ANSWERED NOT SEEN DRAFT"#
        );
        assert_eq!(
            wire("report after:2026-01-05 before:2026-02 -after:7d -from:bob"),
            r#"UID SEARCH CHARSET UTF-8 TEXT "report" SENTSINCE "5-Jan-2026" SENTBEFORE "1-Feb-2026" NOT SENTSINCE "30-Nov-2026" NOT FROM "bob""#
        );
        // folder: and account: choose the folders searched; they are no keys.
        assert_eq!(
            wire(r#"body:x folder:"My Folder" -account:work"#),
            r#"UID SEARCH CHARSET UTF-8 BODY "x""#
        );
    }

    #[test]
    fn a_query_the_server_cannot_add_to_sends_nothing() {
        // Nothing that could be in a body the store lacks.
        for q in [
            "-from:alice",
            "   ",
            "from:alice is:unread",
            "subject:x after:2026-01-01",
            "-body:x",
        ] {
            assert_eq!(search_keys(&parse(q)), None, "{q}");
        }
        // has:attachment has no IMAP key, and envelope-only messages match it neither way.
        assert_eq!(search_keys(&parse("body:x has:attachment")), None);
        assert_eq!(search_keys(&parse("body:x -has:attachment")), None);
    }
}
