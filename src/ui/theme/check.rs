//! Every problem of a user's theme file, each with its line: what `postie config check` and
//! the TUI's start report as `THEME-FILE:LINE: ...` instead of one parse error for the first
//! problem only.
//!
//! What must hold: a file with no problem here loads ([`super::parse`] accepts it), and a file
//! `parse` refuses has at least one problem here (the same deserializer judges each style
//! attribute alone).

use toml::de::{DeTable, DeValue};

use super::{STYLE_NAMES, StyleSpec};

/// One problem of a theme file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeProblem {
    /// 1-based line in the theme file, when known.
    pub line: Option<usize>,
    /// What is wrong, one line.
    pub message: String,
}

/// The problems of a theme file's text, in file order.
pub fn check(text: &str) -> Vec<ThemeProblem> {
    let spans = match DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => return vec![syntax(text, &e)],
    };
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => return vec![syntax(text, &e)],
    };
    let line = |path: &[&str]| key_line(text, spans.get_ref(), path);
    let mut out = Vec::new();
    for (name, value) in &table {
        if !STYLE_NAMES.contains(&name.as_str()) {
            let near =
                nearest(name).map_or_else(String::new, |n| format!(" (did you mean {n:?}?)"));
            out.push(ThemeProblem {
                line: line(&[name]),
                message: format!(
                    "unknown style {name:?}{near}; docs/themes.md lists the styles a theme sets"
                ),
            });
            continue;
        }
        let toml::Value::Table(attrs) = value else {
            out.push(ThemeProblem {
                line: line(&[name]),
                message: format!(
                    "{name}: a style is a table, e.g. {name} = {{ fg = \"red\", bold = true }}"
                ),
            });
            continue;
        };
        for (attr, v) in attrs {
            let one = toml::Table::from_iter([(attr.clone(), v.clone())]);
            if let Err(e) = toml::Value::Table(one).try_into::<StyleSpec>() {
                out.push(ThemeProblem {
                    line: line(&[name, attr]),
                    message: format!("{name}.{attr}: {}", one_line(e.message())),
                });
            }
        }
    }
    out.sort_by_key(|p| p.line);
    out
}

fn syntax(text: &str, e: &toml::de::Error) -> ThemeProblem {
    ThemeProblem {
        line: e.span().map(|s| line_of(text, s.start)),
        message: format!("not valid TOML: {}", one_line(e.message())),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn key_line(text: &str, root: &DeTable<'_>, path: &[&str]) -> Option<usize> {
    let (first, rest) = path.split_first()?;
    let mut table = root;
    let mut key = *first;
    for next in rest {
        let (_, value) = table.get_key_value(key)?;
        let DeValue::Table(inner) = value.get_ref() else {
            return None;
        };
        table = inner;
        key = next;
    }
    let (found, _) = table.get_key_value(key)?;
    Some(line_of(text, found.span().start))
}

fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The style name closest to a typo (the config's own "did you mean").
fn nearest(name: &str) -> Option<&'static str> {
    crate::config::did_you_mean(name, STYLE_NAMES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_has_its_line() {
        let text = "[list]\nfg = \"red\"\n\n[row_unread]\nfg = \"purplish\"\nbold = true\nblink = true\n\n[body]\nfg = \"#123456\"\n";
        let found = check(text);
        let lines: Vec<_> = found.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![Some(1), Some(5), Some(7)], "{found:?}");
        assert!(
            found[0].message.starts_with("unknown style \"list\""),
            "{found:?}"
        );
        assert!(
            found[1]
                .message
                .starts_with("row_unread.fg: invalid colour \"purplish\""),
            "{found:?}"
        );
        assert!(found[2].message.contains("blink"), "{found:?}");
        assert!(found.iter().all(|p| !p.message.contains('\n')));
        assert!(super::super::parse("mine", text).is_err());
    }

    #[test]
    fn a_typo_gets_a_suggestion_and_a_good_file_none() {
        let found = check("[row_unred]\nbold = true\n");
        assert!(
            found[0].message.contains("did you mean \"row_unread\""),
            "{found:?}"
        );
        for (name, text) in super::super::SHIPPED {
            assert_eq!(check(text), vec![], "{name}");
        }
        let broken = check("[body\nfg = 1\n");
        assert_eq!(broken[0].line, Some(1), "{broken:?}");
        assert!(
            broken[0].message.starts_with("not valid TOML"),
            "{broken:?}"
        );
    }
}
