//! Counted nouns for every line postie prints ("1 message", "2 messages"), so no command says
//! "1 messages".

/// `one` when `n` is 1, else `many`.
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `n` and its noun: `count(1, "message", "messages")` is "1 message".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

#[cfg(test)]
mod tests {
    use super::{count, plural};

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(0, "message", "messages"), "0 messages");
        assert_eq!(count(1, "message", "messages"), "1 message");
        assert_eq!(count(2, "message", "messages"), "2 messages");
        assert_eq!(plural(1, "is", "are"), "is");
    }
}
