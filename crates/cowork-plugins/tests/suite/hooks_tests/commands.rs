//! Command hooks: the stdin they read, what their output means, their
//! limits, and the sandbox around them.

use std::time::{Duration, Instant};

use serde_json::json;

use cowork_core::{HookEvent, HookOutcome, HookPermission, Hooks};
use cowork_plugins::hooks::{HookSandbox, HookSource, PluginHooks};

use super::{World, command, echoed, hook_set, one, pre_tool, sandbox_ready, script_model, setup};

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
    assert!(outcome.reports[0].starts_with("The slow plugin's PreToolUse hook"));
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
    assert!(outcome.context[0].starts_with("[The styled plugin's SessionStart hook"));
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
async fn without_a_sandbox_command_hooks_are_reported_as_skipped_once_not_run() {
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
        outcome.reports[0].contains("is not run"),
        "{:?}",
        outcome.reports
    );
    assert!(outcome.reports[0].contains("user namespaces are disabled"));
    assert!(!marker.exists(), "the hook ran unsandboxed");
    let again = world.run(&hooks, pre_tool("Edit")).await;
    assert_eq!(again, HookOutcome::default(), "told once per task");
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

#[tokio::test]
async fn a_hook_whose_task_goes_away_is_killed_not_left_running() {
    // Regression: the hook's future being dropped (a cancelled task) must
    // stop its process, not leave it to finish in the background.
    let world = World::new();
    let marker = world.folder.path().join("finished");
    let hooks = world.hooks(
        "slow",
        one(
            "PreToolUse",
            command(&format!("sleep 1; touch '{}'", marker.display())),
        ),
        HookSandbox::Unsandboxed,
    );
    let run = world.run(&hooks, pre_tool("Write"));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), run)
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !marker.exists(),
        "the hook kept running after its task went away"
    );
}

#[tokio::test]
async fn cowork_own_paths_inside_a_folder_are_invisible_to_hooks() {
    if !sandbox_ready() {
        return;
    }
    let world = World::new();
    let data = world.folder.path().join(".cowork-data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::write(data.join("token"), "secret").expect("write");
    let mut setup = setup(&[world.folder.path()], HookSandbox::Sandboxed);
    setup.hidden = vec![data];
    let hooks = PluginHooks::new(
        vec![HookSource {
            plugin: "nosy".into(),
            root: world.root.path().to_path_buf(),
            hooks: hook_set(one(
                "SessionStart",
                command("cat \"$CLAUDE_PROJECT_DIR/.cowork-data/token\" 2>/dev/null || echo none"),
            )),
        }],
        setup,
    );
    let outcome = world
        .run(&hooks, HookEvent::SessionStart { source: "startup" })
        .await;
    assert!(outcome.context[0].ends_with("\nnone"), "{outcome:?}");
}

#[tokio::test]
async fn a_plugin_root_with_a_space_reaches_a_hook_that_quotes_it() {
    let world = World::new();
    let root = world.root.path().join("my plugin");
    std::fs::create_dir(&root).expect("mkdir");
    std::fs::write(root.join("context.md"), "from the spaced root").expect("write");
    let hooks = PluginHooks::new(
        vec![HookSource {
            plugin: "spaced".into(),
            root,
            hooks: hook_set(one(
                "SessionStart",
                command("cat \"${CLAUDE_PLUGIN_ROOT}/context.md\""),
            )),
        }],
        setup(&[world.folder.path()], HookSandbox::Unsandboxed),
    );
    let outcome = world
        .run(&hooks, HookEvent::SessionStart { source: "startup" })
        .await;
    assert!(
        outcome.context[0].ends_with("\nfrom the spaced root"),
        "{outcome:?}"
    );
}
