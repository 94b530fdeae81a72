//! Where a key is written in the config file, for checks that run after parsing (the key map
//! and theme are validated by the UI, placeholders and password sources by `config check`) and
//! still owe the user a `FILE:LINE`.
//!
//! Reads the same spanned `DeTable` as the parser; a file that does not parse has no lines
//! here (the parser has already reported it).

use toml::de::{DeTable, DeValue};

/// The 1-based line of the key at `path` (`["accounts", "work", "incoming", "host"]`), or
/// `None` when the text does not parse or has no such key.
pub fn key_line(text: &str, path: &[&str]) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let (first, rest) = path.split_first()?;
    let mut table = root.get_ref();
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

/// 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    let end = at.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::key_line;

    #[test]
    fn finds_top_level_nested_and_dotted_keys() {
        let text =
            "theme = \"x\"\n\n[keys]\ncompose = \"c\"\n[accounts.a.incoming]\nhost = \"h\"\n";
        assert_eq!(key_line(text, &["theme"]), Some(1));
        assert_eq!(key_line(text, &["keys", "compose"]), Some(4));
        assert_eq!(
            key_line(text, &["accounts", "a", "incoming", "host"]),
            Some(6)
        );
        assert_eq!(key_line(text, &["accounts", "a", "outgoing", "host"]), None);
        assert_eq!(key_line("= broken", &["theme"]), None);
    }
}
