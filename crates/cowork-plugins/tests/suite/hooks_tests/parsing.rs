//! Reading hooks.json, and which events each matcher hears.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use cowork_core::{HookEvent, Hooks};
use cowork_plugins::Severity;
use cowork_plugins::hooks::{
    EventName, HookAction, HookSandbox, HookSource, Matcher, PluginHooks, parse_file,
};

use super::{hook_set, parse, pre_tool, setup};

#[test]
fn both_fixture_forms_parse_without_a_problem() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let plugins = fixtures.join("claude-code/plugins");
    let (bare, diagnostics) = parse_file(&plugins.join("hookify/hooks/hooks.json"));
    assert_eq!(diagnostics, []);
    let bare = bare.expect("hookify's hooks");
    assert_eq!(
        bare.events(),
        [
            EventName::PreToolUse,
            EventName::PostToolUse,
            EventName::UserPromptSubmit,
            EventName::Stop
        ]
    );
    assert!(bare.groups.iter().all(|g| g.matcher.is_any()));
    let HookAction::Command(command) = &bare.groups[0].hooks[0].action else {
        panic!("a command hook");
    };
    assert!(
        command.contains("${CLAUDE_PLUGIN_ROOT}/hooks/"),
        "{command}"
    );
    assert_eq!(bare.groups[0].hooks[0].timeout, Duration::from_secs(10));

    let (wrapped, diagnostics) =
        parse_file(&plugins.join("explanatory-output-style/hooks/hooks.json"));
    assert_eq!(diagnostics, []);
    let wrapped = wrapped.expect("the wrapper form");
    assert!(
        wrapped
            .description
            .as_deref()
            .unwrap_or_default()
            .contains("Explanatory")
    );
    assert_eq!(wrapped.events(), [EventName::SessionStart]);
    assert_eq!(wrapped.groups[0].hooks[0].timeout, Duration::from_secs(60));
}

#[test]
fn an_unknown_event_is_a_warning_on_its_line_and_the_rest_loads() {
    let text = r#"{
  "PreToolUse": [{"hooks": [{"type": "command", "command": "true"}]}],
  "OnMoonrise": [{"hooks": [{"type": "command", "command": "true"}]}]
}"#;
    let (set, diagnostics) = parse(text);
    assert_eq!(set.expect("loaded").events(), [EventName::PreToolUse]);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert_eq!(diagnostics[0].line, Some(3));
    assert!(diagnostics[0].message.contains("OnMoonrise"));
}

#[test]
fn events_cowork_does_not_fire_are_kept_with_a_warning_and_never_heard() {
    let text = r#"{"hooks": {
  "SessionEnd": [{"hooks": [{"type": "command", "command": "true"}]}],
  "Notification": [{"hooks": [{"type": "command", "command": "true"}]}]
}}"#;
    let (set, diagnostics) = parse(text);
    let set = set.expect("loaded");
    assert_eq!(
        set.events(),
        [EventName::SessionEnd, EventName::Notification]
    );
    assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
    assert!(
        diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning && d.message.contains("does not fire"))
    );
    let hooks = PluginHooks::new(
        vec![HookSource {
            plugin: "p".into(),
            root: "/nonexistent".into(),
            hooks: set,
        }],
        setup(&[], HookSandbox::Unsandboxed),
    );
    assert!(hooks.is_empty());
    assert!(!hooks.listens(&HookEvent::Stop {
        active: false,
        last_message: String::new()
    }));
}

#[test]
fn an_unknown_hook_type_skips_only_that_hook_with_a_warning_on_its_line() {
    let text = r#"{"Stop": [{"hooks": [
  {"type": "command", "command": "true"},
  {"type": "agent", "agent": "reviewer"}
]}]}"#;
    let (set, diagnostics) = parse(text);
    assert_eq!(set.expect("loaded").groups[0].hooks.len(), 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert_eq!(diagnostics[0].line, Some(3));
}

#[test]
fn a_bad_matcher_regex_skips_its_entry_with_an_error_on_its_line() {
    let text = r#"{"PreToolUse": [
  {"matcher": "Write(", "hooks": [{"type": "command", "command": "true"}]},
  {"matcher": "Edit", "hooks": [{"type": "command", "command": "true"}]}
]}"#;
    let (set, diagnostics) = parse(text);
    let set = set.expect("loaded");
    assert_eq!(set.groups.len(), 1);
    assert_eq!(set.groups[0].matcher, Matcher::Names(vec!["Edit".into()]));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].severity, Severity::Error);
    assert_eq!(diagnostics[0].line, Some(2));
    assert!(diagnostics[0].message.contains("Write("));
}

#[test]
fn invalid_json_is_an_error_with_the_line_serde_found() {
    let (set, diagnostics) = parse("{\n  \"Stop\": [\n    {,}\n  ]\n}");
    assert!(set.is_none());
    assert_eq!(diagnostics[0].severity, Severity::Error);
    assert_eq!(diagnostics[0].line, Some(3));
}

#[test]
fn a_file_that_is_not_an_object_or_cannot_be_read_is_an_error() {
    let (set, diagnostics) = parse("[1, 2]");
    assert!(set.is_none());
    assert_eq!(diagnostics[0].line, Some(1));
    let (set, diagnostics) = parse_file(Path::new("/nonexistent/hooks/hooks.json"));
    assert!(set.is_none());
    assert_eq!(diagnostics[0].line, None);
}

#[test]
fn timeouts_default_per_type_and_a_bad_one_skips_its_hook() {
    let text = r#"{"PreToolUse": [{"hooks": [
  {"type": "command", "command": "true"},
  {"type": "prompt", "prompt": "ok?"},
  {"type": "command", "command": "true", "timeout": "soon"},
  {"type": "command", "command": "true", "timeout": 0.5}
]}]}"#;
    let (set, diagnostics) = parse(text);
    let timeouts: Vec<Duration> = set.expect("loaded").groups[0]
        .hooks
        .iter()
        .map(|h| h.timeout)
        .collect();
    assert_eq!(
        timeouts,
        [
            Duration::from_secs(60),
            Duration::from_secs(30),
            Duration::from_millis(500)
        ]
    );
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].line, Some(4));
}

#[test]
fn a_missing_command_and_a_misspelled_key_are_named_on_their_lines() {
    let text = r#"{"Stop": [{"hooks": [
  {"type": "command"},
  {"type": "command", "command": "true", "timout": 5}
]}]}"#;
    let (set, diagnostics) = parse(text);
    assert_eq!(set.expect("loaded").groups[0].hooks.len(), 1);
    let lines: Vec<_> = diagnostics.iter().map(|d| (d.severity, d.line)).collect();
    assert_eq!(
        lines,
        [(Severity::Error, Some(2)), (Severity::Warning, Some(3))]
    );
}

fn matcher(source: &str) -> Matcher {
    Matcher::parse(Some(source)).expect("a valid matcher")
}

#[test]
fn a_pipe_list_matches_exact_names_only() {
    let m = matcher("Write|Edit");
    assert!(m.matches("Write"));
    assert!(m.matches("Edit"));
    assert!(!m.matches("WriteFile"), "exact names, not a prefix");
    assert!(!m.matches("NotebookEdit"), "exact names, not a substring");
    assert!(!matcher("mcp__slack").matches("mcp__slack__post_message"));
}

#[test]
fn a_regex_matcher_is_searched_unanchored_like_claude_code() {
    let slack = matcher("mcp__slack__.*");
    assert!(slack.matches("mcp__slack__post_message"));
    assert!(!slack.matches("mcp__notion__search"));
    assert!(matcher("^Bash").matches("BashOutput"));
    assert!(!matcher("^Write$").matches("WriteFile"));
    assert!(matcher("Notebook.*").matches("NotebookEdit"));
}

#[test]
fn an_empty_star_or_absent_matcher_matches_everything() {
    for m in [
        Matcher::parse(None),
        Matcher::parse(Some("")),
        Matcher::parse(Some("*")),
    ] {
        let m = m.expect("valid");
        assert!(m.is_any());
        assert!(m.matches("anything"));
    }
}

#[test]
fn tool_matchers_pick_tool_calls_and_session_start_matchers_pick_the_source() {
    let set = hook_set(json!({
        "PreToolUse": [{"matcher": "Write|Edit", "hooks": [{"type": "command", "command": "true"}]}],
        "SessionStart": [{"matcher": "resume", "hooks": [{"type": "command", "command": "true"}]}]
    }));
    let hooks = PluginHooks::new(
        vec![HookSource {
            plugin: "p".into(),
            root: "/nonexistent".into(),
            hooks: set,
        }],
        setup(&[], HookSandbox::Unsandboxed),
    );
    assert!(hooks.listens(&pre_tool("Write")));
    assert!(!hooks.listens(&pre_tool("Read")));
    assert!(hooks.listens(&HookEvent::SessionStart { source: "resume" }));
    assert!(!hooks.listens(&HookEvent::SessionStart { source: "startup" }));
    assert!(!hooks.listens(&HookEvent::UserPromptSubmit {
        prompt: "hi".into()
    }));
}
