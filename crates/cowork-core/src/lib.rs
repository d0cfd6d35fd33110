//! The cowork task runner: agent loop, tool registry, permissions, compaction.
