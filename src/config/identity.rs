//! An account's identities (the From addresses it sends as), its aliases (addresses that are
//! also "me") and signatures: read from the account table and its `[[accounts.NAME.identities]]`
//! tables, every problem reported at its line like the rest of the config.
//!
//! What must hold: an account always has at least one identity, the account's own (`email`,
//! `name`, `signature`), and it comes first; every identity's address contains an `@`; a
//! signature is stored without trailing line ends (the composer adds the `-- ` line itself).

use toml::Spanned;
use toml::de::DeValue;

use super::parse::Parser;
use super::raw::{RawAccount, RawIdentity};

/// One From an account can send as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The From as written: `Name <addr@host>` or `addr@host`.
    pub from: String,
    /// The bare address (`addr@host`), for matching and the SMTP envelope.
    pub address: String,
    /// The signature text (without the `-- ` line), if any.
    pub signature: Option<String>,
    /// The identity's `pgp_key` (mail from it is signed with it, and encrypted to it for the
    /// Sent copy); None: the account's `pgp_key` (see [`super::Account::pgp_key_for`]). Never
    /// empty. The account's own identity has none: its key is the account's.
    pub pgp_key: Option<String>,
}

/// The address in a `Name <addr>` / `addr` text, when it has an `@`.
pub fn address_of(from: &str) -> Option<String> {
    let from = from.trim();
    let addr = match (from.rfind('<'), from.ends_with('>')) {
        (Some(open), true) => &from[open + 1..from.len() - 1],
        _ => from,
    };
    let addr = addr.trim();
    (addr.contains('@') && !addr.contains(char::is_whitespace)).then(|| addr.to_string())
}

/// `Name <addr>` (quoted when the name needs it), or the bare address.
fn from_text(email: &str, name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) if name.contains([',', '<', '>', '"', '@', ';', ':']) => {
            format!("\"{}\" <{email}>", name.replace('"', "'"))
        }
        Some(name) => format!("{name} <{email}>"),
        None => email.to_string(),
    }
}

impl Parser<'_> {
    /// The account's identities (its own first) and aliases. `raw` is the account table as
    /// read; `identities` the `identities` array taken out of it before.
    pub(super) fn identities(
        &mut self,
        table_name: &str,
        email: &str,
        raw: &RawAccount,
        identities: Option<Spanned<DeValue<'_>>>,
    ) -> (Vec<Identity>, Vec<String>) {
        let own = Identity {
            from: from_text(email, raw.name.as_deref()),
            address: email.to_string(),
            signature: self.signature(
                raw.signature.as_deref(),
                raw.signature_file.as_ref(),
                table_name,
            ),
            pgp_key: None,
        };
        let mut all = vec![own];
        if let Some(value) = identities {
            let span = value.span();
            match value.into_inner() {
                DeValue::Array(items) => {
                    for item in items {
                        let name = format!("an identity of {table_name}");
                        if let Some(identity) = self.identity(item, &name) {
                            all.push(identity);
                        }
                    }
                }
                other => self.at(
                    &span,
                    format!(
                        "identities in {table_name} must be an array of tables ([[{}.identities]]), not {}",
                        table_name.trim_matches(['[', ']']),
                        other.type_str()
                    ),
                ),
            }
        }
        let mut aliases = Vec::new();
        for alias in raw.aliases.iter().flatten() {
            match address_of(alias.get_ref()) {
                Some(addr) => aliases.push(addr),
                None => {
                    let message = format!(
                        "alias {:?} in {table_name} is not an address (no @)",
                        alias.get_ref()
                    );
                    self.at(&alias.span(), message);
                }
            }
        }
        (all, aliases)
    }

    fn identity(&mut self, value: Spanned<DeValue<'_>>, table_name: &str) -> Option<Identity> {
        let span = value.span();
        let raw: RawIdentity = self.read_table(value, table_name, |_| None)?;
        let Some(from) = raw.from else {
            self.at(
                &span,
                format!(
                    "missing key `from` in {table_name} (e.g. from = \"Alice <alice@example.org>\")"
                ),
            );
            return None;
        };
        let Some(address) = address_of(from.get_ref()) else {
            let message = format!(
                "from {:?} in {table_name} is not an address (\"Name <addr@host>\" or \"addr@host\")",
                from.get_ref()
            );
            self.at(&from.span(), message);
            return None;
        };
        let signature = self.signature(
            raw.signature.as_deref(),
            raw.signature_file.as_ref(),
            table_name,
        );
        let pgp_key = match raw.pgp_key {
            Some(key) if key.get_ref().trim().is_empty() => {
                let message = format!(
                    "pgp_key in {table_name} is empty: give a key id, fingerprint or user id, or \
                     remove it to sign with the account's key"
                );
                self.at(&key.span(), message);
                None
            }
            Some(key) => Some(key.get_ref().trim().to_string()),
            None => None,
        };
        Some(Identity {
            from: from.get_ref().trim().to_string(),
            address,
            signature,
            pgp_key,
        })
    }

    /// `signature`, else the text of `signature_file`; both set is a problem.
    fn signature(
        &mut self,
        text: Option<&str>,
        file: Option<&Spanned<String>>,
        table_name: &str,
    ) -> Option<String> {
        let clean = |s: &str| {
            let s = s.replace("\r\n", "\n");
            let s = s.trim_end_matches('\n');
            // A file that already starts with the separator keeps only one.
            let s = s.strip_prefix("-- \n").unwrap_or(s);
            (!s.trim().is_empty()).then(|| s.to_string())
        };
        match (text, file) {
            (Some(_), Some(file)) => {
                let message =
                    format!("signature and signature_file in {table_name}: keep one of them");
                self.at(&file.span(), message);
                None
            }
            (Some(text), None) => clean(text),
            (None, Some(file)) => {
                let path = self.path_value(file.clone(), "signature_file")?;
                match std::fs::read_to_string(&path) {
                    Ok(text) => clean(&text),
                    Err(e) => {
                        let message = format!(
                            "signature_file {} in {table_name}: cannot read it ({e})",
                            path.display()
                        );
                        self.at(&file.span(), message);
                        None
                    }
                }
            }
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_in_both_forms() {
        assert_eq!(address_of("Alice <a@x.test>").as_deref(), Some("a@x.test"));
        assert_eq!(address_of(" a@x.test ").as_deref(), Some("a@x.test"));
        assert_eq!(
            address_of("\"Doe, J\" <j@x.test>").as_deref(),
            Some("j@x.test")
        );
        assert_eq!(address_of("Alice"), None);
        assert_eq!(address_of("Alice <a at x>"), None);
    }

    #[test]
    fn names_that_need_quotes_get_them() {
        assert_eq!(from_text("a@x", Some("Alice")), "Alice <a@x>");
        assert_eq!(from_text("a@x", Some("Doe, J")), "\"Doe, J\" <a@x>");
        assert_eq!(from_text("a@x", None), "a@x");
    }

    fn parse(text: &str) -> Result<super::super::Config, super::super::ConfigError> {
        let env = super::super::Env {
            home: Some("/home/a".into()),
            config_home: Some("/xdg/config".into()),
            data_home: Some("/xdg/data".into()),
            ..Default::default()
        };
        super::super::Config::parse(text, std::path::Path::new("/c/config.toml"), &env)
    }

    const ACCOUNT: &str = r#"
[accounts.work]
email = "alice@x.test"
name = "Alice"
signature = "Alice\nACME\n\n"
aliases = ["old@x.test"]
incoming = { protocol = "maildir", path = "/m" }
"#;

    #[test]
    fn identities_follow_the_account_own_one_with_their_signatures() {
        let sig = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(sig.path(), "-- \nLists sig\n").unwrap();
        let text = format!(
            "address_book_command = \"abook --mutt-query\"\n{ACCOUNT}\n\
             [[accounts.work.identities]]\nfrom = \"Alice (lists) <lists@x.test>\"\n\
             signature_file = \"{}\"\n\n\
             [[accounts.work.identities]]\nfrom = \"a@home.test\"\npgp_key = \" 0xHOMEKEY \"\n",
            sig.path().display()
        );
        let config = parse(&text).unwrap();
        let a = &config.accounts[0];
        let keys: Vec<Option<&str>> = a.identities.iter().map(|i| i.pgp_key.as_deref()).collect();
        assert_eq!(keys, vec![None, None, Some("0xHOMEKEY")]);
        let got: Vec<(&str, &str, Option<&str>)> = a
            .identities
            .iter()
            .map(|i| (i.from.as_str(), i.address.as_str(), i.signature.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Alice <alice@x.test>", "alice@x.test", Some("Alice\nACME")),
                (
                    "Alice (lists) <lists@x.test>",
                    "lists@x.test",
                    Some("Lists sig")
                ),
                ("a@home.test", "a@home.test", None),
            ]
        );
        assert!(a.is_me("OLD@x.test") && a.is_me("lists@x.test") && !a.is_me("bob@x.test"));
        assert_eq!(
            config.address_book_command.as_deref(),
            Some("abook --mutt-query")
        );
    }

    #[test]
    fn identity_problems_name_their_line() {
        let text = format!(
            "{ACCOUNT}\n[[accounts.work.identities]]\nfrom = \"Alice\"\n\n\
             [[accounts.work.identities]]\nsignature = \"x\"\nsignatur = \"y\"\n\n\
             [[accounts.work.identities]]\nfrom = \"b@x.test\"\nsignature_file = \"~/nope\"\n\n\
             [[accounts.work.identities]]\nfrom = \"c@x.test\"\npgp_key = \" \"\n"
        );
        let Err(super::super::ConfigError::Invalid { problems, .. }) = parse(&text) else {
            panic!("expected problems")
        };
        let found: Vec<(Option<usize>, &str)> = problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(found.len(), 5, "{found:#?}");
        assert_eq!(found[0].0, Some(10));
        assert!(found[0].1.contains("is not an address"), "{found:#?}");
        assert_eq!(found[1].0, Some(12));
        assert!(found[1].1.contains("missing key `from`"), "{found:#?}");
        assert_eq!(found[2].0, Some(14));
        assert!(
            found[2].1.contains("did you mean `signature`"),
            "{found:#?}"
        );
        assert_eq!(found[3].0, Some(18));
        assert!(found[3].1.contains("/home/a/nope"), "{found:#?}");
        assert_eq!(found[4].0, Some(22));
        assert!(found[4].1.contains("pgp_key in"), "{found:#?}");
        assert!(found[4].1.contains("is empty"), "{found:#?}");
    }
}
