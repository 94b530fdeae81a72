//! The user's search syntax, parsed once into a [`Query`] that every search runs: `/` (the open
//! folder), `S` (all accounts), `postie search`, and the IMAP server search
//! (`engine::imap::search`) for what only the server can see. [`super::search_sql`] turns a
//! query into SQL for the index.
//!
//! Syntax (docs/search.md documents every key; a test checks): words (all must match, in any
//! column), `"exact phrases"`, the text fields of [`FIELDS`] (`from:WORD`, a field with a
//! phrase `subject:"weekly report"`), a trailing `*` for a prefix (`deploy*`), the filters of
//! [`FILTERS`] (`is:unread`, `has:attachment`, `after:2026-01-01`, `before:…`, `folder:NAME`,
//! `account:NAME`), and `-` before any of them to exclude (`-from:bob`, `-is:unread`). Every
//! clause must hold (AND). An unknown `word:` is a literal word.
//!
//! What must hold: user text never becomes query syntax (text terms are quoted for FTS5 and
//! bound as parameters in SQL; the IMAP encoder quotes them); a filter with a value it cannot
//! use is an error naming the key and the value, never a silently empty result.

use chrono::{Duration, NaiveDate};

/// A parsed query: every clause must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub clauses: Vec<Clause>,
}

/// One clause: a condition, or (negated) its opposite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub negated: bool,
    pub filter: Filter,
}

/// What a clause tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Words or a phrase in the full-text index.
    Text(Term),
    /// A flag state (`is:`).
    Is(State),
    /// `has:attachment`: known only for messages whose body is stored (envelope-only messages
    /// match neither `has:attachment` nor `-has:attachment`).
    HasAttachment,
    /// `after:DATE`: the Date header is on or after local midnight starting DATE (inclusive).
    After(NaiveDate),
    /// `before:DATE`: the Date header is before local midnight starting DATE (exclusive).
    Before(NaiveDate),
    /// `folder:NAME` (case-insensitive; `INBOX` in any case).
    Folder(String),
    /// `account:NAME` (case-insensitive).
    Account(String),
}

/// The message states `is:` tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Unread,
    Read,
    Flagged,
    Answered,
    Draft,
}

/// A full-text term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The FTS5 column, or `None` for any column.
    pub column: Option<&'static str>,
    pub text: String,
    pub prefix: bool,
}

/// A query the syntax cannot use; the message names the key, what it expects and what it got.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error(
        "{key}: expects YYYY-MM-DD, YYYY-MM, today, yesterday or a number of days like 7d, got {got:?}"
    )]
    BadDate { key: &'static str, got: String },
    #[error("is: expects unread, read, flagged, answered or draft, got {0:?}")]
    BadState(String),
    #[error("has: expects attachment, got {0:?}")]
    BadHas(String),
    #[error("{0}: expects a name (quote names with spaces: {0}:\"My Folder\")")]
    NoName(&'static str),
    /// `folder:`/`account:` in a search that is already limited to one folder (`/`).
    #[error("{0}: is for S (search all folders); / filters the open folder")]
    ScopeInFolder(&'static str),
}

/// The text fields a query may use (`from:alice`), with the index column each searches.
/// docs/search.md documents every one (a test checks).
pub const FIELDS: &[(&str, &str)] = &[
    ("from", "sender"),
    ("to", "recipients"),
    ("cc", "recipients"),
    ("subject", "subject"),
    ("body", "body"),
];

/// The filters, as typed (one example value each). docs/search.md documents every one (a test
/// checks).
pub const FILTERS: &[&str] = &[
    "is:unread",
    "is:read",
    "is:flagged",
    "is:answered",
    "is:draft",
    "has:attachment",
    "after:",
    "before:",
    "folder:",
    "account:",
];

/// The keys that take a value other than text.
const FILTER_KEYS: &[&str] = &["is", "has", "after", "before", "folder", "account"];

impl Query {
    /// Parses the user's query, with relative dates counted from today (local time).
    /// Unbalanced quotes run to the end of the input.
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        Self::parse_at(input, chrono::Local::now().date_naive())
    }

    /// Like [`Query::parse`], with relative dates (`7d`, `today`) counted from `today`.
    pub fn parse_at(input: &str, today: NaiveDate) -> Result<Query, QueryError> {
        let mut clauses = Vec::new();
        for token in tokens(input) {
            let filter = match token.key.as_deref() {
                None => text(None, &token),
                Some(key) => match column_for(key) {
                    Some(column) => text(Some(column), &token),
                    None => Some(filter(key, &token.value, today)?),
                },
            };
            if let Some(filter) = filter {
                clauses.push(Clause {
                    negated: token.negated,
                    filter,
                });
            }
        }
        Ok(Query { clauses })
    }

    /// Whether nothing is asked for (an empty query finds nothing).
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The full-text terms, with whether each is excluded.
    pub fn text_terms(&self) -> impl Iterator<Item = (bool, &Term)> {
        self.clauses.iter().filter_map(|c| match &c.filter {
            Filter::Text(t) => Some((c.negated, t)),
            _ => None,
        })
    }

    /// Whether any clause tests `has:attachment` (the servers cannot: see
    /// `engine::imap::search`).
    pub fn tests_attachments(&self) -> bool {
        self.clauses
            .iter()
            .any(|c| matches!(c.filter, Filter::HasAttachment))
    }

    /// The error for a search already limited to one folder (`/`) when the query names a
    /// folder or an account: one folder is searched, so those keys would only confuse.
    pub fn check_in_folder(&self) -> Result<(), QueryError> {
        for c in &self.clauses {
            match c.filter {
                Filter::Folder(_) => return Err(QueryError::ScopeInFolder("folder")),
                Filter::Account(_) => return Err(QueryError::ScopeInFolder("account")),
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether a message in `account`/`folder` can match the query's `folder:` and `account:`
    /// clauses (the same comparison the SQL makes).
    pub fn admits(&self, account: &str, folder: &str) -> bool {
        self.clauses.iter().all(|c| {
            let hit = match &c.filter {
                Filter::Folder(f) => f.eq_ignore_ascii_case(folder),
                Filter::Account(a) => a.eq_ignore_ascii_case(account),
                _ => return true,
            };
            hit != c.negated
        })
    }

    /// Whether the query could match an account at all (for skipping whole accounts).
    pub fn admits_account(&self, account: &str) -> bool {
        self.clauses.iter().all(|c| match &c.filter {
            Filter::Account(a) => a.eq_ignore_ascii_case(account) != c.negated,
            _ => true,
        })
    }
}

/// One whitespace-separated piece of the input: `[-][key:]value`.
#[derive(Debug)]
struct Token {
    negated: bool,
    key: Option<String>,
    value: String,
    quoted: bool,
}

fn tokens(input: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let negated = chars.next_if_eq(&'-').is_some();
        let mut value = String::new();
        let mut key = None;
        let mut quoted = false;
        loop {
            match chars.peek() {
                None => break,
                Some(c) if c.is_whitespace() => break,
                Some('"') => {
                    chars.next();
                    quoted = true;
                    for c in chars.by_ref() {
                        if c == '"' {
                            break;
                        }
                        value.push(c);
                    }
                    break;
                }
                Some(':') if key.is_none() && is_key(&value) => {
                    chars.next();
                    key = Some(value.to_ascii_lowercase());
                    value.clear();
                }
                Some(&c) => {
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.push(Token {
            negated,
            key,
            value,
            quoted,
        });
    }
    out
}

fn is_key(word: &str) -> bool {
    column_for(word).is_some() || FILTER_KEYS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// A text term, or `None` when the text holds nothing the index could match.
fn text(column: Option<&'static str>, token: &Token) -> Option<Filter> {
    let prefix = !token.quoted && token.value.ends_with('*');
    let text = token.value.trim_end_matches('*').trim().to_owned();
    has_token(&text).then_some(Filter::Text(Term {
        column,
        text,
        prefix,
    }))
}

fn filter(key: &str, value: &str, today: NaiveDate) -> Result<Filter, QueryError> {
    let lower = value.trim().to_lowercase();
    Ok(match key {
        "is" => Filter::Is(match lower.as_str() {
            "unread" | "new" => State::Unread,
            "read" | "seen" => State::Read,
            "flagged" | "starred" => State::Flagged,
            "answered" | "replied" => State::Answered,
            "draft" => State::Draft,
            _ => return Err(QueryError::BadState(value.to_owned())),
        }),
        "has" => match lower.as_str() {
            "attachment" | "attachments" => Filter::HasAttachment,
            _ => return Err(QueryError::BadHas(value.to_owned())),
        },
        "after" => Filter::After(date("after", value, today)?),
        "before" => Filter::Before(date("before", value, today)?),
        "folder" | "account" => {
            let name = value.trim().trim_matches('/').to_owned();
            if name.is_empty() {
                return Err(QueryError::NoName(if key == "folder" {
                    "folder"
                } else {
                    "account"
                }));
            }
            if key == "folder" {
                Filter::Folder(name)
            } else {
                Filter::Account(name)
            }
        }
        _ => unreachable!("is_key admits only FIELDS and FILTER_KEYS"),
    })
}

/// `YYYY-MM-DD`, `YYYY-MM` (the month's first day), `today`, `yesterday`, `Nd` (N days before
/// today) or `Nw` (N weeks).
fn date(key: &'static str, value: &str, today: NaiveDate) -> Result<NaiveDate, QueryError> {
    let bad = || QueryError::BadDate {
        key,
        got: value.to_owned(),
    };
    let v = value.trim().to_ascii_lowercase();
    let days_back = |n: &str, per: i64| -> Result<NaiveDate, QueryError> {
        let n: i64 = n.parse().map_err(|_| bad())?;
        n.checked_mul(per)
            .and_then(Duration::try_days)
            .and_then(|d| today.checked_sub_signed(d))
            .ok_or_else(bad)
    };
    match v.as_str() {
        "today" => return Ok(today),
        "yesterday" => return days_back("1", 1),
        _ => {}
    }
    if let Some(n) = v.strip_suffix('d').filter(|n| is_digits(n)) {
        return days_back(n, 1);
    }
    if let Some(n) = v.strip_suffix('w').filter(|n| is_digits(n)) {
        return days_back(n, 7);
    }
    let parts: Vec<&str> = v.split('-').collect();
    let shape_ok = match parts.as_slice() {
        [y, m] => y.len() == 4 && m.len() == 2,
        [y, m, d] => y.len() == 4 && m.len() == 2 && d.len() == 2,
        _ => false,
    };
    if !shape_ok || !parts.iter().all(|p| is_digits(p)) {
        return Err(bad());
    }
    let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
    let year = parts[0].parse::<i32>().map_err(|_| bad())?;
    let day = parts.get(2).map_or(Ok(1), |d| num(d))?;
    NaiveDate::from_ymd_opt(year, num(parts[1])?, day).ok_or_else(bad)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn column_for(field: &str) -> Option<&'static str> {
    let field = field.to_ascii_lowercase();
    FIELDS
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, column)| *column)
}

/// Whether `s` holds anything the unicode61 tokenizer would index (letters or digits).
fn has_token(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
