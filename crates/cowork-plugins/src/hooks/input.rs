//! The JSON a hook reads on stdin (a prompt hook gets it as
//! `$ARGUMENTS`), shaped as Claude Code documents it so plugins' scripts
//! run unchanged.
//!
//! Choices where cowork differs from Claude Code:
//! - `transcript_path` is `""`: a task's transcript is cowork's event log,
//!   not a JSONL file a script could read. An empty string (rather than a
//!   missing key) keeps `input["transcript_path"]` from raising in scripts
//!   that only test it for truth.
//! - `permission_mode` uses Claude Code's names: `default` (cowork's ask
//!   mode), `acceptEdits` (auto) and `plan`.
//! - `tool_response` is the text the model will see (cowork's tools
//!   answer with text), with `is_error` beside it.

use serde_json::{Value, json};

use cowork_core::{HookContext, HookEvent};
use cowork_protocol::PermissionMode;

use super::event::EventName;

/// The event's name and what its matcher is compared with.
pub(crate) fn name_and_subject(event: &HookEvent) -> (EventName, Option<&str>) {
    match event {
        HookEvent::SessionStart { source } => (EventName::SessionStart, Some(source)),
        HookEvent::UserPromptSubmit { .. } => (EventName::UserPromptSubmit, None),
        HookEvent::PreToolUse { tool, .. } => (EventName::PreToolUse, Some(tool)),
        HookEvent::PostToolUse { tool, .. } => (EventName::PostToolUse, Some(tool)),
        HookEvent::Stop { .. } => (EventName::Stop, None),
    }
}

fn mode_name(mode: PermissionMode) -> &'static str {
    match mode {
        PermissionMode::Ask => "default",
        PermissionMode::Auto => "acceptEdits",
        PermissionMode::Plan => "plan",
    }
}

/// The stdin JSON of `event`.
pub(crate) fn event_json(event: &HookEvent, ctx: &HookContext, mode: PermissionMode) -> Value {
    let (name, _) = name_and_subject(event);
    let cwd = ctx
        .cwd
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut input = json!({
        "session_id": ctx.task.as_str(),
        "transcript_path": "",
        "cwd": cwd,
        "hook_event_name": name.as_str(),
        "permission_mode": mode_name(mode),
    });
    let extra = match event {
        HookEvent::SessionStart { source } => json!({ "source": source }),
        HookEvent::UserPromptSubmit { prompt } => json!({ "prompt": prompt }),
        HookEvent::PreToolUse {
            tool,
            call_id,
            input,
        } => json!({
            "tool_name": tool,
            "tool_input": input,
            "tool_use_id": call_id,
        }),
        HookEvent::PostToolUse {
            tool,
            call_id,
            input,
            response,
            is_error,
        } => json!({
            "tool_name": tool,
            "tool_input": input,
            "tool_use_id": call_id,
            "tool_response": response,
            "is_error": is_error,
        }),
        HookEvent::Stop {
            active,
            last_message,
        } => json!({
            "stop_hook_active": active,
            "last_assistant_message": last_message,
        }),
    };
    if let (Value::Object(input), Value::Object(extra)) = (&mut input, extra) {
        input.extend(extra);
    }
    input
}
