//! PKCE with S256 (RFC 7636) and the unguessable `state`, both from the
//! operating system's random source.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use super::error::OAuthError;

/// A code verifier and its S256 challenge.
pub(crate) struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// 48 random bytes: a 64-character verifier, inside RFC 7636's 43–128.
    pub fn new() -> Result<Self, OAuthError> {
        let verifier = random_text::<48>()?;
        let challenge = challenge(&verifier);
        Ok(Self {
            verifier,
            challenge,
        })
    }
}

/// `BASE64URL(SHA256(verifier))`, RFC 7636 §4.2.
pub(crate) fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `N` bytes from the OS, base64url-encoded (unreserved characters only).
pub(crate) fn random_text<const N: usize>() -> Result<String, OAuthError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| OAuthError::Store {
        action: "could not get random bytes from the operating system for",
        path: "PKCE".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_base64url_of_sha256_without_padding() {
        // Computed independently with Python's hashlib.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWT1lXXU"),
            "HwBW26UHGqmMAS374dqe0VUL5WMNbLXswO9r78rVVtc"
        );
    }

    #[test]
    fn verifiers_are_long_enough_unreserved_and_different_each_time() {
        let a = Pkce::new().unwrap();
        let b = Pkce::new().unwrap();
        assert!(
            (43..=128).contains(&a.verifier.len()),
            "{}",
            a.verifier.len()
        );
        assert!(
            a.verifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        );
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, challenge(&a.verifier));
    }
}
