//! Memory: notes that outlive a task, kept by cowork (not in the person's
//! folders) and recalled into later tasks as data.

use serde::{Deserialize, Serialize};

/// Where a memory entry applies: every task, or the tasks of one project.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryScope {
    /// Every task sees it.
    Global,
    /// Only the tasks of this project (by its name) see it.
    Project(String),
}

impl MemoryScope {
    /// The project, for a project's entry.
    pub fn project(&self) -> Option<&str> {
        match self {
            MemoryScope::Global => None,
            MemoryScope::Project(name) => Some(name),
        }
    }
}

impl std::fmt::Display for MemoryScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MemoryScope::Global => f.write_str("global"),
            MemoryScope::Project(name) => write!(f, "project {name}"),
        }
    }
}

/// One entry recalled at a task's start, as the model was sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecalledMemory {
    /// The entry's id (`cowork memory show ID`).
    pub id: String,
    pub scope: MemoryScope,
    /// The text the model was sent: the whole entry.
    pub excerpt: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_reads_as_global_or_its_project() {
        assert_eq!(
            serde_json::to_string(&MemoryScope::Global).unwrap(),
            r#""global""#
        );
        let project = MemoryScope::Project("acme".into());
        let json = serde_json::to_string(&project).unwrap();
        assert_eq!(json, r#"{"project":"acme"}"#);
        assert_eq!(serde_json::from_str::<MemoryScope>(&json).unwrap(), project);
        assert_eq!(project.to_string(), "project acme");
    }
}
