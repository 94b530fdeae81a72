//! PKCE (RFC 7636, method S256) and the `state` of an authorization request: random values
//! from the kernel's CSPRNG, base64url without padding.
//!
//! What must hold: a verifier is 43 characters of the unreserved set (32 random bytes), the
//! challenge is `BASE64URL(SHA256(verifier))`, and a `state` is compared in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A PKCE code verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: SecretString,
    pub challenge: String,
}

impl Pkce {
    /// A fresh verifier (32 random bytes) and its challenge.
    pub fn generate() -> std::io::Result<Pkce> {
        let verifier = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
        Ok(Pkce::from_verifier(SecretString::from(verifier)))
    }

    /// The challenge for a given verifier.
    pub fn from_verifier(verifier: SecretString) -> Pkce {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose_secret().as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }
}

/// A fresh `state` value (16 random bytes, base64url).
pub fn new_state() -> std::io::Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<16>()?))
}

/// Whether `got` is `expected`, in time that does not depend on where they differ.
pub fn state_matches(expected: &str, got: &str) -> bool {
    expected.len() == got.len()
        && expected
            .bytes()
            .zip(got.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// `N` bytes from getrandom(2).
fn random_bytes<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut buf = [0u8; N];
    let mut filled = 0;
    while filled < N {
        // SAFETY: the pointer and length describe the unfilled tail of `buf`, which outlives
        // the call; getrandom writes at most that many bytes.
        let n = unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), N - filled, 0) };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        filled += n as usize;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let pkce = Pkce::from_verifier(SecretString::from(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ));
        assert_eq!(
            pkce.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_43_unreserved_characters_and_differ() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        let v = a.verifier.expose_secret();
        assert_eq!(v.len(), 43);
        assert!(
            v.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(v, b.verifier.expose_secret());
        assert_ne!(new_state().unwrap(), new_state().unwrap());
    }

    #[test]
    fn state_comparison() {
        assert!(state_matches("abc", "abc"));
        assert!(!state_matches("abc", "abd"));
        assert!(!state_matches("abc", "ab"));
    }
}
