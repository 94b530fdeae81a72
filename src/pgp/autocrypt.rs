//! Autocrypt Level 1: the `Autocrypt:` header that hands the sender's public key to the
//! receiver's mail client (`autocrypt = true` in the account), so it can encrypt the answer
//! without a key exchange; and, incoming, the peers' keys from their headers, remembered in
//! postie's own keyring (`DATA_DIR/autocrypt/`, never the user's), newest by Date, which gpg
//! searches after the user's keyring (`if-all-keys` then finds them).
//!
//! What must hold: the header names the From address and carries the key the message is
//! signed with (the identity's `pgp_key` or its address's key), minimal and base64 encoded
//! in folded lines (no line over 78 characters); it is put at the end of the outer header,
//! after the Bcc position, so the Sent copy keeps its Bcc line; it is never inside the
//! encrypted part; a peer's header is taken only when its `addr` is the From address, and
//! replaces the one remembered only when its Date is newer; the peers file is replaced
//! tmp-then-rename.

use base64::Engine as _;

use std::io::Write as _;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use super::gpg::Gpg;
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

/// One peer's Autocrypt header, as a message carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub addr: String,
    /// The message's Date (Unix seconds).
    pub date: i64,
    pub prefer_encrypt: bool,
    pub keydata: Vec<u8>,
}

/// The Autocrypt header of `raw` when it is valid: one header whose `addr` is the From
/// address, with `keydata`, on a message with a Date.
pub fn peer_of(raw: &[u8]) -> Option<Peer> {
    let msg = mail_parser::MessageParser::default().parse_headers(raw)?;
    let from = msg.from()?.first()?.address()?.to_ascii_lowercase();
    let date = msg.date()?.to_timestamp();
    let value = msg.header_raw("Autocrypt")?;
    let mut addr = None;
    let mut prefer_encrypt = false;
    let mut keydata = None;
    for attribute in value.split(';') {
        let (name, value) = attribute.split_once('=')?;
        match name.trim() {
            "addr" => addr = Some(value.trim().to_ascii_lowercase()),
            "prefer-encrypt" => prefer_encrypt = value.trim() == "mutual",
            "keydata" => {
                let clean: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                keydata = base64::engine::general_purpose::STANDARD.decode(clean).ok();
            }
            // Unknown critical attributes make the header invalid (Autocrypt 2.1).
            other if !other.starts_with('_') => return None,
            _ => {}
        }
    }
    (addr.as_deref() == Some(from.as_str())).then_some(())?;
    Some(Peer {
        addr: from,
        date,
        prefer_encrypt,
        keydata: keydata.filter(|k| !k.is_empty())?,
    })
}

/// postie's keyring of peers' keys, in the data dir.
pub fn keyring(data_dir: &Path) -> PathBuf {
    data_dir.join("autocrypt").join("keyring.kbx")
}

/// The peers file with `peer` in it (a line `addr TAB date TAB mutual|nopreference`), or None
/// when the one remembered for its address is as new or newer.
pub fn updated_peers(peers: &str, peer: &Peer) -> Option<String> {
    let mut out = String::new();
    for line in peers.lines() {
        let mut fields = line.split('\t');
        let (Some(addr), Some(date)) = (fields.next(), fields.next()) else {
            continue;
        };
        if addr == peer.addr {
            if date.parse::<i64>().is_ok_and(|d| d >= peer.date) {
                return None;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    let prefer = if peer.prefer_encrypt {
        "mutual"
    } else {
        "nopreference"
    };
    out.push_str(&format!("{}\t{}\t{prefer}\n", peer.addr, peer.date));
    Some(out)
}

/// Remembers `peer` in `data_dir` (its key into postie's keyring) unless a newer header of the
/// same address is remembered already. Returns whether it was taken.
pub fn remember(gpg: &Gpg, data_dir: &Path, peer: &Peer) -> Result<bool, PgpError> {
    let io = |e: std::io::Error| PgpError::Failed {
        action: "remember an Autocrypt key",
        detail: e.to_string(),
    };
    let dir = data_dir.join("autocrypt");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(io)?;
    let path = dir.join("peers");
    let peers = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    let Some(updated) = updated_peers(&peers, peer) else {
        return Ok(false);
    };
    gpg.import_to(&keyring(data_dir), &peer.keydata)?;
    let tmp = dir.join("peers.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    file.write_all(updated.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(true)
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
    fn a_peer_header_counts_only_for_its_from_address_and_only_when_newer() {
        let message = |from: &str, addr: &str| {
            format!(
                "From: {from}\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n\
                 Autocrypt: addr={addr}; prefer-encrypt=mutual; keydata=\r\n S0VZ\r\n REFUQQ==\r\n\
                 Subject: s\r\n\r\nbody\r\n"
            )
        };
        let peer = peer_of(message("Bob <Bob@x.test>", "bob@x.test").as_bytes()).expect("valid");
        assert_eq!(
            peer,
            Peer {
                addr: "bob@x.test".into(),
                date: 1_796_637_600,
                prefer_encrypt: true,
                keydata: b"KEYDATA".to_vec(),
            }
        );
        assert_eq!(
            peer_of(message("Eve <eve@x.test>", "bob@x.test").as_bytes()),
            None
        );

        let peers = updated_peers("carol@y.test\t5\tnopreference\n", &peer).unwrap();
        assert_eq!(
            peers,
            "carol@y.test\t5\tnopreference\nbob@x.test\t1796637600\tmutual\n"
        );
        assert_eq!(updated_peers(&peers, &peer), None, "not newer");
        let newer = Peer {
            date: peer.date + 1,
            prefer_encrypt: false,
            ..peer
        };
        assert_eq!(
            updated_peers(&peers, &newer).as_deref(),
            Some("carol@y.test\t5\tnopreference\nbob@x.test\t1796637601\tnopreference\n")
        );
    }

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
