//! A plugin end to end, as a person uses one: added from a marketplace,
//! installed, then a task that runs one of its commands, loads its skill
//! and reads the skill's reference file, calls its connector after an
//! approval, and has a write refused by its hook.

use std::path::Path;

use cowork_test_support::MockModelServer;
use serde_json::json;

use crate::suite::harness::{Env, stderr, stdout, tool_results};

fn put(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// A marketplace holding one plugin, `kit`: a skill with a reference
/// file, a command, a stdio connector and a PreToolUse hook.
fn marketplace(root: &Path, mcp: &Path) {
    put(
        root,
        ".claude-plugin/marketplace.json",
        r#"{"name": "local", "owner": {"name": "Tests"},
            "plugins": [{"name": "kit", "source": "./kit", "description": "A test kit"}]}"#,
    );
    put(
        root,
        "kit/.claude-plugin/plugin.json",
        r#"{"name": "kit", "version": "1.0.0", "description": "A test kit"}"#,
    );
    put(
        root,
        "kit/skills/report/SKILL.md",
        "---\nname: report\ndescription: Writes reports in the house style.\n---\n\
         Before writing, read references/style.md in this skill's folder.\n",
    );
    put(
        root,
        "kit/skills/report/references/style.md",
        "House style: STYLE-MARKER-42\n",
    );
    put(
        root,
        "kit/commands/standup.md",
        "---\ndescription: Write a standup note\nargument-hint: [when]\n---\n\
         Write a standup note for $ARGUMENTS from the notes folder.\n",
    );
    let servers = json!({"mcpServers": {"tracker": {
        "command": mcp,
        "env": {"MOCK_MCP_RECORD": "${TRACKER_LOG}"}
    }}});
    put(root, "kit/.mcp.json", &servers.to_string());
    put(
        root,
        "kit/hooks/hooks.json",
        r#"{"PreToolUse": [{"matcher": "Write", "hooks": [
            {"type": "command", "command": "echo 'writes are frozen today' >&2; exit 2"}
        ]}]}"#,
    );
}

#[test]
fn a_task_runs_a_plugin_command_uses_its_skill_and_connector_and_its_hook_denies_a_write() {
    let Some(mcp) = cowork_test_support::consumers::mock_mcp_server() else {
        return;
    };
    let (env, _market) = with_kit_installed(&mcp);
    let record = env.home.path().join("tracker.log");
    let out = env
        .cowork()
        .args(["plugin", "list", "--json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let root = std::path::PathBuf::from(listed["path"].as_str().unwrap());
    let reference = root.join("skills/report/references/style.md");

    let server = MockModelServer::start(
        serde_json::from_value(json!({"turns": [
            {"tool_calls": [{"name": "Skill", "input": {"skill": "kit:report"}}]},
            {"tool_calls": [{"name": "Read", "input": {"file_path": reference}}]},
            {"tool_calls": [{"name": "mcp__tracker__record", "input": {"text": "standup filed"}}]},
            {"tool_calls": [{"name": "Write", "input": {"file_path": "standup.md", "content": "Did things."}}]},
            {"text": "Done."}
        ]}))
        .unwrap(),
    );
    let out = env
        .run_anthropic(&server.url(), "/kit:standup yesterday")
        .env("TRACKER_LOG", &record)
        .arg("--yes")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("tracker: connected, 3 tools"),
        "{}",
        stderr(&out)
    );

    // Only the skill's name and description are in the system prompt; the
    // command's text, arguments filled in, is the first message.
    let first = &server.requests()[0].body;
    let system = first["system"].to_string();
    assert!(system.contains("kit:report"), "{system}");
    assert!(system.contains("Writes reports in the house style."));
    assert!(!system.contains("references/style.md"), "{system}");
    assert_eq!(
        first["messages"][0]["content"][0]["text"],
        "Write a standup note for yesterday from the notes folder.\n"
    );

    let tasks = env.tasks();
    let events = env.events(tasks[0]["id"].as_str().unwrap());
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "prompt_expanded" && e["name"] == "kit:standup"),
        "{events:#?}"
    );
    assert!(events.iter().any(|e| e["type"] == "connector"
        && e["server"] == "tracker"
        && e["status"]["state"] == "connected"));
    let results = tool_results(&events);
    let (_, skill, skill_failed) = &results[0];
    assert!(!skill_failed, "{skill}");
    assert!(skill.contains("Base directory for this skill:"), "{skill}");
    assert!(skill.contains("read references/style.md"), "{skill}");
    let (_, read, _) = &results[1];
    assert!(read.contains("STYLE-MARKER-42"), "{read}");

    // The connector's call needed an approval (given by --yes) before it
    // reached the server.
    let decided = events
        .iter()
        .position(|e| e["type"] == "approval_decided" && e["by"] == "assume_yes")
        .unwrap_or_else(|| panic!("the connector call is approved: {events:#?}"));
    let called = events
        .iter()
        .position(|e| e["type"] == "tool_call_finished" && e["name"] == "mcp__tracker__record")
        .unwrap();
    assert!(decided < called);
    assert!(!results[2].2, "{}", results[2].1);
    assert_eq!(std::fs::read_to_string(&record).unwrap(), "standup filed\n");

    // The hook refused the write, whatever --yes said.
    let (name, write, failed) = &results[3];
    assert_eq!(name, "Write");
    assert!(failed);
    assert!(write.contains("writes are frozen today"), "{write}");
    assert!(!env.folder.path().join("standup.md").exists());
}

/// A fresh environment with `kit` added from a marketplace and
/// installed; the marketplace folder lives as long as the guard.
fn with_kit_installed(mcp: &Path) -> (Env, tempfile::TempDir) {
    let env = Env::new();
    let market = tempfile::tempdir().unwrap();
    marketplace(market.path(), mcp);
    for args in [
        vec![
            "plugin",
            "marketplace",
            "add",
            market.path().to_str().unwrap(),
        ],
        vec!["plugin", "install", "kit@local", "--yes"],
    ] {
        let out = env.cowork().args(&args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    (env, market)
}

#[test]
fn an_unknown_command_is_refused_with_close_matches_and_records_no_task() {
    let Some(mcp) = cowork_test_support::consumers::mock_mcp_server() else {
        return;
    };
    let (env, _market) = with_kit_installed(&mcp);
    let out = env
        .run_anthropic("http://127.0.0.1:9", "/kit:standpu today")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("/kit:standup"), "{}", stderr(&out));
    assert!(env.tasks().is_empty());
}

#[test]
fn a_connector_call_nobody_approves_never_reaches_the_server() {
    let Some(mcp) = cowork_test_support::consumers::mock_mcp_server() else {
        return;
    };
    let (env, _market) = with_kit_installed(&mcp);
    let record = env.home.path().join("tracker.log");
    let server = MockModelServer::start(
        serde_json::from_value(json!({"turns": [
            {"tool_calls": [{"name": "mcp__tracker__record", "input": {"text": "sneaky"}}]},
            {"text": "I could not."}
        ]}))
        .unwrap(),
    );
    // No terminal and no --yes: nobody can approve, so the call is denied.
    let out = env
        .run_anthropic(&server.url(), "File a note")
        .env("TRACKER_LOG", &record)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let events = env.events(env.tasks()[0]["id"].as_str().unwrap());
    let results = tool_results(&events);
    assert_eq!(results[0].0, "mcp__tracker__record");
    assert!(results[0].2, "{}", results[0].1);
    assert!(
        !record.exists(),
        "the server was called without an approval"
    );
}

#[test]
fn a_folders_own_skills_are_used_only_once_allowed_and_the_persons_skills_always() {
    let env = Env::new();
    env.write(
        ".claude/skills/tidy/SKILL.md",
        "---\nname: tidy\ndescription: Tidies this project's notes.\n---\nSort by date.\n",
    );
    put(
        env.home.path(),
        "skills/weekly/SKILL.md",
        "---\nname: weekly\ndescription: Writes my weekly summary.\n---\nBe brief.\n",
    );
    let script = json!({"turns": [{"text": "Done."}]});
    let system_of_a_run = || {
        let server = MockModelServer::start(serde_json::from_value(script.clone()).unwrap());
        let out = env
            .run_anthropic(&server.url(), "Tidy up")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        server.requests()[0].body["system"].to_string()
    };

    let before = system_of_a_run();
    assert!(before.contains("weekly"), "{before}");
    assert!(!before.contains("tidy"), "{before}");
    let events = env.events(env.tasks()[0]["id"].as_str().unwrap());
    assert!(
        events.iter().any(|e| e["type"] == "warning"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains(".claude/skills"))),
        "{events:#?}"
    );

    let out = env
        .cowork()
        .args(["plugin", "trust-folder"])
        .arg(env.folder.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let after = system_of_a_run();
    assert!(after.contains("tidy"), "{after}");
    assert!(after.contains("Tidies this project's notes."), "{after}");

    let out = env
        .cowork()
        .args(["plugin", "trust-folder", "--revoke"])
        .arg(env.folder.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!system_of_a_run().contains("tidy"));
}
