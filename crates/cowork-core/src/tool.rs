//! The tool trait and the registry the runner dispatches through.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use futures::future::BoxFuture;

use cowork_protocol::ToolSpec;

/// A tool the model can call. Its [`ToolSpec::effect`] is a declaration the
/// permission layer reads; the tool itself never decides whether it may run.
pub trait Tool: Send + Sync {
    fn spec(&self) -> &ToolSpec;

    /// What the call would do, without doing it: the paths it touches, for
    /// the permission engine, and a summary (a diff, a list of moves) for a
    /// person to approve. `Err` means the call cannot work as given; the
    /// model hears why without anyone being asked.
    fn preview(
        &self,
        input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Preview, ToolFailure>> {
        let summary = format!(
            "{} {}",
            self.spec().name,
            serde_json::to_string_pretty(input).unwrap_or_default()
        );
        Box::pin(async move {
            Ok(Preview {
                paths: Vec::new(),
                summary,
            })
        })
    }

    /// The absolute paths the call touches, found WITHOUT reading any
    /// content, so the permission engine's deny rules are applied before
    /// [`Tool::preview`] reads anything (a diff, an Edit's match count).
    /// `Err` must not depend on content either. `None` (the default): the
    /// tool names no paths before its preview, whose paths are judged.
    fn targets(
        &self,
        _input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Option<Vec<PathBuf>>, ToolFailure>> {
        Box::pin(async { Ok(None) })
    }

    /// Whether the tool's author says it only reads (an MCP tool's
    /// `readOnlyHint`). A claim, not a fact: the permission engine trusts
    /// it only where a rule says so.
    fn read_only_hint(&self) -> bool {
        false
    }

    /// Runs the tool. `Err` carries a message for the model, which then
    /// sees the call as failed (`is_error`) and can correct itself.
    fn call(
        &self,
        input: serde_json::Value,
        ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>>;
}

/// What a tool learns about the call it serves.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The model's id for this call, which journal entries refer to.
    pub call_id: String,
    /// Becomes true when the task is cancelled; long-running tools stop
    /// early (a command's process tree is killed) and return what they have.
    pub cancel: Arc<AtomicBool>,
}

/// What a call would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Absolute paths the call reads or changes.
    pub paths: Vec<PathBuf>,
    /// For a person deciding whether to allow it.
    pub summary: String,
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
