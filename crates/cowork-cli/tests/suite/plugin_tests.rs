//! `cowork plugin …` through the real binary.

use std::path::Path;

use super::harness::*;

/// A plugin folder with one good skill and command, plus `extra` files.
fn plugin(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![
        (
            ".claude-plugin/plugin.json",
            "{\n  \"name\": \"demo\",\n  \"version\": \"0.1.0\"\n}\n",
        ),
        (
            "skills/good/SKILL.md",
            "---\nname: good\ndescription: A good skill.\n---\nDo good.\n",
        ),
        (
            "commands/hello.md",
            "---\ndescription: Say hello\n---\nHello $1\n",
        ),
        (
            ".mcp.json",
            "{\"mcpServers\": {\"slack\": {\"type\": \"http\", \"url\": \"https://mcp.slack.com/mcp\"}}}\n",
        ),
    ];
    files.extend_from_slice(extra);
    for (rel, content) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn validate(env: &Env, dir: &Path, json: bool) -> std::process::Output {
    let mut cmd = env.cowork();
    cmd.args(["plugin", "validate"]).arg(dir);
    if json {
        cmd.arg("--json");
    }
    cmd.output().unwrap()
}

#[test]
fn validating_a_good_plugin_prints_its_summary_and_exits_zero() {
    let env = Env::new();
    let dir = plugin(&[]);
    let out = validate(&env, dir.path(), false);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out), @"demo: 1 skill, 1 command, 0 agents, 1 connector; 0 errors, 0 warnings");
}

#[test]
fn validating_prints_each_problem_with_file_and_line_and_exits_one() {
    let env = Env::new();
    let dir = plugin(&[
        (
            ".claude-plugin/plugin.json",
            "{\n  \"name\": \"demo\",\n  \"author\": [\"me\"],\n  \"skills\": \"../elsewhere\"\n}\n",
        ),
        (
            "skills/broken/SKILL.md",
            "---\nname: broken\ndescription: fine\nallowed-tools: [Read\n---\nbody\n",
        ),
        (
            "skills/mute/SKILL.md",
            "---\nname: mute\nlicence: MIT\n---\nbody\n",
        ),
        ("agents/helper.md", "---\nname: helper\n---\nYou help.\n"),
    ]);
    let out = validate(&env, dir.path(), false);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn validate_json_prints_one_object_per_problem_per_line() {
    let env = Env::new();
    let dir = plugin(&[("commands/bad.md", "---\ndescription: [unclosed\n---\nx\n")]);
    let out = validate(&env, dir.path(), true);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", stdout(&out));
    assert_eq!(lines[0]["severity"], "error");
    assert_eq!(lines[0]["file"], "commands/bad.md");
    assert!(lines[0]["line"].as_u64().unwrap() >= 2);
    // The summary is not on stdout, which stays one JSON object per line.
    assert!(
        stderr(&out).contains("demo: 1 skill, 1 command"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn validating_a_folder_that_is_not_a_plugin_says_what_to_give() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let out = validate(&env, dir.path(), false);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not a plugin"), "{}", stderr(&out));
}

#[test]
fn validating_the_knowledge_work_marketplace_finds_no_errors() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let env = Env::new();
    let out = validate(&env, &fixtures.join("knowledge-work-plugins"), false);
    assert!(out.status.success(), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "productivity: 4 skills, 0 commands, 0 agents, 9 connectors; 0 errors, 0 warnings"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("marketplace knowledge-work-plugins: 22 plugins; 0 errors, 0 warnings\n"),
        "{text}"
    );
}
