//! A parsed [`Query`] as SQL for the index: one FTS5 MATCH for the full-text terms, plus
//! conditions on the `messages m`, `folders f` and `accounts a` rows for the filters.
//!
//! What must hold: every value the user typed is a bound parameter (text terms are also quoted
//! inside the MATCH expression, so none is FTS5 syntax); only fixed SQL from this file is
//! spliced. Dates are local midnights (`after:` inclusive, `before:` exclusive); a message
//! without a Date header matches no date clause, negated or not, and a message whose attachments
//! are not known (envelope only) matches no `has:` clause.

use chrono::{Local, NaiveDate, TimeZone};
use rusqlite::types::Value;

use super::search::{Filter, Query, State, Term};

/// The SQL for a query: `conditions` ANDed, with `args` bound in order. When `fts` is set the
/// first condition is `fts MATCH ?` and the statement must join the `fts` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    pub fts: bool,
    pub conditions: Vec<String>,
    pub args: Vec<Value>,
}

/// Translates `query`. Excluded text terms ride on the MATCH (`pos NOT (neg OR …)`) when there
/// is a positive one, else become `m.id NOT IN (…MATCH…)` (FTS5 cannot evaluate a pure
/// negation).
pub fn translate(query: &Query) -> Sql {
    let mut sql = Sql {
        fts: false,
        conditions: Vec::new(),
        args: Vec::new(),
    };
    let (neg, pos): (Vec<_>, Vec<_>) = query.text_terms().partition(|(negated, _)| *negated);
    let joined = |terms: &[(bool, &Term)], op: &str| {
        terms
            .iter()
            .map(|(_, t)| fts_term(t))
            .collect::<Vec<_>>()
            .join(op)
    };
    if !pos.is_empty() {
        let mut expr = joined(&pos, " AND ");
        if !neg.is_empty() {
            expr = format!("({expr}) NOT ({})", joined(&neg, " OR "));
        }
        sql.fts = true;
        sql.conditions.push("fts MATCH ?".into());
        sql.args.push(Value::Text(expr));
    } else if !neg.is_empty() {
        sql.conditions
            .push("m.id NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)".into());
        sql.args.push(Value::Text(joined(&neg, " OR ")));
    }
    for clause in &query.clauses {
        let not = clause.negated;
        let (cond, arg) = match &clause.filter {
            Filter::Text(_) => continue,
            Filter::Is(state) => {
                let (flag, set) = match state {
                    State::Unread => ("S", false),
                    State::Read => ("S", true),
                    State::Flagged => ("F", true),
                    State::Answered => ("R", true),
                    State::Draft => ("D", true),
                };
                let op = if set != not { ">" } else { "=" };
                (
                    format!("instr(m.flags, ?) {op} 0"),
                    Value::Text(flag.into()),
                )
            }
            Filter::HasAttachment => (
                "m.has_attachment = ?".into(),
                Value::Integer(i64::from(!not)),
            ),
            Filter::After(d) => (
                negate(not, "m.date >= ?"),
                Value::Integer(local_midnight(*d)),
            ),
            Filter::Before(d) => (
                negate(not, "m.date < ?"),
                Value::Integer(local_midnight(*d)),
            ),
            Filter::Folder(name) => (
                negate(not, "f.name = ? COLLATE NOCASE"),
                Value::Text(name.clone()),
            ),
            Filter::Account(name) => (
                negate(not, "a.name = ? COLLATE NOCASE"),
                Value::Text(name.clone()),
            ),
        };
        sql.conditions.push(cond);
        sql.args.push(arg);
    }
    sql
}

fn negate(not: bool, cond: &str) -> String {
    if not {
        format!("NOT ({cond})")
    } else {
        cond.to_owned()
    }
}

/// The term quoted for FTS5 (`column : "text"*`): quotes doubled, so no input is FTS5 syntax.
fn fts_term(term: &Term) -> String {
    let mut s = String::new();
    if let Some(col) = term.column {
        s.push_str(col);
        s.push_str(" : ");
    }
    s.push('"');
    s.push_str(&term.text.replace('"', "\"\""));
    s.push('"');
    if term.prefix {
        s.push('*');
    }
    s
}

/// Seconds since the epoch of the local midnight starting `day` (the earlier one when a clock
/// change repeats it; the first valid minute after it when a clock change skips it).
pub fn local_midnight(day: NaiveDate) -> i64 {
    let mut t = day.and_time(chrono::NaiveTime::MIN);
    for _ in 0..180 {
        if let Some(at) = Local.from_local_datetime(&t).earliest() {
            return at.timestamp();
        }
        t += chrono::Duration::minutes(1);
    }
    day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn sql(q: &str) -> Sql {
        translate(&Query::parse_at(q, today()).unwrap())
    }

    fn text(v: &Value) -> &str {
        match v {
            Value::Text(s) => s,
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn text_terms_become_one_quoted_match() {
        let s = sql(r#"hello "weekly report" from:alice@x.test depl* -draft -to:bob"#);
        assert!(s.fts);
        assert_eq!(s.conditions, ["fts MATCH ?"]);
        assert_eq!(
            text(&s.args[0]),
            r#"("hello" AND "weekly report" AND sender : "alice@x.test" AND "depl"*) NOT ("draft" OR recipients : "bob")"#
        );
        assert_eq!(text(&sql(r#"a"b"#).args[0]), r#""ab""#);
        assert_eq!(
            text(&sql("NEAR(x y) OR *").args[0]),
            r#""NEAR(x" AND "y)" AND "OR""#
        );
    }

    #[test]
    fn only_excluded_words_need_no_positive_match() {
        let s = sql("-draft -from:bob");
        assert!(!s.fts);
        assert_eq!(
            s.conditions,
            ["m.id NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)"]
        );
        assert_eq!(text(&s.args[0]), r#""draft" OR sender : "bob""#);
    }

    #[test]
    fn filters_are_conditions_with_bound_values() {
        let s = sql("is:unread -is:flagged is:answered has:attachment -has:attachment");
        assert!(!s.fts);
        assert_eq!(
            s.conditions,
            [
                "instr(m.flags, ?) = 0",
                "instr(m.flags, ?) = 0",
                "instr(m.flags, ?) > 0",
                "m.has_attachment = ?",
                "m.has_attachment = ?",
            ]
        );
        assert_eq!(
            s.args,
            [
                Value::Text("S".into()),
                Value::Text("F".into()),
                Value::Text("R".into()),
                Value::Integer(1),
                Value::Integer(0),
            ]
        );
        let s = sql(r#"after:2026-01-01 -before:2026-02 folder:"My Folder" -account:work'"#);
        assert_eq!(
            s.conditions,
            [
                "m.date >= ?",
                "NOT (m.date < ?)",
                "f.name = ? COLLATE NOCASE",
                "NOT (a.name = ? COLLATE NOCASE)",
            ]
        );
        let jan = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let feb = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        assert_eq!(
            s.args,
            [
                Value::Integer(local_midnight(jan)),
                Value::Integer(local_midnight(feb)),
                Value::Text("My Folder".into()),
                Value::Text("work'".into()),
            ]
        );
    }
}
