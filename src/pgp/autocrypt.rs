//! Autocrypt Level 1, outgoing: the `Autocrypt:` header that hands the sender's public key to
//! the receiver's mail client (`autocrypt = true` in the account), so it can encrypt the
//! answer without a key exchange.
//!
//! What must hold: the header names the From address and carries the key the message is
//! signed with (the identity's `pgp_key` or its address's key), minimal and base64 encoded
//! in folded lines (no line over 78 characters); it is put at the end of the outer header,
//! after the Bcc position, so the Sent copy keeps its Bcc line; it is never inside the
//! encrypted part.

use base64::Engine as _;

use super::{Backend, PgpError};
use crate::config::{Account, PgpEncrypt};

/// The `Autocrypt:` header field (with its CRLF) for `address` and the key `key`.
/// `prefer_encrypt`: `prefer-encrypt=mutual` (the account encrypts when it can).
pub fn header(
    backend: &dyn Backend,
    address: &str,
    key: &str,
    prefer_encrypt: bool,
) -> Result<String, PgpError> {
    let keydata = base64::engine::general_purpose::STANDARD.encode(backend.export_minimal(key)?);
    let mut out = format!("Autocrypt: addr={address};");
    if prefer_encrypt {
        out.push_str(" prefer-encrypt=mutual;");
    }
    out.push_str(" keydata=\r\n");
    for chunk in keydata.as_bytes().chunks(76) {
        out.push(' ');
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// `message` with `account`'s Autocrypt header (when `autocrypt = true`) for `from` and the
/// key it is signed with (`signer`, as [`super::Protection`] names it); else as it is.
pub fn add_for(
    backend: &dyn Backend,
    account: &Account,
    from: &str,
    signer: &str,
    message: &[u8],
) -> Result<Vec<u8>, PgpError> {
    if !account.pgp.autocrypt {
        return Ok(message.to_vec());
    }
    let prefer = account.pgp.encrypt != PgpEncrypt::Never;
    let field = header(backend, from, signer, prefer)?;
    Ok(add_header(&crate::mail::compose::crlf(message), &field))
}

/// `message` (CRLF) with `field` added as the last field of its header.
pub fn add_header(message: &[u8], field: &str) -> Vec<u8> {
    let at = super::mime::find(message, b"\r\n\r\n").map_or(message.len(), |i| i + 2);
    let mut out = Vec::with_capacity(message.len() + field.len());
    out.extend_from_slice(&message[..at]);
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(&message[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_goes_last_in_the_header_in_folded_lines() {
        let field = "Autocrypt: addr=a@x.test; keydata=\r\n QUJD\r\n";
        let out = add_header(b"From: a@x.test\r\nSubject: s\r\n\r\nbody\r\n", field);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "From: a@x.test\r\nSubject: s\r\nAutocrypt: addr=a@x.test; keydata=\r\n QUJD\r\n\
             \r\nbody\r\n"
        );
    }
}
