//! Maildir file names: making unique ones, and splitting any name into its unique part and info.
//!
//! Names we make follow <https://cr.yp.to/proto/maildir.html> and Courier/Dovecot practice:
//! `SECS.M<usec>P<pid>Q<seq>R<random>.HOST,S=<size>[,I=<id>][,P=<key>[,K=1]]`, then `:2,FLAGS`
//! in cur/. The `S=` size lets Dovecot and others skip a stat; `I=` carries postie's stable
//! message id so that an index rebuilt from the Maildirs gives every message the id it had
//! before; `P=` and `K=1` do the same for a POP3 download's key and its suspect mark.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::mail::Flags;

/// The separator between the unique part and the info (`:` on every Unix Maildir reader).
pub const INFO_SEP: char = ':';

static SEQ: AtomicU64 = AtomicU64::new(0);

/// What postie records in a unique name besides uniqueness, so that a rebuilt index recovers it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tags<'a> {
    /// The stable message id (`,I=`).
    pub id: Option<i64>,
    /// The POP3 UIDL (`,P=` base64url), so a rebuild never downloads a message twice. Keys
    /// longer than 90 characters (RFC 1939's 70 for a UIDL, plus what postie adds to tell
    /// repeated UIDLs apart) are not embedded (the name would grow too long).
    pub uidl: Option<&'a str>,
    /// The POP3 download did not match the server's size (`,K=1`: keep the server's copy),
    /// so a rebuilt index still never deletes it.
    pub suspect: bool,
}

/// A new unique name (no info part) for a message of `size` bytes.
pub fn unique_name(size: usize, tags: &Tags<'_>) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(seq);
    h.write_u128(now.as_nanos());
    let rand = h.finish() & 0xffff_ffff;
    let mut name = format!(
        "{}.M{}P{}Q{}R{:08x}.{},S={}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        seq,
        rand,
        hostname(),
        size
    );
    if let Some(id) = tags.id {
        name.push_str(&format!(",I={id}"));
    }
    if let Some(uidl) = tags.uidl.filter(|u| !u.is_empty() && u.len() <= 90) {
        name.push_str(",P=");
        name.push_str(&URL_SAFE_NO_PAD.encode(uidl));
        if tags.suspect {
            name.push_str(",K=1");
        }
    }
    name
}

/// The file name for a unique part and flags: bare in new/, with `:2,` info in cur/.
pub fn file_name(uniq: &str, flags: Option<&Flags>) -> String {
    match flags {
        Some(f) => format!("{uniq}{INFO_SEP}2,{}", f.to_maildir_info()),
        None => uniq.to_owned(),
    }
}

/// Splits a file name into its unique part and its flags (empty when there is no `:2,` info).
pub fn split_name(name: &str) -> (&str, Flags) {
    match name.rfind(INFO_SEP) {
        Some(pos) => {
            let (uniq, info) = (&name[..pos], &name[pos + 1..]);
            match info.strip_prefix("2,") {
                Some(flags) => (uniq, Flags::from_maildir_info(flags)),
                None => (uniq, Flags::empty()),
            }
        }
        None => (name, Flags::empty()),
    }
}

/// The `I=<id>` postie wrote into a unique part, if any.
pub fn embedded_id(uniq: &str) -> Option<i64> {
    uniq.rsplit(',')
        .find_map(|field| field.strip_prefix("I="))
        .and_then(|v| v.parse().ok())
        .filter(|id| *id > 0)
}

/// The POP3 UIDL postie wrote into a unique part, if any.
pub fn embedded_uidl(uniq: &str) -> Option<String> {
    let b64 = uniq
        .rsplit(',')
        .find_map(|field| field.strip_prefix("P="))?;
    let bytes = URL_SAFE_NO_PAD.decode(b64).ok()?;
    String::from_utf8(bytes).ok()
}

/// Whether postie marked the POP3 download in a unique part as suspect (`,K=1`).
pub fn embedded_suspect(uniq: &str) -> bool {
    uniq.rsplit(',').any(|field| field == "K=1")
}

/// Whether a directory entry could be a message (Maildir readers skip dot files).
pub fn is_message_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.')
}

/// The host name with `/` and `:` escaped as the Maildir spec asks.
fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .unwrap_or_else(|_| "localhost".to_owned());
        let host = raw.trim();
        let host = if host.is_empty() { "localhost" } else { host };
        host.replace('/', "\\057")
            .replace(':', "\\072")
            .replace(',', "\\054")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Flag;

    #[test]
    fn unique_names_differ_and_carry_size_and_id() {
        let a = unique_name(
            10,
            &Tags {
                id: Some(42),
                uidl: Some("UID/1:+=,x"),
                suspect: true,
            },
        );
        let b = unique_name(10, &Tags::default());
        assert_ne!(a, b);
        assert!(a.contains(",S=10,I=42"), "{a}");
        assert_eq!(embedded_id(&a), Some(42));
        assert_eq!(embedded_id(&b), None);
        assert_eq!(embedded_uidl(&a).as_deref(), Some("UID/1:+=,x"));
        assert_eq!(embedded_uidl(&b), None);
        assert!(embedded_suspect(&a) && !embedded_suspect(&b));
        assert!(!a.contains(':') && !a.contains('/'));
    }

    #[test]
    fn split_and_join() {
        let (u, f) = split_name("123.abc.host,S=5:2,RS");
        assert_eq!(u, "123.abc.host,S=5");
        assert!(f.contains(Flag::Seen) && f.contains(Flag::Answered));
        assert_eq!(file_name(u, Some(&f)), "123.abc.host,S=5:2,RS");
        assert_eq!(split_name("plain").0, "plain");
        assert_eq!(split_name("x:1,foo").1, Flags::empty());
        assert_eq!(file_name("u", None), "u");
        assert!(!is_message_name(".nfs123"));
    }
}
