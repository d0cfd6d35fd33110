use cowork_protocol::{
    ContentBlock, Effect, Event, InvalidInput, StopReason, TaskId, TaskStatus, Usage,
};
use cowork_store::{Owner, Store, StoreError};

use super::{file_store, new_task, spec};

/// One of every persistent event, with awkward content where it matters.
fn every_persistent_event() -> Vec<Event> {
    vec![
        Event::UserMessage {
            text: "Also add a chart — «per month», please 📈".to_owned(),
        },
        Event::TurnStarted { turn: 1 },
        Event::AssistantMessage {
            content: vec![
                ContentBlock::Text {
                    text: "Reading the receipts.".to_owned(),
                },
                ContentBlock::ToolUse {
                    id: "call_1".to_owned(),
                    name: "Read".to_owned(),
                    input: serde_json::json!({"file_path": "receipts/a.pdf"}),
                    invalid_input: None,
                },
                ContentBlock::ToolUse {
                    id: "call_2".to_owned(),
                    name: "Glob".to_owned(),
                    input: serde_json::json!({}),
                    invalid_input: Some(InvalidInput {
                        raw: "{\"pattern\": ".to_owned(),
                        error: "EOF while parsing".to_owned(),
                    }),
                },
            ],
            stop_reason: StopReason::ToolUse,
            usage: Usage {
                input_tokens: 100,
                output_tokens: 20,
                cache_creation_input_tokens: 5,
                cache_read_input_tokens: 7,
            },
        },
        Event::ToolCallFinished {
            id: "call_1".to_owned(),
            name: "Read".to_owned(),
            content: "line 1\nline 2\u{0}nul".to_owned(),
            is_error: false,
            duration_ms: 12,
        },
        Event::ApprovalRequested {
            call_id: "call_3".to_owned(),
            tool: "Write".to_owned(),
            effect: Effect::Write,
            summary: "write report.xlsx".to_owned(),
        },
        Event::Compacted {
            summary: "We read 3 receipts.".to_owned(),
            replaced_messages: 6,
            usage: Usage {
                input_tokens: 1000,
                output_tokens: 50,
                ..Usage::default()
            },
        },
        Event::AssistantMessage {
            content: vec![ContentBlock::Text {
                text: "Done.".to_owned(),
            }],
            stop_reason: StopReason::Other("brand_new_reason".to_owned()),
            usage: Usage::default(),
        },
        Event::StatusChanged {
            status: TaskStatus::Completed,
            reason: Some("the model finished".to_owned()),
            end: None,
        },
    ]
}

#[test]
fn every_persistent_event_round_trips_in_order_with_contiguous_seqs() {
    let (_dir, store) = file_store();
    let id = TaskId::new();
    let spec = spec("Turn these receipts into an expense report");
    store
        .create_task(&id, &spec, &Owner::current().unwrap())
        .unwrap();
    let events = every_persistent_event();
    for (i, event) in events.iter().enumerate() {
        assert!(event.is_persistent());
        assert_eq!(store.append(&id, event).unwrap(), i as u64 + 2);
    }
    let stored = store.events(&id).unwrap();
    let seqs: Vec<u64> = stored.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=events.len() as u64 + 1).collect::<Vec<_>>());
    assert_eq!(stored[0].event, Event::TaskCreated { spec });
    let back: Vec<Event> = stored[1..].iter().map(|e| e.event.clone()).collect();
    assert_eq!(back, events);
    // Times are real wall-clock milliseconds.
    assert!(stored[0].at > 1_600_000_000_000);
}

#[test]
fn events_after_a_seq_are_only_the_newer_ones() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "watch me");
    for turn in 1..=4 {
        store.append(&id, &Event::TurnStarted { turn }).unwrap();
    }
    let tail = store.events_after(&id, 3).unwrap();
    assert_eq!(tail.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5]);
    assert_eq!(tail[1].event, Event::TurnStarted { turn: 4 });
    assert!(store.events_after(&id, 5).unwrap().is_empty());
}

#[test]
fn the_row_follows_status_turns_and_tokens() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "count for me");
    let fresh = store.task(id.as_str()).unwrap();
    assert_eq!(fresh.status, TaskStatus::Running);
    assert_eq!(fresh.status_reason, None);
    assert_eq!(
        (fresh.turns, fresh.input_tokens, fresh.output_tokens),
        (0, 0, 0)
    );
    assert_eq!(fresh.prompt, "count for me");
    assert_eq!(fresh.spec, spec("count for me"));
    assert_eq!(fresh.created_at, fresh.updated_at);

    for event in every_persistent_event() {
        store.append(&id, &event).unwrap();
    }
    let row = store.task(id.as_str()).unwrap();
    assert_eq!(row.status, TaskStatus::Completed);
    assert_eq!(row.status_reason.as_deref(), Some("the model finished"));
    assert_eq!(row.turns, 1);
    // 100 + 5 + 7 cached from the first answer, 1000 from compaction.
    assert_eq!(row.input_tokens, 1112);
    assert_eq!(row.output_tokens, 70);
    assert!(row.updated_at >= row.created_at);

    store.append(&id, &Event::TurnStarted { turn: 2 }).unwrap();
    store
        .append(
            &id,
            &Event::StatusChanged {
                status: TaskStatus::Failed,
                reason: None,
                end: None,
            },
        )
        .unwrap();
    let row = store.task(id.as_str()).unwrap();
    assert_eq!(row.turns, 2);
    assert_eq!(row.status, TaskStatus::Failed);
    assert_eq!(
        row.status_reason, None,
        "a new status clears the old reason"
    );
}

#[test]
fn a_transient_event_is_refused_and_not_stored() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "stream");
    let transient = [
        Event::TextDelta {
            text: "Hel".to_owned(),
        },
        Event::ToolCallStarted {
            id: "c".to_owned(),
            name: "Read".to_owned(),
            input: serde_json::json!({}),
            effect: Effect::Read,
        },
        Event::Notice {
            message: "retrying".to_owned(),
        },
    ];
    for event in &transient {
        match store.append(&id, event) {
            Err(StoreError::Transient(kind)) => assert_eq!(kind, event.kind()),
            other => panic!("expected Transient, got {other:?}"),
        }
    }
    assert_eq!(store.events(&id).unwrap().len(), 1);
}

#[test]
fn appending_to_an_unknown_task_is_not_found_and_stores_nothing() {
    let store = Store::open_in_memory().unwrap();
    let ghost = TaskId::new();
    let err = store
        .append(&ghost, &Event::TurnStarted { turn: 1 })
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound { id } if id == ghost.as_str()),
        "{err:?}"
    );
    assert!(matches!(
        store.events(&ghost),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn creating_a_task_twice_is_refused_and_keeps_the_first() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "first");
    let err = store
        .create_task(&id, &spec("second"), &Owner::current().unwrap())
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::AlreadyExists { id: dup } if *dup == id),
        "{err:?}"
    );
    assert_eq!(store.task(id.as_str()).unwrap().prompt, "first");
    assert_eq!(store.events(&id).unwrap().len(), 1);
}

#[test]
fn logs_of_different_tasks_are_numbered_independently() {
    let store = Store::open_in_memory().unwrap();
    let a = new_task(&store, "a");
    let b = new_task(&store, "b");
    assert_eq!(
        store.append(&a, &Event::TurnStarted { turn: 1 }).unwrap(),
        2
    );
    assert_eq!(
        store.append(&a, &Event::TurnStarted { turn: 2 }).unwrap(),
        3
    );
    assert_eq!(
        store.append(&b, &Event::TurnStarted { turn: 1 }).unwrap(),
        2
    );
    assert_eq!(store.events(&b).unwrap().len(), 2);
}

#[test]
fn a_batch_is_appended_in_order_in_one_go() {
    let store = Store::open_in_memory().unwrap();
    let id = new_task(&store, "batch");
    let events: Vec<Event> = (1..=3).map(|turn| Event::TurnStarted { turn }).collect();
    assert_eq!(store.append_all(&id, &events).unwrap(), vec![2, 3, 4]);
    assert_eq!(store.task(id.as_str()).unwrap().turns, 3);
    let bad = vec![
        Event::TurnStarted { turn: 4 },
        Event::TextDelta { text: "x".into() },
    ];
    assert!(store.append_all(&id, &bad).is_err());
    assert_eq!(
        store.events(&id).unwrap().len(),
        4,
        "nothing of a refused batch is kept"
    );
}

#[test]
fn a_synced_batch_lands_like_any_other() {
    let (_dir, store) = file_store();
    let id = new_task(&store, "journal");
    let events: Vec<Event> = (1..=2).map(|turn| Event::TurnStarted { turn }).collect();
    assert_eq!(store.append_all_synced(&id, &events).unwrap(), vec![2, 3]);
    store.append(&id, &Event::TurnStarted { turn: 3 }).unwrap();
    assert_eq!(store.events(&id).unwrap().len(), 4);
}
