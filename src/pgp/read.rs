//! Reading protected mail: `multipart/signed` verified, `multipart/encrypted` decrypted (and a
//! signed entity inside verified too, RFC 3156 6.1; a signature in the OpenPGP message itself,
//! 6.2, comes from the same gpg run), inline PGP (`-----BEGIN PGP ...`) shown as what it is.
//!
//! The result is one [`Inspection`]: a one-line status for the reader and `postie read`, and
//! the entity to show instead of the ciphertext. Total over any bytes: a malformed structure is
//! a status, never an error or a panic. The message is canonicalised to CRLF first, because
//! that is what was signed (Dovecot stores LF line ends on disk).
//!
//! Decrypted bytes are only returned, never written: keeping them out of the store and the
//! index is the caller's promise (`index_decrypted = false`).

use mail_parser::{MessageParser, MimeHeaders as _};

use super::mime::find;
use super::status::{Signature, SignatureState};
use super::{Backend, Decrypted};

/// What kind of protection a message has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Signed,
    Encrypted,
    /// `-----BEGIN PGP SIGNED MESSAGE-----` or `-----BEGIN PGP MESSAGE-----` in the text.
    Inline,
}

/// How decrypting went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decryption {
    /// Decrypted; the (sub)key that did it, when gpg said.
    Decrypted { key: Option<String> },
    /// Could not decrypt: the key ids it is encrypted to, and whether we lack all of them.
    Failed {
        encrypted_to: Vec<String>,
        no_secret_key: bool,
    },
}

/// What postie found out about a PGP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub kind: Kind,
    pub decryption: Option<Decryption>,
    pub signatures: Vec<Signature>,
    /// What to show as the body: the decrypted entity, or the inline text with its armor
    /// replaced by the plaintext. None: show the message as it is.
    pub shown: Option<Vec<u8>>,
    /// Why nothing could be checked (gpg missing, a malformed structure).
    pub problem: Option<String>,
}

impl Inspection {
    fn new(kind: Kind) -> Inspection {
        Inspection {
            kind,
            decryption: None,
            signatures: Vec::new(),
            shown: None,
            problem: None,
        }
    }

    /// A bad or revoked signature, or a message that could not be decrypted.
    pub fn is_alarming(&self) -> bool {
        self.signatures
            .iter()
            .any(|s| matches!(s.state, SignatureState::Bad | SignatureState::Revoked))
            || matches!(self.decryption, Some(Decryption::Failed { .. }))
    }

    /// The one status line: `PGP: good signature from Alice <a@x> (key ..., trust unknown)`.
    pub fn status_line(&self) -> String {
        let mut parts = Vec::new();
        match &self.decryption {
            Some(Decryption::Decrypted { key }) => parts.push(match key {
                Some(k) => format!("decrypted with key {}", short(k)),
                None => "decrypted".to_owned(),
            }),
            Some(Decryption::Failed {
                encrypted_to,
                no_secret_key,
            }) => {
                let to = if encrypted_to.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (encrypted to {})",
                        encrypted_to
                            .iter()
                            .map(|k| short(k))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let why = if *no_secret_key {
                    "no secret key for it in the GnuPG keyring"
                } else {
                    "gpg failed"
                };
                parts.push(format!("cannot decrypt{to}: {why}"));
            }
            None => {}
        }
        for s in &self.signatures {
            parts.push(signature_text(s));
        }
        if self.signatures.is_empty() && self.problem.is_none() {
            match self.kind {
                Kind::Encrypted
                    if matches!(self.decryption, Some(Decryption::Decrypted { .. })) =>
                {
                    parts.push("not signed".to_owned());
                }
                Kind::Signed => parts.push("signature not checked".to_owned()),
                _ => {}
            }
        }
        if let Some(problem) = &self.problem {
            parts.push(format!("cannot check: {problem}"));
        }
        let prefix = if self.kind == Kind::Inline {
            "PGP (inline)"
        } else {
            "PGP"
        };
        format!("{prefix}: {}", parts.join("; "))
    }
}

/// The last 16 hex digits of a fingerprint: the long key id.
fn short(key: &str) -> &str {
    &key[key.len().saturating_sub(16)..]
}

fn signature_text(s: &Signature) -> String {
    let from = s
        .user_id
        .as_deref()
        .map(|u| format!(" from {u}"))
        .unwrap_or_default();
    let key = short(s.fingerprint.as_deref().unwrap_or(&s.key_id));
    match &s.state {
        SignatureState::Good => format!(
            "good signature{from} (key {key}, trust {}{})",
            s.trust.word(),
            if s.expired { ", expired" } else { "" }
        ),
        SignatureState::Bad => {
            format!("BAD signature{from} (key {key}): the message was changed after signing")
        }
        SignatureState::UnknownKey => {
            format!("signed by unknown key {key}: import it (gpg --import) to check the signature")
        }
        SignatureState::Revoked => format!("signature{from} by REVOKED key {key}"),
        SignatureState::Error(code) => {
            format!("cannot check the signature by key {key} (gpg error {code})")
        }
    }
}

/// Looks at a whole message; None when it has no OpenPGP content. Runs the backend only for
/// messages that have some.
pub fn inspect(backend: &dyn Backend, raw: &[u8]) -> Option<Inspection> {
    kind_of(raw)?;
    let message = crate::mail::compose::crlf(raw);
    let (content_type, boundary, body) = top_level(&message)?;
    match content_type.as_str() {
        "multipart/signed" => Some(signed(backend, body, &boundary)),
        "multipart/encrypted" => Some(encrypted(backend, body, &boundary)),
        _ => inline(backend, &message),
    }
}

/// What kind of OpenPGP content a message has, if any, without running the backend: what
/// [`inspect`] would check. Cheap: most mail is not OpenPGP, and says so from its top-level
/// header and one byte scan, without copying or parsing the body (a 70 MB attachment must not
/// be parsed twice to be read). Inline PGP is looked for only when its armor line shows in the
/// raw bytes (an armored block inside a base64-encoded text part is not seen).
pub fn kind_of(raw: &[u8]) -> Option<Kind> {
    let (content_type, _, _) = top_level(raw)?;
    match content_type.as_str() {
        "multipart/signed" => Some(Kind::Signed),
        "multipart/encrypted" => Some(Kind::Encrypted),
        _ => find(raw, b"-----BEGIN PGP ").map(|_| Kind::Inline),
    }
}

/// The real Subject of a decrypted entity that carries protected headers (the outer one is
/// then `...`); None when it has none.
pub fn protected_subject(shown: &[u8]) -> Option<String> {
    let parsed = MessageParser::default().parse_headers(shown)?;
    let subject = parsed.subject()?.trim();
    (!subject.is_empty()).then(|| subject.to_owned())
}

/// The lowercase `type/subtype`, the boundary (empty when none) and the body of a CRLF
/// message, when it parses.
fn top_level(message: &[u8]) -> Option<(String, String, &[u8])> {
    let parsed = MessageParser::default().parse_headers(message)?;
    let (content_type, boundary) = match parsed.content_type() {
        Some(ct) => (
            format!(
                "{}/{}",
                ct.c_type,
                ct.c_subtype.as_deref().unwrap_or_default()
            )
            .to_ascii_lowercase(),
            ct.attribute("boundary").unwrap_or_default().to_owned(),
        ),
        None => ("text/plain".to_owned(), String::new()),
    };
    let body = match find(message, b"\r\n\r\n") {
        Some(i) => &message[i + 4..],
        None => &message[message.len()..],
    };
    Some((content_type, boundary, body))
}

/// The parts of a multipart body: each part's bytes between its delimiter line and the CRLF
/// before the next delimiter (RFC 2046 5.1.1). Parts after the close delimiter are ignored.
pub(crate) fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    if boundary.is_empty() {
        return Vec::new();
    }
    let dash = format!("--{boundary}");
    let mut delimiters = Vec::new(); // (start of the CRLF before "--", after the line, close)
    let mut at = 0;
    while at <= body.len() {
        let hit = if at == 0 && body.starts_with(dash.as_bytes()) {
            Some((0, 0))
        } else {
            let needle = format!("\r\n{dash}");
            find(&body[at..], needle.as_bytes()).map(|p| (at + p, at + p + 2))
        };
        let Some((crlf_start, dash_start)) = hit else {
            break;
        };
        let after = dash_start + dash.len();
        let rest = &body[after..];
        let close = rest.starts_with(b"--");
        let line_end = find(rest, b"\r\n").map_or(body.len(), |p| after + p + 2);
        let tail = &body[after..line_end.min(body.len())];
        let tail = tail.strip_prefix(b"--").unwrap_or(tail);
        if tail.iter().all(|b| b.is_ascii_whitespace()) {
            delimiters.push((crlf_start, line_end, close));
            if close {
                break;
            }
        }
        at = line_end.max(after);
    }
    delimiters
        .windows(2)
        .map(|pair| &body[pair[0].1.min(pair[1].0)..pair[1].0])
        .collect()
}

/// A part's decoded body and lowercase content type.
fn part_body(part: &[u8]) -> (String, Vec<u8>) {
    let Some(parsed) = MessageParser::default().parse(part) else {
        return (String::new(), Vec::new());
    };
    let content_type = parsed
        .content_type()
        .map(|ct| {
            format!(
                "{}/{}",
                ct.c_type,
                ct.c_subtype.as_deref().unwrap_or_default()
            )
            .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let contents = parsed
        .parts
        .first()
        .map(|p| p.contents().to_vec())
        .unwrap_or_default();
    (content_type, contents)
}

fn signed(backend: &dyn Backend, body: &[u8], boundary: &str) -> Inspection {
    let mut inspection = Inspection::new(Kind::Signed);
    let parts = split_multipart(body, boundary);
    let [data, signature, ..] = parts.as_slice() else {
        inspection.problem = Some("a multipart/signed message without two parts".into());
        return inspection;
    };
    let (_, signature) = part_body(signature);
    match backend.verify_detached(data, &signature) {
        Ok(report) => inspection.signatures = report.signatures,
        Err(e) => inspection.problem = Some(crate::error::chain_line(&e)),
    }
    inspection
}

fn encrypted(backend: &dyn Backend, body: &[u8], boundary: &str) -> Inspection {
    let mut inspection = Inspection::new(Kind::Encrypted);
    let parts = split_multipart(body, boundary);
    let data = parts
        .iter()
        .map(|p| part_body(p))
        .find(|(ct, _)| ct == "application/octet-stream")
        .or_else(|| parts.get(1).map(|p| part_body(p)));
    let Some((_, data)) = data else {
        inspection.problem = Some("a multipart/encrypted message without its data part".into());
        return inspection;
    };
    let Decrypted { plaintext, report } = match backend.decrypt(&data) {
        Ok(d) => d,
        Err(e) => {
            inspection.problem = Some(crate::error::chain_line(&e));
            return inspection;
        }
    };
    inspection.signatures = report.signatures;
    let Some(plaintext) = plaintext else {
        inspection.decryption = Some(Decryption::Failed {
            encrypted_to: report.encrypted_to,
            no_secret_key: !report.no_secret_key.is_empty(),
        });
        return inspection;
    };
    inspection.decryption = Some(Decryption::Decrypted {
        key: report
            .decryption_key
            .or_else(|| report.encrypted_to.first().cloned()),
    });
    // RFC 3156 6.1: a multipart/signed entity inside; show its signed part, check its signature.
    let entity = crate::mail::compose::crlf(&plaintext);
    if let Some((ct, inner_boundary, inner_body)) = top_level(&entity)
        && ct == "multipart/signed"
    {
        let inner = signed(backend, inner_body, &inner_boundary);
        inspection.signatures.extend(inner.signatures);
        if inner.problem.is_some() {
            inspection.problem = inner.problem;
        }
        if let Some(first) = split_multipart(inner_body, &inner_boundary).first() {
            inspection.shown = Some(first.to_vec());
            return inspection;
        }
    }
    inspection.shown = Some(entity);
    inspection
}

/// Inline PGP in the text body: the armored block verified or decrypted, the rest kept.
fn inline(backend: &dyn Backend, message: &[u8]) -> Option<Inspection> {
    const BLOCKS: [(&str, &str); 2] = [
        (
            "-----BEGIN PGP SIGNED MESSAGE-----",
            "-----END PGP SIGNATURE-----",
        ),
        ("-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----"),
    ];
    let text = crate::mail::ParsedMessage::parse(message).text;
    let (start, end) = BLOCKS.iter().find_map(|(begin, end)| {
        let start = text.find(begin)?;
        let stop = text[start..].find(end)? + start + end.len();
        Some((start, stop))
    })?;
    let mut inspection = Inspection::new(Kind::Inline);
    match backend.decrypt(&text.as_bytes()[start..end]) {
        Ok(Decrypted { plaintext, report }) => {
            let was_encrypted = !report.encrypted_to.is_empty() || report.decryption_okay;
            if was_encrypted {
                inspection.decryption = Some(match &plaintext {
                    Some(_) => Decryption::Decrypted {
                        key: report.decryption_key.clone(),
                    },
                    None => Decryption::Failed {
                        encrypted_to: report.encrypted_to.clone(),
                        no_secret_key: !report.no_secret_key.is_empty(),
                    },
                });
            }
            inspection.signatures = report.signatures;
            if let Some(plaintext) = plaintext {
                let mut shown = b"Content-Type: text/plain; charset=utf-8\r\n\r\n".to_vec();
                shown.extend_from_slice(&text.as_bytes()[..start]);
                shown.extend_from_slice(&plaintext);
                shown.extend_from_slice(&text.as_bytes()[end..]);
                inspection.shown = Some(shown);
            }
        }
        Err(e) => inspection.problem = Some(crate::error::chain_line(&e)),
    }
    Some(inspection)
}

#[cfg(test)]
mod tests;
