//! Paths in the event log. File names on Linux are bytes, not text, and a
//! journal that cannot record a name cannot undo a change to it.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A path that serializes as a JSON string when it is valid UTF-8 and as
/// `{"bytes": [..]}` otherwise, so every name round-trips exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RawPath(pub PathBuf);

impl RawPath {
    pub fn as_path(&self) -> &Path {
        &self.0
    }
}

impl From<PathBuf> for RawPath {
    fn from(path: PathBuf) -> Self {
        Self(path)
    }
}

impl From<&Path> for RawPath {
    fn from(path: &Path) -> Self {
        Self(path.to_path_buf())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Wire {
    Text(String),
    Bytes { bytes: Vec<u8> },
}

impl Serialize for RawPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.to_str() {
            Some(text) => Wire::Text(text.to_owned()),
            None => Wire::Bytes {
                bytes: self.0.as_os_str().as_bytes().to_vec(),
            },
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self(match Wire::deserialize(deserializer)? {
            Wire::Text(text) => PathBuf::from(text),
            Wire::Bytes { bytes } => PathBuf::from(OsString::from_vec(bytes)),
        }))
    }
}

/// `#[serde(with = "cowork_protocol::serde_path")]` for `PathBuf` fields
/// that must keep non-UTF-8 names.
pub mod serde_path {
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::RawPath;

    pub fn serialize<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
        RawPath(path.to_path_buf()).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
        RawPath::deserialize(deserializer).map(|p| p.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_paths_are_plain_strings() {
        let path = RawPath(PathBuf::from("/home/me/notes.md"));
        assert_eq!(
            serde_json::to_string(&path).unwrap(),
            "\"/home/me/notes.md\""
        );
    }

    #[test]
    fn non_utf8_names_round_trip_byte_exact() {
        let bytes = b"/tmp/caf\xe9.txt".to_vec();
        let path = RawPath(PathBuf::from(OsString::from_vec(bytes.clone())));
        let json = serde_json::to_string(&path).unwrap();
        assert!(json.contains("bytes"), "{json}");
        let back: RawPath = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0.as_os_str().as_bytes(), bytes.as_slice());
    }
}
