//! Skills in a task: named in the system prompt, loaded with `Skill`,
//! their files read (never changed) through the read tools and commands.

use std::sync::Arc;

use serde_json::json;

use cowork_core::Approver;
use cowork_protocol::{Event, PermissionMode, TaskStatus};

use super::ext_harness::*;
use super::harness::{final_status, tool_results};

#[tokio::test]
async fn a_task_loads_a_skill_reads_its_reference_file_and_cannot_write_in_its_folder() {
    let env = env();
    std::fs::write(env.folder.join("note.txt"), "NOTE\n").unwrap();
    let skill = skill_in(
        &env.root.join("plugins"),
        "sales:pipeline",
        "Review the pipeline.",
    );
    let dir = skill.dir.clone();
    let source = Source {
        skills: vec![skill],
        read_only: vec![dir.clone()],
        ..Source::default()
    };
    let guide = dir.join("references/guide.md");
    let model = Recording::new(json!({"turns": [
        {"tool_calls": [{"name": "Skill", "input": {"skill": "sales:pipeline"}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": guide}}]},
        {"tool_calls": [{"name": "Write", "input": {"file_path": dir.join("mine.md"), "content": "x"}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": "note.txt"}}]},
        {"text": "done"}
    ]}));
    let factory = env.factory(source, vec![]);
    let started = factory
        .start(request(
            env.spec("review the pipeline", PermissionMode::Auto),
            model.clone(),
            Approver::AssumeYes,
        ))
        .unwrap();
    let events = events_of(started).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);

    let first = &model.requests()[0];
    assert!(
        first
            .system
            .contains("- sales:pipeline: Does sales:pipeline work.\n"),
        "{}",
        first.system
    );
    assert!(!first.system.contains("Review the pipeline."), "no body");
    assert!(first.system.contains(&format!("- {}\n", dir.display())));
    assert!(first.tools.iter().any(|t| t.name == "Skill"));

    let results = tool_results(&events);
    assert_eq!(
        results[0].1,
        format!(
            "Base directory for this skill: {}\n\nReview the pipeline.\n",
            dir.display()
        )
    );
    assert!(!results[0].2);
    assert!(results[1].1.contains("GUIDE: use blue ink"), "{results:?}");
    assert!(results[2].2, "writing in a skill folder fails: {results:?}");
    assert!(!dir.join("mine.md").exists());
    // Relative paths still resolve in the task's own folder.
    assert!(results[3].1.contains("NOTE"), "{results:?}");
}

/// Deepest grant wins: a read-write task folder holding a skill folder
/// (a folder's own `.claude/skills/`) does not make the skill writable.
#[tokio::test]
async fn a_skill_folder_inside_a_read_write_task_folder_stays_read_only() {
    let env = env();
    let skill = skill_in(&env.folder.join(".claude/skills"), "tidy", "Tidy up.");
    let dir = skill.dir.clone();
    let source = Source {
        skills: vec![skill],
        read_only: vec![dir.clone()],
        ..Source::default()
    };
    // Every tool that changes files, by absolute and by relative path.
    let model = Recording::new(json!({"turns": [
        {"tool_calls": [{"name": "Write", "input": {"file_path": dir.join("SKILL.md"), "content": "pwned"}}]},
        {"tool_calls": [{"name": "Edit", "input": {"file_path": ".claude/skills/tidy/SKILL.md", "old_string": "Tidy", "new_string": "Mess"}}]},
        {"tool_calls": [{"name": "Delete", "input": {"path": dir.join("references/guide.md")}}]},
        {"tool_calls": [{"name": "Move", "input": {"from": ".claude/skills/tidy/SKILL.md", "to": "stolen.md"}}]},
        {"tool_calls": [{"name": "Move", "input": {"from": "note.txt", "to": ".claude/skills/tidy/note.txt"}}]},
        {"tool_calls": [{"name": "Mkdir", "input": {"path": dir.join("new")}}]},
        {"tool_calls": [{"name": "Write", "input": {"file_path": "out.txt", "content": "fine"}}]},
        {"text": "done"}
    ]}));
    std::fs::write(env.folder.join("note.txt"), "n").unwrap();
    let factory = env.factory(source, vec![]);
    let started = factory
        .start(request(
            env.spec("tidy", PermissionMode::Auto),
            model,
            Approver::AssumeYes,
        ))
        .unwrap();
    let results = tool_results(&events_of(started).await);
    assert!(results[..6].iter().all(|r| r.2), "{results:?}");
    assert!(
        !results[6].2,
        "the task folder itself stays writable: {results:?}"
    );
    assert!(dir.join("references/guide.md").exists() && !dir.join("new").exists());
    assert!(!dir.join("note.txt").exists() && env.folder.join("note.txt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("SKILL.md")).unwrap(),
        "---\nname: x\n---\nTidy up."
    );
    assert_eq!(
        std::fs::read_to_string(env.folder.join("out.txt")).unwrap(),
        "fine"
    );
}

/// Regression: installed plugins live in cowork's data dir, which tasks
/// may never see; their skill folders must be readable all the same, and
/// nothing else of the data dir.
#[tokio::test]
async fn a_skill_of_an_installed_plugin_in_the_data_dir_is_readable_and_the_rest_of_it_is_not() {
    let env = env();
    let skill = skill_in(&env.root.join("data/plugins/cache/p"), "p:s", "Body.");
    let dir = skill.dir.clone();
    std::fs::create_dir_all(env.root.join("data/mcp")).unwrap();
    std::fs::write(env.root.join("data/mcp/tokens.json"), "SECRET").unwrap();
    let source = Source {
        skills: vec![skill],
        read_only: vec![dir.clone()],
        ..Source::default()
    };
    let model = Recording::new(json!({"turns": [
        {"tool_calls": [{"name": "Read", "input": {"file_path": dir.join("references/guide.md")}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": env.root.join("data/mcp/tokens.json")}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": dir.join("../../../.mcp.json")}}]},
        {"text": "done"}
    ]}));
    std::fs::write(env.root.join("data/plugins/cache/p/.mcp.json"), "{}").unwrap();
    let factory = env.factory(source, vec![]);
    // The task's folder holds the data dir, as `--folder ~` would.
    let spec = task_spec("read", vec![env.root.clone()], PermissionMode::Auto);
    let started = factory
        .start(request(spec, model, Approver::Nobody))
        .unwrap();
    let events = events_of(started).await;
    // Commands never see cowork's data dir, which the task's folder holds
    // here: the skill folder in it is out of their sight, and the person
    // is told.
    assert!(
        warnings(&events)
            .iter()
            .any(|(_, m)| m.contains("commands (Bash) cannot see the skill folder")),
        "{:?}",
        warnings(&events)
    );
    let results = tool_results(&events);
    assert!(results[0].1.contains("GUIDE"), "{results:?}");
    assert!(
        results[1].2 && !results[1].1.contains("SECRET"),
        "{results:?}"
    );
    assert!(results[2].2, "{results:?}");
}

#[tokio::test]
async fn a_task_without_a_folder_reads_its_skills_files_and_nothing_else() {
    let env = env();
    std::fs::write(env.folder.join("private.txt"), "PRIVATE").unwrap();
    let skill = skill_in(&env.root.join("plugins"), "docx", "Word.");
    let dir = skill.dir.clone();
    let source = Source {
        skills: vec![skill],
        read_only: vec![dir.clone()],
        ..Source::default()
    };
    let model = Recording::new(json!({"turns": [
        {"tool_calls": [{"name": "Read", "input": {"file_path": dir.join("references/guide.md")}}]},
        {"tool_calls": [{"name": "Read", "input": {"file_path": env.folder.join("private.txt")}}]},
        {"text": "done"}
    ]}));
    let factory = env.factory(source, vec![]);
    let spec = task_spec("write a letter", vec![], PermissionMode::Auto);
    let started = factory
        .start(request(spec, model.clone(), Approver::Nobody))
        .unwrap();
    let results = tool_results(&events_of(started).await);
    let tools: Vec<String> = model.requests()[0]
        .tools
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert!(
        ["Read", "Glob", "Grep", "Skill"]
            .iter()
            .all(|t| tools.contains(&(*t).to_owned())),
        "{tools:?}"
    );
    assert!(!tools.contains(&"Write".to_owned()), "{tools:?}");
    assert!(results[0].1.contains("GUIDE"), "{results:?}");
    assert!(
        results[1].2 && !results[1].1.contains("PRIVATE"),
        "{results:?}"
    );
}

#[tokio::test]
async fn notices_and_a_missing_skill_folder_are_warnings_not_failures() {
    let env = env();
    let source = Source {
        read_only: vec![env.root.join("gone")],
        notices: vec!["skipped skill x: no description".to_owned()],
        ..Source::default()
    };
    let model = Recording::new(json!({"turns": [{"text": "done"}]}));
    let factory = env.factory(source, vec![]);
    let started = factory
        .start(request(
            env.spec("hi", PermissionMode::Auto),
            model,
            Approver::Nobody,
        ))
        .unwrap();
    let events = events_of(started).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    let warnings = warnings(&events);
    assert_eq!(
        warnings[0],
        (
            "plugins".to_owned(),
            "skipped skill x: no description".to_owned()
        )
    );
    assert!(
        warnings[1].1.contains("gone") && warnings[1].0 == "plugins",
        "{warnings:?}"
    );
}

/// Commands see a skill folder read-only: reading works, changing fails,
/// whether the folder lies inside the task's writable folder or in
/// cowork's data dir.
#[tokio::test]
async fn bash_reads_and_runs_a_skill_folder_and_cannot_change_it() {
    let env = env();
    let nested = skill_in(&env.folder.join(".claude/skills"), "a", "A.");
    let installed = skill_in(&env.root.join("data/plugins/p"), "p:b", "B.");
    let dirs = vec![nested.dir.clone(), installed.dir.clone()];
    let source = Source {
        skills: vec![nested, installed],
        read_only: dirs.clone(),
        ..Source::default()
    };
    for dir in &dirs {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("hello.sh");
        std::fs::write(&script, "#!/bin/sh\necho HELLO-FROM-SKILL\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // A skill's scripts run in the sandbox, from their folder.
    let command = dirs
        .iter()
        .map(|d| {
            format!(
                "cat {0}/references/guide.md; {0}/hello.sh; touch {0}/new.txt; echo rc=$?",
                d.display()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let model = Recording::new(json!({"turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command": command}}]},
        {"text": "done"}
    ]}));
    let factory = env.factory_probed(source, vec![], cowork_sandbox::probe);
    let started = factory
        .start(request(
            env.spec("run", PermissionMode::Auto),
            model,
            Approver::AssumeYes,
        ))
        .unwrap();
    assert!(
        started.notices.is_empty(),
        "the sandbox is needed here: {:?}",
        started.notices
    );
    let results = tool_results(&events_of(started).await);
    let out = &results[0].1;
    assert_eq!(out.matches("GUIDE: use blue ink").count(), 2, "{out}");
    assert_eq!(out.matches("rc=1").count(), 2, "{out}");
    assert_eq!(out.matches("HELLO-FROM-SKILL").count(), 2, "{out}");
    assert!(dirs.iter().all(|d| !d.join("new.txt").exists()));
}

#[tokio::test]
async fn the_skill_tool_is_offered_only_with_skills() {
    let env = env();
    let model = Recording::new(json!({"turns": [{"text": "done"}]}));
    let factory = env.factory(Source::default(), vec![]);
    let started = factory
        .start(request(
            env.spec("hi", PermissionMode::Auto),
            model.clone(),
            Approver::Nobody,
        ))
        .unwrap();
    let events = events_of(started).await;
    assert!(events.iter().all(|e| !matches!(e, Event::Warning { .. })));
    let request = &model.requests()[0];
    assert!(request.tools.iter().all(|t| t.name != "Skill"));
    assert!(!request.system.contains("Skills:"));
    let _ = Arc::clone(&model);
}
