//! The web UI over HTTP with a fake backend: each page renders, forms do
//! what they say, the stream sends HTML fragments.

use std::time::Duration;

use futures::StreamExt as _;

use cowork_protocol::{Event, TaskId, TaskStatus};

use super::web_fake::{CSRF, FakeBackend, Server, sample_events};

fn task_id() -> TaskId {
    TaskId::from_raw("0123456789abcdef0123456789abcdef")
}

async fn server_with_sample_task() -> Server {
    let backend = FakeBackend::new();
    backend.add_task(&task_id(), "Tidy the notes", "/data", sample_events());
    backend.add_file(&task_id(), "/data/notes.md", b"# Notes\n\nfinal");
    Server::start(backend).await
}

async fn body(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

#[tokio::test]
async fn every_page_and_part_renders() {
    let server = server_with_sample_task().await;
    let id = task_id();
    for path in [
        "/".to_owned(),
        "/parts/tasks".to_owned(),
        format!("/tasks/{id}"),
        format!("/tasks/{id}/files"),
        format!("/tasks/{id}/preview?path=%2Fdata%2Fnotes.md"),
        "/static/htmx.min.js".to_owned(),
        "/static/htmx-ext-sse.min.js".to_owned(),
        "/static/app.js".to_owned(),
        "/static/app.css".to_owned(),
    ] {
        let response = server.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn the_home_page_offers_recent_folders_and_lists_tasks() {
    let server = server_with_sample_task().await;
    let html = body(server.get("/").await).await;
    assert!(html.contains("<option value=\"&#x2f;data\">"), "{html}");
    assert!(html.contains("Tidy the notes"), "{html}");
    assert!(html.contains("1 approval waiting"), "{html}");
    assert!(html.contains("hx-trigger=\"every 2s\""), "{html}");
    // The session's CSRF token is in the form and in htmx's headers.
    assert!(
        html.contains(&format!("name=\"csrf\" value=\"{CSRF}\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("&quot;X-CSRF-Token&quot;:&quot;{CSRF}&quot;")),
        "{html}"
    );
    // No inline script: the CSP is default-src 'self'.
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains(" on"), "an inline handler in:\n{html}");
}

#[tokio::test]
async fn the_task_page_shows_the_transcript_and_picks_up_the_stream_after_it() {
    let server = server_with_sample_task().await;
    let html = body(server.get(&format!("/tasks/{}", task_id())).await).await;
    assert!(html.contains("<strong>fix</strong>"), "{html}");
    assert!(html.contains("class=\"step state-done\""), "{html}");
    assert!(html.contains("<span class=\"add\">+final</span>"), "{html}");
    assert!(html.contains("modified &#x2f;data&#x2f;notes.md"), "{html}");
    assert!(html.contains("Allow once"), "{html}");
    assert!(html.contains("create /data/report.md (1 line)"), "{html}");
    // Seven stored events: the stream starts after them.
    assert!(html.contains("stream?after=7\""), "{html}");
    assert!(html.contains("Cancel task"), "{html}");
    assert!(html.contains("notes.md"), "{html}");
    assert!(html.contains("files&#x2f;download?task="), "{html}");
}

#[tokio::test]
async fn a_long_prompt_is_headed_by_its_first_line_and_shown_whole_below() {
    let backend = FakeBackend::new();
    let prompt = format!(
        "Sort the invoices\n{}",
        "and then some more detail ".repeat(20)
    );
    backend.add_task(&task_id(), &prompt, "/data", Vec::new());
    let server = Server::start(backend).await;
    let html = body(server.get(&format!("/tasks/{}", task_id())).await).await;
    assert!(
        html.contains("<h1 id=\"task-h\" class=\"prompt\">Sort the invoices …</h1>"),
        "{html}"
    );
    assert!(html.contains("The whole prompt"), "{html}");
    assert!(
        html.contains("and then some more detail and then"),
        "{html}"
    );
}

#[tokio::test]
async fn an_unknown_task_is_a_404_page() {
    let server = server_with_sample_task().await;
    let response = server.get("/tasks/ffffffff").await;
    assert_eq!(response.status(), 404);
    assert!(body(response).await.contains("no task ffffffff"));
}

#[tokio::test]
async fn starting_a_task_goes_to_its_page() {
    let server = server_with_sample_task().await;
    let response = server
        .post(
            "/tasks",
            &[
                ("csrf", CSRF),
                ("prompt", "Sort the invoices"),
                ("folder", "/data/invoices"),
                ("access", "read_only"),
                ("mode", "auto"),
            ],
            false,
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/tasks/"), "{location}");
    assert_eq!(server.get(&location).await.status(), 200);
    let calls = server.backend.calls();
    assert_eq!(
        calls,
        vec![
            "create \"Sort the invoices\" folders=[FolderRequest { path: \"/data/invoices\", read_only: true }] mode=Some(Auto)"
        ]
    );
}

#[tokio::test]
async fn a_bad_task_form_comes_back_filled_in_with_what_to_fix() {
    let server = server_with_sample_task().await;
    let response = server
        .post(
            "/tasks",
            &[("prompt", "Sort <these>"), ("folder", "relative/dir")],
            false,
        )
        .await;
    assert_eq!(response.status(), 400);
    let html = body(response).await;
    assert!(html.contains("must be an absolute path"), "{html}");
    assert!(html.contains("Sort &lt;these&gt;</textarea>"), "{html}");

    // The backend's own refusal is shown the same way.
    let response = server
        .post(
            "/tasks",
            &[("prompt", "x"), ("folder", "/data/missing")],
            false,
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(
        body(response)
            .await
            .contains("does not exist: connect a folder")
    );
    assert!(server.backend.calls().is_empty());
}

#[tokio::test]
async fn an_approval_is_answered_from_the_web() {
    let server = server_with_sample_task().await;
    let path = format!("/tasks/{}/approvals/call_2", task_id());
    let response = server
        .post(&path, &[("decision", "deny"), ("message", "not yet")], true)
        .await;
    assert_eq!(response.status(), 204);
    let response = server
        .post(&path, &[("decision", "allow_task")], false)
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        server.backend.calls(),
        vec![
            "decide call_2 Deny { message: Some(\"not yet\") } by web",
            "decide call_2 AllowForTask by web"
        ]
    );
}

#[tokio::test]
async fn an_approval_answered_elsewhere_says_so() {
    let server = server_with_sample_task().await;
    *server.backend.decide_error.lock().unwrap() =
        Some("already answered from the terminal".into());
    let path = format!("/tasks/{}/approvals/call_2", task_id());
    // htmx: a 200 pointed at the page's alert region.
    let response = server
        .post(&path, &[("decision", "allow_once")], true)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["hx-retarget"], "#flash");
    assert!(
        body(response)
            .await
            .contains("already answered from the terminal")
    );
    // A plain form: a 409 page with the way back.
    let response = server
        .post(&path, &[("decision", "allow_once")], false)
        .await;
    assert_eq!(response.status(), 409);
    let html = body(response).await;
    assert!(html.contains("already answered"), "{html}");
    assert!(html.contains("Back to the task"), "{html}");
}

#[tokio::test]
async fn an_unknown_decision_is_refused_without_asking_the_backend() {
    let server = server_with_sample_task().await;
    let path = format!("/tasks/{}/approvals/call_2", task_id());
    let response = server
        .post(&path, &[("decision", "allow_forever")], false)
        .await;
    assert_eq!(response.status(), 400);
    assert!(server.backend.calls().is_empty());
}

#[tokio::test]
async fn cancel_and_follow_up_messages_reach_the_backend() {
    let server = server_with_sample_task().await;
    let base = format!("/tasks/{}", task_id());
    assert_eq!(
        server
            .post(&format!("{base}/cancel"), &[], true)
            .await
            .status(),
        204
    );
    let response = server
        .post(
            &format!("{base}/messages"),
            &[("text", "and a chart")],
            false,
        )
        .await;
    assert_eq!(response.status(), 303);
    let response = server
        .post(&format!("{base}/messages"), &[("text", "  ")], false)
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        server.backend.calls(),
        vec!["cancel 01234567", "message \"and a chart\""]
    );
}

#[tokio::test]
async fn undo_shows_a_dry_run_first_then_undoes_on_confirmation() {
    let server = server_with_sample_task().await;
    let path = format!("/tasks/{}/undo", task_id());
    let html = body(server.post(&path, &[("dry_run", "true")], true).await).await;
    assert!(html.contains("Undo would"), "{html}");
    assert!(
        html.contains("move &#x2f;data&#x2f;report.md to the trash"),
        "{html}"
    );
    assert!(html.contains("name=\"dry_run\" value=\"false\""), "{html}");
    // A form that lost its field is a dry run too.
    body(server.post(&path, &[], true).await).await;
    let html = body(server.post(&path, &[("dry_run", "false")], false).await).await;
    assert!(html.contains("1 restored"), "{html}");
    assert_eq!(
        server.backend.calls(),
        vec![
            "undo dry_run=true",
            "undo dry_run=true",
            "undo dry_run=false"
        ]
    );
}

#[tokio::test]
async fn an_undo_that_later_edits_block_is_not_offered_and_says_why() {
    // Regression: the dry run offered "Undo now" and said undo would leave
    // the changed files alone, but undo refuses as a whole, and the answer
    // then read "Undone: 0 restored".
    let server = server_with_sample_task().await;
    *server.backend.undo_conflict.lock().unwrap() = true;
    let path = format!("/tasks/{}/undo", task_id());
    let html = body(server.post(&path, &[("dry_run", "true")], true).await).await;
    assert!(html.contains("Undo cannot run yet"), "{html}");
    assert!(html.contains("changed after the task &lt;b&gt;"), "{html}");
    assert!(!html.contains("value=\"false\""), "{html}");
    let html = body(server.post(&path, &[("dry_run", "false")], true).await).await;
    assert!(html.contains("Nothing was undone"), "{html}");
    assert!(!html.contains("Undone"), "{html}");
}

#[tokio::test]
async fn a_spreadsheet_preview_is_a_table_with_formula_values() {
    let server = server_with_sample_task().await;
    let spec: cowork_docs::xlsx::SpreadsheetSpec = cowork_docs::spec::parse(&serde_json::json!({
        "sheets": [{
            "name": "Sales",
            "columns": [{"header": "Month"}, {"header": "Total"}],
            "rows": [["Jan", 10], ["Feb", 20], ["Sum", {"formula": "=SUM(B2:B3)", "result": 30}]]
        }]
    }))
    .unwrap();
    let bytes = cowork_docs::xlsx::write(&spec).unwrap();
    server
        .backend
        .add_file(&task_id(), "/data/sales.xlsx", &bytes);
    let html = body(
        server
            .get(&format!(
                "/tasks/{}/preview?path=%2Fdata%2Fsales.xlsx",
                task_id()
            ))
            .await,
    )
    .await;
    assert!(html.contains("<table>"), "{html}");
    assert!(html.contains("<td>Feb</td>"), "{html}");
    assert!(html.contains(">30<"), "{html}");
}

#[tokio::test]
async fn images_are_served_as_images_that_cannot_run_script() {
    let server = server_with_sample_task().await;
    server.backend.add_file(
        &task_id(),
        "/data/chart.svg",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    );
    let preview = body(
        server
            .get(&format!(
                "/tasks/{}/preview?path=%2Fdata%2Fchart.svg",
                task_id()
            ))
            .await,
    )
    .await;
    assert!(preview.contains("<img src="), "{preview}");
    assert!(!preview.contains("<svg"), "{preview}");
    let response = server
        .get(&format!(
            "/tasks/{}/image?path=%2Fdata%2Fchart.svg",
            task_id()
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    // Anything else is not served as an image.
    let response = server
        .get(&format!(
            "/tasks/{}/image?path=%2Fdata%2Fnotes.md",
            task_id()
        ))
        .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_file_the_task_did_not_touch_is_not_previewed() {
    let server = server_with_sample_task().await;
    // Even when the backend would serve it: the page checks the file list.
    server
        .backend
        .add_unlisted_content(&task_id(), "/etc/passwd", b"root:x:0:0");
    server
        .backend
        .add_unlisted_content(&task_id(), "/data/../etc/passwd.png", b"root:x:0:0");
    for path in [
        "%2Fetc%2Fpasswd",
        "%2Fdata%2F..%2Fetc%2Fpasswd",
        "%2Fdata%2F..%2Fetc%2Fpasswd.png",
        "",
    ] {
        for route in ["preview", "image"] {
            let response = server
                .get(&format!("/tasks/{}/{route}?path={path}", task_id()))
                .await;
            assert!(
                response.status() == 404 || response.status() == 400,
                "{route} {path}: {}",
                response.status()
            );
            assert!(!response.text().await.unwrap().contains("root:x"));
        }
    }
}

/// Reads SSE messages until `want` of them arrived.
async fn read_events(response: reqwest::Response, want: usize) -> Vec<(String, String, String)> {
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    let mut events = Vec::new();
    while events.len() < want {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("the stream went quiet")
            .unwrap()
            .unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut event, mut id, mut data) = (String::new(), String::new(), Vec::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    event = v.to_owned();
                } else if let Some(v) = line.strip_prefix("id: ") {
                    id = v.to_owned();
                } else if let Some(v) = line.strip_prefix("data: ").or(line.strip_prefix("data:")) {
                    data.push(v.to_owned());
                }
            }
            if !event.is_empty() {
                events.push((event, id, data.join("\n")));
            }
        }
    }
    events
}

#[tokio::test]
async fn the_stream_sends_only_what_the_page_lacks_then_live_fragments() {
    let server = server_with_sample_task().await;
    let id = task_id();
    let response = server.get(&format!("/tasks/{id}/stream?after=7")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let backend = server.backend.clone();
    let publisher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        backend.publish(
            &id,
            Event::TextDelta {
                text: "<b>Hi".into(),
            },
        );
        backend.publish(
            &id,
            Event::StatusChanged {
                status: TaskStatus::Completed,
                reason: None,
                end: None,
            },
        );
    });
    let events = read_events(response, 2).await;
    publisher.await.unwrap();
    assert_eq!(
        events[0],
        ("delta".into(), "7".into(), "&lt;b&gt;Hi".into())
    );
    let (event, seq, html) = &events[1];
    assert_eq!((event.as_str(), seq.as_str()), ("log", "8"));
    assert!(html.contains("id=\"task-status\""), "{html}");
    assert!(html.contains("Task completed"), "{html}");
    // The approval nobody answered lapses with the task.
    assert!(
        html.contains("not answered before the task ended"),
        "{html}"
    );
}

#[tokio::test]
async fn a_reconnecting_browser_resumes_after_its_last_event_id() {
    let server = server_with_sample_task().await;
    let response = server
        .client
        .get(format!("{}/tasks/{}/stream?after=0", server.url, task_id()))
        .header("last-event-id", "6")
        .send()
        .await
        .unwrap();
    let events = read_events(response, 1).await;
    assert_eq!(events[0].1, "7", "{events:?}");
    assert!(events[0].2.contains("Allow once"), "{events:?}");
}
