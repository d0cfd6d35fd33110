//! `/command` prompts: expanded before the first model call, recorded so a
//! resumed task sends the expansion, and refused (no task) when unknown.

use std::collections::HashMap;

use serde_json::json;

use cowork_core::{Approver, FactoryError, RunSetup, SandboxChoice};
use cowork_protocol::{Event, PermissionMode, TaskId, TaskStatus};
use cowork_store::Owner;

use super::ext_harness::*;
use super::harness::final_status;

fn standup() -> Source {
    Source {
        commands: HashMap::from([(
            "productivity:standup".to_owned(),
            "Write a standup for $ARGUMENTS.".to_owned(),
        )]),
        ..Source::default()
    }
}

fn setup(approver: Approver) -> RunSetup {
    RunSetup {
        sandbox: SandboxChoice::Auto,
        allow_net: None,
        approver,
    }
}

#[tokio::test]
async fn a_command_is_recorded_as_typed_then_expanded_before_the_first_model_call() {
    let env = env();
    let model = Recording::new(json!({"turns": [{"text": "done"}]}));
    let factory = env.factory(standup(), vec![]);
    let started = factory
        .start(request(
            env.spec("/productivity:standup yesterday", PermissionMode::Auto),
            model.clone(),
            Approver::Nobody,
        ))
        .unwrap();
    let id = started.handle.id().clone();
    assert_eq!(started.spec.prompt, "/productivity:standup yesterday");
    let events = events_of(started).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(
        first_user_texts(&model.requests()[0]),
        ["Write a standup for yesterday."]
    );
    let stored: Vec<Event> = env
        .store
        .events(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert!(
        matches!(&stored[0], Event::TaskCreated { spec } if spec.prompt == "/productivity:standup yesterday")
    );
    assert_eq!(
        stored[1],
        Event::PromptExpanded {
            name: "productivity:standup".to_owned(),
            text: "Write a standup for yesterday.".to_owned(),
        }
    );
    assert!(matches!(stored[2], Event::TurnStarted { turn: 1 }));
}

#[tokio::test]
async fn a_resumed_expanded_task_sends_the_expansion_not_the_typed_prompt() {
    let env = env();
    // No turn scripted: the first model call fails and so does the task.
    let failing = Recording::new(json!({"turns": []}));
    let factory = env.factory(standup(), vec![]);
    let started = factory
        .start(request(
            env.spec("/productivity:standup friday", PermissionMode::Auto),
            failing,
            Approver::Nobody,
        ))
        .unwrap();
    let id = started.handle.id().clone();
    assert_eq!(
        final_status(&events_of(started).await).0,
        TaskStatus::Failed
    );

    let model = Recording::new(json!({"turns": [{"text": "done"}]}));
    let resumed = factory
        .resume(id.as_str(), setup(Approver::Nobody), Some(model.clone()))
        .unwrap();
    assert_eq!(
        final_status(&events_of(resumed).await).0,
        TaskStatus::Completed
    );
    assert_eq!(
        first_user_texts(&model.requests()[0]),
        ["Write a standup for friday."]
    );
}

#[test]
fn an_unknown_command_records_no_task_and_names_close_matches() {
    let env = env();
    let factory = env.factory(standup(), vec![]);
    let model = Recording::new(json!({"turns": [{"text": "done"}]}));
    let err = factory
        .start(request(
            env.spec("/productivity:stnadup now", PermissionMode::Auto),
            model.clone(),
            Approver::Nobody,
        ))
        .unwrap_err();
    let FactoryError::UnknownCommand(unknown) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(unknown.close, ["productivity:standup"]);
    assert!(
        err.to_string()
            .contains("did you mean /productivity:standup?")
    );
    assert!(env.store.list_tasks(10).unwrap().is_empty());
    assert!(model.requests().is_empty());
}

/// The daemon records a task when it is submitted and starts it later:
/// the start expands it as a new task's does.
#[tokio::test]
async fn a_recorded_task_started_later_is_expanded_too() {
    let env = env();
    let factory = env.factory(standup(), vec![]);
    let id = TaskId::new();
    let spec = env.spec("/productivity:standup today", PermissionMode::Auto);
    env.store
        .create_task(&id, &spec, &Owner::current().unwrap())
        .unwrap();
    assert_eq!(
        factory.expand_prompt(&id, &spec).unwrap().unwrap().text,
        "Write a standup for today."
    );
    let model = Recording::new(json!({"turns": [{"text": "done"}]}));
    let started = factory
        .start_recorded(id.as_str(), setup(Approver::Nobody), Some(model.clone()))
        .unwrap();
    assert_eq!(
        final_status(&events_of(started).await).0,
        TaskStatus::Completed
    );
    assert_eq!(
        first_user_texts(&model.requests()[0]),
        ["Write a standup for today."]
    );
}

#[tokio::test]
async fn a_prompt_that_is_not_a_command_is_sent_as_typed() {
    let env = env();
    let model = Recording::new(json!({"turns": [{"text": "done"}]}));
    let factory = env.factory(standup(), vec![]);
    let started = factory
        .start(request(
            env.spec("plain words", PermissionMode::Auto),
            model.clone(),
            Approver::Nobody,
        ))
        .unwrap();
    let events = events_of(started).await;
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, Event::PromptExpanded { .. }))
    );
    assert_eq!(first_user_texts(&model.requests()[0]), ["plain words"]);
}

/// The texts of the last user message of a request.
fn last_user_texts(request: &cowork_model::ModelRequest) -> Vec<String> {
    let user = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == cowork_protocol::Role::User)
        .unwrap();
    user.content
        .iter()
        .filter_map(|b| match b {
            cowork_protocol::ContentBlock::Text { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_command_in_a_later_message_is_expanded_too() {
    let env = env();
    let model = Recording::new(
        json!({"turns": [{"text": "hello"}, {"text": "standup written"}, {"text": "welcome"}]}),
    );
    let factory = env.factory(standup(), vec![]);
    let started = factory
        .start(request(
            env.spec("hi", PermissionMode::Auto),
            model.clone(),
            Approver::Nobody,
        ))
        .unwrap();
    let id = started.handle.id().clone();
    events_of(started).await;
    let more = factory
        .continue_task(
            id.as_str(),
            "/productivity:standup monday".to_owned(),
            setup(Approver::Nobody),
            Some(model.clone()),
        )
        .unwrap();
    assert_eq!(
        final_status(&events_of(more).await).0,
        TaskStatus::Completed
    );
    let requests = model.requests();
    assert_eq!(
        last_user_texts(&requests[1]),
        ["Write a standup for monday."]
    );
    let stored: Vec<Event> = env
        .store
        .events(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    let typed = stored
        .iter()
        .position(
            |e| matches!(e, Event::UserMessage { text } if text == "/productivity:standup monday"),
        )
        .unwrap();
    assert_eq!(
        stored[typed + 1],
        Event::PromptExpanded {
            name: "productivity:standup".to_owned(),
            text: "Write a standup for monday.".to_owned(),
        }
    );
    // Going on again rebuilds the transcript from the log: it holds the
    // expansion, and the first prompt as it was.
    let again = factory
        .continue_task(
            id.as_str(),
            "thanks".to_owned(),
            setup(Approver::Nobody),
            Some(model.clone()),
        )
        .unwrap();
    events_of(again).await;
    let third = &model.requests()[2];
    let texts: Vec<String> = third
        .messages
        .iter()
        .filter(|m| m.role == cowork_protocol::Role::User)
        .flat_map(|m| m.content.iter())
        .filter_map(|b| match b {
            cowork_protocol::ContentBlock::Text { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["hi", "Write a standup for monday.", "thanks"]);
}

#[tokio::test]
async fn an_unknown_command_in_a_later_message_is_not_sent_and_says_why() {
    let env = env();
    let model = Recording::new(json!({"turns": [{"text": "hello"}]}));
    let factory = env.factory(standup(), vec![]);
    let started = factory
        .start(request(
            env.spec("hi", PermissionMode::Auto),
            model.clone(),
            Approver::Nobody,
        ))
        .unwrap();
    let id = started.handle.id().clone();
    events_of(started).await;
    let more = factory
        .continue_task(
            id.as_str(),
            "/productivity:stnadup".to_owned(),
            setup(Approver::Nobody),
            Some(model.clone()),
        )
        .unwrap();
    let events = events_of(more).await;
    assert_eq!(final_status(&events).0, TaskStatus::Completed);
    assert_eq!(model.requests().len(), 1, "the model was not called again");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Warning { source, message }
            if source == "commands" && message.contains("did you mean /productivity:standup?")
                && message.contains("not sent"))),
        "{events:?}"
    );
    assert!(
        factory
            .expand_message(
                &id,
                &env.spec("hi", PermissionMode::Auto),
                "/productivity:stnadup"
            )
            .is_err()
    );
}
