//! The web UI in headless Chromium against the real daemon: the task
//! manager over a store in a temp dir, the scripted model, the HTTP layer
//! with its token. A person signs in with the token link, watches a task's
//! text arrive, approves its write, sees the artifact's preview, undoes
//! the task; another task is cancelled mid-call; a task started from the
//! home page's form runs on the model `[model]` configures (the mock model
//! server). At 1280 and 360 px.

use std::sync::Arc;
use std::time::Duration;

use cowork_protocol::{PermissionMode, TaskId};
use cowork_server::{Backend, DaemonLock, RunningServer, ServeOptions, serve};
use cowork_test_support::browser::Browser;

use super::daemon_support::Place;
use super::web_browser::wait_for_part;

const WAIT: Duration = Duration::from_secs(20);

struct Daemon {
    place: Place,
    server: RunningServer,
    backend: Arc<dyn Backend>,
}

impl Daemon {
    async fn start() -> Self {
        Self::start_with(cowork_protocol::config::Config::default()).await
    }

    async fn start_with(config: cowork_protocol::config::Config) -> Self {
        let place = Place::new();
        let lock = DaemonLock::acquire(&place.data_dir()).unwrap();
        let backend: Arc<dyn Backend> = place.start_with(2, config);
        let options = ServeOptions {
            port: 0,
            ..ServeOptions::default()
        };
        let server = serve(backend.clone(), lock, options).await.unwrap();
        Self {
            place,
            server,
            backend,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.server.port())
    }

    /// Starts a task with the scripted model, as `cowork run` or the API
    /// would (the home page's form picks the daemon's own model).
    fn task(&self, name: &str, script: serde_json::Value) -> TaskId {
        let script = self.place.script(name, script);
        let request = self.place.request(name, &script, PermissionMode::Ask);
        self.backend.create_task(request).unwrap()
    }
}

async fn approve_preview_and_undo(browser: &Browser, daemon: &Daemon) {
    let id = daemon.task(
        "Write the sales report",
        serde_json::json!({"turns": [
            {"text": "I'll write the report with a table of the months.", "tool_calls": [{
                "name": "Write",
                "input": {
                    "file_path": "report.md",
                    "content": "# Sales\n\n| Month | Total |\n|---|---|\n| Jan | 10 |\n| Feb | 20 |\n"
                }
            }]},
            {"text": "Done: report.md has the table."}
        ]}),
    );
    browser
        .goto(&daemon.url(&format!("/tasks/{id}")))
        .await
        .unwrap();
    wait_for_part(browser, "#transcript", "I'll write the report").await;
    wait_for_part(browser, ".approval.open", "report.md").await;
    browser
        .find(".approval.open button[value=allow_once]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(browser, "#transcript", "allowed once").await;
    wait_for_part(browser, "#task-status", "completed").await;
    wait_for_part(browser, "#transcript", "Done: report.md has the table.").await;
    let report = daemon.place.folder().join("report.md");
    assert!(report.exists());
    // The artifact, previewed: its Markdown table rendered.
    wait_for_part(browser, "#files", "report.md").await;
    wait_for_part(browser, "#preview table", "Feb").await;
    // Undo: the dry run first, then the undo.
    browser
        .find("#undo-task")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(browser, "#undo-panel", "Undo would").await;
    assert!(report.exists(), "the dry run changed the folder");
    browser
        .find("#undo-panel button.danger")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(browser, "#undo-panel", "Undone").await;
    assert!(!report.exists(), "undo left report.md");
    // The open page learns of the undo live, from the task's event stream.
    wait_for_part(browser, "#transcript", "Undone: 1 restored").await;
    // And a page opened later reads it from the log.
    browser
        .goto(&daemon.url(&format!("/tasks/{id}")))
        .await
        .unwrap();
    wait_for_part(browser, "#transcript", "Undone: 1 restored").await;
    wait_for_part(browser, "#files", "no longer there").await;
}

async fn cancel(browser: &Browser, daemon: &Daemon) {
    let id = daemon.task(
        "Think for a long time",
        serde_json::json!({"turns": [
            {"text": "Thinking…", "delay_ms": 60000},
            {"text": "never"}
        ]}),
    );
    browser
        .goto(&daemon.url(&format!("/tasks/{id}")))
        .await
        .unwrap();
    browser.wait_for("[data-stream=open]", WAIT).await.unwrap();
    wait_for_part(browser, "#task-status", "running").await;
    browser
        .find("#cancel-task")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(browser, "#task-status", "cancelled").await;
    assert!(browser.find("#cancel-task").await.is_err());
}

async fn walk_through(width: u32) {
    let Some(browser) = Browser::start(width, 900).await else {
        return;
    };
    let daemon = Daemon::start().await;
    browser.goto(&daemon.server.login_url()).await.unwrap();
    browser.wait_for("#prompt", WAIT).await.unwrap();
    approve_preview_and_undo(&browser, &daemon).await;
    cancel(&browser, &daemon).await;
    // The home page lists both, with their status.
    browser.goto(&daemon.url("/")).await.unwrap();
    wait_for_part(&browser, "#recent-tasks", "Write the sales report").await;
    wait_for_part(&browser, "#recent-tasks", "cancelled").await;
    browser.close().await;
    daemon.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn against_the_daemon_a_person_approves_previews_undoes_and_cancels_at_1280_px() {
    walk_through(1280).await;
}

#[tokio::test]
async fn against_the_daemon_a_person_approves_previews_undoes_and_cancels_at_360_px() {
    walk_through(360).await;
}

/// The home page's form names no model: `[model]` in the daemon's
/// configuration says which, here the mock model server over the OpenAI
/// wire. A person starts a task from the form and watches it finish.
async fn start_from_home(width: u32) {
    let Some(browser) = Browser::start(width, 900).await else {
        return;
    };
    let model = cowork_test_support::MockModelServer::start(cowork_test_support::script(
        serde_json::json!({"turns": [
            {"text": "Writing the list now.", "tool_calls": [{
                "name": "Write",
                "input": {"file_path": "todo.md", "content": "- call Bob\n"}
            }]},
            {"text": "Done: todo.md holds the list."}
        ]}),
    ));
    let config = cowork_protocol::config::Config {
        model: cowork_protocol::config::ModelConfig {
            provider: Some(cowork_protocol::Provider::Openai),
            model: Some("mock-model".into()),
            base_url: Some(format!("{}/v1", model.url())),
        },
        ..Default::default()
    };
    let daemon = Daemon::start_with(config).await;
    browser.goto(&daemon.server.login_url()).await.unwrap();
    browser.wait_for("#prompt", WAIT).await.unwrap();
    browser
        .find("#prompt")
        .await
        .unwrap()
        .send_keys("Make a to-do list")
        .await
        .unwrap();
    browser
        .find("#folder")
        .await
        .unwrap()
        .send_keys(&daemon.place.folder().display().to_string())
        .await
        .unwrap();
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
    wait_for_part(&browser, "h1", "Make a to-do list").await;
    wait_for_part(&browser, "#transcript", "Done: todo.md holds the list.").await;
    wait_for_part(&browser, "#task-status", "completed").await;
    wait_for_part(&browser, "#files", "todo.md").await;
    assert_eq!(
        std::fs::read_to_string(daemon.place.folder().join("todo.md")).unwrap(),
        "- call Bob\n"
    );
    assert!(model.requests()[0].path.ends_with("/chat/completions"));
    browser.close().await;
    daemon.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn against_the_daemon_a_person_starts_a_task_from_home_at_1280_px() {
    start_from_home(1280).await;
}

#[tokio::test]
async fn against_the_daemon_a_person_starts_a_task_from_home_at_360_px() {
    start_from_home(360).await;
}
