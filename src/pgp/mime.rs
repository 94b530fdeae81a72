//! Writing PGP/MIME (RFC 3156): a finished message in, the signed and/or encrypted message out.
//!
//! The message's `Content-*` header fields and its body are the MIME entity that gets
//! protected; every other header field (From, To, Subject, Date, Message-ID, ...) stays outside
//! in its original order, unprotected (postie does not write "protected headers": the Subject
//! travels in clear, as with neomutt's default). What must hold:
//! - signed: the entity is canonical CRLF and 7bit (the composer writes quoted-printable or
//!   base64 for anything else, see `Draft::sign_safe`), and exactly its bytes lie between the
//!   first boundary line and the CRLF before the second, so `gpg --verify` on the delivered
//!   part succeeds; `micalg` is the hash gpg reports having used;
//! - encrypted: to every recipient (To, Cc and Bcc) and to the sender, so the Sent copy stays
//!   readable; a recipient without a usable key stops everything ([`PgpError::MissingKeys`]);
//! - signed and encrypted: one OpenPGP message that is both (RFC 3156 6.2, `gpg --sign
//!   --encrypt`): one passphrase prompt, and plain `gpg --decrypt` shows the signature.
//! - header fields outside are unchanged bytes, in order, so a Bcc offset into them stays valid.

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
        let mut out = outer;
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
/// form of an encrypted message, so a reply can quote (and a forward carry) its text. Lives
/// only in memory, like every decrypted text.
pub fn with_entity(message: &[u8], entity: &[u8]) -> Vec<u8> {
    let (mut out, _) = split_entity(&crate::mail::compose::crlf(message));
    out.extend_from_slice(&crate::mail::compose::crlf(entity));
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
