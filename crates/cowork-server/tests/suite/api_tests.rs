//! The JSON API's routes over the fake backend.

use std::collections::BTreeSet;

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use cowork_protocol::ApprovalDecision;
use cowork_server::Front;

use super::harness::{TestServer, error_message};

#[tokio::test]
async fn creating_a_task_returns_its_id_and_it_is_listed_and_shown() {
    let t = TestServer::start().await;
    let created = t
        .api(Method::POST, "/api/tasks")
        .json(&json!({"prompt": "summarise", "folders": [{"path": "/tmp/x", "readOnly": true}], "mode": "auto"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let list: Value = t
        .api(Method::GET, "/api/tasks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["prompt"], "summarise");
    assert_eq!(list[0]["status"], "running");
    assert!(list[0].get("pendingCount").is_some(), "camelCase: {list}");

    let detail: Value = t
        .api(Method::GET, &format!("/api/tasks/{}", &id[..8]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["id"], id.as_str());
    assert_eq!(detail["mode"], "ask");
}

#[tokio::test]
async fn malformed_bodies_are_400_with_an_error_naming_the_problem() {
    let t = TestServer::start().await;
    let cases = [
        (json!({"folders": []}), "prompt"),
        (json!({"prompt": "x", "bogus": 1}), "bogus"),
        (json!({"prompt": "   "}), "prompt"),
        (json!({"prompt": "x", "mode": "yolo"}), "yolo"),
    ];
    for (body, named) in cases {
        let response = t
            .api(Method::POST, "/api/tasks")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16() / 100, 4, "{body}");
        let message = error_message(response).await;
        assert!(message.contains(named), "{body}: {message}");
    }
    let not_json = t
        .api(Method::POST, "/api/tasks")
        .header(CONTENT_TYPE, "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    assert!(!error_message(not_json).await.is_empty());
    let bad_limit = t
        .api(Method::GET, "/api/tasks?limit=0")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_limit.status(), 400);
}

#[tokio::test]
async fn unknown_task_is_404_with_the_backends_message() {
    let t = TestServer::start().await;
    let response = t
        .api(Method::GET, "/api/tasks/ffffffff")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(error_message(response).await.contains("ffffffff"));
}

#[tokio::test]
async fn each_decision_maps_to_its_approval_decision_and_records_the_front() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    for approval in ["a1", "a2", "a3", "a4", "a5"] {
        t.backend.ask_approval(&id, approval);
    }
    let detail: Value = t
        .api(Method::GET, &format!("/api/tasks/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["pendingApprovals"].as_array().unwrap().len(), 5);
    assert_eq!(detail["pendingApprovals"][0]["tool"], "write_file");

    let decide = |approval: &str, body: Value| {
        t.api(
            Method::POST,
            &format!("/api/tasks/{id}/approvals/{approval}"),
        )
        .json(&body)
        .send()
    };
    assert_eq!(
        decide("a1", json!({"decision": "allowOnce"}))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        decide("a2", json!({"decision": "allowTask"}))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        decide("a3", json!({"decision": "deny", "message": "not there"}))
            .await
            .unwrap()
            .status(),
        204
    );
    let by_terminal = t
        .api(Method::POST, &format!("/api/tasks/{id}/approvals/a5"))
        .header("x-cowork-front", "terminal")
        .json(&json!({"decision": "allowOnce"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_terminal.status(), 204);
    let session = t.sign_in().await;
    let by_browser = t
        .browser(
            &session,
            Method::POST,
            &format!("/api/tasks/{id}/approvals/a4"),
        )
        .header("x-csrf-token", &session.csrf)
        .json(&json!({"decision": "deny"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_browser.status(), 204);

    t.backend.with_task(&id, |task| {
        assert_eq!(
            task.decisions,
            [
                ("a1".to_owned(), ApprovalDecision::AllowOnce, Front::Api),
                ("a2".to_owned(), ApprovalDecision::AllowForTask, Front::Api),
                (
                    "a3".to_owned(),
                    ApprovalDecision::Deny {
                        message: Some("not there".into())
                    },
                    Front::Api
                ),
                (
                    "a5".to_owned(),
                    ApprovalDecision::AllowOnce,
                    Front::Terminal
                ),
                (
                    "a4".to_owned(),
                    ApprovalDecision::Deny { message: None },
                    Front::Web
                ),
            ]
        );
    });

    let again = decide("a1", json!({"decision": "deny"})).await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(error_message(again).await.contains("already answered"));
}

#[tokio::test]
async fn decision_body_that_makes_no_sense_is_a_400() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    t.backend.ask_approval(&id, "a1");
    for body in [
        json!({"decision": "allowOnce", "message": "why?"}),
        json!({"decision": "allow_once"}),
        json!({"decision": "AllowForTask"}),
        json!({}),
    ] {
        let response = t
            .api(Method::POST, &format!("/api/tasks/{id}/approvals/a1"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16() / 100, 4, "{body}");
    }
    t.backend.with_task(&id, |task| {
        assert_eq!(task.pending.len(), 1, "still pending")
    });
}

#[tokio::test]
async fn cancel_message_undo_and_files_reach_the_backend() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    t.backend.touch(&id, "/work/notes.md", b"# notes");

    let message = t
        .api(Method::POST, &format!("/api/tasks/{id}/messages"))
        .json(&json!({"text": "and a summary"}))
        .send()
        .await
        .unwrap();
    assert_eq!(message.status(), 202);
    let empty = t
        .api(Method::POST, &format!("/api/tasks/{id}/messages"))
        .json(&json!({"text": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);

    let files: Value = t
        .api(Method::GET, &format!("/api/tasks/{id}/files"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        files,
        json!([{"path": "/work/notes.md", "change": "created", "size": 7, "exists": true}])
    );

    let dry: Value = t
        .api(Method::POST, &format!("/api/tasks/{id}/undo"))
        .json(&json!({"dryRun": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dry["dryRun"], true);
    assert_eq!(dry["restored"], 0);
    assert_eq!(dry["steps"][0], "remove /work/notes.md");
    let no_flag = t
        .api(Method::POST, &format!("/api/tasks/{id}/undo"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_flag.status().as_u16() / 100,
        4,
        "dryRun is never guessed"
    );

    let cancel = t
        .api(Method::POST, &format!("/api/tasks/{id}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 204);
    let twice = t
        .api(Method::POST, &format!("/api/tasks/{id}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 409);
    t.backend.with_task(&id, |task| {
        assert_eq!(task.messages, ["and a summary"]);
    });
}

#[tokio::test]
async fn openapi_document_lists_every_route_the_server_answers() {
    let t = TestServer::start().await;
    let document: Value = t
        .api(Method::GET, "/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut listed = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                listed.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let expected: BTreeSet<String> = [
        "POST /api/tasks",
        "GET /api/tasks",
        "GET /api/tasks/{id}",
        "GET /api/tasks/{id}/events",
        "POST /api/tasks/{id}/approvals/{approvalId}",
        "POST /api/tasks/{id}/cancel",
        "POST /api/tasks/{id}/messages",
        "POST /api/tasks/{id}/undo",
        "GET /api/tasks/{id}/files",
        "GET /api/files/preview",
        "GET /api/files/download",
        "GET /api/openapi.json",
        "GET /api/health",
        "GET /api/session",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(listed, expected);
    let schemes = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(schemes["scheme"], "bearer");
    assert_eq!(
        document["paths"]["/api/health"]["get"]["security"],
        json!([{}])
    );
    for schema in [
        "NewTask",
        "TaskDetail",
        "TaskSummary",
        "UndoReport",
        "DecisionRequest",
    ] {
        assert!(
            document["components"]["schemas"].get(schema).is_some(),
            "{schema} missing"
        );
    }
    // Every listed route answers (not the router's 404) with the token.
    for route in &expected {
        let (method, path) = route.split_once(' ').unwrap();
        let path = path.replace("{id}", "ffff").replace("{approvalId}", "a1");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = t.api(method, &path).send().await.unwrap();
        let status = response.status();
        if status == 404 {
            let message = error_message(response).await;
            assert!(!message.starts_with("no such route"), "{route}: {message}");
        }
    }
}

#[tokio::test]
async fn unknown_api_route_is_a_json_404() {
    let t = TestServer::start().await;
    let response = t.api(Method::GET, "/api/nope").send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(error_message(response).await.contains("no such route"));
}

#[tokio::test]
async fn axums_own_refusals_are_json_errors_too() {
    // Regression: a wrong method got axum's empty 405, a bad path its
    // text/plain 400, not the API's `{"error": …}`.
    let t = TestServer::start().await;
    let wrong_method = t.api(Method::DELETE, "/api/tasks").send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert!(wrong_method.headers().get("allow").is_some());
    assert!(
        error_message(wrong_method)
            .await
            .contains("does not take DELETE")
    );
    let bad_path = t
        .api(Method::GET, "/api/tasks/%FF%FE")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_path.status(), 400);
    assert!(!error_message(bad_path).await.is_empty());
}

#[tokio::test]
async fn api_answers_are_never_cached() {
    let t = TestServer::start().await;
    let response = t.api(Method::GET, "/api/tasks").send().await.unwrap();
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn bearer_client_cannot_claim_to_be_the_web_ui() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    t.backend.ask_approval(&id, "a1");
    let response = t
        .api(Method::POST, &format!("/api/tasks/{id}/approvals/a1"))
        .header("x-cowork-front", "web")
        .json(&json!({"decision": "allowOnce"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(error_message(response).await.contains("x-cowork-front"));
    t.backend.with_task(&id, |task| {
        assert_eq!(task.pending.len(), 1, "still pending")
    });
}
