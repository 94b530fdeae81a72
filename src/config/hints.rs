//! Helping the user fix a config: serde's own field lists (so the unknown-key check cannot
//! disagree with the structs), "did you mean" suggestions, and messages in TOML's terms.

use serde::de::{self, DeserializeOwned, Visitor};

use super::raw::{
    RawAccount, RawIdentity, RawImap, RawMaildir, RawOutgoing, RawPop3, RawTop, RawUi,
};

/// serde names Rust types ("expected i64"); the user wrote TOML.
pub(super) fn friendlier(message: &str) -> String {
    message
        .replace("expected i64", "expected an integer")
        .replace("expected u32", "expected a whole number of 0 or more")
}

/// Every key the parser accepts, by table: `top`, `account`, `imap`, `pop3`, `maildir` (the
/// incoming table of that protocol), `outgoing`, `identity` (one of an account's `identities`). From serde's own field lists plus the keys
/// the parser takes out before serde runs, so docs/config.md can be checked against it.
pub fn accepted_keys() -> Vec<(&'static str, Vec<&'static str>)> {
    let with = |fields: &[&'static str], extra: &[&'static str]| {
        let mut all: Vec<&'static str> = fields.iter().chain(extra).copied().collect();
        all.sort_unstable();
        all
    };
    vec![
        ("top", with(field_names::<RawTop>(), &["accounts", "ui"])),
        ("ui", with(field_names::<RawUi>(), &[])),
        (
            "account",
            with(
                field_names::<RawAccount>(),
                &["incoming", "outgoing", "identities"],
            ),
        ),
        ("imap", with(field_names::<RawImap>(), &["protocol"])),
        ("pop3", with(field_names::<RawPop3>(), &["protocol"])),
        ("maildir", with(field_names::<RawMaildir>(), &["protocol"])),
        ("outgoing", with(field_names::<RawOutgoing>(), &[])),
        ("identity", with(field_names::<RawIdentity>(), &[])),
    ]
}

/// Why `key` does not belong in an incoming table of `protocol`, when it belongs to another.
pub(super) fn other_protocol_hint(key: &str, protocol: &str) -> Option<String> {
    let imap = field_names::<RawImap>();
    let pop3 = field_names::<RawPop3>();
    let maildir = field_names::<RawMaildir>();
    let owners: Vec<&str> = [("imap", imap), ("pop3", pop3), ("maildir", maildir)]
        .into_iter()
        .filter(|(name, fields)| *name != protocol && fields.contains(&key))
        .map(|(name, _)| name)
        .collect();
    if owners.is_empty() {
        return None;
    }
    let owners: Vec<String> = owners.iter().map(|o| format!("\"{o}\"")).collect();
    Some(format!(
        "only for protocol = {}; this account's protocol is \"{protocol}\"",
        owners.join(" or ")
    ))
}

/// The closest known key, if it is close enough to be a typo.
pub fn did_you_mean<'a>(key: &str, fields: &[&'a str]) -> Option<&'a str> {
    fields
        .iter()
        .map(|f| (levenshtein(key, f), *f))
        .filter(|(d, f)| *d <= 2.min(f.len() / 3 + 1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The field names of a `#[derive(Deserialize)]` struct, as serde itself sees them, so the
/// unknown-key check can never disagree with the structs.
pub(super) fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);

    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field probe")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }

    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Stop> {
            *self.0 = fields;
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_only_for_near_misses() {
        let fields = ["host", "port", "password_command", "allow_plaintext"];
        assert_eq!(did_you_mean("hots", &fields), Some("host"));
        assert_eq!(did_you_mean("prot", &fields), Some("port"));
        assert_eq!(
            did_you_mean("pasword_command", &fields),
            Some("password_command")
        );
        assert_eq!(did_you_mean("colour", &fields), None);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
