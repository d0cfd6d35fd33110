//! The web UI in a real headless Chromium, with the fake backend standing
//! in for the daemon: a task started from the home page, text streaming
//! in, a write approved from the keyboard, the artifact previewed, a task
//! cancelled and one undone, at 1280 and at 360 px. Skips where Chromium
//! is not installed (CI requires it).
//!
//! The ignored `screenshots_of_the_main_screens` writes the PNGs in
//! `docs/screenshots/` (`scripts/screenshots` runs it).

use std::path::PathBuf;
use std::time::Duration;

use cowork_protocol::{
    ApprovalDecision, Change, ContentBlock, Event, RawPath, StopReason, TaskId, TaskStatus, Usage,
};
use cowork_test_support::browser::Browser;

use super::web_fake::{FakeBackend, Server, live_events, sample_events};

const WAIT: Duration = Duration::from_secs(20);
/// WebDriver's Enter key.
const ENTER: &str = "\u{E007}";

fn live_id() -> TaskId {
    TaskId::from_raw("fedcba9876543210fedcba9876543210")
}

fn done_id() -> TaskId {
    TaskId::from_raw("0123456789abcdef0123456789abcdef")
}

fn sales_xlsx() -> Vec<u8> {
    let spec: cowork_docs::xlsx::SpreadsheetSpec = cowork_docs::spec::parse(&serde_json::json!({
        "sheets": [{
            "name": "Sales",
            "columns": [{"header": "Month"}, {"header": "Total"}],
            "rows": [["Jan", 10], ["Feb", 20], ["Total", {"formula": "=SUM(B2:B3)", "result": 30}]]
        }]
    }))
    .unwrap();
    cowork_docs::xlsx::write(&spec).unwrap()
}

/// A finished task with an edit, a spreadsheet and a report, and a task
/// that has only just started.
fn backend() -> FakeBackend {
    let backend = FakeBackend::new();
    let mut events = sample_events();
    events.push(Event::ApprovalDecided {
        call_id: "call_2".into(),
        decision: ApprovalDecision::AllowOnce,
        by: "web".into(),
    });
    events.push(Event::ToolCallFinished {
        id: "call_2".into(),
        name: "Write".into(),
        content: "created /data/report.md".into(),
        is_error: false,
        duration_ms: 4,
    });
    events.push(Event::AssistantMessage {
        content: vec![ContentBlock::Text {
            text: "Done: the notes are final and **sales.xlsx** sums the months.".into(),
        }],
        stop_reason: StopReason::EndTurn,
        usage: Usage::default(),
    });
    events.push(Event::StatusChanged {
        status: TaskStatus::Completed,
        reason: None,
        end: None,
    });
    backend.add_task(
        &done_id(),
        "Tidy the notes and total the sales",
        "/data",
        events,
    );
    backend.add_file(&done_id(), "/data/sales.xlsx", &sales_xlsx());
    backend.add_file(&done_id(), "/data/notes.md", b"# Notes\n\n- final\n");
    backend.add_task(
        &live_id(),
        "Write a haiku into poem.md",
        "/data/poems",
        Vec::new(),
    );
    backend
}

pub(super) async fn text_of(browser: &Browser, selector: &str) -> String {
    match browser.find(selector).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Waits until the text of `selector` contains `part`; fails with what
/// the page reads.
pub(super) async fn wait_for_part(browser: &Browser, selector: &str, part: &str) {
    let what = format!("`{selector}` to contain {part:?}");
    let result = browser
        .wait_until(&what, WAIT, || async {
            Ok(text_of(browser, selector)
                .await
                .contains(part)
                .then_some(()))
        })
        .await;
    if let Err(e) = result {
        let page = browser
            .execute("return document.body.innerText;", vec![])
            .await
            .unwrap_or_default();
        panic!("{e}\nthe page reads:\n{}", page.as_str().unwrap_or(""));
    }
}

/// Waits until the backend was asked `call`.
async fn wait_for_call(browser: &Browser, backend: &FakeBackend, call: &str) {
    let what = format!("the backend to be asked {call:?}");
    let result = browser
        .wait_until(&what, WAIT, || async {
            Ok(backend.calls().iter().any(|c| c == call).then_some(()))
        })
        .await;
    if let Err(e) = result {
        panic!("{e}; it was asked {:?}", backend.calls());
    }
}

async fn start_a_task_from_home(browser: &Browser, server: &Server) {
    browser.goto(&format!("{}/", server.url)).await.unwrap();
    browser
        .find("#prompt")
        .await
        .unwrap()
        .send_keys("Sort the invoices")
        .await
        .unwrap();
    // The quick pick fills the folder field.
    browser
        .find(".quick-picks .chip")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let folder = browser.find("#folder").await.unwrap();
    assert_eq!(
        folder.property("value").await.unwrap().as_deref(),
        Some("/data/poems")
    );
    browser
        .find("input[name=mode][value=auto]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find("button.primary")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(browser, "h1", "Sort the invoices").await;
    assert!(
        server.backend.calls()[0].starts_with("create \"Sort the invoices\" folders=[FolderRequest { path: \"/data/poems\", read_only: false }] mode=Some(Auto)"),
        "{:?}",
        server.backend.calls()
    );
}

async fn watch_approve_and_cancel(browser: &Browser, server: &Server) {
    let backend = &server.backend;
    let id = live_id();
    browser
        .goto(&format!("{}/tasks/{id}", server.url))
        .await
        .unwrap();
    wait_for_part(browser, "#task-status", "running").await;
    // The stream is open once htmx's SSE extension says so.
    browser.wait_for("[data-stream=open]", WAIT).await.unwrap();
    for event in live_events() {
        backend.publish(&id, event);
    }
    // The text streamed, then became the message; the write asks.
    wait_for_part(browser, "#transcript", "Here is a haiku about autumn:").await;
    wait_for_part(
        browser,
        ".approval.open",
        "create /data/poems/poem.md (1 line)",
    )
    .await;
    // Answered from the keyboard.
    let allow = browser
        .find(".approval.open button[value=allow_once]")
        .await
        .unwrap();
    allow.send_keys(ENTER).await.unwrap();
    wait_for_call(browser, backend, "decide w1 AllowOnce by web").await;
    // The daemon records the answer, the change and the result.
    backend.publish(
        &id,
        Event::ApprovalDecided {
            call_id: "w1".into(),
            decision: ApprovalDecision::AllowOnce,
            by: "web".into(),
        },
    );
    backend.add_file(&id, "/data/poems/poem.md", b"# Autumn\n\nleaves fall");
    backend.publish(
        &id,
        Event::FileChanged {
            call_id: "w1".into(),
            change: Change::Created {
                path: RawPath("/data/poems/poem.md".into()),
                hash: "h".into(),
            },
        },
    );
    backend.publish(
        &id,
        Event::ToolCallFinished {
            id: "w1".into(),
            name: "Write".into(),
            content: "created /data/poems/poem.md (1 line)".into(),
            is_error: false,
            duration_ms: 3,
        },
    );
    wait_for_part(browser, "#transcript", "allowed once (web)").await;
    wait_for_part(browser, "#files", "poem.md").await;
    // The artifact's preview, Markdown rendered.
    wait_for_part(browser, "#preview h3", "poem.md").await;
    wait_for_part(browser, "#preview .md", "Autumn").await;

    browser
        .find("#cancel-task")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_call(browser, backend, "cancel fedcba98").await;
    backend.publish(
        &id,
        Event::StatusChanged {
            status: TaskStatus::Cancelled,
            reason: Some("cancelled from the web".into()),
            end: None,
        },
    );
    wait_for_part(browser, "#task-status", "cancelled").await;
    assert!(
        browser.find("#cancel-task").await.is_err(),
        "cancel is still offered"
    );
}

async fn preview_and_undo(browser: &Browser, server: &Server) {
    let id = done_id();
    browser
        .goto(&format!("{}/tasks/{id}", server.url))
        .await
        .unwrap();
    // Steps expand to their details.
    browser
        .find("li.step summary")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(browser, "li.step .output", "+final").await;
    // The spreadsheet, as a table with the formula's value.
    browser
        .find("#files a.name")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(browser, "#preview table", "30").await;
    // Undo: what it would do first, then the undo.
    browser
        .find("#undo-task")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(browser, "#undo-panel", "Undo would").await;
    wait_for_part(browser, "#undo-panel", "move /data/report.md to the trash").await;
    assert_eq!(server.backend.calls().last().unwrap(), "undo dry_run=true");
    browser
        .find("#undo-panel button.danger")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(browser, "#undo-panel", "Undone").await;
    assert_eq!(server.backend.calls().last().unwrap(), "undo dry_run=false");
}

async fn walk_through(width: u32) {
    let Some(browser) = Browser::start(width, 900).await else {
        return;
    };
    let server = Server::start(backend()).await;
    start_a_task_from_home(&browser, &server).await;
    watch_approve_and_cancel(&browser, &server).await;
    preview_and_undo(&browser, &server).await;
    // The page fits the screen: nothing wider than the viewport.
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "the page scrolls sideways by {overflow} px"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_person_starts_watches_approves_previews_cancels_and_undoes_at_1280_px() {
    walk_through(1280).await;
}

#[tokio::test]
async fn a_person_starts_watches_approves_previews_cancels_and_undoes_at_360_px() {
    walk_through(360).await;
}

/// Where `scripts/screenshots` wants the pictures.
fn screenshots_dir() -> PathBuf {
    let dir = std::env::var_os("COWORK_SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
        });
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
#[ignore = "writes docs/screenshots; run by scripts/screenshots"]
async fn screenshots_of_the_main_screens() {
    let dir = screenshots_dir();
    for (width, height) in [(1280, 900), (360, 1400)] {
        let Some(browser) = Browser::start(width, height).await else {
            panic!("screenshots need chromium and chromedriver");
        };
        let server = Server::start(backend()).await;
        let save = |name: &str, png: Vec<u8>| {
            std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
        };
        browser.goto(&format!("{}/", server.url)).await.unwrap();
        browser.wait_for(".task-list", WAIT).await.unwrap();
        save("home", browser.screenshot().await.unwrap());

        let id = live_id();
        browser
            .goto(&format!("{}/tasks/{id}", server.url))
            .await
            .unwrap();
        browser.wait_for("[data-stream=open]", WAIT).await.unwrap();
        for event in live_events() {
            server.backend.publish(&id, event);
        }
        wait_for_part(&browser, ".approval.open", "poem.md").await;
        save("approval", browser.screenshot().await.unwrap());

        browser
            .goto(&format!("{}/tasks/{}", server.url, done_id()))
            .await
            .unwrap();
        browser
            .find("li.step summary")
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        browser
            .find("#files a.name")
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_part(&browser, "#preview table", "30").await;
        save("task", browser.screenshot().await.unwrap());

        browser
            .find("#undo-task")
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_part(&browser, "#undo-panel", "Undo would").await;
        browser
            .execute(
                "document.getElementById('undo-panel').scrollIntoView();",
                vec![],
            )
            .await
            .unwrap();
        save("undo", browser.screenshot().await.unwrap());
        browser.close().await;
    }
}
