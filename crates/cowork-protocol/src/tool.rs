use serde::{Deserialize, Serialize};

/// What running a tool can do to the world. The permission engine decides
/// from this declaration; a tool never decides its own permission. When a
/// tool could do several things, it declares the strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Reads inside connected folders; never changes anything.
    Read,
    /// Creates or changes files inside connected folders.
    Write,
    /// Removes files (to cowork's trash).
    Delete,
    /// Runs code or commands.
    Execute,
    /// Reaches the network.
    Network,
    /// Acts on a system outside cowork (mail, calendars, MCP servers).
    External,
}

impl Effect {
    /// Read-only calls may run concurrently with each other.
    pub fn is_read_only(self) -> bool {
        match self {
            Effect::Read => true,
            Effect::Write
            | Effect::Delete
            | Effect::Execute
            | Effect::Network
            | Effect::External => false,
        }
    }
}

/// A tool as the model sees it, plus the effect the runner needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the input object.
    pub input_schema: serde_json::Value,
    pub effect: Effect,
}
