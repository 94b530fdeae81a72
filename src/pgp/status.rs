//! gpg's machine-readable `--status-fd` lines (`[GNUPG:] KEYWORD args...`), parsed into what
//! postie reports: signatures, decryption, invalid recipients, the hash of a new signature.
//!
//! Pure and total: any bytes give a [`StatusReport`] (unknown keywords and malformed lines are
//! ignored), so nothing gpg prints can make postie panic. Human-readable stderr lines (without
//! the `[GNUPG:] ` prefix) are not status and are skipped.

/// How far the signer's key is trusted (gpg's `TRUST_*` line), as the reader shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trust {
    /// No TRUST_ line (or TRUST_UNDEFINED): the key is in the keyring, nobody certified it.
    #[default]
    Unknown,
    Never,
    Marginal,
    Full,
    Ultimate,
}

impl Trust {
    /// The word shown in the status line.
    pub fn word(self) -> &'static str {
        match self {
            Trust::Unknown => "unknown",
            Trust::Never => "never",
            Trust::Marginal => "marginal",
            Trust::Full => "full",
            Trust::Ultimate => "ultimate",
        }
    }
}

/// What gpg said about one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureState {
    /// GOODSIG (also when the key or signature has expired: see [`Signature::expired`]).
    Good,
    /// BADSIG: the signed data was changed, or the signature does not belong to it.
    Bad,
    /// ERRSIG with NO_PUBKEY: the signer's key is not in the keyring.
    UnknownKey,
    /// REVKEYSIG: made by a key that has since been revoked.
    Revoked,
    /// ERRSIG for another reason (unsupported algorithm, ...): the code gpg gave.
    Error(String),
}

/// One signature as gpg reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub state: SignatureState,
    /// The long key id (16 hex digits) or fingerprint from GOODSIG/BADSIG/ERRSIG.
    pub key_id: String,
    /// The full fingerprint from VALIDSIG (good signatures only).
    pub fingerprint: Option<String>,
    /// The signer's primary user id (GOODSIG/BADSIG), percent-escapes decoded.
    pub user_id: Option<String>,
    pub trust: Trust,
    /// EXPSIG/EXPKEYSIG: the signature or the key has expired.
    pub expired: bool,
}

/// Everything postie reads from one gpg run's status lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusReport {
    /// In the order gpg reported them.
    pub signatures: Vec<Signature>,
    /// DECRYPTION_OKAY was seen.
    pub decryption_okay: bool,
    /// DECRYPTION_FAILED was seen.
    pub decryption_failed: bool,
    /// ENC_TO: the key ids the message was encrypted to.
    pub encrypted_to: Vec<String>,
    /// NO_SECKEY: key ids we have no secret key for.
    pub no_secret_key: Vec<String>,
    /// DECRYPTION_KEY: the fingerprint of the (sub)key that decrypted.
    pub decryption_key: Option<String>,
    /// INV_RECP / INV_SGNR: the recipients or signers gpg refused.
    pub invalid_recipients: Vec<String>,
    pub invalid_signers: Vec<String>,
    /// SIG_CREATED: the hash algorithm of the signature just made (gpg's number).
    pub created_hash_algo: Option<u8>,
    /// NODATA / no OpenPGP data found.
    pub no_data: bool,
}

impl StatusReport {
    /// Parses gpg's status output (the `[GNUPG:] ` lines among anything else).
    pub fn parse(output: &[u8]) -> StatusReport {
        let mut report = StatusReport::default();
        let text = String::from_utf8_lossy(output);
        for line in text.lines() {
            let Some(rest) = line.trim_end_matches('\r').strip_prefix("[GNUPG:] ") else {
                continue;
            };
            let mut words = rest.splitn(2, ' ');
            let keyword = words.next().unwrap_or_default();
            let args = words.next().unwrap_or_default();
            report.apply(keyword, args);
        }
        report
    }

    fn apply(&mut self, keyword: &str, args: &str) {
        let mut fields = args.split(' ');
        let first = fields.next().unwrap_or_default().to_owned();
        let rest_after_first = args.split_once(' ').map_or("", |(_, r)| r);
        match keyword {
            "NEWSIG" => {}
            "GOODSIG" | "EXPSIG" | "EXPKEYSIG" | "BADSIG" | "REVKEYSIG" => {
                let state = match keyword {
                    "BADSIG" => SignatureState::Bad,
                    "REVKEYSIG" => SignatureState::Revoked,
                    _ => SignatureState::Good,
                };
                self.signatures.push(Signature {
                    state,
                    key_id: first,
                    fingerprint: None,
                    user_id: Some(unescape(rest_after_first)).filter(|u| !u.is_empty()),
                    trust: Trust::Unknown,
                    expired: matches!(keyword, "EXPSIG" | "EXPKEYSIG"),
                });
            }
            "ERRSIG" => {
                // ERRSIG <keyid> <pkalgo> <hashalgo> <sig_class> <time> <rc> [<fpr>]
                let rc = fields.nth(4).unwrap_or_default();
                let state = if rc == "9" {
                    SignatureState::UnknownKey
                } else {
                    SignatureState::Error(rc.to_owned())
                };
                self.signatures.push(Signature {
                    state,
                    key_id: first,
                    fingerprint: None,
                    user_id: None,
                    trust: Trust::Unknown,
                    expired: false,
                });
            }
            "NO_PUBKEY" => {
                if let Some(last) = self.signatures.last_mut()
                    && matches!(last.state, SignatureState::Error(_))
                {
                    last.state = SignatureState::UnknownKey;
                }
            }
            "VALIDSIG" => {
                if let Some(last) = self.signatures.last_mut() {
                    last.fingerprint = Some(first);
                }
            }
            "TRUST_UNDEFINED" | "TRUST_NEVER" | "TRUST_MARGINAL" | "TRUST_FULLY"
            | "TRUST_ULTIMATE" => {
                let trust = match keyword {
                    "TRUST_NEVER" => Trust::Never,
                    "TRUST_MARGINAL" => Trust::Marginal,
                    "TRUST_FULLY" => Trust::Full,
                    "TRUST_ULTIMATE" => Trust::Ultimate,
                    _ => Trust::Unknown,
                };
                if let Some(last) = self.signatures.last_mut() {
                    last.trust = trust;
                }
            }
            "DECRYPTION_OKAY" => self.decryption_okay = true,
            "DECRYPTION_FAILED" => self.decryption_failed = true,
            "ENC_TO" => push_unique(&mut self.encrypted_to, first),
            "NO_SECKEY" => push_unique(&mut self.no_secret_key, first),
            "DECRYPTION_KEY" => self.decryption_key = Some(first),
            "INV_RECP" => push_unique(&mut self.invalid_recipients, unescape(rest_after_first)),
            "INV_SGNR" => push_unique(&mut self.invalid_signers, unescape(rest_after_first)),
            "SIG_CREATED" => {
                // SIG_CREATED <type> <pk_algo> <hash_algo> <class> <timestamp> <fpr>
                self.created_hash_algo = fields.nth(1).and_then(|h| h.parse().ok());
            }
            "NODATA" => self.no_data = true,
            _ => {}
        }
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// gpg percent-escapes control characters (and `%`) in user ids: `%0A`, `%25`.
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `micalg` parameter for gpg's hash algorithm number (RFC 4880 9.4, RFC 3156 5).
pub fn micalg(hash_algo: u8) -> Option<&'static str> {
    Some(match hash_algo {
        1 => "pgp-md5",
        2 => "pgp-sha1",
        3 => "pgp-ripemd160",
        8 => "pgp-sha256",
        9 => "pgp-sha384",
        10 => "pgp-sha512",
        11 => "pgp-sha224",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_signature_with_fingerprint_and_trust() {
        let out = b"gpg: Signature made Mon\n[GNUPG:] NEWSIG\n\
[GNUPG:] KEY_CONSIDERED 43E3 0\n\
[GNUPG:] GOODSIG DD8AADFDF435C992 Alice %25 Example <alice@x.test>\n\
[GNUPG:] VALIDSIG 43E30205D3CE22C42E633226DD8AADFDF435C992 2026-12-07 1796681757 0 4 0 22 8 00 43E3\n\
[GNUPG:] TRUST_ULTIMATE 0 pgp\n";
        let r = StatusReport::parse(out);
        assert_eq!(
            r.signatures,
            vec![Signature {
                state: SignatureState::Good,
                key_id: "DD8AADFDF435C992".into(),
                fingerprint: Some("43E30205D3CE22C42E633226DD8AADFDF435C992".into()),
                user_id: Some("Alice % Example <alice@x.test>".into()),
                trust: Trust::Ultimate,
                expired: false,
            }]
        );
    }

    #[test]
    fn bad_unknown_and_decryption_lines() {
        let out = b"[GNUPG:] ENC_TO 1111222233334444 18 0\n\
[GNUPG:] DECRYPTION_KEY AAAA BBBB u\n[GNUPG:] DECRYPTION_OKAY\n\
[GNUPG:] BADSIG DD8AADFDF435C992 Alice <alice@x.test>\n\
[GNUPG:] ERRSIG 0123456789ABCDEF 22 8 00 1796681757 9 -\n\
[GNUPG:] NO_PUBKEY 0123456789ABCDEF\n[GNUPG:] SIG_CREATED D 22 10 00 1 F\n\
[GNUPG:] INV_RECP 0 <carol@x.test>\n[GNUPG:] GOODSIG\n[GNUPG:] \xff\xfe junk\n";
        let r = StatusReport::parse(out);
        assert!(r.decryption_okay);
        assert_eq!(r.encrypted_to, vec!["1111222233334444"]);
        assert_eq!(r.decryption_key.as_deref(), Some("AAAA"));
        assert_eq!(r.signatures[0].state, SignatureState::Bad);
        assert_eq!(r.signatures[1].state, SignatureState::UnknownKey);
        assert_eq!(r.signatures[1].key_id, "0123456789ABCDEF");
        assert_eq!(r.signatures[2].user_id, None, "a truncated GOODSIG");
        assert_eq!(r.created_hash_algo, Some(10));
        assert_eq!(micalg(10), Some("pgp-sha512"));
        assert_eq!(r.invalid_recipients, vec!["<carol@x.test>"]);
    }
}
