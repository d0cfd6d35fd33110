use std::fmt;

use serde::{Deserialize, Serialize};

/// A task's id: a random UUID in simple (32 hex digit) form. Random, not
/// time-based, so that the first 8 digits — what the CLI shows — tell
/// tasks apart even when they start in the same minute. The store orders
/// tasks by their creation time, not by id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(String);

impl TaskId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Wraps an id read back from storage or typed by a user. No validation:
    /// lookups of an unknown id fail where they happen, with the id named.
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 8 digits, which is how the CLI shows ids.
    pub fn short(&self) -> &str {
        self.0.get(..8).unwrap_or(&self.0)
    }
}

impl Default for TaskId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_their_short_forms_differ() {
        let a = TaskId::new();
        let b = TaskId::new();
        assert_ne!(a, b);
        assert_ne!(a.short(), b.short());
        assert_eq!(a.as_str().len(), 32);
        assert_eq!(a.short().len(), 8);
    }
}
