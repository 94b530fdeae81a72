//! `check_interval`: how often the TUI checks an account for new mail, written as seconds (an
//! integer) or a duration string (`"90s"`, `"5m"`, `"1h"`, `"1h30m"`), with `0` or `"off"` to
//! turn the clock off.
//!
//! What must hold: every value either means one duration or is refused with the reason and
//! an example (the caller adds FILE:LINE); no value rounds to zero by accident (an interval is
//! at least [`MIN_CHECK_INTERVAL`], so a typo cannot hammer a server).

use std::time::Duration;

use toml::Spanned;

use super::parse::Parser;

/// The interval when the key is absent.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// The shortest interval accepted (other than off).
pub const MIN_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// The longest interval accepted: a day.
const MAX_SECONDS: u64 = 24 * 3600;

const EXAMPLE: &str = "write seconds (300) or a duration (\"90s\", \"5m\", \"1h\"), or \"off\"";

/// The interval a value means: `None` for off. The error says what is wrong, without the
/// key's place.
pub(super) fn parse_interval(value: &toml::Value) -> Result<Option<Duration>, String> {
    let seconds = match value {
        toml::Value::Integer(n) if *n < 0 => {
            return Err(format!("{n} is negative: {EXAMPLE}"));
        }
        toml::Value::Integer(n) => *n as u64,
        toml::Value::String(s) => {
            let text = s.trim().to_ascii_lowercase();
            if text == "off" || text == "never" {
                return Ok(None);
            }
            duration_seconds(&text).ok_or_else(|| format!("{s:?} is not a duration: {EXAMPLE}"))?
        }
        other => {
            return Err(format!(
                "expected an integer or a string, not {}: {EXAMPLE}",
                other.type_str()
            ));
        }
    };
    if seconds == 0 {
        return Ok(None);
    }
    if seconds > MAX_SECONDS {
        return Err(format!("{seconds} seconds is more than a day: {EXAMPLE}"));
    }
    Ok(Some(Duration::from_secs(seconds).max(MIN_CHECK_INTERVAL)))
}

/// `"90"`, `"90s"`, `"5m"`, `"1h30m"`: a sum of numbers each followed by `h`, `m` or `s` (a
/// bare number is seconds). `None` when it is anything else.
fn duration_seconds(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    if let Ok(n) = text.parse::<u64>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let n: u64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
    }
    number.is_empty().then_some(total)
}

impl Parser<'_> {
    /// `check_interval` of an incoming table: the default when absent; `None` (with the
    /// problem recorded at its line) when it means nothing.
    pub(super) fn check_interval(
        &mut self,
        value: Option<Spanned<toml::Value>>,
        table_name: &str,
    ) -> Option<Option<Duration>> {
        let Some(value) = value else {
            return Some(Some(DEFAULT_CHECK_INTERVAL));
        };
        match parse_interval(value.get_ref()) {
            Ok(interval) => Some(interval),
            Err(why) => {
                self.at(
                    &value.span(),
                    format!("check_interval in {table_name}: {why}"),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> toml::Value {
        toml::Value::String(text.into())
    }

    #[test]
    fn seconds_durations_and_off() {
        let secs = |n| Ok(Some(Duration::from_secs(n)));
        assert_eq!(parse_interval(&toml::Value::Integer(300)), secs(300));
        assert_eq!(parse_interval(&s("5m")), secs(300));
        assert_eq!(parse_interval(&s("90s")), secs(90));
        assert_eq!(parse_interval(&s("90")), secs(90));
        assert_eq!(parse_interval(&s("1h30m")), secs(5400));
        assert_eq!(parse_interval(&s(" 2M ")), secs(120));
        assert_eq!(parse_interval(&toml::Value::Integer(0)), Ok(None));
        assert_eq!(parse_interval(&s("0m")), Ok(None));
        assert_eq!(parse_interval(&s("off")), Ok(None));
    }

    #[test]
    fn nonsense_is_refused_with_an_example() {
        for bad in [
            s("5 minutes"),
            s("m5"),
            s("5x"),
            s(""),
            s("5m3"),
            toml::Value::Integer(-1),
            toml::Value::Integer(100_000),
            toml::Value::Boolean(true),
            toml::Value::Float(1.5),
        ] {
            let e = parse_interval(&bad).unwrap_err();
            assert!(e.contains("\"5m\""), "{bad:?}: {e}");
        }
    }
}
