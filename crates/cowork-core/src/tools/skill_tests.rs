use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::*;

fn skill(qualified: &str, body: &str) -> Skill {
    Skill {
        qualified: qualified.to_owned(),
        description: format!("what {qualified} does"),
        argument_hint: None,
        user_invocable: true,
        dir: PathBuf::from(format!("/plugins/{}", qualified.replace(':', "/"))),
        body: body.to_owned(),
    }
}

async fn call(skills: &[Skill], input: serde_json::Value) -> Result<String, ToolFailure> {
    let mut registry = ToolRegistry::default();
    register_skill_tool(&mut registry, skills);
    let tool = registry.get("Skill").expect("registered").clone();
    tool.call(
        input,
        CallContext {
            call_id: "s1".into(),
            cancel: Arc::new(AtomicBool::new(false)),
        },
    )
    .await
}

#[tokio::test]
async fn a_skill_is_loaded_by_its_qualified_name_with_its_base_directory() {
    let skills = [skill("sales:pipeline", "Review the pipeline.\n")];
    let text = call(&skills, serde_json::json!({"skill": "sales:pipeline"}))
        .await
        .unwrap();
    assert_eq!(
        text,
        "Base directory for this skill: /plugins/sales/pipeline\n\nReview the pipeline.\n"
    );
}

#[tokio::test]
async fn a_unique_bare_name_finds_the_skill_and_arguments_are_appended() {
    let skills = [skill("sales:pipeline", "Review."), skill("xlsx", "Sheets.")];
    let text = call(
        &skills,
        serde_json::json!({"skill": "pipeline", "args": "Q3 only"}),
    )
    .await
    .unwrap();
    assert!(text.ends_with("Review.\n\nARGUMENTS: Q3 only\n"), "{text}");
}

#[tokio::test]
async fn arguments_replace_the_placeholder_when_the_body_has_one() {
    let skills = [skill("standup", "Summarise $ARGUMENTS for the team.")];
    let text = call(
        &skills,
        serde_json::json!({"skill": "standup", "args": "yesterday"}),
    )
    .await
    .unwrap();
    assert!(text.contains("Summarise yesterday for the team."), "{text}");
    assert!(!text.contains("ARGUMENTS:"), "{text}");
}

#[tokio::test]
async fn an_ambiguous_bare_name_lists_the_choices() {
    let skills = [skill("a:review", "A"), skill("b:review", "B")];
    let err = call(&skills, serde_json::json!({"skill": "review"}))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("a:review, b:review"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn an_unknown_skill_names_close_matches() {
    let skills = [skill("sales:pipeline", "A"), skill("docx", "B")];
    let err = call(&skills, serde_json::json!({"skill": "pipelin"}))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("Close matches: sales:pipeline."),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn bad_arguments_are_a_tool_error_for_the_model() {
    let skills = [skill("docx", "B")];
    let err = call(&skills, serde_json::json!({"name": "docx"}))
        .await
        .unwrap_err();
    assert!(
        err.message.starts_with("Skill: invalid arguments"),
        "{}",
        err.message
    );
}

#[test]
fn no_skill_no_tool() {
    let mut registry = ToolRegistry::default();
    register_skill_tool(&mut registry, &[]);
    assert!(registry.is_empty());
}
