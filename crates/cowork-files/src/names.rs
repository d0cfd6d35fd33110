//! File names as text. Linux names are bytes; the model speaks UTF-8. Tool
//! output shows each byte that is not part of valid UTF-8 as `\xNN`
//! (`caf\xE9.txt`), and tool input turns those escapes back into bytes, so
//! the model can name every file it was shown.
//!
//! Only `\x80`–`\xFF` (never valid UTF-8 on their own) and `\x5C` (a
//! backslash) are decoded; a literal backslash is escaped on output only
//! when it would otherwise read as an escape.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// Shows `bytes` as text, escaping what is not UTF-8 as `\xNN`.
pub(crate) fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        let mut rest = valid;
        while let Some(at) = rest.find('\\') {
            out.push_str(&rest[..at]);
            if looks_like_escape(&rest.as_bytes()[at..]) {
                out.push_str("\\x5C");
            } else {
                out.push('\\');
            }
            rest = &rest[at + 1..];
        }
        out.push_str(rest);
        for byte in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{byte:02X}");
        }
    }
    out
}

/// Shows a path as text, escaping what is not UTF-8.
pub fn show(path: &Path) -> String {
    escape_bytes(path.as_os_str().as_bytes())
}

/// Shows a name (one component) as text.
pub(crate) fn show_name(name: &OsStr) -> String {
    escape_bytes(name.as_bytes())
}

/// Turns a path argument into the bytes it names, decoding `\xNN`.
pub(crate) fn decode(input: &str) -> PathBuf {
    let bytes = input.as_bytes();
    if !bytes.contains(&b'\\') {
        return PathBuf::from(input);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let Some(byte) = escape_at(&bytes[i..]) {
            out.push(byte);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    PathBuf::from(OsString::from_vec(out))
}

/// The byte a decodable escape at the start of `bytes` stands for.
fn escape_at(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [b'\\', b'x' | b'X', hi, lo, ..] => {
            let value = hex(*hi)? << 4 | hex(*lo)?;
            (value >= 0x80 || value == b'\\').then_some(value)
        }
        _ => None,
    }
}

fn looks_like_escape(bytes: &[u8]) -> bool {
    escape_at(bytes).is_some()
}

fn hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_are_escaped_and_decoded_back() {
        let raw = b"caf\xe9 \xff.txt";
        let shown = escape_bytes(raw);
        assert_eq!(shown, "caf\\xE9 \\xFF.txt");
        assert_eq!(decode(&shown).as_os_str().as_bytes(), raw);
    }

    #[test]
    fn utf8_names_are_shown_unchanged() {
        assert_eq!(escape_bytes("café ✓.md".as_bytes()), "café ✓.md");
        assert_eq!(decode("café ✓.md"), PathBuf::from("café ✓.md"));
    }

    #[test]
    fn a_literal_backslash_that_looks_like_an_escape_round_trips() {
        let raw = b"a\\xE9b\\n";
        let shown = escape_bytes(raw);
        assert_eq!(shown, "a\\x5CxE9b\\n");
        assert_eq!(decode(&shown).as_os_str().as_bytes(), raw);
    }

    #[test]
    fn ascii_escapes_are_left_alone() {
        assert_eq!(decode("a\\x41").as_os_str().as_bytes(), b"a\\x41");
    }
}
