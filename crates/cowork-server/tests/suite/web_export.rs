//! The export button: the task page offers the file `cowork export`
//! writes, downloaded from the daemon, with the secrets the front hands
//! in redacted from the transcript and the files alike.

use std::sync::Arc;

use reqwest::Method;

use cowork_protocol::PermissionMode;
use cowork_server::Backend;
use cowork_server::export::REDACTED;
use cowork_server::hand_ins::{ExportSetup, HandIns};

use super::daemon_support::ended;
use super::web_served::Served;

/// A connector's token: no well-known shape, so only the handed-in list
/// can name it secret.
const PLANTED: &str = "crm-planted-7f3a9c2e1b5d4f60";

fn with_secrets() -> HandIns {
    HandIns {
        export: Some(ExportSetup::new(Arc::new(vec![PLANTED.to_owned()]))),
        trust: None,
    }
}

async fn finished_task(served: &Served) -> String {
    let script = served.place.script(
        "notes",
        serde_json::json!({"turns": [
            {"text": format!("Saving the notes; the CRM token is {PLANTED}."), "tool_calls": [{
                "name": "Write",
                "input": {"file_path": "notes.md", "content": format!("# Notes\n\ntoken: {PLANTED}\n")}
            }]},
            {"text": "Done: notes.md holds the meeting notes."}
        ]}),
    );
    let request = served
        .place
        .request("Write the meeting notes", &script, PermissionMode::Auto);
    let id = served.manager.create_task(request).unwrap();
    ended(&served.manager, &id).await;
    id.to_string()
}

#[tokio::test]
async fn the_downloaded_export_has_the_transcript_and_never_the_planted_secret() {
    let served = Served::start(with_secrets()).await;
    let id = finished_task(&served).await;
    let page = served.page(&format!("/tasks/{id}")).await;
    assert!(
        page.contains("id=\"export-html\""),
        "the task page offers it"
    );

    for (query, kind) in [
        ("", "text/html"),
        ("?format=md", "text/markdown"),
        ("?format=json", "application/json"),
    ] {
        let response = served
            .api(Method::GET, &format!("/tasks/{id}/export{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{query}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(kind),
            "{query}: {headers:?}"
        );
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"cowork-task-"),
            "{headers:?}"
        );
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Write the meeting notes"),
            "{query}: the prompt"
        );
        assert!(
            body.contains("notes.md holds the meeting notes"),
            "{query}: the transcript"
        );
        assert!(body.contains("notes.md"), "{query}: the file");
        assert!(
            !body.contains(PLANTED),
            "{query}: the planted secret leaked"
        );
        assert!(body.contains(REDACTED), "{query}: redacted where it was");
    }
}

#[tokio::test]
async fn without_the_fronts_secrets_there_is_no_export_rather_than_a_leaky_one() {
    let served = Served::start(HandIns::default()).await;
    let id = finished_task(&served).await;
    let page = served.page(&format!("/tasks/{id}")).await;
    assert!(!page.contains("export-html"), "no button without an export");
    let response = served
        .api(Method::GET, &format!("/tasks/{id}/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(body.contains("cowork export"), "{body}");
    assert!(!body.contains(PLANTED));
}

#[tokio::test]
async fn an_unknown_format_or_task_is_refused_with_what_to_do() {
    let served = Served::start(with_secrets()).await;
    let id = finished_task(&served).await;
    let response = served
        .api(Method::GET, &format!("/tasks/{id}/export?format=pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("html, md or json"));
    let response = served
        .api(Method::GET, "/tasks/ffffffffffffffff/export")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
