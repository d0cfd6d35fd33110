//! `hooks/hooks.json`, in both of its forms: the bare events map
//! (`{"PreToolUse": [{"matcher": …, "hooks": […]}]}`) and the wrapper
//! (`{"description": …, "hooks": {…}}`).
//!
//! A bad entry is skipped with a [`Diagnostic`] naming its file and line;
//! the rest loads. Events Claude Code has but cowork does not fire yet are
//! kept (and reported once as a warning); unknown events and hook types
//! are warnings and skipped.

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use super::event::{EventName, MatcherSubject};
use super::json_lines::{Lines, Seg};
use super::matcher::Matcher;
use crate::Diagnostic;

/// Seconds a command hook may run when `timeout` is absent (Claude Code's).
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Seconds a prompt hook may take when `timeout` is absent.
pub const DEFAULT_PROMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest `timeout` honoured; longer ones are cut to it, with a warning.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);

/// Every hook of one `hooks.json`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HookSet {
    /// The wrapper form's `description`.
    pub description: Option<String>,
    /// Matcher groups, in file order within each event.
    pub groups: Vec<HookGroup>,
}

impl HookSet {
    /// The events with at least one hook.
    pub fn events(&self) -> Vec<EventName> {
        let mut events: Vec<EventName> = self.groups.iter().map(|g| g.event).collect();
        events.sort();
        events.dedup();
        events
    }
}

/// One `{"matcher": …, "hooks": […]}` entry of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct HookGroup {
    pub event: EventName,
    pub matcher: Matcher,
    pub hooks: Vec<HookSpec>,
}

/// One hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSpec {
    pub action: HookAction,
    pub timeout: Duration,
}

/// What a hook does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookAction {
    /// `"type": "command"`: a shell command (`sh -c`), run in the sandbox.
    Command(String),
    /// `"type": "prompt"`: a question for the model.
    Prompt(String),
}

/// Reads `path` (a plugin's `hooks/hooks.json`). `None` when the file
/// cannot be read or is not a JSON object; otherwise the hooks that are
/// valid, and a diagnostic for every problem.
pub fn parse_file(path: &Path) -> (Option<HookSet>, Vec<Diagnostic>) {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_str(&text, path),
        Err(e) => (
            None,
            vec![Diagnostic::error(
                path,
                None,
                format!("cannot read the hooks file: {e}"),
            )],
        ),
    }
}

/// Parses hooks from `text`; `file` names it in diagnostics (for hooks
/// declared inline, e.g. in `plugin.json`).
pub fn parse_str(text: &str, file: &Path) -> (Option<HookSet>, Vec<Diagnostic>) {
    let root: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => {
            let line = u32::try_from(e.line()).ok().filter(|l| *l > 0);
            return (
                None,
                vec![Diagnostic::error(
                    file,
                    line,
                    format!("the hooks file is not valid JSON: {e}"),
                )],
            );
        }
    };
    let mut parser = Parser {
        file,
        lines: Lines::scan(text),
        diagnostics: Vec::new(),
    };
    let set = parser.root(&root);
    (set, parser.diagnostics)
}

struct Parser<'a> {
    file: &'a Path,
    lines: Lines,
    diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, Copy)]
enum Kind {
    Command,
    Prompt,
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

fn with(path: &[Seg], seg: Seg) -> Vec<Seg> {
    let mut path = path.to_vec();
    path.push(seg);
    path
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Parser<'_> {
    fn error(&mut self, path: &[Seg], message: String) {
        let line = self.lines.line(path);
        self.diagnostics
            .push(Diagnostic::error(self.file, line, message));
    }

    fn warning(&mut self, path: &[Seg], message: String) {
        let line = self.lines.line(path);
        self.diagnostics
            .push(Diagnostic::warning(self.file, line, message));
    }

    fn root(&mut self, root: &Value) -> Option<HookSet> {
        let Value::Object(object) = root else {
            self.error(
                &[],
                format!(
                    "the hooks file must be a JSON object of events (or {{\"description\": …, \
                     \"hooks\": {{…}}}}), not {}",
                    type_name(root)
                ),
            );
            return None;
        };
        let mut set = HookSet::default();
        match object.get("hooks") {
            Some(Value::Object(events)) => {
                for (name, value) in object {
                    match (name.as_str(), value) {
                        ("hooks", _) => {}
                        ("description", Value::String(text)) => {
                            set.description = Some(text.clone());
                        }
                        ("description", other) => self.warning(
                            &[key("description")],
                            format!(
                                "`description` should be a string, not {}; ignored",
                                type_name(other)
                            ),
                        ),
                        (other, _) => self.warning(
                            &[key(other)],
                            format!(
                                "unknown key `{other}` beside `hooks` is ignored (events go \
                                 inside `hooks`)"
                            ),
                        ),
                    }
                }
                self.events(events, &[key("hooks")], &mut set);
            }
            Some(other) => {
                self.error(
                    &[key("hooks")],
                    format!(
                        "`hooks` must be an object of events (\"PreToolUse\": […]), not {}",
                        type_name(other)
                    ),
                );
                return None;
            }
            None => self.events(object, &[], &mut set),
        }
        Some(set)
    }

    fn events(&mut self, events: &Map<String, Value>, at: &[Seg], set: &mut HookSet) {
        for (name, groups) in events {
            let path = with(at, key(name));
            if name == "description" && at.is_empty() {
                // A bare map with a description: harmless, keep it.
                if let Value::String(text) = groups {
                    set.description = Some(text.clone());
                }
                continue;
            }
            let Some(event) = EventName::parse(name) else {
                let known = EventName::ALL.map(EventName::as_str).join(", ");
                self.warning(
                    &path,
                    format!("unknown hook event `{name}` is skipped (known events: {known})"),
                );
                continue;
            };
            if !event.fired() {
                self.warning(
                    &path,
                    format!(
                        "`{event}` hooks are kept but cowork does not fire {event} yet, so they \
                         will not run"
                    ),
                );
            }
            let Value::Array(groups) = groups else {
                self.error(
                    &path,
                    format!(
                        "`{event}` must be an array of {{\"matcher\": …, \"hooks\": […]}} \
                         entries, not {}; skipped",
                        type_name(groups)
                    ),
                );
                continue;
            };
            for (index, group) in groups.iter().enumerate() {
                let path = with(&path, Seg::Index(index));
                if let Some(group) = self.group(event, group, &path) {
                    set.groups.push(group);
                }
            }
        }
    }

    fn group(&mut self, event: EventName, group: &Value, path: &[Seg]) -> Option<HookGroup> {
        let Value::Object(group) = group else {
            self.error(
                path,
                format!(
                    "a `{event}` entry must be an object {{\"matcher\": …, \"hooks\": […]}}, not \
                     {}; skipped",
                    type_name(group)
                ),
            );
            return None;
        };
        for name in group.keys() {
            if name != "matcher" && name != "hooks" {
                self.warning(
                    &with(path, key(name)),
                    format!("unknown key `{name}` in a `{event}` entry is ignored"),
                );
            }
        }
        let matcher_path = with(path, key("matcher"));
        let source = match group.get("matcher") {
            None | Some(Value::Null) => None,
            Some(Value::String(source)) => Some(source.as_str()),
            Some(other) => {
                self.error(
                    &matcher_path,
                    format!(
                        "`matcher` must be a string (a tool name, `Write|Edit`, or a regular \
                         expression), not {}; this `{event}` entry is skipped",
                        type_name(other)
                    ),
                );
                return None;
            }
        };
        let matcher = match Matcher::parse(source) {
            Ok(matcher) => matcher,
            Err(e) => {
                self.error(
                    &matcher_path,
                    format!(
                        "the matcher {:?} is not a valid regular expression, so this `{event}` \
                         entry is skipped: {e}",
                        source.unwrap_or_default()
                    ),
                );
                return None;
            }
        };
        if !matcher.is_any() && event.matcher_subject() == MatcherSubject::Ignored {
            self.warning(
                &matcher_path,
                format!("`{event}` hooks have no matcher; this one is ignored and they always run"),
            );
        }
        let hooks_path = with(path, key("hooks"));
        let hooks = match group.get("hooks") {
            Some(Value::Array(hooks)) => hooks,
            Some(other) => {
                self.error(
                    &hooks_path,
                    format!(
                        "`hooks` must be an array of {{\"type\": \"command\", \"command\": …}} \
                         objects, not {}; this `{event}` entry is skipped",
                        type_name(other)
                    ),
                );
                return None;
            }
            None => {
                self.error(
                    path,
                    format!(
                        "this `{event}` entry has no `hooks` array; add \"hooks\": \
                         [{{\"type\": \"command\", \"command\": …}}]"
                    ),
                );
                return None;
            }
        };
        let hooks: Vec<HookSpec> = hooks
            .iter()
            .enumerate()
            .filter_map(|(index, hook)| {
                self.hook(event, hook, &with(&hooks_path, Seg::Index(index)))
            })
            .collect();
        Some(HookGroup {
            event,
            matcher,
            hooks,
        })
    }

    fn hook(&mut self, event: EventName, hook: &Value, path: &[Seg]) -> Option<HookSpec> {
        let Value::Object(hook) = hook else {
            self.error(
                path,
                format!(
                    "a `{event}` hook must be an object {{\"type\": \"command\", \"command\": …}}, \
                     not {}; skipped",
                    type_name(hook)
                ),
            );
            return None;
        };
        let (kind, default_timeout) = match hook.get("type") {
            Some(Value::String(kind)) if kind == "command" => {
                (Kind::Command, DEFAULT_COMMAND_TIMEOUT)
            }
            Some(Value::String(kind)) if kind == "prompt" => (Kind::Prompt, DEFAULT_PROMPT_TIMEOUT),
            Some(Value::String(kind)) => {
                self.warning(
                    &with(path, key("type")),
                    format!(
                        "hook type `{kind}` is not supported (cowork runs `command` and `prompt` \
                         hooks); this `{event}` hook is skipped"
                    ),
                );
                return None;
            }
            Some(other) => {
                self.error(
                    &with(path, key("type")),
                    format!(
                        "`type` must be \"command\" or \"prompt\", not {}; this `{event}` hook is \
                         skipped",
                        type_name(other)
                    ),
                );
                return None;
            }
            None => {
                self.error(
                    path,
                    format!(
                        "this `{event}` hook has no `type`; add \"type\": \"command\" (or \
                         \"prompt\"); skipped"
                    ),
                );
                return None;
            }
        };
        // The field holding the hook's text is named like its type.
        let (kind, field) = match kind {
            Kind::Command => (kind, "command"),
            Kind::Prompt => (kind, "prompt"),
        };
        for name in hook.keys() {
            if !matches!(name.as_str(), "type" | "timeout") && name != field {
                self.warning(
                    &with(path, key(name)),
                    format!("unknown key `{name}` in a `{field}` hook is ignored"),
                );
            }
        }
        let text = match hook.get(field) {
            Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
            Some(Value::String(_)) => {
                self.error(
                    &with(path, key(field)),
                    format!("this `{event}` hook's `{field}` is empty; skipped"),
                );
                return None;
            }
            Some(other) => {
                self.error(
                    &with(path, key(field)),
                    format!(
                        "`{field}` must be a string, not {}; this `{event}` hook is skipped",
                        type_name(other)
                    ),
                );
                return None;
            }
            None => {
                self.error(
                    path,
                    format!("this `{field}` hook of `{event}` has no `{field}`; skipped"),
                );
                return None;
            }
        };
        let timeout = self.timeout(
            hook.get("timeout"),
            default_timeout,
            &with(path, key("timeout")),
        )?;
        let action = match kind {
            Kind::Command => HookAction::Command(text),
            Kind::Prompt => HookAction::Prompt(text),
        };
        Some(HookSpec { action, timeout })
    }

    fn timeout(
        &mut self,
        value: Option<&Value>,
        default: Duration,
        path: &[Seg],
    ) -> Option<Duration> {
        let value = match value {
            None | Some(Value::Null) => return Some(default),
            Some(value) => value,
        };
        let seconds = value.as_f64().filter(|s| s.is_finite() && *s > 0.0);
        let Some(seconds) = seconds else {
            self.error(
                path,
                format!(
                    "`timeout` must be a positive number of seconds, not {value}; this hook is \
                     skipped"
                ),
            );
            return None;
        };
        let timeout = Duration::from_secs_f64(seconds.min(MAX_TIMEOUT.as_secs_f64()));
        if seconds > MAX_TIMEOUT.as_secs_f64() {
            self.warning(
                path,
                format!(
                    "`timeout` {seconds} s is longer than cowork allows; the hook is stopped after \
                     {} s",
                    MAX_TIMEOUT.as_secs()
                ),
            );
        }
        Some(timeout)
    }
}
