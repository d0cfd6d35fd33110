//! Unguessable tokens and comparing them without leaking where they differ.

use std::fmt;

/// A random 256-bit value in hex: the server's token, a session id, a CSRF
/// token. `Debug` does not show it, so a logged struct never leaks one.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 32 bytes from the operating system's generator. Fails only when the
    /// OS has none to give (no `getrandom`, no `/dev/urandom`).
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        let mut hex = String::with_capacity(64);
        for byte in bytes {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Ok(Self(hex))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this secret, in time that depends only on
    /// the lengths, so a client cannot learn the secret byte by byte.
    pub fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(&self.0, candidate)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Compares every byte whatever the first difference; a length mismatch
/// returns early, which reveals only the length (public: always 64).
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold back into an
    // early-exit comparison.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_64_hex_digits_and_differ() {
        let a = Secret::generate().unwrap();
        let b = Secret::generate().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_secret_matches_only_itself() {
        let a = Secret::generate().unwrap();
        assert!(a.matches(a.expose()));
        assert!(!a.matches(""));
        assert!(!a.matches(&a.expose()[..63]));
        let mut flipped = a.expose().to_owned();
        let last = if flipped.ends_with('0') { "1" } else { "0" };
        flipped.replace_range(63.., last);
        assert!(!a.matches(&flipped));
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let a = Secret::generate().unwrap();
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
