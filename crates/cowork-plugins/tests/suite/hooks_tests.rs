//! hooks.json as plugins write it, and hooks run as Claude Code runs them:
//! in cowork's sandbox, with the documented stdin and output contract.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::BoxStream;
use serde_json::{Value, json};
use tempfile::TempDir;

use cowork_core::{HookContext, HookEvent, HookOutcome, HookPermission, Hooks};
use cowork_model::{Model, ModelError, ModelEvent, ModelInfo, ModelRequest, ScriptModel};
use cowork_plugins::Severity;
use cowork_plugins::hooks::{
    EventName, HookAction, HookSandbox, HookSet, HookSetup, HookSource, Matcher, PluginHooks,
    parse_file, parse_str,
};
use cowork_protocol::script::{Script, ScriptTurn};
use cowork_protocol::{FolderGrant, PermissionMode, TaskId};

// ---- parsing ---------------------------------------------------------

fn parse(text: &str) -> (Option<HookSet>, Vec<cowork_plugins::Diagnostic>) {
    parse_str(text, Path::new("hooks/hooks.json"))
}

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

// ---- matchers --------------------------------------------------------

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

// ---- running ---------------------------------------------------------

fn hook_set(json: Value) -> HookSet {
    let (set, diagnostics) = parse(&json.to_string());
    assert_eq!(diagnostics, []);
    set.expect("a hook set")
}

fn setup(folders: &[&Path], sandbox: HookSandbox) -> HookSetup {
    HookSetup {
        folders: folders
            .iter()
            .map(|p| FolderGrant {
                path: p.to_path_buf(),
                read_only: false,
            })
            .collect(),
        mode: PermissionMode::Ask,
        sandbox,
        hidden: Vec::new(),
    }
}

fn pre_tool(tool: &str) -> HookEvent {
    HookEvent::PreToolUse {
        tool: tool.into(),
        call_id: "call_1".into(),
        input: json!({"file_path": "/work/a.md", "content": "hi"}),
    }
}

fn script_model(answers: Vec<ScriptTurn>) -> Arc<dyn Model> {
    Arc::new(ScriptModel::new(Script {
        turns: answers,
        context_window: None,
    }))
}

fn answer(text: &str) -> ScriptTurn {
    ScriptTurn {
        text: Some(text.into()),
        ..ScriptTurn::default()
    }
}

/// Whether commands can be sandboxed here; tests that need it return early
/// with a note when not.
#[expect(
    clippy::print_stderr,
    reason = "the skip note is for the person running the tests"
)]
fn sandbox_ready() -> bool {
    match cowork_sandbox::probe() {
        cowork_sandbox::Availability::Ready(_) => true,
        cowork_sandbox::Availability::Unavailable { cause, .. } => {
            eprintln!("note: the sandbox is unavailable ({cause}); skipping a sandboxed hook test");
            false
        }
    }
}

/// A plugin root and a task folder, each a temp dir.
struct World {
    root: TempDir,
    folder: TempDir,
}

impl World {
    fn new() -> Self {
        let world = Self {
            root: tempfile::tempdir().expect("temp dir"),
            folder: tempfile::tempdir().expect("temp dir"),
        };
        // Prints its stdin back as additionalContext.
        std::fs::write(
            world.root.path().join("echo.py"),
            "import json, sys\n\
             data = sys.stdin.read()\n\
             print(json.dumps({'hookSpecificOutput': {'additionalContext': data}}))\n",
        )
        .expect("write echo.py");
        world
    }

    fn hooks(&self, plugin: &str, json: Value, sandbox: HookSandbox) -> PluginHooks {
        PluginHooks::new(
            vec![HookSource {
                plugin: plugin.into(),
                root: self.root.path().to_path_buf(),
                hooks: hook_set(json),
            }],
            setup(&[self.folder.path()], sandbox),
        )
    }

    fn ctx(&self, model: Arc<dyn Model>) -> HookContext {
        HookContext {
            task: TaskId::from_raw("task-42"),
            model,
            cwd: Some(self.folder.path().to_path_buf()),
        }
    }

    async fn run(&self, hooks: &PluginHooks, event: HookEvent) -> HookOutcome {
        hooks.run(event, self.ctx(script_model(vec![]))).await
    }
}

fn one(event: &str, hook: Value) -> Value {
    json!({ event: [{"hooks": [hook]}] })
}

fn command(command: &str) -> Value {
    json!({"type": "command", "command": command, "timeout": 10})
}

/// The JSON a hook echoed back (its context without the label line).
fn echoed(outcome: &HookOutcome) -> Value {
    assert_eq!(outcome.context.len(), 1, "{outcome:?}");
    let (label, body) = outcome.context[0].split_once('\n').expect("a label line");
    assert!(label.contains("the echo plugin's"), "{label}");
    serde_json::from_str(body).expect("the event JSON")
}

#[tokio::test]
async fn each_event_sends_the_documented_json_on_stdin() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    let echo = command("python3 ${CLAUDE_PLUGIN_ROOT}/echo.py");
    let all = |event: &str| one(event, echo.clone());
    let cwd = world.folder.path().display().to_string();
    let cases = [
        (
            "SessionStart",
            HookEvent::SessionStart { source: "startup" },
            json!({"source": "startup"}),
        ),
        (
            "UserPromptSubmit",
            HookEvent::UserPromptSubmit {
                prompt: "sum the invoices".into(),
            },
            json!({"prompt": "sum the invoices"}),
        ),
        (
            "PreToolUse",
            pre_tool("Write"),
            json!({"tool_name": "Write", "tool_use_id": "call_1",
                   "tool_input": {"file_path": "/work/a.md", "content": "hi"}}),
        ),
        (
            "PostToolUse",
            HookEvent::PostToolUse {
                tool: "Read".into(),
                call_id: "call_2".into(),
                input: json!({"file_path": "/work/a.md"}),
                response: "hello".into(),
                is_error: false,
            },
            json!({"tool_name": "Read", "tool_use_id": "call_2", "tool_response": "hello",
                   "is_error": false, "tool_input": {"file_path": "/work/a.md"}}),
        ),
        (
            "Stop",
            HookEvent::Stop {
                active: true,
                last_message: "Done.".into(),
            },
            json!({"stop_hook_active": true, "last_assistant_message": "Done."}),
        ),
    ];
    for (name, event, specific) in cases {
        let hooks = world.hooks("echo", all(name), HookSandbox::Sandboxed);
        let outcome = world.run(&hooks, event).await;
        let stdin = echoed(&outcome);
        assert_eq!(stdin["session_id"], "task-42", "{name}");
        assert_eq!(stdin["transcript_path"], "", "{name}");
        assert_eq!(stdin["cwd"], cwd.as_str(), "{name}");
        assert_eq!(stdin["hook_event_name"], name);
        assert_eq!(stdin["permission_mode"], "default", "{name}");
        for (key, value) in specific.as_object().expect("an object") {
            assert_eq!(&stdin[key], value, "{name}.{key}");
        }
    }
}

#[tokio::test]
async fn exit_2_denies_the_call_with_stderr_as_the_reason() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    let hooks = world.hooks(
        "guard",
        one(
            "PreToolUse",
            command("echo 'no writes to .env' >&2; exit 2"),
        ),
        HookSandbox::Sandboxed,
    );
    let outcome = world.run(&hooks, pre_tool("Write")).await;
    assert_eq!(
        outcome.permission,
        Some(HookPermission::Deny {
            reason: "no writes to .env".into()
        })
    );
}

#[tokio::test]
async fn json_permission_decisions_of_several_plugins_merge_to_the_strictest() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    let decide = |decision: &str| {
        let out = json!({"hookSpecificOutput": {"hookEventName": "PreToolUse",
            "permissionDecision": decision, "permissionDecisionReason": decision}});
        command(&format!("echo '{out}'"))
    };
    let source = |plugin: &str, decision: &str| HookSource {
        plugin: plugin.into(),
        root: world.root.path().to_path_buf(),
        hooks: hook_set(one("PreToolUse", decide(decision))),
    };
    let run = |decisions: &[&str]| {
        let sources = decisions
            .iter()
            .enumerate()
            .map(|(i, d)| source(&format!("p{i}"), d))
            .collect();
        let hooks = PluginHooks::new(
            sources,
            setup(&[world.folder.path()], HookSandbox::Sandboxed),
        );
        let ctx = world.ctx(script_model(vec![]));
        async move { hooks.run(pre_tool("Edit"), ctx).await.permission }
    };
    assert_eq!(run(&["allow"]).await, Some(HookPermission::Allow));
    assert_eq!(
        run(&["allow", "ask"]).await,
        Some(HookPermission::Ask {
            reason: "ask".into()
        })
    );
    assert_eq!(
        run(&["ask", "deny", "allow"]).await,
        Some(HookPermission::Deny {
            reason: "deny".into()
        })
    );
}

#[tokio::test]
async fn a_hook_that_sleeps_forever_is_killed_at_its_timeout() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    let hook = json!({"type": "command", "command": "sleep 1000", "timeout": 1});
    let hooks = world.hooks("slow", one("PreToolUse", hook), HookSandbox::Sandboxed);
    let started = Instant::now();
    let outcome = world.run(&hooks, pre_tool("Write")).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcome.permission, None);
    assert_eq!(outcome.reports.len(), 1, "{outcome:?}");
    assert!(
        outcome.reports[0].contains("timed out after 1 s"),
        "{outcome:?}"
    );
    assert!(outcome.reports[0].contains("the slow plugin's PreToolUse hook"));
}

#[tokio::test]
async fn a_hook_printing_ten_megabytes_is_capped_and_reported() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    let hooks = world.hooks(
        "loud",
        one(
            "SessionStart",
            command("head -c 10000000 /dev/zero | tr '\\0' x"),
        ),
        HookSandbox::Sandboxed,
    );
    let outcome = world
        .run(&hooks, HookEvent::SessionStart { source: "startup" })
        .await;
    let context: usize = outcome.context.iter().map(String::len).sum();
    assert!(context <= 65 * 1024, "{context}");
    assert!(
        outcome.reports.iter().any(|r| r.contains("was cut")),
        "{:?}",
        outcome.reports
    );
}

#[tokio::test]
async fn a_hook_whose_command_does_not_exist_reports_command_not_found() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    let hooks = world.hooks(
        "typo",
        one("PreToolUse", command("no-such-hook-program --check")),
        HookSandbox::Sandboxed,
    );
    let outcome = world.run(&hooks, pre_tool("Write")).await;
    assert_eq!(outcome.permission, None);
    assert!(
        outcome.reports[0].contains("command not found"),
        "{:?}",
        outcome.reports
    );
}

#[tokio::test]
async fn invalid_json_with_exit_0_is_plain_text_context_labelled_with_the_plugin() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    let hooks = world.hooks(
        "styled",
        one("SessionStart", command("echo '{\"not\": json'")),
        HookSandbox::Sandboxed,
    );
    let outcome = world
        .run(&hooks, HookEvent::SessionStart { source: "startup" })
        .await;
    assert_eq!(outcome.context.len(), 1, "{outcome:?}");
    assert!(outcome.context[0].starts_with("[the styled plugin's SessionStart hook"));
    assert!(outcome.context[0].ends_with("\n{\"not\": json"));
    assert!(outcome.reports.is_empty(), "{:?}", outcome.reports);
}

#[tokio::test]
async fn the_plugin_root_is_expanded_and_exported_and_the_project_dir_is_the_cwd() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    std::fs::write(world.root.path().join("context.md"), "Use metric units.").expect("write");
    let hooks = world.hooks(
        "ctx",
        one(
            "SessionStart",
            command(
                "cat ${CLAUDE_PLUGIN_ROOT}/context.md; echo; echo \"root=$CLAUDE_PLUGIN_ROOT\"; \
                 echo \"project=$CLAUDE_PROJECT_DIR\"; echo \"pwd=$(pwd)\"",
            ),
        ),
        HookSandbox::Sandboxed,
    );
    let outcome = world
        .run(&hooks, HookEvent::SessionStart { source: "startup" })
        .await;
    let text = &outcome.context[0];
    let folder = world.folder.path().display();
    assert!(text.contains("Use metric units."), "{text}");
    assert!(
        text.contains(&format!("root={}", world.root.path().display())),
        "{text}"
    );
    assert!(text.contains(&format!("project={folder}")), "{text}");
    assert!(text.contains(&format!("pwd={folder}")), "{text}");
}

#[tokio::test]
async fn hooks_of_one_event_run_concurrently() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    let sleepy = command("sleep 1; echo done");
    let hooks = world.hooks(
        "pair",
        json!({"UserPromptSubmit": [{"hooks": [sleepy.clone(), sleepy.clone(), sleepy]}]}),
        HookSandbox::Sandboxed,
    );
    let started = Instant::now();
    let outcome = world
        .run(
            &hooks,
            HookEvent::UserPromptSubmit {
                prompt: "hi".into(),
            },
        )
        .await;
    assert_eq!(outcome.context.len(), 3, "{outcome:?}");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_hook_cannot_change_the_tasks_folder_or_the_plugin_root() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    std::fs::write(world.folder.path().join("notes.md"), "original").expect("write");
    let hooks = world.hooks(
        "vandal",
        one(
            "Stop",
            command(
                "echo changed > \"$CLAUDE_PROJECT_DIR/notes.md\"; \
                 touch \"$CLAUDE_PROJECT_DIR/new.txt\"; \
                 touch \"$CLAUDE_PLUGIN_ROOT/new.txt\"; \
                 cat \"$CLAUDE_PROJECT_DIR/notes.md\"; exit 0",
            ),
        ),
        HookSandbox::Sandboxed,
    );
    world
        .run(
            &hooks,
            HookEvent::Stop {
                active: false,
                last_message: String::new(),
            },
        )
        .await;
    let notes = std::fs::read_to_string(world.folder.path().join("notes.md")).expect("read");
    assert_eq!(notes, "original");
    assert!(!world.folder.path().join("new.txt").exists());
    assert!(!world.root.path().join("new.txt").exists());
}

#[tokio::test]
async fn a_hook_cannot_reach_the_network() {
    if !sandbox_ready() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let world = World::new();
    let probe = format!(
        "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 2)\" \
         && echo reached || echo unreachable"
    );
    let hooks = world.hooks(
        "net",
        one("SessionStart", command(&probe)),
        HookSandbox::Sandboxed,
    );
    let outcome = world
        .run(&hooks, HookEvent::SessionStart { source: "startup" })
        .await;
    assert!(outcome.context[0].ends_with("\nunreachable"), "{outcome:?}");
}

#[tokio::test]
async fn without_a_sandbox_command_hooks_are_reported_as_skipped_not_run() {
    let world = World::new();
    let marker = world.folder.path().join("ran");
    let hooks = world.hooks(
        "guard",
        one(
            "PreToolUse",
            command(&format!("touch '{}'; exit 2", marker.display())),
        ),
        HookSandbox::Unavailable {
            cause: "user namespaces are disabled".into(),
            fix: "enable them".into(),
        },
    );
    let outcome = world.run(&hooks, pre_tool("Write")).await;
    assert_eq!(outcome.permission, None);
    assert_eq!(outcome.reports.len(), 1);
    assert!(
        outcome.reports[0].contains("was not run"),
        "{:?}",
        outcome.reports
    );
    assert!(outcome.reports[0].contains("user namespaces are disabled"));
    assert!(!marker.exists(), "the hook ran unsandboxed");
}

#[tokio::test]
async fn with_no_sandbox_chosen_command_hooks_run_directly() {
    let world = World::new();
    let hooks = world.hooks(
        "direct",
        one(
            "PreToolUse",
            command("echo \"$CLAUDE_PLUGIN_ROOT\" >&2; exit 2"),
        ),
        HookSandbox::Unsandboxed,
    );
    let outcome = world.run(&hooks, pre_tool("Write")).await;
    assert_eq!(
        outcome.permission,
        Some(HookPermission::Deny {
            reason: world.root.path().display().to_string()
        })
    );
}

// ---- prompt hooks ----------------------------------------------------

/// A model that remembers what it was asked.
struct Recording {
    inner: ScriptModel,
    requests: Mutex<Vec<ModelRequest>>,
}

impl Model for Recording {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }

    fn stream(&self, request: ModelRequest) -> BoxStream<'static, Result<ModelEvent, ModelError>> {
        self.requests.lock().expect("lock").push(request.clone());
        self.inner.stream(request)
    }
}

fn prompt_hook(prompt: &str, timeout: u64) -> Value {
    json!({"type": "prompt", "prompt": prompt, "timeout": timeout})
}

async fn ask(event: &str, hook: Value, answer: ScriptTurn, fired: HookEvent) -> HookOutcome {
    let world = World::new();
    let hooks = world.hooks("judge", one(event, hook), HookSandbox::Sandboxed);
    hooks
        .run(fired, world.ctx(script_model(vec![answer])))
        .await
}

#[tokio::test]
async fn a_prompt_hook_that_says_not_ok_denies_the_call_with_its_reason() {
    let outcome = ask(
        "PreToolUse",
        prompt_hook("Does this write follow our naming rules? $ARGUMENTS", 30),
        answer("{\"ok\": false, \"reason\": \"file names must be kebab-case\"}"),
        pre_tool("Write"),
    )
    .await;
    assert_eq!(
        outcome.permission,
        Some(HookPermission::Deny {
            reason: "file names must be kebab-case".into()
        })
    );
}

#[tokio::test]
async fn a_prompt_hook_that_says_ok_decides_nothing() {
    let outcome = ask(
        "PreToolUse",
        prompt_hook("Fine?", 30),
        answer("{\"ok\": true}"),
        pre_tool("Write"),
    )
    .await;
    assert_eq!(outcome, HookOutcome::default());
}

#[tokio::test]
async fn a_prompt_hook_that_says_block_on_a_prompt_blocks_it() {
    let outcome = ask(
        "UserPromptSubmit",
        prompt_hook("Is this prompt about work?", 30),
        answer("Here you go: {\"decision\": \"block\", \"reason\": \"off topic\"}"),
        HookEvent::UserPromptSubmit {
            prompt: "tell me a joke".into(),
        },
    )
    .await;
    assert_eq!(outcome.block.as_deref(), Some("off topic"));
}

#[tokio::test]
async fn an_unparseable_prompt_answer_is_a_report_and_no_decision() {
    let outcome = ask(
        "PreToolUse",
        prompt_hook("Fine?", 30),
        answer("I think it is probably fine."),
        pre_tool("Write"),
    )
    .await;
    assert_eq!(outcome.permission, None);
    assert!(
        outcome.reports[0].contains("no decision"),
        "{:?}",
        outcome.reports
    );
}

#[tokio::test]
async fn a_prompt_hook_whose_model_is_too_slow_times_out_with_a_report() {
    let slow = ScriptTurn {
        delay_ms: Some(5_000),
        ..answer("{\"ok\": false}")
    };
    let started = Instant::now();
    let outcome = ask(
        "PreToolUse",
        prompt_hook("Fine?", 1),
        slow,
        pre_tool("Write"),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcome.permission, None);
    assert!(
        outcome.reports[0].contains("within 1 s"),
        "{:?}",
        outcome.reports
    );
}

#[tokio::test]
async fn a_prompt_hook_sends_the_event_in_place_of_arguments() {
    let world = World::new();
    let hooks = world.hooks(
        "judge",
        one("PreToolUse", prompt_hook("Check: $ARGUMENTS -- end", 30)),
        HookSandbox::Sandboxed,
    );
    let model = Arc::new(Recording {
        inner: ScriptModel::new(Script {
            turns: vec![answer("{\"ok\": true}")],
            context_window: None,
        }),
        requests: Mutex::new(Vec::new()),
    });
    let dyn_model: Arc<dyn Model> = Arc::clone(&model) as Arc<dyn Model>;
    hooks.run(pre_tool("Write"), world.ctx(dyn_model)).await;
    let requests = model.requests.lock().expect("lock");
    assert_eq!(requests.len(), 1);
    let sent = serde_json::to_string(&requests[0].messages).expect("json");
    assert!(sent.contains("Check: {"), "{sent}");
    assert!(sent.contains("tool_name"), "{sent}");
    assert!(sent.contains("/work/a.md"), "{sent}");
    assert!(sent.contains("-- end"), "{sent}");
}
