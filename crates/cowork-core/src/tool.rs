//! The tool trait and the registry the runner dispatches through.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;

use cowork_protocol::ToolSpec;

/// A tool the model can call. Its [`ToolSpec::effect`] is a declaration the
/// permission layer reads; the tool itself never decides whether it may run.
pub trait Tool: Send + Sync {
    fn spec(&self) -> &ToolSpec;

    /// Runs the tool. `Err` carries a message for the model, which then
    /// sees the call as failed (`is_error`) and can correct itself.
    fn call(&self, input: serde_json::Value) -> BoxFuture<'static, Result<String, ToolFailure>>;
}

/// A failed tool call, described for the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolFailure {
    pub message: String,
}

impl ToolFailure {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// The tools a task may use, by name.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: Vec<Arc<dyn Tool>>,
    by_name: HashMap<String, usize>,
}

impl ToolRegistry {
    /// Adds a tool. A later tool with the same name replaces the earlier
    /// one, so a more specific source can override a built-in.
    pub fn register(&mut self, tool: Arc<dyn Tool>) {
        let name = tool.spec().name.clone();
        match self.by_name.get(&name) {
            Some(&i) => self.tools[i] = tool,
            None => {
                self.by_name.insert(name, self.tools.len());
                self.tools.push(tool);
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.by_name.get(name).map(|&i| &self.tools[i])
    }

    /// Specs in registration order, which keeps the model's tool list (and
    /// so the prompt cache prefix) stable from call to call.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|t| t.spec().clone()).collect()
    }

    pub fn names(&self) -> Vec<&str> {
        self.tools.iter().map(|t| t.spec().name.as_str()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}
