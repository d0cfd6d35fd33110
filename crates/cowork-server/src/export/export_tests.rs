//! The export's model and its three renderings, from a log written to an
//! in-memory store: what each format shows, that nothing leaves the HTML
//! page, and that a secret in any field of any event never comes out.

use cowork_protocol::{
    ApprovalDecision, ConnectorStatus, ContentBlock, Effect, Event, FolderGrant, ModelChoice,
    PermissionMode, Provider, StopReason, TaskId, TaskSpec, TaskStatus, Usage,
};
use cowork_store::{Owner, Store};
use serde_json::json;

use super::*;

const SECRET: &str = "Zq9-known-secret-77";

fn spec(prompt: &str) -> TaskSpec {
    TaskSpec {
        prompt: prompt.to_owned(),
        folders: vec![FolderGrant {
            path: "/data/reports".into(),
            read_only: false,
        }],
        model: ModelChoice {
            provider: Provider::Script,
            model: "script".into(),
            base_url: None,
            script: None,
        },
        budget: Default::default(),
        mode: PermissionMode::Ask,
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    }
}

fn assistant(content: Vec<ContentBlock>) -> Event {
    Event::AssistantMessage {
        content,
        stop_reason: StopReason::ToolUse,
        usage: Usage::default(),
    }
}

fn text(text: &str) -> ContentBlock {
    ContentBlock::Text { text: text.into() }
}

fn tool_use(id: &str, name: &str, input: serde_json::Value) -> ContentBlock {
    ContentBlock::ToolUse {
        id: id.into(),
        name: name.into(),
        input,
        invalid_input: None,
    }
}

fn finished(id: &str, name: &str, content: &str, is_error: bool) -> Event {
    Event::ToolCallFinished {
        id: id.into(),
        name: name.into(),
        content: content.into(),
        is_error,
        duration_ms: 12,
    }
}

/// A task whose log holds `marker` in every field a person or a tool can
/// fill, in every kind of event.
fn log_with(marker: &str) -> (TaskSpec, Vec<Event>) {
    let events = vec![
        Event::PromptExpanded {
            name: format!("cmd-{marker}"),
            text: format!("expanded {marker}"),
        },
        Event::Connector {
            server: format!("crm-{marker}"),
            status: ConnectorStatus::Unreachable {
                error: format!("401 for token {marker}"),
            },
        },
        Event::Warning {
            source: format!("hook {marker}"),
            message: format!("said {marker}"),
        },
        assistant(vec![
            text(&format!("Reading with key {marker}.")),
            tool_use(
                "c1",
                "Bash",
                json!({"command": format!("curl -H 'X-Key: {marker}'"), "env": {marker: [marker]}}),
            ),
        ]),
        Event::ApprovalRequested {
            call_id: "c1".into(),
            tool: "Bash".into(),
            effect: Effect::Execute,
            summary: format!("run curl with {marker}"),
        },
        Event::ApprovalDecided {
            call_id: "c1".into(),
            decision: ApprovalDecision::Deny {
                message: Some(format!("not with {marker}")),
            },
            by: "web".into(),
        },
        finished("c1", "Bash", &format!("denied: {marker}"), true),
        Event::UserMessage {
            text: format!("use {marker} instead"),
        },
        Event::Compacted {
            summary: format!("so far: {marker}"),
            replaced_messages: 4,
            usage: Usage::default(),
        },
        Event::StatusChanged {
            status: TaskStatus::Failed,
            reason: Some(format!("failed on {marker}")),
            end: None,
        },
    ];
    (spec(&format!("Summarise with key {marker}")), events)
}

fn stored(spec: &TaskSpec, events: &[Event]) -> (Store, TaskId) {
    let store = Store::open_in_memory().unwrap();
    let id = TaskId::new();
    store
        .create_task(&id, spec, &Owner::current().unwrap())
        .unwrap();
    for event in events {
        store.append(&id, event).unwrap();
    }
    (store, id)
}

fn export_all(spec: &TaskSpec, events: &[Event], redactor: &Redactor) -> Vec<(Format, String)> {
    let (store, id) = stored(spec, events);
    let row = store.task(id.as_str()).unwrap();
    let events = store.events(&id).unwrap();
    let model = build(&row, &events, Sources::default(), redactor, 0).unwrap();
    [Format::Html, Format::Markdown, Format::Json]
        .into_iter()
        .map(|format| (format, render(&model, format, redactor).unwrap()))
        .collect()
}

#[test]
fn a_known_secret_in_any_field_of_any_event_never_reaches_any_format() {
    let (spec, events) = log_with(SECRET);
    let redactor = Redactor::new([SECRET.to_owned()]);
    for (format, out) in export_all(&spec, &events, &redactor) {
        assert!(!out.contains(SECRET), "{format:?} holds the secret:\n{out}");
        assert!(out.contains(REDACTED), "{format:?} says what it redacted");
    }
}

#[test]
fn a_token_shape_in_any_field_is_redacted_without_being_declared() {
    let token = "ghp_0123456789abcdefABCDEF0123456789ab";
    let (spec, events) = log_with(token);
    for (format, out) in export_all(&spec, &events, &Redactor::default()) {
        assert!(!out.contains(token), "{format:?} holds the token:\n{out}");
    }
}

#[test]
fn the_same_log_without_secrets_is_shown_whole() {
    let (spec, events) = log_with("harmless");
    for (format, out) in export_all(&spec, &events, &Redactor::new([SECRET.to_owned()])) {
        let body = out.replace("replaced by [redacted]", "");
        assert!(
            !body.contains(REDACTED),
            "{format:?} redacted nothing secret"
        );
        assert!(out.contains("use harmless instead"), "{format:?}");
    }
}

#[test]
fn the_html_page_fetches_nothing_and_runs_nothing_whatever_the_model_wrote() {
    let events = vec![
        assistant(vec![text(
            "See [the site](https://evil.example/x) and ![chart](https://evil.example/c.png) \
             <img src=\"https://evil.example/y.png\"> <script>alert(1)</script>",
        )]),
        Event::StatusChanged {
            status: TaskStatus::Completed,
            reason: None,
            end: None,
        },
    ];
    let exported = export_all(
        &spec("<script>alert(2)</script>"),
        &events,
        &Redactor::default(),
    );
    let html = &exported[0].1;
    assert!(html.contains(&format!("content=\"{CSP}\"")), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img src=\"https"), "{html}");
    assert!(!html.contains("href=\"https"), "{html}");
    assert!(
        html.contains("the site (https://evil.example/x)"),
        "links become text"
    );
    assert!(
        html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"),
        "{html}"
    );
}

#[test]
fn long_results_are_collapsed_and_short_ones_shown_open() {
    let long: String = (0..40).map(|i| format!("line {i}\n")).collect();
    let events = vec![
        assistant(vec![
            tool_use("a", "Read", json!({"file_path": "short.txt"})),
            tool_use("b", "Read", json!({"file_path": "long.txt"})),
        ]),
        finished("a", "Read", "just one line", false),
        finished("b", "Read", &long, false),
    ];
    let html = &export_all(&spec("read"), &events, &Redactor::default())[0].1;
    assert!(html.contains("<pre>just one line</pre>"), "{html}");
    assert!(
        html.contains("<details><summary>Result (40 lines)</summary><pre>line 0"),
        "{html}"
    );
}

#[test]
fn a_call_that_never_finished_and_an_unanswered_question_say_so() {
    let events = vec![
        assistant(vec![tool_use(
            "a",
            "Write",
            json!({"file_path": "x.txt", "content": "x"}),
        )]),
        Event::ApprovalRequested {
            call_id: "a".into(),
            tool: "Write".into(),
            effect: Effect::Write,
            summary: "create x.txt".into(),
        },
        Event::StatusChanged {
            status: TaskStatus::Interrupted,
            reason: None,
            end: None,
        },
    ];
    let exported = export_all(&spec("write"), &events, &Redactor::default());
    assert!(exported[0].1.contains("did not finish"));
    assert!(exported[0].1.contains("not answered"));
    assert!(
        exported[1].1.contains("_did not finish_"),
        "{}",
        exported[1].1
    );
}

#[test]
fn the_json_export_is_versioned_and_reads_back_as_it_was_written() {
    let (spec, events) = log_with("harmless");
    let exported = export_all(&spec, &events, &Redactor::default());
    let json = &exported[2].1;
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(value["format_version"], FORMAT_VERSION);
    assert_eq!(value["task"]["status"], "failed");
    assert_eq!(value["task"]["folders"][0]["path"], "/data/reports");
    let kinds: Vec<&str> = value["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "user",
            "command",
            "connector",
            "warning",
            "assistant",
            "tool_call",
            "user",
            "compacted",
            "status"
        ]
    );
    let call = &value["steps"][5];
    assert_eq!(call["approval"]["decision"], "denied");
    assert_eq!(call["approval"]["by"], "web");
    assert_eq!(call["approval"]["by_words"], "the person, in the web UI");
    assert_eq!(call["is_error"], true);
    let back: Export = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), value);
}

#[test]
fn markdown_keeps_task_text_from_becoming_markup_or_closing_its_fences() {
    let events = vec![
        assistant(vec![tool_use("a", "Read", json!({"file_path": "x.md"}))]),
        finished("a", "Read", "```\n# not a heading\n````\n", false),
    ];
    let md = &export_all(
        &spec("# heading?\n[link](https://x)"),
        &events,
        &Redactor::default(),
    )[1]
    .1;
    assert!(md.contains("> \\# heading?"), "{md}");
    assert!(md.contains("> \\[link\\](https://x)"), "{md}");
    assert!(
        md.contains("`````text\n```\n# not a heading\n````\n`````"),
        "{md}"
    );
}

#[test]
fn the_format_follows_the_extension_and_defaults_to_html() {
    let of = |name: &str| Format::from_extension(std::path::Path::new(name));
    assert_eq!(of("a.HTML"), Some(Format::Html));
    assert_eq!(of("a.md"), Some(Format::Markdown));
    assert_eq!(of("a.json"), Some(Format::Json));
    assert_eq!(of("a.txt"), None);
    assert_eq!(of("noext"), None);
}

/// A fixed task row and log, for output that must not vary between runs.
fn fixed() -> (cowork_store::TaskRow, Vec<cowork_store::StoredEvent>) {
    let (spec, _) = log_with("x");
    let events = vec![
        Event::TaskCreated { spec: spec.clone() },
        assistant(vec![
            text("I will write the summary."),
            tool_use(
                "w1",
                "Write",
                json!({"file_path": "summary.md", "content": "# Summary\n\nAll good.\n"}),
            ),
        ]),
        Event::ApprovalRequested {
            call_id: "w1".into(),
            tool: "Write".into(),
            effect: Effect::Write,
            summary: "create summary.md (3 lines)".into(),
        },
        Event::ApprovalDecided {
            call_id: "w1".into(),
            decision: ApprovalDecision::AllowOnce,
            by: "terminal".into(),
        },
        finished(
            "w1",
            "Write",
            "Created `summary.md` (3 lines, 22 B).",
            false,
        ),
        assistant(vec![text("Done.")]),
        Event::StatusChanged {
            status: TaskStatus::Completed,
            reason: None,
            end: None,
        },
    ];
    let start = 1_796_479_387_000;
    let stored = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| cowork_store::StoredEvent {
            seq: i as u64 + 1,
            at: start + i as i64 * 1000,
            event,
        })
        .collect();
    let row = cowork_store::TaskRow {
        id: TaskId::from_raw("0123456789abcdef0123456789abcdef"),
        created_at: start,
        updated_at: start + 6000,
        status: TaskStatus::Completed,
        status_reason: None,
        prompt: spec.prompt.clone(),
        spec,
        turns: 2,
        input_tokens: 1200,
        output_tokens: 80,
        host: cowork_store::Host::Cli,
    };
    (row, stored)
}

#[test]
fn the_markdown_export_of_a_small_task_reads_as_a_report() {
    let (row, events) = fixed();
    let redactor = Redactor::default();
    let model = build(
        &row,
        &events,
        Sources::default(),
        &redactor,
        1_796_479_400_000,
    )
    .unwrap();
    let md = render(&model, Format::Markdown, &redactor).unwrap();
    insta::assert_snapshot!(md.replace(env!("CARGO_PKG_VERSION"), "VERSION"));
}
