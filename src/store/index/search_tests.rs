use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn parse(q: &str) -> Vec<Clause> {
    Query::parse_at(q, today()).expect("parses").clauses
}

fn err(q: &str) -> String {
    Query::parse_at(q, today())
        .expect_err("refused")
        .to_string()
}

fn yes(filter: Filter) -> Clause {
    Clause {
        negated: false,
        filter,
    }
}

fn no(filter: Filter) -> Clause {
    Clause {
        negated: true,
        filter,
    }
}

fn word(column: Option<&'static str>, text: &str, prefix: bool) -> Filter {
    Filter::Text(Term {
        column,
        text: text.into(),
        prefix,
    })
}

#[test]
fn words_phrases_fields_prefix_negation() {
    assert_eq!(
        parse(r#"hello "weekly report" From:alice@x.test subject:"a b" deploy* -cc:bob"#),
        [
            yes(word(None, "hello", false)),
            yes(word(None, "weekly report", false)),
            yes(word(Some("sender"), "alice@x.test", false)),
            yes(word(Some("subject"), "a b", false)),
            yes(word(None, "deploy", true)),
            no(word(Some("recipients"), "bob", false)),
        ]
    );
    assert_eq!(
        parse("to:x body:y")[0],
        yes(word(Some("recipients"), "x", false))
    );
    assert_eq!(parse("to:x body:y")[1], yes(word(Some("body"), "y", false)));
}

#[test]
fn every_filter_key_and_its_negation() {
    assert_eq!(
        parse("is:unread is:READ is:flagged is:answered is:draft -is:unread"),
        [
            yes(Filter::Is(State::Unread)),
            yes(Filter::Is(State::Read)),
            yes(Filter::Is(State::Flagged)),
            yes(Filter::Is(State::Answered)),
            yes(Filter::Is(State::Draft)),
            no(Filter::Is(State::Unread)),
        ]
    );
    assert_eq!(
        parse("has:attachment -has:attachment"),
        [yes(Filter::HasAttachment), no(Filter::HasAttachment)]
    );
    assert_eq!(
        parse(r#"folder:INBOX -folder:"Lists/rust list" account:work -account:"my home""#),
        [
            yes(Filter::Folder("INBOX".into())),
            no(Filter::Folder("Lists/rust list".into())),
            yes(Filter::Account("work".into())),
            no(Filter::Account("my home".into())),
        ]
    );
}

#[test]
fn dates_full_month_relative_and_named() {
    assert_eq!(
        parse("after:2026-01-15 before:2026-03 -after:7d before:2w after:today before:yesterday"),
        [
            yes(Filter::After(day(2026, 1, 15))),
            yes(Filter::Before(day(2026, 3, 1))),
            no(Filter::After(day(2026, 11, 30))),
            yes(Filter::Before(day(2026, 11, 23))),
            yes(Filter::After(day(2026, 12, 7))),
            yes(Filter::Before(day(2026, 12, 6))),
        ]
    );
}

#[test]
fn bad_values_are_errors_that_name_key_and_value() {
    assert_eq!(
        err("after:tomorow"),
        r#"after: expects YYYY-MM-DD, YYYY-MM, today, yesterday or a number of days like 7d, got "tomorow""#
    );
    for bad in [
        "before:2026-13-01",
        "before:2026-02-30",
        "before:26-01-01",
        "before:2026-1-1",
        "before:",
        "before:-5d",
        "before:99999999999999999999d",
    ] {
        assert!(
            err(bad).starts_with("before: expects"),
            "{bad}: {}",
            err(bad)
        );
    }
    assert_eq!(
        err("is:unraed"),
        r#"is: expects unread, read, flagged, answered or draft, got "unraed""#
    );
    assert_eq!(err("has:pdf"), r#"has: expects attachment, got "pdf""#);
    assert!(err("folder:").starts_with("folder: expects a name"));
    assert!(err(r#"account:"""#).starts_with("account: expects a name"));
}

#[test]
fn unknown_keys_and_hostile_input_stay_literal_words() {
    assert_eq!(parse("foo:bar"), [yes(word(None, "foo:bar", false))]);
    assert_eq!(parse(r#"a"b"#), [yes(word(None, "ab", false))]);
    assert_eq!(parse("  "), []);
    assert_eq!(parse("- * \"\"\""), []);
    assert_eq!(
        parse("\"unterminated phrase"),
        [yes(word(None, "unterminated phrase", false))]
    );
    // A key's value may itself contain a colon; the key is only the first word.
    assert_eq!(
        parse("subject:re:hello"),
        [yes(word(Some("subject"), "re:hello", false))]
    );
}

#[test]
fn folder_scope_checks() {
    let q = Query::parse_at("folder:inbox -account:Work x", today()).unwrap();
    assert!(q.admits("home", "INBOX"));
    assert!(!q.admits("work", "INBOX"));
    assert!(!q.admits("home", "Sent"));
    assert!(q.admits_account("home"));
    assert!(!q.admits_account("WORK"));
    assert_eq!(
        q.check_in_folder().unwrap_err().to_string(),
        "folder: is for S (search all folders); / filters the open folder"
    );
    assert!(
        Query::parse_at("is:unread from:a", today())
            .unwrap()
            .check_in_folder()
            .is_ok()
    );
}
