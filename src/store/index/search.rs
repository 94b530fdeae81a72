//! The user's search syntax, translated to an FTS5 MATCH expression.
//!
//! Syntax (as `postie search` documents it): words (all must match, in any column), `"exact
//! phrases"`, `from:WORD`, `to:WORD` (To and Cc), `subject:WORD`, `body:WORD`, a field with a
//! phrase (`subject:"weekly report"`), a trailing `*` for a prefix (`deploy*`), and `-WORD` to
//! exclude. Everything the user types is quoted before it reaches FTS5, so no input can be a
//! syntax error or inject FTS5 operators.

/// A parsed query: terms that must match and terms that must not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub must: Vec<Term>,
    pub must_not: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The FTS5 column, or `None` for any column.
    pub column: Option<&'static str>,
    pub text: String,
    pub prefix: bool,
}

impl Query {
    /// Parses the user's query. Unbalanced quotes run to the end of the input.
    pub fn parse(input: &str) -> Query {
        let mut q = Query::default();
        let mut chars = input.chars().peekable();
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            if chars.peek().is_none() {
                break;
            }
            let negate = chars.next_if_eq(&'-').is_some();
            // A field prefix, or a plain word.
            let mut word = String::new();
            let mut column = None;
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
                            word.push(c);
                        }
                        break;
                    }
                    Some(':') if column.is_none() && !quoted => {
                        if let Some(col) = column_for(&word) {
                            chars.next();
                            column = Some(col);
                            word.clear();
                        } else {
                            word.push(':');
                            chars.next();
                        }
                    }
                    Some(&c) => {
                        word.push(c);
                        chars.next();
                    }
                }
            }
            let prefix = !quoted && word.ends_with('*');
            let text = word.trim_end_matches('*').trim().to_owned();
            if !has_token(&text) {
                continue;
            }
            let term = Term {
                column,
                text,
                prefix,
            };
            if negate {
                q.must_not.push(term);
            } else {
                q.must.push(term);
            }
        }
        q
    }

    /// The FTS5 expression, or `None` when nothing positive is left to search for (FTS5 cannot
    /// evaluate a pure negation).
    pub fn to_fts(&self) -> Option<String> {
        if self.must.is_empty() {
            return None;
        }
        let mut expr = self
            .must
            .iter()
            .map(Term::to_fts)
            .collect::<Vec<_>>()
            .join(" AND ");
        if !self.must_not.is_empty() {
            let not = self
                .must_not
                .iter()
                .map(Term::to_fts)
                .collect::<Vec<_>>()
                .join(" OR ");
            expr = format!("({expr}) NOT ({not})");
        }
        Some(expr)
    }
}

impl Term {
    fn to_fts(&self) -> String {
        let mut s = String::new();
        if let Some(col) = self.column {
            s.push_str(col);
            s.push_str(" : ");
        }
        s.push('"');
        s.push_str(&self.text.replace('"', "\"\""));
        s.push('"');
        if self.prefix {
            s.push('*');
        }
        s
    }
}

/// The field prefixes a query may use (`from:alice`), with the index column each searches.
/// docs/search.md documents every one (a test checks).
pub const FIELDS: &[(&str, &str)] = &[
    ("from", "sender"),
    ("to", "recipients"),
    ("cc", "recipients"),
    ("subject", "subject"),
    ("body", "body"),
];

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
mod tests {
    use super::*;

    fn fts(q: &str) -> Option<String> {
        Query::parse(q).to_fts()
    }

    #[test]
    fn words_phrases_fields_prefix_negation() {
        assert_eq!(
            fts("hello world").as_deref(),
            Some("\"hello\" AND \"world\"")
        );
        assert_eq!(
            fts("\"weekly report\" from:alice@x.test").as_deref(),
            Some("\"weekly report\" AND sender : \"alice@x.test\"")
        );
        assert_eq!(
            fts("subject:\"a b\" TO:bob").as_deref(),
            Some("subject : \"a b\" AND recipients : \"bob\"")
        );
        assert_eq!(fts("depl*").as_deref(), Some("\"depl\"*"));
        assert_eq!(
            fts("release -draft").as_deref(),
            Some("(\"release\") NOT (\"draft\")")
        );
    }

    #[test]
    fn hostile_input_is_quoted() {
        assert_eq!(fts("a\"b").as_deref(), Some("\"ab\""));
        assert_eq!(
            fts("NEAR(x y) OR *").as_deref(),
            Some("\"NEAR(x\" AND \"y)\" AND \"OR\"")
        );
        assert_eq!(fts("foo:bar").as_deref(), Some("\"foo:bar\""));
        assert_eq!(fts("  ").as_deref(), None);
        assert_eq!(fts("-only").as_deref(), None);
        assert_eq!(
            fts("\"unterminated phrase").as_deref(),
            Some("\"unterminated phrase\"")
        );
        assert_eq!(fts("\"\"\"").as_deref(), None);
    }
}
