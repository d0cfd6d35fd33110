//! `cowork project …` and `cowork run --project`, through the binary.

use serde_json::json;

use super::harness::*;

fn created(env: &Env) {
    let brief = env.home.path().join("brief.txt");
    std::fs::write(&brief, "The brief: 3 pages, due Friday.\n").unwrap();
    let out = env
        .cowork()
        .args(["project", "create", "Q4 Report", "--folder"])
        .arg(format!("{}:ro", env.folder().display()))
        .args([
            "--instructions",
            "Write in British English.",
            "--link",
            "https://example.com/brief",
            "--mode",
            "plan",
            "--file",
        ])
        .arg(&brief)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("cowork run --project \"Q4 Report\""));
}

#[test]
fn a_project_is_created_listed_shown_edited_and_archived() {
    let env = Env::new();
    created(&env);
    let out = env
        .cowork()
        .args(["project", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(listed["name"], "Q4 Report");
    assert_eq!(listed["mode"], "plan");
    assert_eq!(listed["links"], json!(["https://example.com/brief"]));
    assert_eq!(listed["folders"][0]["read_only"], true);
    assert_eq!(listed["files"], json!([{"name": "brief.txt", "size": 32}]));

    let out = env
        .cowork()
        .args(["project", "show", "q4 report"])
        .output()
        .unwrap();
    let shown = stdout(&out);
    assert!(shown.contains("Write in British English."), "{shown}");
    assert!(shown.contains("brief.txt (32 bytes)"), "{shown}");

    let out = env
        .cowork()
        .args([
            "project",
            "edit",
            "Q4 Report",
            "--rename",
            "Annual Report",
            "--no-mode",
            "--remove-file",
            "brief.txt",
            "--add-link",
            "https://example.com/data",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env
        .cowork()
        .args(["project", "show", "Annual Report", "--json"])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(shown["mode"], serde_json::Value::Null);
    assert_eq!(shown["files"], json!([]));
    assert_eq!(shown["links"].as_array().unwrap().len(), 2);

    let out = env
        .cowork()
        .args(["project", "archive", "Annual Report"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.cowork().args(["project", "list"]).output().unwrap();
    assert!(stdout(&out).contains("No projects yet"), "{}", stdout(&out));
    let out = env
        .cowork()
        .args(["project", "list", "--all"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("(archived)"), "{}", stdout(&out));
}

#[test]
fn bad_project_input_is_refused_with_what_to_do() {
    let env = Env::new();
    created(&env);
    let cases: [(&[&str], &str); 4] = [
        (&["project", "create", "q4 report"], "exists already"),
        (
            &["project", "create", "X", "--link", "ftp://host/file"],
            "only http and https",
        ),
        (&["project", "show", "Nope"], "no project is named `Nope`"),
        (
            &[
                "project",
                "edit",
                "Q4 Report",
                "--remove-file",
                "missing.txt",
            ],
            "no file named",
        ),
    ];
    for (args, expected) in cases {
        let out = env.cowork().args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_task_run_in_a_project_gets_its_folders_and_mode_and_records_it() {
    let env = Env::new();
    created(&env);
    let script = env.home.path().join("script.json");
    std::fs::write(&script, json!({"turns": [{"text": "planned"}]}).to_string()).unwrap();
    let out = env
        .cowork()
        .args(["run", "--local", "--provider", "script", "--script"])
        .arg(&script)
        .args(["--project", "Q4 Report", "make a plan"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env
        .cowork()
        .args(["show", "last", "--json"])
        .output()
        .unwrap();
    let first: serde_json::Value =
        serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    let spec = &first["task"]["spec"];
    assert_eq!(spec["mode"], "plan");
    assert_eq!(spec["folders"][0]["read_only"], true);
    assert_eq!(spec["project"].as_str().unwrap().len(), 12);

    let out = env
        .cowork()
        .args(["project", "show", "Q4 Report"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("make a plan"), "{}", stdout(&out));
    let exported = env.home.path().join("task.md");
    env.cowork()
        .args(["export", "last", "-o"])
        .arg(&exported)
        .assert()
        .success();
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("- **Project:** Q4 Report"), "{text}");

    env.cowork()
        .args(["project", "archive", "Q4 Report"])
        .assert()
        .success();
    let out = env
        .cowork()
        .args(["run", "--local", "--provider", "script", "--script"])
        .arg(&script)
        .args(["--project", "Q4 Report", "again"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is archived"), "{}", stderr(&out));
}

#[test]
fn a_project_tasks_memory_is_the_projects_and_reaches_its_next_task() {
    let env = Env::new();
    env.cowork()
        .args(["project", "create", "Garden"])
        .assert()
        .success();
    let script = env.home.path().join("remember.json");
    std::fs::write(
        &script,
        json!({"turns": [
            {"tool_calls": [{"name": "Memory", "input": {
                "action": "remember", "scope": "project",
                "content": "The tomatoes are watered on Tuesdays."}}]},
            {"text": "noted"}
        ]})
        .to_string(),
    )
    .unwrap();
    let out = env
        .cowork()
        .args([
            "run",
            "--local",
            "--yes",
            "--mode",
            "auto",
            "--provider",
            "script",
            "--script",
        ])
        .arg(&script)
        .args(["--project", "Garden", "remember the watering day"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env
        .cowork()
        .args(["memory", "list", "--project", "Garden", "--json"])
        .output()
        .unwrap();
    let entries: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["project_name"], "Garden");
    assert!(entries[0]["task"].is_string(), "the task that made it");
    // Not the global memory: a task outside the project does not see it.
    let global = env
        .cowork()
        .args(["memory", "list", "--global", "--json"])
        .output()
        .unwrap();
    assert!(stdout(&global).trim().is_empty(), "{}", stdout(&global));
}
