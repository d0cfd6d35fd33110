//! Timestamps in stored JSON as RFC 3339 text (`2026-12-24T07:00:00Z`),
//! written by hand because the workspace builds jiff without its serde
//! feature, and changing a shared dependency's features would rebuild it
//! for every crate.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serializer};

use crate::Error;

pub(crate) fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(at)
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Timestamp, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse()
        .map_err(|_| serde::de::Error::custom(Error::StoredTime { text }))
}
