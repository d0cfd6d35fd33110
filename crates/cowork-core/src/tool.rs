//! The tool trait and the registry the runner dispatches through.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use futures::future::BoxFuture;

use cowork_protocol::{Effect, ToolSpec};

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

    /// What this call does, for a tool whose calls differ (`Memory`
    /// recalls, remembers or forgets): the permission engine judges the
    /// call by it. It must never be weaker than what the call does; the
    /// default is [`ToolSpec::effect`], the strongest the tool declares.
    fn effect(&self, _input: &serde_json::Value) -> Effect {
        self.spec().effect
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

/// The tools a task may use, by name: the built-in ones in registration
/// order, then the connectors' tools, sorted by name and replaced as a
/// group when the servers' lists change. Built-ins come first and keep
/// their order, so the model's tool list (and the prompt cache prefix)
/// stays stable from call to call.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: Vec<Arc<dyn Tool>>,
    by_name: HashMap<String, usize>,
    connectors: Vec<Arc<dyn Tool>>,
    connector_by_name: HashMap<String, usize>,
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

    /// Replaces every connector tool with `tools`. A tool named like a
    /// built-in one, or like another connector tool, is left out (a server
    /// must not shadow `Read`); their names are returned. Whatever effect
    /// a connector tool declares, the permission engine judges it as
    /// [`Effect::External`]: what a server says of its tools is a claim
    /// (see [`Tool::read_only_hint`]), and only rules may trust it.
    pub fn replace_connector_tools(&mut self, mut tools: Vec<Arc<dyn Tool>>) -> Vec<String> {
        tools.sort_by(|a, b| a.spec().name.cmp(&b.spec().name));
        let mut left_out = Vec::new();
        self.connectors.clear();
        self.connector_by_name.clear();
        for tool in tools {
            let name = tool.spec().name.clone();
            if self.by_name.contains_key(&name) || self.connector_by_name.contains_key(&name) {
                left_out.push(name);
                continue;
            }
            self.connector_by_name.insert(name, self.connectors.len());
            self.connectors.push(External::wrap(tool));
        }
        left_out
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        match self.by_name.get(name) {
            Some(&i) => Some(&self.tools[i]),
            None => self
                .connector_by_name
                .get(name)
                .map(|&i| &self.connectors[i]),
        }
    }

    fn all(&self) -> impl Iterator<Item = &Arc<dyn Tool>> {
        self.tools.iter().chain(&self.connectors)
    }

    /// Specs in order: built-ins as registered, then connector tools by
    /// name.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.all().map(|t| t.spec().clone()).collect()
    }

    pub fn names(&self) -> Vec<&str> {
        self.all().map(|t| t.spec().name.as_str()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty() && self.connectors.is_empty()
    }
}

/// A connector's tool, its declared effect replaced by `External`.
struct External {
    spec: ToolSpec,
    inner: Arc<dyn Tool>,
}

impl External {
    fn wrap(tool: Arc<dyn Tool>) -> Arc<dyn Tool> {
        if tool.spec().effect == Effect::External {
            return tool;
        }
        let spec = ToolSpec {
            effect: Effect::External,
            ..tool.spec().clone()
        };
        Arc::new(Self { spec, inner: tool })
    }
}

impl Tool for External {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn preview(
        &self,
        input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Preview, ToolFailure>> {
        self.inner.preview(input)
    }

    fn targets(
        &self,
        input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Option<Vec<PathBuf>>, ToolFailure>> {
        self.inner.targets(input)
    }

    /// Whatever the server's tool says of a call, it is external.
    fn effect(&self, _input: &serde_json::Value) -> Effect {
        Effect::External
    }

    fn read_only_hint(&self) -> bool {
        self.inner.read_only_hint()
    }

    fn call(
        &self,
        input: serde_json::Value,
        ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        self.inner.call(input, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named(ToolSpec);

    impl Tool for Named {
        fn spec(&self) -> &ToolSpec {
            &self.0
        }

        fn call(
            &self,
            _input: serde_json::Value,
            _ctx: CallContext,
        ) -> BoxFuture<'static, Result<String, ToolFailure>> {
            let name = self.0.description.clone();
            Box::pin(async move { Ok(name) })
        }
    }

    fn tool(name: &str, from: &str) -> Arc<dyn Tool> {
        tool_with(name, from, Effect::External)
    }

    fn tool_with(name: &str, from: &str, effect: Effect) -> Arc<dyn Tool> {
        Arc::new(Named(ToolSpec {
            name: name.to_owned(),
            description: from.to_owned(),
            input_schema: serde_json::json!({"type": "object"}),
            effect,
        }))
    }

    /// A server cannot make its tool run unasked by declaring it a read:
    /// the effect it claims is not the one judged.
    #[test]
    fn a_connector_tool_is_judged_external_whatever_effect_it_declares() {
        let mut registry = ToolRegistry::default();
        registry.replace_connector_tools(vec![
            tool_with("mcp__s__list", "s", Effect::Read),
            tool_with("mcp__s__rm", "s", Effect::Delete),
        ]);
        for name in ["mcp__s__list", "mcp__s__rm"] {
            let tool = registry.get(name).unwrap();
            assert_eq!(tool.spec().effect, Effect::External);
            assert_eq!(tool.effect(&serde_json::json!({})), Effect::External);
        }
        assert!(
            registry
                .specs()
                .iter()
                .all(|s| s.effect == Effect::External)
        );
    }

    #[test]
    fn connector_tools_follow_the_built_ins_sorted_and_are_replaced_as_a_group() {
        let mut registry = ToolRegistry::default();
        registry.register(tool("Read", "core"));
        registry.register(tool("Glob", "core"));
        registry.replace_connector_tools(vec![tool("mcp__b__x", "b"), tool("mcp__a__y", "a")]);
        assert_eq!(registry.names(), ["Read", "Glob", "mcp__a__y", "mcp__b__x"]);
        registry.replace_connector_tools(vec![tool("mcp__c__z", "c")]);
        assert_eq!(registry.names(), ["Read", "Glob", "mcp__c__z"]);
        assert!(
            registry.get("mcp__a__y").is_none(),
            "a removed tool is gone"
        );
    }

    #[test]
    fn a_connector_tool_cannot_shadow_a_built_in_one() {
        let mut registry = ToolRegistry::default();
        registry.register(tool("Read", "core"));
        let left_out = registry.replace_connector_tools(vec![tool("Read", "server")]);
        assert_eq!(left_out, ["Read"]);
        assert_eq!(registry.get("Read").unwrap().spec().description, "core");
        assert_eq!(registry.names(), ["Read"]);
    }
}
