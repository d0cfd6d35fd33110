//! `agents/*.md`: sub-agent definitions.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_yaml_ng::{Mapping, Value};

use super::frontmatter::{self, Fields};
use super::read::PluginDir;
use crate::Diagnostic;

/// A sub-agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentDef {
    pub name: String,
    /// When to use it; often with `<example>` blocks.
    pub description: String,
    /// The tools it may use; `None` means every tool of the task.
    pub tools: Option<Vec<String>>,
    /// `inherit`, `sonnet`, `opus`, `haiku`, or any model name.
    pub model: Option<String>,
    pub color: Option<String>,
    /// The agent's file (absolute, real path).
    pub file: PathBuf,
    /// The agent's system prompt: the text after the frontmatter.
    pub body: String,
}

/// Anthropic's schema notes and Claude Code's sub-agent keys.
const KNOWN: &[&str] = &[
    "name",
    "description",
    "tools",
    "disallowedTools",
    "model",
    "color",
    "maxTurns",
    "permissionMode",
    "skills",
    "mcpServers",
    "hooks",
    "memory",
    "background",
    "isolation",
    "effort",
    "initialPrompt",
    "capabilities",
];

/// Reads the agent in `rel`. `None` when skipped.
pub(crate) fn load(
    dir: &PluginDir,
    rel: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<AgentDef> {
    let file = dir.shown(rel);
    let stem = rel
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let text = match dir.read(rel) {
        Ok(text) => text,
        Err(problem) => {
            diagnostics.push(dir.problem(rel, &problem));
            return None;
        }
    };
    let split = match frontmatter::split(&text, &file) {
        Ok(split) => split,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let Some(yaml) = split.yaml else {
        diagnostics.push(Diagnostic::error(
            &file,
            Some(1),
            "the agent has no frontmatter; start it with `---`, `name:`, `description:` lines and \
             a closing `---`",
        ));
        return None;
    };
    let map = match frontmatter::parse(yaml, split.yaml_line, &file) {
        Ok(map) => map,
        // Claude Code's own example agents write `description:` followed
        // by unindented `<example>` blocks, which is not YAML; such files
        // are read as `key: value` lines instead of being refused.
        Err(error) => match lenient(yaml) {
            Some(map) => {
                diagnostics.push(Diagnostic::warning(
                    &file,
                    error.line,
                    format!(
                        "{}; it was read as plain `key: value` lines (indent the description, \
                         or write `description: >`, to make it YAML)",
                        error.message
                    ),
                ));
                map
            }
            None => {
                diagnostics.push(error);
                return None;
            }
        },
    };
    let mut fields = Fields {
        map,
        yaml,
        yaml_line: split.yaml_line,
        file: file.clone(),
        diagnostics: Vec::new(),
    };
    let name = fields.string("name");
    let description = fields.string("description");
    let agent = AgentDef {
        name: name.clone().unwrap_or_else(|| stem.clone()),
        description: description.clone().unwrap_or_default(),
        tools: fields.list("tools"),
        model: fields.string("model"),
        color: fields.string("color"),
        file: dir.real_root().join(rel),
        body: split.body.trim_start_matches(['\r', '\n']).to_owned(),
    };
    fields.unknown_keys(KNOWN, "agent");
    diagnostics.append(&mut fields.diagnostics);
    if name.is_none() {
        diagnostics.push(Diagnostic::warning(
            &file,
            Some(split.yaml_line),
            format!("the agent has no `name`; it is called `{stem}` after its file"),
        ));
    }
    if description.is_none() {
        diagnostics.push(Diagnostic::error(
            &file,
            Some(split.yaml_line),
            "the agent has no `description`, which says when to use it; add `description: …`",
        ));
        return None;
    }
    Some(agent)
}

/// Frontmatter as `key: value` lines: a line starting with a known key
/// starts a field, and every other line continues the one before.
fn lenient(yaml: &str) -> Option<Mapping> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in yaml.lines() {
        let key = line
            .split_once(':')
            .map(|(k, _)| k)
            .filter(|k| KNOWN.contains(k));
        match (key, fields.last_mut()) {
            (Some(key), _) => {
                let value = line[key.len() + 1..].trim().to_owned();
                fields.push((key.to_owned(), value));
            }
            (None, Some((_, value))) => {
                value.push('\n');
                value.push_str(line);
            }
            // Text before any key: not something to guess at.
            (None, None) if line.trim().is_empty() || line.trim_start().starts_with('#') => {}
            (None, None) => return None,
        }
    }
    let mut map = Mapping::new();
    for (key, value) in fields {
        let value = value.trim().to_owned();
        // A one-line value keeps its YAML meaning (`[Read, Grep]`,
        // `"quoted"`); anything else is text.
        let parsed = if value.contains('\n') {
            Value::String(value)
        } else {
            serde_yaml_ng::from_str::<Value>(&value).unwrap_or(Value::String(value))
        };
        map.insert(Value::String(key), parsed);
    }
    Some(map)
}
