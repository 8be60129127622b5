//! PKCE (RFC 7636, method `S256`) and the OAuth `state`.
//!
//! The verifier is 64 random bytes in base64url (86 characters, inside RFC 7636's 43..=128);
//! the challenge is base64url(SHA-256(verifier)) without padding. The `state` is 32 random
//! bytes in base64url: 43 characters, like upstream's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::Digest;

/// A PKCE verifier and its S256 challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceCodes {
    /// Sent with the token request; never leaves this process before that.
    pub code_verifier: String,
    /// Sent in the authorize URL.
    pub code_challenge: String,
}

impl PkceCodes {
    /// A fresh random verifier and its challenge.
    pub fn generate() -> Self {
        let code_verifier = random_base64url(64);
        let code_challenge = s256_challenge(&code_verifier);
        PkceCodes {
            code_verifier,
            code_challenge,
        }
    }
}

/// `BASE64URL(SHA256(ASCII(verifier)))`, RFC 7636 §4.2.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// A fresh random OAuth `state` (43 characters).
pub fn generate_state() -> String {
    random_base64url(32)
}

fn random_base64url(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn generated_codes_are_consistent_and_fresh() {
        let a = PkceCodes::generate();
        let b = PkceCodes::generate();
        assert_eq!(a.code_verifier.len(), 86);
        assert!(
            a.code_verifier
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(a.code_challenge, s256_challenge(&a.code_verifier));
        assert_ne!(a.code_verifier, b.code_verifier);
        assert_eq!(generate_state().len(), 43);
        assert_ne!(generate_state(), generate_state());
    }
}
