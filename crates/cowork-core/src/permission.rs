//! The permission engine: decides, from a tool call's declared effect and
//! the paths it touches, whether it runs, asks first, or is refused. Tools
//! never decide their own permission.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobMatcher};

use cowork_files::deepest_grant;
use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{Effect, FolderGrant, PermissionMode};

/// The verdict on one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Ask,
    /// Refused; `by` names the mode or rule, for the audit trail and the
    /// model's message.
    Deny {
        by: String,
        reason: String,
    },
}

/// A compiled rule.
#[derive(Debug, Clone)]
struct CompiledRule {
    origin: RuleOrigin,
    number: usize,
    rule: Rule,
    glob: Option<GlobMatcher>,
    /// `tool` as a case-insensitive glob over tool names.
    tool: Option<GlobMatcher>,
    /// `server` as the prefix of its tools' names, lowercased.
    server: Option<String>,
}

/// A bad rule in the configuration.
#[derive(Debug, thiserror::Error)]
#[error("rule {number} {origin} has an invalid {field} {value:?}: {message}")]
pub struct RuleError {
    pub origin: RuleOrigin,
    pub number: usize,
    /// The rule's key at fault (`path`, `folder`, `tool`, `server`,
    /// `trust_read_only_hint`).
    pub field: &'static str,
    pub value: String,
    pub message: String,
}

/// Where a rule comes from: the configuration, or the task itself (a
/// schedule's scope, recorded in the task's spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleOrigin {
    Config,
    Task,
}

impl std::fmt::Display for RuleOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RuleOrigin::Config => "in the configuration",
            RuleOrigin::Task => "of the task's schedule",
        })
    }
}

/// The mode and rules a task runs under. Who answers its questions is
/// not part of it ([`Approver`](crate::Approver) in the task's deps): any
/// front may answer while the task runs.
#[derive(Debug, Clone)]
pub struct Policy {
    pub mode: PermissionMode,
    rules: Vec<CompiledRule>,
}

/// What the policy judges about one call.
#[derive(Debug, Clone, Copy)]
pub struct CallFacts<'a> {
    pub tool: &'a str,
    pub effect: Effect,
    /// The tool's own claim that it only reads ([`Tool::read_only_hint`](crate::Tool::read_only_hint)),
    /// trusted only by allow rules that say `trust_read_only_hint`.
    pub read_only_hint: bool,
    /// The absolute paths the call touches.
    pub paths: &'a [PathBuf],
}

impl Policy {
    pub fn new(mode: PermissionMode, rules: &[Rule]) -> Result<Self, RuleError> {
        Self::with_task_rules(mode, rules, &[])
    }

    /// The configuration's rules, then the task's own (a schedule's
    /// scope). A deny rule of either wins over any allow rule.
    pub fn with_task_rules(
        mode: PermissionMode,
        config: &[Rule],
        task: &[Rule],
    ) -> Result<Self, RuleError> {
        let numbered = |origin, rules: &[Rule]| {
            rules
                .iter()
                .enumerate()
                .map(|(i, rule)| compile(origin, i + 1, rule))
                .collect::<Result<Vec<_>, RuleError>>()
        };
        let mut rules = numbered(RuleOrigin::Config, config)?;
        rules.extend(numbered(RuleOrigin::Task, task)?);
        Ok(Self { mode, rules })
    }

    /// Decides a call to `tool` with `effect` touching `paths` (absolute),
    /// in a task over `folders`, trusting no read-only claim.
    pub fn decide(
        &self,
        tool: &str,
        effect: Effect,
        paths: &[PathBuf],
        folders: &[FolderGrant],
    ) -> Verdict {
        self.decide_call(
            &CallFacts {
                tool,
                effect,
                read_only_hint: false,
                paths,
            },
            folders,
        )
    }

    /// Decides `call` in a task over `folders`.
    pub fn decide_call(&self, call: &CallFacts<'_>, folders: &[FolderGrant]) -> Verdict {
        let CallFacts {
            tool,
            effect,
            paths,
            ..
        } = *call;
        // Deny rules win over the mode, allow rules and --yes.
        if let Some(rule) = self.matching(RuleAction::Deny, call) {
            return Verdict::Deny {
                by: match rule.origin {
                    RuleOrigin::Config => format!("rule {} in config.toml", rule.number),
                    RuleOrigin::Task => format!("rule {} of the schedule", rule.number),
                },
                reason: format!("{tool} is denied by rule {} {}", rule.number, rule.origin),
            };
        }
        if effect.is_read_only() {
            return Verdict::Allow;
        }
        match self.mode {
            PermissionMode::Plan => {
                return Verdict::Deny {
                    by: "plan mode".to_owned(),
                    reason: format!(
                        "{tool} changes things, and this task runs in plan mode (read-only): propose the change instead"
                    ),
                };
            }
            PermissionMode::Ask | PermissionMode::Auto => {}
        }
        // A folder's standing instructions and skills steer every later
        // task in it: a change to them is the person's to approve, even in
        // auto mode and over allow rules, so one task's injected text
        // cannot make itself every later task's orders.
        if paths.iter().any(|p| steers_later_tasks(p, folders)) {
            return Verdict::Ask;
        }
        if self.matching(RuleAction::Allow, call).is_some() {
            return Verdict::Allow;
        }
        if self.matching(RuleAction::Ask, call).is_some() {
            return Verdict::Ask;
        }
        match self.mode {
            PermissionMode::Auto if in_scope(effect, paths, folders) => Verdict::Allow,
            PermissionMode::Auto | PermissionMode::Ask | PermissionMode::Plan => Verdict::Ask,
        }
    }

    /// The first rule with `action` that matches the call. A deny rule
    /// matches when any path matches (one forbidden path is enough); other
    /// rules only when every path does.
    fn matching(&self, action: RuleAction, call: &CallFacts<'_>) -> Option<&CompiledRule> {
        let tool = call.tool.to_lowercase();
        self.rules.iter().find(|c| {
            let rule = &c.rule;
            if rule.action != action {
                return false;
            }
            if c.tool.as_ref().is_some_and(|g| !g.is_match(&tool)) {
                return false;
            }
            if c.server.as_ref().is_some_and(|s| !tool.starts_with(s)) {
                return false;
            }
            if rule.trust_read_only_hint && !call.read_only_hint {
                return false;
            }
            if rule.effect.is_some_and(|e| e != call.effect) {
                return false;
            }
            let path_rule = rule.folder.is_some() || c.glob.is_some();
            if !path_rule {
                return true;
            }
            let hit = |p: &PathBuf| {
                rule.folder.as_deref().is_none_or(|f| p.starts_with(f))
                    && c.glob.as_ref().is_none_or(|g| g.is_match(p))
            };
            match action {
                RuleAction::Deny => call.paths.iter().any(hit),
                RuleAction::Allow | RuleAction::Ask => {
                    !call.paths.is_empty() && call.paths.iter().all(hit)
                }
            }
        })
    }
}

/// Checks and compiles rule `number` (counted from 1).
fn compile(origin: RuleOrigin, number: usize, rule: &Rule) -> Result<CompiledRule, RuleError> {
    let error = |field: &'static str, value: &str, message: &str| RuleError {
        origin,
        number,
        field,
        value: value.to_owned(),
        message: message.to_owned(),
    };
    // A relative path never matches the absolute paths calls touch: the
    // rule would silently protect nothing.
    if let Some(folder) = rule.folder.as_ref().filter(|f| !f.is_absolute()) {
        return Err(error(
            "folder",
            &folder.display().to_string(),
            "a rule's folder must be an absolute path (or start with ~/)",
        ));
    }
    if let Some(pattern) = rule
        .path
        .as_ref()
        .filter(|p| !p.starts_with('/') && !p.starts_with("**"))
    {
        return Err(error(
            "path",
            pattern,
            "a rule's path glob must be absolute (`/home/me/tax/**`), start with `~/` or with \
             `**` (`**/*.key`)",
        ));
    }
    let glob = match &rule.path {
        Some(pattern) => Some(
            Glob::new(pattern)
                .map_err(|e| error("path", pattern, &e.kind().to_string()))?
                .compile_matcher(),
        ),
        None => None,
    };
    let tool = match &rule.tool {
        // Matched against the lowercased name: tool names were always
        // matched without regard to case.
        Some(pattern) => Some(
            GlobBuilder::new(&pattern.to_lowercase())
                .literal_separator(false)
                .build()
                .map_err(|e| error("tool", pattern, &e.kind().to_string()))?
                .compile_matcher(),
        ),
        None => None,
    };
    let server = match &rule.server {
        Some(name) if name.is_empty() || name.contains("__") => {
            return Err(error(
                "server",
                name,
                "name a connector as `cowork mcp list` shows it, e.g. `server = \"slack\"`",
            ));
        }
        Some(name) => Some(format!("mcp__{}__", name.to_lowercase())),
        None => None,
    };
    if rule.trust_read_only_hint && rule.action != RuleAction::Allow {
        return Err(error(
            "trust_read_only_hint",
            "true",
            "only an allow rule can trust a tool's read-only claim; remove the key or make the \
             rule `action = \"allow\"`",
        ));
    }
    Ok(CompiledRule {
        origin,
        number,
        rule: rule.clone(),
        glob,
        tool,
        server,
    })
}

/// The path globs that deny rules hide from a task entirely: deny rules
/// that apply to reading (no tool named, no effect other than `read`) and
/// name a path or a folder. The folders hide these from every walk, so a
/// search over a whole folder cannot read what a deny rule forbids.
pub fn hidden_paths(rules: &[Rule]) -> Vec<String> {
    rules
        .iter()
        .filter(|r| r.action == RuleAction::Deny && r.tool.is_none() && r.server.is_none())
        .filter(|r| r.effect.is_none_or(|e| e == Effect::Read))
        .flat_map(rule_globs)
        .collect()
}

/// The path globs of every deny rule, whatever tool or effect it names:
/// a Move must not carry a path they match to a name they do not match,
/// or renaming would get around the rule.
pub fn denied_paths(rules: &[Rule]) -> Vec<String> {
    rules
        .iter()
        .filter(|r| r.action == RuleAction::Deny)
        .flat_map(rule_globs)
        .collect()
}

fn rule_globs(rule: &Rule) -> Vec<String> {
    match (&rule.path, &rule.folder) {
        (Some(glob), _) => vec![glob.clone()],
        (None, Some(folder)) => {
            let literal = escape_glob(&folder.display().to_string());
            vec![literal.clone(), format!("{literal}/**")]
        }
        (None, None) => Vec::new(),
    }
}

/// An allow rule for exactly `tool`, as "allow for every run of this
/// schedule" keeps it: rules match tools by glob, so the glob's own
/// characters in a tool's name are escaped rather than widening it.
pub fn exact_tool_rule(tool: &str) -> Rule {
    Rule {
        action: RuleAction::Allow,
        tool: Some(escape_glob(tool)),
        server: None,
        trust_read_only_hint: false,
        effect: None,
        folder: None,
        path: None,
    }
}

/// `text` as a glob matching exactly itself: a folder named `a[1]` must
/// not become a character class.
pub fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' | '\\' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether auto mode may act without asking: changes confined to the
/// task's read-write folders (and execution, which the sandbox confines).
/// The deepest grant containing a path decides, so a read-only folder
/// nested in a read-write one is out of scope.
/// Whether `path` is one of a connected folder's own instruction files
/// (`COWORK.md`, `CLAUDE.md`, `AGENTS.md` at its root) or lies in its
/// skills (`.claude/skills`).
fn steers_later_tasks(path: &Path, folders: &[FolderGrant]) -> bool {
    folders.iter().any(|grant| {
        steering_paths(&grant.path)
            .iter()
            .any(|steering| path.starts_with(steering))
    })
}

/// What in `folder` steers every later task in it: its instruction files
/// and its skills folder. Tools ask before changing them; commands see
/// them read-only (the sandbox's protected paths).
pub(crate) fn steering_paths(folder: &Path) -> Vec<PathBuf> {
    crate::instructions::FOLDER_INSTRUCTION_FILES
        .iter()
        .map(|name| folder.join(name))
        .chain([folder.join(".claude").join("skills")])
        .collect()
}

fn in_scope(effect: Effect, paths: &[PathBuf], folders: &[FolderGrant]) -> bool {
    let inside = |p: &Path| deepest_grant(folders, p).is_some_and(|g| !g.read_only);
    match effect {
        Effect::Read | Effect::Execute => true,
        Effect::Write | Effect::Delete => paths.iter().all(|p| inside(p)),
        Effect::Network | Effect::External => false,
    }
}

#[cfg(test)]
#[path = "permission_tests.rs"]
mod tests;
