//! OpenPGP: signing, encrypting, verifying and decrypting mail (PGP/MIME, RFC 3156), through
//! the user's own GnuPG keyring.
//!
//! Why it exists: people who live in a terminal sign and encrypt their mail; every client postie
//! is measured against does PGP/MIME. The crypto is not ours: a [`Backend`] does it (today
//! [`gpg::Gpg`], the `gpg` program, as neomutt and aerc use by default; a pure-Rust backend can
//! implement the same small trait later). This module builds and takes apart the MIME around it.
//!
//! What must hold:
//! - a message is never sent in plaintext when encryption was asked for: [`protect`] fails
//!   ([`PgpError::MissingKeys`]) before anything is submitted;
//! - the signed entity is exactly what is signed: canonical CRLF, 7bit (anything else is
//!   refused, see [`PgpError::NotSevenBit`]), and the bytes written between the boundaries;
//! - decrypted text lives only in memory: this module never writes it anywhere;
//! - anything gpg prints or a message contains gives a result, never a panic
//!   ([`status::StatusReport::parse`] and [`read::inspect`] are total);
//! - no secret ever goes into gpg's argv (passphrases are gpg-agent's business, via pinentry).
//!
//! Layering: this module may use [`crate::mail`] (pure message logic) and [`crate::config`]'s
//! plain types, and nothing above them; the CLI and the app call into it.

pub mod autocrypt;
pub mod gpg;
pub mod mime;
pub mod read;
pub mod status;

use crate::error::ErrorKind;

pub use mime::{Protection, protect};
pub use read::{Inspection, inspect};
pub use status::{Signature, SignatureState, StatusReport, Trust};

/// A detached, ASCII-armored signature and the `micalg` it was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachedSignature {
    pub armored: Vec<u8>,
    /// `pgp-sha256` and friends, from gpg's SIG_CREATED line.
    pub micalg: &'static str,
}

/// What a decryption (or inline verification) gave: the plaintext when it worked, and what gpg
/// reported either way (signatures inside, the keys the message was encrypted to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// None when gpg could not decrypt (no secret key, damaged data).
    pub plaintext: Option<Vec<u8>>,
    pub report: StatusReport,
}

/// The operations postie needs from an OpenPGP implementation. Every call is bounded in time;
/// a failure to run at all is an error, while a bad signature or a message we cannot decrypt is
/// a normal result (reported through [`StatusReport`]).
pub trait Backend {
    /// Signs `data` as `signer` (a key id, fingerprint or `<address>`), detached and armored.
    fn sign_detached(&self, data: &[u8], signer: &str) -> Result<DetachedSignature, PgpError>;
    /// Encrypts `data` to every recipient (`<address>`es or key ids), armored; signed by
    /// `signer` in the same OpenPGP message when given (RFC 3156 6.2).
    fn encrypt(
        &self,
        data: &[u8],
        recipients: &[String],
        signer: Option<&str>,
    ) -> Result<Vec<u8>, PgpError>;
    /// Checks a detached signature over `data`.
    fn verify_detached(&self, data: &[u8], signature: &[u8]) -> Result<StatusReport, PgpError>;
    /// Decrypts an OpenPGP message, or checks a clear-signed one (giving its text).
    fn decrypt(&self, data: &[u8]) -> Result<Decrypted, PgpError>;
    /// Whether the keyring holds a valid key that can encrypt to `address`.
    fn can_encrypt_to(&self, address: &str) -> Result<bool, PgpError>;
    /// The public key `key` (as `signer` names one), binary and minimal (no third-party
    /// signatures), for the Autocrypt header. Backends that cannot say so.
    fn export_minimal(&self, key: &str) -> Result<Vec<u8>, PgpError> {
        Err(PgpError::Failed {
            action: "export the key for the Autocrypt header",
            detail: format!("this OpenPGP backend cannot export {key}"),
        })
    }
}

/// Why signing or encrypting failed (reading reports its problems in the [`Inspection`]).
#[derive(Debug, thiserror::Error)]
pub enum PgpError {
    #[error("cannot run {program} (install GnuPG: apt install gnupg)")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "gpg did not finish within {0} s (waiting for a passphrase? unlock the key with gpg-agent first)"
    )]
    Timeout(u64),
    #[error(
        "cannot encrypt: no usable OpenPGP key for {}: import the key (gpg --import) or send without encryption",
        .0.join(", ")
    )]
    MissingKeys(Vec<String>),
    #[error(
        "cannot sign as {0}: no usable secret key in the GnuPG keyring (set pgp_key in the account, or create a key)"
    )]
    NoSigningKey(String),
    #[error(
        "cannot sign or encrypt this message: it has 8-bit content that a signature would not survive (forward it as an attachment after encoding, or send unsigned)"
    )]
    NotSevenBit,
    #[error("cannot {action}: gpg said: {detail}")]
    Failed {
        action: &'static str,
        detail: String,
    },
}

impl PgpError {
    /// A missing recipient key is a problem with the message (exit 65); a missing signing key
    /// or gpg itself, with the setup (exit 78).
    pub fn kind(&self) -> ErrorKind {
        match self {
            PgpError::MissingKeys(_) | PgpError::NotSevenBit => ErrorKind::Data,
            PgpError::Spawn { .. } | PgpError::NoSigningKey(_) => ErrorKind::Config,
            PgpError::Timeout(_) | PgpError::Failed { .. } => ErrorKind::Io,
        }
    }
}
