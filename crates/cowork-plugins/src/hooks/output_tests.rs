use cowork_core::HookPermission;
use serde_json::json;

use super::*;

fn exited(code: i32, stdout: &str, stderr: &str) -> Ended {
    Ended::Exited {
        code,
        stdout: stdout.to_owned(),
        stderr: stderr.to_owned(),
        stdout_capped: false,
    }
}

fn deny(reason: &str) -> Option<HookPermission> {
    Some(HookPermission::Deny {
        reason: reason.to_owned(),
    })
}

#[test]
fn exit_2_denies_a_tool_call_with_stderr_as_the_reason() {
    let result = interpret(EventName::PreToolUse, exited(2, "", "no writes to .env\n"));
    assert_eq!(result.permission, deny("no writes to .env"));
}

#[test]
fn exit_2_blocks_a_prompt_continues_a_stop_and_tells_the_model_after_a_tool() {
    for event in [
        EventName::UserPromptSubmit,
        EventName::Stop,
        EventName::PostToolUse,
    ] {
        let result = interpret(event, exited(2, "", "because"));
        assert_eq!(result.block.as_deref(), Some("because"), "{event}");
        assert_eq!(result.permission, None);
    }
}

#[test]
fn exit_2_at_session_start_is_only_a_report_since_nothing_can_be_blocked() {
    let result = interpret(EventName::SessionStart, exited(2, "", "nope"));
    assert_eq!(result.block, None);
    assert_eq!(result.reports.len(), 1);
}

#[test]
fn other_exit_codes_are_reports_with_the_first_lines_of_stderr() {
    let result = interpret(EventName::PreToolUse, exited(1, "", "boom\nline2\n"));
    assert_eq!(result.permission, None);
    assert_eq!(result.reports, ["failed with exit code 1: boom\nline2"]);
}

#[test]
fn exit_127_says_command_not_found() {
    let result = interpret(EventName::Stop, exited(127, "", "sh: 1: nosuch: not found"));
    assert!(
        result.reports[0].starts_with("failed: command not found"),
        "{result:?}"
    );
}

#[test]
fn plain_stdout_is_context_only_for_session_start_and_prompt_submit() {
    let start = interpret(EventName::SessionStart, exited(0, "be brief\n", ""));
    assert_eq!(start.context, ["be brief"]);
    let prompt = interpret(
        EventName::UserPromptSubmit,
        exited(0, "today is Monday", ""),
    );
    assert_eq!(prompt.context, ["today is Monday"]);
    let tool = interpret(EventName::PreToolUse, exited(0, "some log line", ""));
    assert_eq!(tool, HookResult::default());
}

#[test]
fn invalid_json_with_exit_0_is_plain_text() {
    let result = interpret(EventName::SessionStart, exited(0, "{\"broken\": ", ""));
    assert_eq!(result.context, ["{\"broken\":"]);
    assert!(result.reports.is_empty());
}

#[test]
fn permission_decision_deny_ask_and_allow_are_read() {
    let decide = |decision: &str| {
        let out = json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": "policy"
        }});
        interpret(EventName::PreToolUse, exited(0, &out.to_string(), "")).permission
    };
    assert_eq!(decide("deny"), deny("policy"));
    assert_eq!(
        decide("ask"),
        Some(HookPermission::Ask {
            reason: "policy".into()
        })
    );
    assert_eq!(decide("allow"), Some(HookPermission::Allow));
}

#[test]
fn legacy_approve_and_block_map_to_allow_and_deny() {
    let approve = json!({"decision": "approve", "reason": "fine"}).to_string();
    assert_eq!(
        interpret(EventName::PreToolUse, exited(0, &approve, "")).permission,
        Some(HookPermission::Allow)
    );
    let block = json!({"decision": "block", "reason": "bad name"}).to_string();
    assert_eq!(
        interpret(EventName::PreToolUse, exited(0, &block, "")).permission,
        deny("bad name")
    );
    let ask = json!({"decision": "ask_user", "reason": "check"}).to_string();
    assert!(matches!(
        interpret(EventName::PreToolUse, exited(0, &ask, "")).permission,
        Some(HookPermission::Ask { .. })
    ));
}

#[test]
fn approve_outside_pre_tool_use_decides_nothing() {
    let approve = json!({"decision": "approve"}).to_string();
    assert_eq!(
        interpret(EventName::Stop, exited(0, &approve, "")),
        HookResult::default()
    );
}

#[test]
fn continue_false_blocks_with_the_stop_reason() {
    let out = json!({"continue": false, "stopReason": "quota reached"}).to_string();
    let prompt = interpret(EventName::UserPromptSubmit, exited(0, &out, ""));
    assert_eq!(prompt.block.as_deref(), Some("quota reached"));
    let tool = interpret(EventName::PreToolUse, exited(0, &out, ""));
    assert_eq!(tool.permission, deny("quota reached"));
    // continue=false on Stop must not make the model go on (block would).
    let stop = interpret(EventName::Stop, exited(0, &out, ""));
    assert_eq!(stop.block, None);
    assert_eq!(stop.reports, ["asked to stop: quota reached"]);
}

#[test]
fn system_message_is_a_report_and_additional_context_is_context() {
    let out = json!({
        "systemMessage": "checked 3 rules",
        "hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "lint: ok"}
    })
    .to_string();
    let result = interpret(EventName::PostToolUse, exited(0, &out, ""));
    assert_eq!(result.reports, ["checked 3 rules"]);
    assert_eq!(result.context, ["lint: ok"]);
}

#[test]
fn an_unknown_decision_is_reported_not_obeyed() {
    let out = json!({"decision": "maybe"}).to_string();
    let result = interpret(EventName::PreToolUse, exited(0, &out, ""));
    assert_eq!(result.permission, None);
    assert_eq!(result.reports.len(), 1);
}

#[test]
fn capped_stdout_is_reported() {
    let result = interpret(
        EventName::PreToolUse,
        Ended::Exited {
            code: 0,
            stdout: "x".repeat(10),
            stderr: String::new(),
            stdout_capped: true,
        },
    );
    assert_eq!(result.reports.len(), 1);
}

#[test]
fn deny_beats_ask_beats_allow_and_same_strength_reasons_are_all_kept() {
    use HookPermission::{Allow, Ask, Deny};
    let ask = || Ask { reason: "a".into() };
    let deny = |r: &str| Deny { reason: r.into() };
    assert_eq!(stricter(Allow, ask()), ask());
    assert_eq!(stricter(ask(), Allow), ask());
    assert_eq!(stricter(ask(), deny("d")), deny("d"));
    assert_eq!(stricter(deny("d"), Allow), deny("d"));
    assert_eq!(stricter(deny("x"), deny("y")), deny("x\ny"));
    assert_eq!(stricter(Allow, Allow), Allow);
}

#[test]
fn a_long_reason_is_cut() {
    let result = interpret(EventName::PreToolUse, exited(2, "", &"é".repeat(10_000)));
    let Some(HookPermission::Deny { reason }) = result.permission else {
        panic!("no deny");
    };
    assert!(reason.chars().count() < 4100, "{}", reason.len());
}

#[test]
fn an_updated_input_is_reported_as_not_applied() {
    let out = json!({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "updatedInput": {"command": "ls"}
    }})
    .to_string();
    let result = interpret(EventName::PreToolUse, exited(0, &out, ""));
    assert_eq!(result.reports.len(), 1);
    assert!(result.reports[0].contains("updatedInput"));
}
