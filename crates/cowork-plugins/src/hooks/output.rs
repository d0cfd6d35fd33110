//! What one hook's output means, per Claude Code's documented contract:
//! exit 0 with a JSON object (or plain text), exit 2 to block with stderr
//! as the reason, any other exit a non-blocking error.

use serde_json::{Map, Value};

use cowork_core::HookPermission;

use super::event::EventName;

/// Text kept of a reason or a report taken from a hook's stderr.
const MAX_REASON_CHARS: usize = 4000;
/// Lines of stderr quoted when a hook fails.
const FAILURE_LINES: usize = 5;

/// What one hook said, before outcomes of several hooks are merged.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct HookResult {
    pub permission: Option<HookPermission>,
    pub block: Option<String>,
    pub context: Vec<String>,
    pub reports: Vec<String>,
}

impl HookResult {
    pub(crate) fn report(message: impl Into<String>) -> Self {
        Self {
            reports: vec![message.into()],
            ..Self::default()
        }
    }
}

/// How a command hook ended.
#[derive(Debug)]
pub(crate) enum Ended {
    Exited {
        code: i32,
        stdout: String,
        stderr: String,
        stdout_capped: bool,
    },
    Signalled(i32),
    TimedOut {
        seconds: f64,
    },
}

/// Cuts `text` to [`MAX_REASON_CHARS`] on a character boundary.
fn capped(text: &str) -> String {
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((at, _)) => format!("{}… (cut)", &text[..at]),
        None => text.to_owned(),
    }
}

/// A hook said "no" with `reason`: what that means for `event`.
pub(crate) fn blocking(event: EventName, reason: String) -> HookResult {
    match event {
        EventName::PreToolUse => HookResult {
            permission: Some(HookPermission::Deny { reason }),
            ..HookResult::default()
        },
        EventName::UserPromptSubmit | EventName::PostToolUse | EventName::Stop => HookResult {
            block: Some(reason),
            ..HookResult::default()
        },
        EventName::SessionStart
        | EventName::SubagentStop
        | EventName::SessionEnd
        | EventName::PreCompact
        | EventName::Notification => HookResult::report(format!(
            "asked to block, which a {event} hook cannot do: {reason}"
        )),
    }
}

/// The meaning of a command hook's end.
pub(crate) fn interpret(event: EventName, ended: Ended) -> HookResult {
    match ended {
        Ended::TimedOut { seconds } => {
            HookResult::report(format!("timed out after {seconds} s and was stopped"))
        }
        Ended::Signalled(signal) => HookResult::report(format!("was killed by signal {signal}")),
        Ended::Exited {
            code: 0,
            stdout,
            stdout_capped,
            ..
        } => {
            let mut result = exited_ok(event, &stdout);
            if stdout_capped {
                result
                    .reports
                    .push("printed more than cowork keeps; its output was cut".to_owned());
            }
            result
        }
        Ended::Exited {
            code: 2, stderr, ..
        } => {
            let reason = stderr.trim();
            let reason = if reason.is_empty() {
                format!("a {event} hook blocked this (it gave no reason)")
            } else {
                capped(reason)
            };
            blocking(event, reason)
        }
        Ended::Exited { code, stderr, .. } => {
            let first: Vec<&str> = stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(FAILURE_LINES)
                .collect();
            let detail = if first.is_empty() {
                String::new()
            } else {
                format!(": {}", capped(&first.join("\n")))
            };
            let what = match code {
                127 => "failed: command not found".to_owned(),
                126 => "failed: the command is not executable".to_owned(),
                code => format!("failed with exit code {code}"),
            };
            HookResult::report(format!("{what}{detail}"))
        }
    }
}

/// Exit 0: a JSON object is read as Claude Code's output fields; anything
/// else is plain text, added as context for the events whose plain output
/// Claude Code gives the model.
fn exited_ok(event: EventName, stdout: &str) -> HookResult {
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(stdout.trim()) {
        return from_json(event, &fields);
    }
    let text = stdout.trim();
    match event {
        EventName::SessionStart | EventName::UserPromptSubmit if !text.is_empty() => HookResult {
            context: vec![text.to_owned()],
            ..HookResult::default()
        },
        EventName::SessionStart
        | EventName::UserPromptSubmit
        | EventName::PreToolUse
        | EventName::PostToolUse
        | EventName::Stop
        | EventName::SubagentStop
        | EventName::SessionEnd
        | EventName::PreCompact
        | EventName::Notification => HookResult::default(),
    }
}

fn string<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Claude Code's JSON output: `continue`/`stopReason`, `systemMessage`,
/// `decision`/`reason` and `hookSpecificOutput`.
pub(crate) fn from_json(event: EventName, fields: &Map<String, Value>) -> HookResult {
    let mut result = HookResult::default();
    if let Some(message) = string(fields, "systemMessage") {
        result.reports.push(capped(message));
    }
    let reason = string(fields, "reason").map(capped);
    let specific = fields.get("hookSpecificOutput").and_then(Value::as_object);
    if let Some(context) = specific.and_then(|s| string(s, "additionalContext")) {
        result.context.push(context.to_owned());
    }
    // Claude Code lets a PreToolUse hook rewrite the call; cowork does not
    // (yet), and a hook that meant to redact must not believe it did.
    if specific.is_some_and(|s| s.contains_key("updatedInput")) {
        result.reports.push(
            "asked to change the tool's input (updatedInput), which cowork does not support; \
             the call was left as the model made it"
                .to_owned(),
        );
    }
    // `permissionDecision` is the current field; `decision` the legacy one.
    let decision = specific
        .and_then(|s| string(s, "permissionDecision"))
        .map(|d| {
            let why = specific
                .and_then(|s| string(s, "permissionDecisionReason"))
                .map(capped);
            (d, why.or_else(|| reason.clone()))
        })
        .or_else(|| string(fields, "decision").map(|d| (d, reason.clone())));
    if let Some((decision, why)) = decision {
        decide(event, decision, why, &mut result);
    }
    if fields.get("continue") == Some(&Value::Bool(false)) {
        let why = string(fields, "stopReason")
            .map(capped)
            .unwrap_or_else(|| format!("a {event} hook asked to stop"));
        match event {
            // The task stops at the end of a turn anyway.
            EventName::Stop => result.reports.push(format!("asked to stop: {why}")),
            EventName::PreToolUse
            | EventName::PostToolUse
            | EventName::UserPromptSubmit
            | EventName::SessionStart
            | EventName::SubagentStop
            | EventName::SessionEnd
            | EventName::PreCompact
            | EventName::Notification => {
                let stop = blocking(event, why);
                merge_into(&mut result, stop);
            }
        }
    }
    result
}

fn decide(event: EventName, decision: &str, why: Option<String>, result: &mut HookResult) {
    let reason = || {
        why.clone()
            .unwrap_or_else(|| format!("a {event} hook decided so"))
    };
    match (event, decision) {
        (_, "block" | "deny") => merge_into(result, blocking(event, reason())),
        (EventName::PreToolUse, "approve" | "allow") => {
            result.permission = Some(HookPermission::Allow);
        }
        (EventName::PreToolUse, "ask" | "ask_user") => {
            result.permission = Some(HookPermission::Ask { reason: reason() });
        }
        // Elsewhere "approve" just means go on, as no hook had spoken.
        (_, "approve" | "allow") => {}
        (_, other) => result.reports.push(format!(
            "gave the unknown decision {other:?} (expected \"block\", \"approve\", or for \
             PreToolUse \"allow\", \"deny\", \"ask\"); ignored"
        )),
    }
}

/// Adds `other` to `into`, the stricter permission winning.
pub(crate) fn merge_into(into: &mut HookResult, other: HookResult) {
    into.permission = match (into.permission.take(), other.permission) {
        (Some(a), Some(b)) => Some(stricter(a, b)),
        (a, b) => a.or(b),
    };
    into.block = match (into.block.take(), other.block) {
        (Some(a), Some(b)) => Some(format!("{a}\n{b}")),
        (a, b) => a.or(b),
    };
    into.context.extend(other.context);
    into.reports.extend(other.reports);
}

/// deny > ask > allow; two reasons of the same strength are both kept.
pub(crate) fn stricter(a: HookPermission, b: HookPermission) -> HookPermission {
    use HookPermission::{Allow, Ask, Deny};
    match (a, b) {
        (Deny { reason: a }, Deny { reason: b }) => Deny {
            reason: format!("{a}\n{b}"),
        },
        (Deny { reason }, Ask { .. } | Allow) | (Ask { .. } | Allow, Deny { reason }) => {
            Deny { reason }
        }
        (Ask { reason: a }, Ask { reason: b }) => Ask {
            reason: format!("{a}\n{b}"),
        },
        (Ask { reason }, Allow) | (Allow, Ask { reason }) => Ask { reason },
        (Allow, Allow) => Allow,
    }
}

#[cfg(test)]
#[path = "output_tests.rs"]
mod tests;
