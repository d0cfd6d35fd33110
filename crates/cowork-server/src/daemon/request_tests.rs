use std::path::PathBuf;

use cowork_protocol::config::Config;
use cowork_protocol::{PermissionMode, Provider};

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

struct Dir {
    dir: tempfile::TempDir,
    script: PathBuf,
}

fn dir() -> Dir {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.json");
    std::fs::write(&script, r#"{"turns":[{"text":"done"}]}"#).unwrap();
    Dir { dir, script }
}

fn request(d: &Dir) -> NewTask {
    NewTask {
        prompt: "tidy up".into(),
        folders: vec![FolderRequest {
            path: d.dir.path().to_path_buf(),
            read_only: true,
        }],
        mode: None,
        model: None,
        provider: None,
        base_url: None,
        script: Some(d.script.clone()),
        max_turns: None,
        max_tokens: None,
        timeout_secs: None,
        assume_yes: false,
        sandbox: None,
        allow_net: vec![],
        project: None,
    }
}

fn bad(request: NewTask) -> String {
    match prepare(request, &Config::default(), &no_env) {
        Err(BackendError::BadRequest(message)) => message,
        Err(other) => panic!("expected a 400, got {other:?}"),
        Ok(_) => panic!("expected a 400, got a task"),
    }
}

#[test]
fn a_valid_request_becomes_a_spec_with_canonical_folders_and_defaults() {
    let d = dir();
    let prepared = prepare(request(&d), &Config::default(), &no_env).unwrap();
    let spec = prepared.spec;
    assert_eq!(spec.model.provider, Provider::Script);
    assert_eq!(
        spec.folders[0].path,
        std::fs::canonicalize(d.dir.path()).unwrap()
    );
    assert!(spec.folders[0].read_only);
    assert_eq!(spec.budget.max_turns, Some(DEFAULT_MAX_TURNS));
    assert_eq!(spec.mode, PermissionMode::Ask);
    assert_eq!(prepared.run, RunChoices::default());
}

#[test]
fn the_configured_mode_applies_when_the_request_names_none() {
    let d = dir();
    let config = Config {
        mode: Some(PermissionMode::Plan),
        ..Config::default()
    };
    let prepared = prepare(request(&d), &config, &no_env).unwrap();
    assert_eq!(prepared.spec.mode, PermissionMode::Plan);
}

#[test]
fn an_empty_prompt_is_refused() {
    let d = dir();
    let message = bad(NewTask {
        prompt: "  \n".into(),
        ..request(&d)
    });
    assert!(message.contains("prompt"), "{message}");
}

#[test]
fn a_missing_folder_is_refused_naming_it() {
    let d = dir();
    let missing = d.dir.path().join("nope");
    let message = bad(NewTask {
        folders: vec![FolderRequest {
            path: missing.clone(),
            read_only: false,
        }],
        ..request(&d)
    });
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
}

#[test]
fn a_file_given_as_a_folder_is_refused_naming_it() {
    let d = dir();
    let message = bad(NewTask {
        folders: vec![FolderRequest {
            path: d.script.clone(),
            read_only: false,
        }],
        ..request(&d)
    });
    assert!(message.contains("not a folder"), "{message}");
    assert!(
        message.contains(&d.script.display().to_string()),
        "{message}"
    );
}

#[test]
fn a_relative_folder_is_refused() {
    let d = dir();
    let message = bad(NewTask {
        folders: vec![FolderRequest {
            path: "notes".into(),
            read_only: false,
        }],
        ..request(&d)
    });
    assert!(message.contains("absolute"), "{message}");
}

#[test]
fn an_unknown_provider_sandbox_or_bad_allowlist_is_refused() {
    let d = dir();
    let message = bad(NewTask {
        provider: Some("gemini".into()),
        ..request(&d)
    });
    assert!(message.contains("gemini"), "{message}");
    let message = bad(NewTask {
        sandbox: Some("off".into()),
        ..request(&d)
    });
    assert!(message.contains("sandbox"), "{message}");
    let message = bad(NewTask {
        allow_net: vec!["http://".into()],
        ..request(&d)
    });
    assert!(message.contains("allowNet"), "{message}");
}

#[test]
fn no_provider_and_no_configured_model_says_how_to_configure_one() {
    let d = dir();
    let message = bad(NewTask {
        script: None,
        ..request(&d)
    });
    assert!(message.contains("ANTHROPIC_API_KEY"), "{message}");
    assert!(!message.contains("--"), "names no CLI flag: {message}");
}

#[test]
fn a_zero_budget_is_refused() {
    let d = dir();
    let message = bad(NewTask {
        max_turns: Some(0),
        ..request(&d)
    });
    assert!(message.contains("maxTurns"), "{message}");
}

#[test]
fn run_choices_are_kept_from_the_request() {
    let d = dir();
    let prepared = prepare(
        NewTask {
            assume_yes: true,
            sandbox: Some("none".into()),
            allow_net: vec!["pypi.org".into(), "*.pythonhosted.org".into()],
            ..request(&d)
        },
        &Config::default(),
        &no_env,
    )
    .unwrap();
    assert_eq!(
        prepared.run,
        RunChoices {
            unsandboxed: true,
            allow_net: Some("pypi.org,*.pythonhosted.org".into()),
            assume_yes: true,
        }
    );
}

/// A task started from the web UI names no model: `[model]` in the
/// configuration says which, so a local server needs no environment.
#[test]
fn the_configured_model_applies_when_the_request_names_none() {
    let d = dir();
    let config = Config {
        model: cowork_protocol::config::ModelConfig {
            provider: Some(Provider::Openai),
            model: Some("qwen2.5:7b".into()),
            base_url: Some("http://127.0.0.1:9/v1".into()),
        },
        ..Config::default()
    };
    let from_web = NewTask {
        script: None,
        ..request(&d)
    };
    let prepared = prepare(from_web, &config, &no_env).unwrap();
    assert_eq!(prepared.spec.model.provider, Provider::Openai);
    assert_eq!(prepared.spec.model.model, "qwen2.5:7b");
    assert_eq!(
        prepared.spec.model.base_url.as_deref(),
        Some("http://127.0.0.1:9/v1")
    );
    // A request naming its own conversation file keeps it.
    let scripted = prepare(request(&d), &config, &no_env).unwrap();
    assert_eq!(scripted.spec.model.provider, Provider::Script);
}
