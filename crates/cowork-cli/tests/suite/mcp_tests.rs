//! `cowork mcp add|list|remove|test` as a person runs them.

use super::harness::{Env, stderr, stdout};

fn run(env: &Env, args: &[&str]) -> std::process::Output {
    env.cowork().arg("mcp").args(args).output().unwrap()
}

fn ok(env: &Env, args: &[&str]) -> String {
    let out = run(env, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn fails(env: &Env, args: &[&str]) -> String {
    let out = run(env, args);
    assert!(
        !out.status.success(),
        "{args:?} succeeded: {}",
        stdout(&out)
    );
    stderr(&out)
}

#[test]
fn added_connectors_are_listed_with_their_secrets_masked() {
    let env = Env::new();
    ok(
        &env,
        &[
            "add",
            "notion",
            "--env",
            "NOTION_TOKEN=secret_abc",
            "--",
            "npx",
            "-y",
            "notion-mcp",
        ],
    );
    ok(
        &env,
        &[
            "add",
            "asana",
            "--url",
            "https://mcp.asana.example/sse?key=k123",
            "--header",
            "Authorization: Bearer t0k",
        ],
    );
    ok(
        &env,
        &["add", "linear", "--url", "https://mcp.linear.example/mcp"],
    );
    let listed = ok(&env, &["list"]);
    assert!(
        !listed.contains("secret_abc") && !listed.contains("t0k") && !listed.contains("k123"),
        "{listed}"
    );
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "SOURCE", "TRANSPORT", "TARGET"]
    );
    // A URL ending in /sse is the older SSE transport unless told otherwise.
    assert!(
        lines.iter().any(|l| l.starts_with("asana ")
            && l.contains(" sse ")
            && l.contains("[Authorization: ***]")),
        "{listed}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("linear") && l.contains(" http ")),
        "{listed}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("notion") && l.contains("npx -y notion-mcp NOTION_TOKEN=***")),
        "{listed}"
    );

    let json = ok(&env, &["list", "--json"]);
    let rows: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    let notion = rows.iter().find(|r| r["name"] == "notion").unwrap();
    assert_eq!(notion["source"], "user");
    assert_eq!(notion["env"]["NOTION_TOKEN"], "***");
    // The stored file keeps the real value for the server.
    let stored = std::fs::read_to_string(env.home.path().join("mcp.json")).unwrap();
    assert!(stored.contains("secret_abc"));
}

#[test]
fn a_name_clash_is_refused_unless_the_configuration_is_the_same() {
    let env = Env::new();
    ok(&env, &["add", "files", "--", "mcp-files", "/srv"]);
    let again = ok(&env, &["add", "files", "--", "mcp-files", "/srv"]);
    assert!(again.contains("already configured"), "{again}");
    let clash = fails(&env, &["add", "files", "--", "mcp-files", "/other"]);
    assert!(
        clash.contains("already exists with another configuration"),
        "{clash}"
    );
    let bad = fails(&env, &["add", "my files", "--", "x"]);
    assert!(bad.contains("not a valid connector name"), "{bad}");
    let nothing = fails(&env, &["add", "empty"]);
    assert!(nothing.contains("-- COMMAND"), "{nothing}");
    let transport = fails(
        &env,
        &["add", "r", "--url", "https://x/mcp", "--transport", "ws"],
    );
    assert!(transport.contains("`http` or `sse`"), "{transport}");
    let header = fails(
        &env,
        &["add", "r", "--url", "https://x/mcp", "--header", "NoColon"],
    );
    assert!(header.contains("is not `Name: value`"), "{header}");
}

#[test]
fn removing_a_connector_keeps_the_others() {
    let env = Env::new();
    ok(&env, &["add", "a", "--", "x"]);
    ok(
        &env,
        &["add", "b", "--url", "https://x/mcp", "--transport", "sse"],
    );
    ok(&env, &["remove", "a"]);
    let listed = ok(&env, &["list", "--json"]);
    assert_eq!(listed.lines().count(), 1);
    assert!(listed.contains("\"transport\":\"sse\""), "{listed}");
    let missing = fails(&env, &["remove", "a"]);
    assert!(
        missing.contains("there is no connector named a"),
        "{missing}"
    );
}

#[test]
fn testing_a_server_that_exits_says_why_and_exits_1() {
    let env = Env::new();
    ok(
        &env,
        &[
            "add",
            "notion",
            "--",
            "sh",
            "-c",
            "echo 'Error: NOTION_TOKEN is not set' >&2; exit 1",
        ],
    );
    let out = run(&env, &["test", "notion"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "notion: unreachable: exited with 1: Error: NOTION_TOKEN is not set"
    );
}

#[test]
fn testing_a_server_whose_variable_is_unset_names_the_variable() {
    let env = Env::new();
    ok(
        &env,
        &[
            "add",
            "gh",
            "--env",
            "TOKEN=${COWORK_TEST_UNSET_TOKEN}",
            "--",
            "gh-mcp",
        ],
    );
    let error = fails(&env, &["test", "gh"]);
    assert!(
        error.contains("COWORK_TEST_UNSET_TOKEN is not set"),
        "{error}"
    );
}

#[test]
fn testing_server_everything_lists_its_tools_and_calls_none() {
    let Some(entry) =
        cowork_test_support::consumers::npm_package("@modelcontextprotocol/server-everything")
    else {
        return;
    };
    let env = Env::new();
    ok(
        &env,
        &[
            "add",
            "everything",
            "--",
            "node",
            entry.to_str().unwrap(),
            "stdio",
        ],
    );
    let out = ok(&env, &["test", "everything"]);
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("everything: connected to mcp-servers/everything 2.0.0 (protocol 20"),
        "{out}"
    );
    assert!(first.ends_with(" over stdio"), "{out}");
    assert!(out.contains("  echo — "), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("Resources: ") && l.contains("Prompts: ")),
        "{out}"
    );
}
