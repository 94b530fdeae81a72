//! Writing PGP/MIME (RFC 3156): a finished message in, the signed and/or encrypted message out.
//!
//! The message's `Content-*` header fields and its body are the MIME entity that gets
//! protected; every other header field stays outside in its original order. Date, From, To,
//! Cc, Reply-To, Subject and Message-ID are also copied into the entity, which is marked
//! `protected-headers="v1"` (draft-autocrypt-lamps-protected-headers); an encrypted message's
//! outer Subject is `...` (drafts excepted). What must hold:
//! - signed: the entity is canonical CRLF and 7bit (the composer writes quoted-printable or
//!   base64 for anything else, see `Draft::sign_safe`), and exactly its bytes lie between the
//!   first boundary line and the CRLF before the second, so `gpg --verify` on the delivered
//!   part succeeds; `micalg` is the hash gpg reports having used;
//! - encrypted: to every recipient (To, Cc and Bcc) and to the sender, so the Sent copy stays
//!   readable; a recipient without a usable key stops everything ([`PgpError::MissingKeys`]);
//! - signed and encrypted: one OpenPGP message that is both (RFC 3156 6.2, `gpg --sign
//!   --encrypt`): one passphrase prompt, and plain `gpg --decrypt` shows the signature.
//! - header fields outside are unchanged bytes, in order, up to the Subject (which comes after
//!   the Bcc position, see `Composed::with_bytes`), so a Bcc offset into them stays valid.

use super::{Backend, PgpError};

/// What to do to a message, and with which keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protection {
    pub sign: bool,
    pub encrypt: bool,
    /// Who signs, as gpg's `--local-user` takes it: the account's `pgp_key`, else
    /// `<sender address>`.
    pub signer: String,
    /// The sender's own key to encrypt to as well (same form as `signer`).
    pub own_key: String,
    /// Encrypted: the outer Subject becomes `...` (the real one is inside, in the protected
    /// headers). Off for drafts, whose list should stay readable to their owner.
    pub hide_subject: bool,
}

impl Protection {
    /// Signing and the sender's own copy use `pgp_key` when set, else the sender's address.
    pub fn for_sender(sign: bool, encrypt: bool, address: &str, pgp_key: Option<&str>) -> Self {
        let key = pgp_key.map_or_else(|| format!("<{address}>"), str::to_owned);
        Protection {
            sign,
            encrypt,
            signer: key.clone(),
            own_key: key,
            hide_subject: true,
        }
    }
}

/// The recipients (bare addresses) with no usable encryption key, in the order given.
pub fn missing_keys(backend: &dyn Backend, recipients: &[String]) -> Result<Vec<String>, PgpError> {
    let mut missing = Vec::new();
    for r in recipients {
        if !backend.can_encrypt_to(r)? {
            missing.push(r.clone());
        }
    }
    Ok(missing)
}

/// Signs and/or encrypts `message` (a whole message, any line ends) for `recipients` (bare
/// addresses). Unchanged when neither is asked for.
pub fn protect(
    backend: &dyn Backend,
    message: &[u8],
    recipients: &[String],
    how: &Protection,
) -> Result<Vec<u8>, PgpError> {
    if !how.sign && !how.encrypt {
        return Ok(message.to_vec());
    }
    let message = crate::mail::compose::crlf(message);
    let (outer, entity) = split_entity(&message);
    let entity = with_protected_headers(&outer, &entity);
    if how.encrypt {
        let missing = missing_keys(backend, recipients)?;
        if !missing.is_empty() {
            return Err(PgpError::MissingKeys(missing));
        }
        let mut to: Vec<String> = recipients.iter().map(|r| format!("<{r}>")).collect();
        if !to.contains(&how.own_key) {
            to.push(how.own_key.clone());
        }
        let signer = how.sign.then_some(how.signer.as_str());
        let armored = crate::mail::compose::crlf(&backend.encrypt(&entity, &to, signer)?);
        let armored = armored.strip_suffix(b"\r\n").unwrap_or(&armored);
        let boundary = boundary_for(&[armored]);
        let mut out = if how.hide_subject {
            hidden_subject(&outer)
        } else {
            outer
        };
        out.extend_from_slice(
            format!(
                "Content-Type: multipart/encrypted;\r\n protocol=\"application/pgp-encrypted\";\r\n \
                 boundary=\"{boundary}\"\r\n\r\n\
                 This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n\
                 --{boundary}\r\n\
                 Content-Type: application/pgp-encrypted\r\n\
                 Content-Description: PGP/MIME version identification\r\n\r\n\
                 Version: 1\r\n\r\n\
                 --{boundary}\r\n\
                 Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\
                 Content-Description: OpenPGP encrypted message\r\n\
                 Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(armored);
        out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        return Ok(out);
    }
    if !entity.is_ascii() || entity.contains(&0) {
        return Err(PgpError::NotSevenBit);
    }
    let signature = backend.sign_detached(&entity, &how.signer)?;
    let armored = crate::mail::compose::crlf(&signature.armored);
    let armored = armored.strip_suffix(b"\r\n").unwrap_or(&armored);
    let boundary = boundary_for(&[&entity, armored]);
    let mut out = outer;
    out.extend_from_slice(
        format!(
            "Content-Type: multipart/signed; micalg={};\r\n protocol=\"application/pgp-signature\";\r\n \
             boundary=\"{boundary}\"\r\n\r\n\
             This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n\
             --{boundary}\r\n",
            signature.micalg
        )
        .as_bytes(),
    );
    // The signed bytes are exactly `entity`: the CRLF before the next boundary belongs to it.
    out.extend_from_slice(&entity);
    out.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\n\
             Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n\
             Content-Description: OpenPGP digital signature\r\n\
             Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(armored);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok(out)
}

/// `message` with its entity (`Content-*` fields and body) replaced by `entity`: the decrypted
/// form of an encrypted message, so a reply can quote (and a forward carry) its text. Header
/// fields the entity carries (protected headers: the real Subject) replace the outer ones.
/// Lives only in memory, like every decrypted text.
pub fn with_entity(message: &[u8], entity: &[u8]) -> Vec<u8> {
    let (outer, _) = split_entity(&crate::mail::compose::crlf(message));
    let entity = crate::mail::compose::crlf(entity);
    let inner_end = find(&entity, b"\r\n\r\n").map_or(0, |i| i + 2);
    let inner: Vec<Vec<u8>> = header_fields(&entity[..inner_end])
        .into_iter()
        .map(field_name)
        .collect();
    let mut out = Vec::with_capacity(outer.len() + entity.len());
    for field in header_fields(&outer) {
        if !inner.contains(&field_name(field)) {
            out.extend_from_slice(field);
        }
    }
    out.extend_from_slice(&entity);
    out
}

/// The header fields copied into the signed or encrypted entity (protected headers,
/// draft-autocrypt-lamps-protected-headers), so the receiver sees the ones the sender wrote.
const PROTECTED: [&[u8]; 7] = [
    b"date",
    b"from",
    b"to",
    b"cc",
    b"reply-to",
    b"subject",
    b"message-id",
];

/// A header field's name, lowercased.
fn field_name(field: &[u8]) -> Vec<u8> {
    field
        .split(|&b| b == b':')
        .next()
        .unwrap_or_default()
        .trim_ascii()
        .to_ascii_lowercase()
}

/// `entity` with copies of the outer [`PROTECTED`] fields in its header and
/// `protected-headers="v1"` on its Content-Type.
fn with_protected_headers(outer: &[u8], entity: &[u8]) -> Vec<u8> {
    let head_end = find(entity, b"\r\n\r\n").map_or(0, |i| i + 2);
    let (head, body) = (&entity[..head_end], &entity[head_end..]);
    let mut out = Vec::with_capacity(outer.len() + entity.len() + 32);
    for field in header_fields(outer) {
        if PROTECTED.contains(&field_name(field).as_slice()) {
            out.extend_from_slice(field);
        }
    }
    for field in header_fields(head) {
        if field_name(field) == b"content-type" {
            out.extend_from_slice(field.strip_suffix(b"\r\n").unwrap_or(field));
            out.extend_from_slice(b";\r\n protected-headers=\"v1\"\r\n");
        } else {
            out.extend_from_slice(field);
        }
    }
    out.extend_from_slice(body);
    out
}

/// The outer header fields with the Subject as `...` (the real one is inside).
fn hidden_subject(outer: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(outer.len());
    for field in header_fields(outer) {
        if field_name(field) == b"subject" {
            out.extend_from_slice(b"Subject: ...\r\n");
        } else {
            out.extend_from_slice(field);
        }
    }
    out
}

/// Splits a CRLF message into the outer header fields (everything but `Content-*`, with a
/// `MIME-Version` added if missing) and the entity (`Content-*` fields, blank line, body).
fn split_entity(message: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (head, body) = match find(message, b"\r\n\r\n") {
        Some(i) => (&message[..i + 2], &message[i + 4..]),
        None if message.starts_with(b"\r\n") => (&message[..0], &message[2..]),
        None => (message, &message[message.len()..]),
    };
    let mut outer = Vec::with_capacity(head.len());
    let mut content = Vec::new();
    let mut has_mime_version = false;
    for field in header_fields(head) {
        let name = field
            .split(|&b| b == b':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name.starts_with(b"content-") {
            content.extend_from_slice(field);
        } else {
            has_mime_version |= name.trim_ascii() == b"mime-version";
            outer.extend_from_slice(field);
        }
    }
    if !has_mime_version {
        outer.extend_from_slice(b"MIME-Version: 1.0\r\n");
    }
    if !content
        .to_ascii_lowercase()
        .windows(13)
        .any(|w| w == b"content-type:")
    {
        let mut with_type = b"Content-Type: text/plain; charset=us-ascii\r\n".to_vec();
        with_type.extend_from_slice(&content);
        content = with_type;
    }
    let mut entity = content;
    entity.extend_from_slice(b"\r\n");
    entity.extend_from_slice(body);
    (outer, entity)
}

/// The header fields of a CRLF header section, each with its continuation lines and CRLF.
fn header_fields(head: &[u8]) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < head.len() {
        let line_end = find(&head[i..], b"\r\n").map_or(head.len(), |p| i + p + 2);
        let continues = matches!(head.get(line_end), Some(b' ' | b'\t'));
        if !continues {
            fields.push(&head[start..line_end]);
            start = line_end;
        }
        i = line_end;
    }
    fields
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A boundary found in none of `parts`.
fn boundary_for(parts: &[&[u8]]) -> String {
    let seed = parts.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, part| {
        part.iter()
            .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    });
    first_free(seed, parts)
}

/// The first `=_postie_pgp_SEED_N` (N = 0, 1, ...) found in none of `parts`.
fn first_free(seed: u64, parts: &[&[u8]]) -> String {
    let mut n = 0u32;
    loop {
        let candidate = format!("=_postie_pgp_{seed:016x}_{n}");
        if !parts
            .iter()
            .any(|p| find(p, candidate.as_bytes()).is_some())
        {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what it was given to sign or encrypt.
    #[derive(Default)]
    struct Recorder(std::cell::RefCell<Vec<Vec<u8>>>);

    impl Backend for Recorder {
        fn sign_detached(
            &self,
            data: &[u8],
            _: &str,
        ) -> Result<super::super::DetachedSignature, PgpError> {
            self.0.borrow_mut().push(data.to_vec());
            Ok(super::super::DetachedSignature {
                armored: b"-----BEGIN PGP SIGNATURE-----\nS\n-----END PGP SIGNATURE-----\n"
                    .to_vec(),
                micalg: "pgp-sha256",
            })
        }
        fn encrypt(&self, data: &[u8], _: &[String], _: Option<&str>) -> Result<Vec<u8>, PgpError> {
            self.0.borrow_mut().push(data.to_vec());
            Ok(b"-----BEGIN PGP MESSAGE-----\nX\n-----END PGP MESSAGE-----\n".to_vec())
        }
        fn verify_detached(
            &self,
            _: &[u8],
            _: &[u8],
        ) -> Result<super::super::StatusReport, PgpError> {
            unreachable!("writing never verifies")
        }
        fn decrypt(&self, _: &[u8]) -> Result<super::super::Decrypted, PgpError> {
            unreachable!("writing never decrypts")
        }
        fn can_encrypt_to(&self, _: &str) -> Result<bool, PgpError> {
            Ok(true)
        }
    }

    const PLAIN: &[u8] = b"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nFrom: a@x.test\r\n\
To: b@x.test\r\nSubject: the real subject\r\nMessage-ID: <m@x.test>\r\n\
X-Mailer: postie\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\
\r\nhello\r\n";

    const PROTECTED_ENTITY: &str = "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nFrom: a@x.test\r\n\
To: b@x.test\r\nSubject: the real subject\r\nMessage-ID: <m@x.test>\r\n\
Content-Type: text/plain; charset=us-ascii;\r\n protected-headers=\"v1\"\r\n\r\nhello\r\n";

    /// Encrypted: the real headers are inside (protected headers v1), the outer Subject is
    /// `...`, every other outer field is as it was; decrypted, the real Subject is back.
    #[test]
    fn encrypted_mail_carries_its_headers_inside_and_hides_the_subject() {
        let backend = Recorder::default();
        let how = Protection::for_sender(false, true, "a@x.test", None);
        let out = protect(&backend, PLAIN, &["b@x.test".into()], &how).unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.starts_with(
                "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nFrom: a@x.test\r\nTo: b@x.test\r\n\
                 Subject: ...\r\nMessage-ID: <m@x.test>\r\nX-Mailer: postie\r\n\
                 MIME-Version: 1.0\r\nContent-Type: multipart/encrypted;"
            ),
            "{text}"
        );
        let encrypted = backend.0.borrow()[0].clone();
        assert_eq!(String::from_utf8_lossy(&encrypted), PROTECTED_ENTITY);

        let decrypted = with_entity(&out, &encrypted);
        let parsed = mail_parser::MessageParser::default()
            .parse(&decrypted)
            .unwrap();
        assert_eq!(parsed.subject(), Some("the real subject"));
        assert_eq!(
            crate::pgp::read::protected_subject(&encrypted).as_deref(),
            Some("the real subject")
        );

        // A draft keeps its Subject outside.
        let draft = Protection {
            hide_subject: false,
            ..how
        };
        let out = protect(&Recorder::default(), PLAIN, &[], &draft).unwrap();
        assert!(String::from_utf8_lossy(&out).contains("Subject: the real subject\r\n"));
    }

    /// Signed only: the signed entity carries the headers too; outside nothing changes.
    #[test]
    fn signed_mail_carries_its_headers_inside_the_signed_part() {
        let backend = Recorder::default();
        let how = Protection::for_sender(true, false, "a@x.test", None);
        let out = protect(&backend, PLAIN, &[], &how).unwrap();
        assert!(String::from_utf8_lossy(&out).contains("\r\nSubject: the real subject\r\n"));
        let signed = backend.0.borrow()[0].clone();
        assert_eq!(String::from_utf8_lossy(&signed), PROTECTED_ENTITY);
        assert!(
            find(&out, &signed).is_some(),
            "the signed bytes are in the message"
        );
    }

    #[test]
    fn with_entity_keeps_the_outer_fields_and_puts_the_decrypted_entity_inside() {
        let encrypted = b"From: a@x.test\nSubject: s\nMIME-Version: 1.0\n\
Content-Type: multipart/encrypted; boundary=b\n\n--b\n...\n--b--\n";
        let entity = b"Content-Type: text/plain\n\nthe secret\n";
        assert_eq!(
            String::from_utf8_lossy(&with_entity(encrypted, entity)),
            "From: a@x.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain\r\n\r\nthe secret\r\n"
        );
    }

    #[test]
    fn content_fields_go_inside_the_rest_stays_outside_in_order() {
        let msg = b"From: a@x.test\nTo: b@x.test\nSubject: folded\n  subject\nMIME-Version: 1.0\n\
Content-Type: text/plain;\n charset=utf-8\nContent-Transfer-Encoding: 7bit\n\nbody\n";
        let msg = crate::mail::compose::crlf(msg);
        let (outer, entity) = split_entity(&msg);
        assert_eq!(
            String::from_utf8_lossy(&outer),
            "From: a@x.test\r\nTo: b@x.test\r\nSubject: folded\r\n  subject\r\nMIME-Version: 1.0\r\n"
        );
        assert_eq!(
            String::from_utf8_lossy(&entity),
            "Content-Type: text/plain;\r\n charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nbody\r\n"
        );
    }

    #[test]
    fn a_message_without_mime_fields_gets_them() {
        let (outer, entity) = split_entity(b"Subject: x\r\n\r\nhi\r\n");
        assert_eq!(outer, b"Subject: x\r\nMIME-Version: 1.0\r\n");
        assert_eq!(
            entity,
            b"Content-Type: text/plain; charset=us-ascii\r\n\r\nhi\r\n"
        );
    }

    #[test]
    fn boundaries_avoid_the_content() {
        // A part holding the candidates _0 to _3 gets _4.
        let part = "=_postie_pgp_0000000000000007_0 _1 =_postie_pgp_0000000000000007_1\n\
=_postie_pgp_0000000000000007_2 =_postie_pgp_0000000000000007_3";
        assert_eq!(
            first_free(7, &[b"x", part.as_bytes()]),
            "=_postie_pgp_0000000000000007_4"
        );
        assert!(find(b"abc", boundary_for(&[b"abc"]).as_bytes()).is_none());
    }
}
