//! The project and schedule pages over HTTP against the real daemon (the
//! task manager over a store in a temp dir, the mock model server, the
//! auth layer), signed in as a browser with a cookie and its CSRF token.

use std::sync::Arc;

use reqwest::{Method, Response};

use cowork_protocol::{PermissionMode, ScheduleScope, TaskId};
use cowork_scheduler::{CatchUp, Recurrence, ScheduleState, Timestamp};
use cowork_server::Backend;
use cowork_server::daemon::TaskManager;
use cowork_server::{DaemonLock, RunningServer, ServeOptions, serve};
use cowork_store::{NewProject, NewSchedule, Schedule, Store};
use cowork_test_support::MockModelServer;

use super::daemon_support::{Place, wait_for};
use super::harness::{BrowserSession, client, set_cookie};

pub struct Site {
    pub place: Place,
    pub server: RunningServer,
    pub manager: Arc<TaskManager>,
    pub store: Arc<Store>,
    pub session: BrowserSession,
    /// Kept alive: the daemon's model answers from it.
    _model: MockModelServer,
    client: reqwest::Client,
}

impl Site {
    /// The daemon with `[model]` on the mock model server, which answers
    /// every turn with `reply`.
    pub async fn start(reply: &str) -> Self {
        let model = MockModelServer::start(cowork_test_support::script(serde_json::json!({
            "turns": [{"text": reply}]
        })));
        let config = cowork_protocol::config::Config {
            model: cowork_protocol::config::ModelConfig {
                provider: Some(cowork_protocol::Provider::Openai),
                model: Some("mock-model".into()),
                base_url: Some(format!("{}/v1", model.url())),
            },
            ..Default::default()
        };
        let place = Place::new();
        let lock = DaemonLock::acquire(&place.data_dir()).unwrap();
        let manager = place.start_with(2, config);
        let store = manager.store().unwrap();
        let options = ServeOptions {
            port: 0,
            ..ServeOptions::default()
        };
        let server = serve(manager.clone() as Arc<dyn Backend>, lock, options)
            .await
            .unwrap();
        let client = client();
        let session = sign_in(&client, &server).await;
        Self {
            place,
            server,
            manager,
            store,
            session,
            _model: model,
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.server.port())
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header(reqwest::header::COOKIE, &self.session.cookie)
    }

    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.request(Method::GET, path).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// A form post with the session's CSRF token.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let mut fields = vec![("csrf", self.session.csrf.as_str())];
        fields.extend_from_slice(form);
        self.post_bare(path, &fields).await
    }

    /// A form post with only `form`: no CSRF token unless it has one.
    pub async fn post_bare(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.request(Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Uploads `bytes` as `name` into project `href`'s files, as htmx does
    /// (the CSRF token in its header).
    pub async fn upload(&self, href: &str, name: &str, bytes: Vec<u8>) -> Response {
        let boundary = "----cowork-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.request(Method::POST, &format!("{href}/files"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("x-csrf-token", &self.session.csrf)
            .header("hx-request", "true")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A project made in the store, as the CLI makes them.
    pub fn project(&self, name: &str) -> cowork_store::Project {
        self.store
            .create_project(&NewProject {
                name: name.to_owned(),
                ..NewProject::default()
            })
            .unwrap()
    }

    /// A schedule made in the store, every 15 minutes in Berlin, settled
    /// up to now: nothing is due.
    pub fn schedule(&self, name: &str, prompt: &str) -> Schedule {
        self.schedule_checked(name, prompt, Timestamp::now(), false)
    }

    /// [`Site::schedule`] settled up to `last_checked`, paused or not. A
    /// paused one stays as it is whatever the daemon does.
    pub fn schedule_checked(
        &self,
        name: &str,
        prompt: &str,
        last_checked: Timestamp,
        paused: bool,
    ) -> Schedule {
        let rule = Recurrence::every("every 15 minutes", "Europe/Berlin", last_checked).unwrap();
        let mut state = ScheduleState::new("", rule, CatchUp::Once, last_checked);
        state.paused = paused;
        self.store
            .create_schedule(&NewSchedule {
                name: name.to_owned(),
                project: None,
                prompt: prompt.to_owned(),
                state,
                scope: ScheduleScope {
                    mode: PermissionMode::Auto,
                    ..ScheduleScope::default()
                },
            })
            .unwrap()
    }
}

async fn sign_in(client: &reqwest::Client, server: &RunningServer) -> BrowserSession {
    let base = format!("http://127.0.0.1:{}", server.port());
    let response = client
        .get(format!("{base}/?token={}", server.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = set_cookie(&response).split(';').next().unwrap().to_owned();
    let session: serde_json::Value = client
        .get(format!("{base}/api/session"))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    BrowserSession {
        cookie,
        csrf: session["csrf"].as_str().unwrap().to_owned(),
    }
}

pub(super) fn location(response: &Response) -> String {
    assert_eq!(response.status(), 303, "not a redirect");
    response.headers()["location"].to_str().unwrap().to_owned()
}

pub(super) fn ago(minutes: i64) -> Timestamp {
    let now = Timestamp::now().as_millisecond();
    Timestamp::from_millisecond(now - minutes * 60_000).unwrap()
}

#[tokio::test]
async fn a_project_made_in_the_web_keeps_an_uploaded_file_and_lists_the_task_started_in_it() {
    let site = Site::start("Read the brief.").await;
    let made = site
        .post(
            "/projects",
            &[
                ("name", "Acme launch"),
                ("instructions", "Write in British English."),
            ],
        )
        .await;
    let href = location(&made);
    let project = site.store.project("Acme launch").unwrap();
    assert_eq!(href, format!("/projects/{}", project.id));
    assert_eq!(project.instructions, "Write in British English.");

    let uploaded = site
        .upload(&href, "brief.txt", b"Launch on Monday.".to_vec())
        .await;
    assert_eq!(uploaded.status(), 204);
    assert_eq!(uploaded.headers()["hx-location"], href.as_str());
    let kept = site
        .manager
        .project_files(&project.id)
        .unwrap()
        .join("brief.txt");
    assert_eq!(std::fs::read(&kept).unwrap(), b"Launch on Monday.");
    // The same name again is refused, not overwritten.
    let again = site.upload(&href, "brief.txt", b"other".to_vec()).await;
    assert!(again.text().await.unwrap().contains("already"));
    assert_eq!(std::fs::read(&kept).unwrap(), b"Launch on Monday.");
    let (status, download) = site.page(&format!("{href}/files/brief.txt")).await;
    assert_eq!((status, download.as_str()), (200, "Launch on Monday."));

    let started = site
        .post(
            &format!("{href}/tasks"),
            &[("prompt", "Summarise the brief"), ("mode", "")],
        )
        .await;
    let task = location(&started);
    let id = TaskId::from_raw(task.trim_start_matches("/tasks/"));
    wait_for(&site.manager, &id, 20, "completed", |t| {
        t.summary.status.as_str() == "completed"
    })
    .await;
    let tasks = site.store.project_tasks(&project.id, 10).unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].id, id);

    let (status, html) = site.page(&href).await;
    assert_eq!(status, 200);
    assert!(html.contains("Write in British English."), "{html}");
    assert!(html.contains("brief.txt"), "{html}");
    assert!(
        html.contains(&format!("href=\"&#x2f;tasks&#x2f;{id}\"")),
        "{html}"
    );
    assert!(html.contains("Summarise the brief"), "{html}");
    assert!(html.contains("status-completed"), "{html}");
    assert!(
        html.contains(&format!("&#x2f;memory?project={}", project.id)),
        "{html}"
    );
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_project_is_renamed_its_instructions_edited_and_archived_after_a_question() {
    let site = Site::start("ok").await;
    let project = site.project("Alpha");
    let href = format!("/projects/{}", project.id);
    let saved = site
        .post(
            &format!("{href}/edit"),
            &[
                ("name", "Beta"),
                ("instructions", "line 1\r\nline 2"),
                ("mode", "plan"),
            ],
        )
        .await;
    assert_eq!(location(&saved), href);
    let edited = site.store.project(&project.id).unwrap();
    assert_eq!(edited.name, "Beta");
    assert_eq!(edited.instructions, "line 1\nline 2");
    assert_eq!(edited.mode, Some(PermissionMode::Plan));
    // The CLI's name rules: a name starting with `-` is refused by name.
    let bad = site.post(&format!("{href}/edit"), &[("name", "-x")]).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("starts with"));

    let asked = site.post(&format!("{href}/archive"), &[]).await;
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("Archive project"));
    assert!(
        site.store
            .project(&project.id)
            .unwrap()
            .archived_at
            .is_none()
    );
    let archived = site
        .post(&format!("{href}/archive"), &[("confirm", "yes")])
        .await;
    assert_eq!(location(&archived), href);
    assert!(
        site.store
            .project(&project.id)
            .unwrap()
            .archived_at
            .is_some()
    );
    // No task starts in an archived project.
    let refused = site
        .post(&format!("{href}/tasks"), &[("prompt", "go")])
        .await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("archived"));
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn removing_a_project_file_asks_first_then_keeps_it_in_the_removed_folder() {
    let site = Site::start("ok").await;
    let project = site.project("Files");
    let href = format!("/projects/{}", project.id);
    let dir = site.manager.project_files(&project.id).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.md"), "keep me").unwrap();

    let asked = site
        .post(&format!("{href}/files/notes.md/remove"), &[])
        .await;
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("Remove notes.md"));
    assert!(dir.join("notes.md").exists(), "asking removed the file");

    let removed = site
        .post(
            &format!("{href}/files/notes.md/remove"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&removed), href);
    assert!(!dir.join("notes.md").exists());
    let kept: Vec<_> = std::fs::read_dir(dir.parent().unwrap().join("removed"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(kept, ["keep me"]);
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_upload_with_a_hidden_or_oversized_file_is_refused_by_name() {
    let site = Site::start("ok").await;
    let project = site.project("Uploads");
    let href = format!("/projects/{}", project.id);
    let hidden = site.upload(&href, ".env", b"SECRET=1".to_vec()).await;
    assert!(hidden.text().await.unwrap().contains("starts with a dot"));
    // A path in the file name keeps only its last part.
    let pathy = site.upload(&href, "../../escape.txt", b"x".to_vec()).await;
    assert_eq!(pathy.status(), 204);
    let dir = site.manager.project_files(&project.id).unwrap();
    assert!(dir.join("escape.txt").exists());
    assert!(!dir.parent().unwrap().join("escape.txt").exists());
    let big = site
        .upload(&href, "big.bin", vec![0; 25 * 1024 * 1024 + 1])
        .await;
    assert!(big.text().await.unwrap().contains("at most 25"));
    assert!(!dir.join("big.bin").exists());
    site.server.shutdown().await.unwrap();
}

/// Every form these pages add changes something: signed in by the
/// cookie alone, each is refused and nothing changes.
#[tokio::test]
async fn every_new_form_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let site = Site::start("ok").await;
    let project = site.project("Guarded");
    let schedule = site.schedule_checked("Guarded", "x", ago(61), true);
    let p = format!("/projects/{}", project.id);
    let s = format!("/schedules/{}", schedule.id);
    let dir = site.manager.project_files(&project.id).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), "a").unwrap();
    for path in [
        "/projects".to_owned(),
        format!("{p}/edit"),
        format!("{p}/archive"),
        format!("{p}/tasks"),
        format!("{p}/files"),
        format!("{p}/files/a.txt/remove"),
        "/schedules".to_owned(),
        format!("{s}/pause"),
        format!("{s}/resume"),
        format!("{s}/run"),
        format!("{s}/delete"),
    ] {
        let refused = site
            .post_bare(
                &path,
                &[("name", "Changed"), ("prompt", "x"), ("confirm", "yes")],
            )
            .await;
        assert_eq!(refused.status(), 403, "{path}");
    }
    assert_eq!(site.store.list_projects(true).unwrap().len(), 1);
    let unchanged = site.store.schedule(&schedule.id).unwrap();
    assert!(unchanged.state.paused);
    assert!(
        site.store
            .schedule_runs(&schedule.id, 10)
            .unwrap()
            .is_empty()
    );
    assert!(dir.join("a.txt").exists());
    assert_eq!(site.store.project(&project.id).unwrap().name, "Guarded");
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn names_prompts_and_instructions_render_as_text_never_as_markup() {
    let site = Site::start("ok").await;
    let project = site
        .store
        .create_project(&NewProject {
            name: "<script>alert(1)</script>".into(),
            instructions: "<img src=x onerror=alert(2)>".into(),
            links: vec![
                "javascript:alert(4)".into(),
                "https://example.com/?a=\"><b>x".into(),
            ],
            ..NewProject::default()
        })
        .unwrap();
    let mut schedule = site.schedule("<b>bold</b>", "<script>alert(3)</script>");
    schedule.project = Some(project.id.clone());
    site.store.update_schedule(&schedule).unwrap();
    for path in [
        "/projects".to_owned(),
        format!("/projects/{}", project.id),
        "/schedules".to_owned(),
        format!("/schedules/{}", schedule.id),
    ] {
        let (status, html) = site.page(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("<script>alert"), "{path}: {html}");
        assert!(!html.contains("<img src=x"), "{path}: {html}");
        assert!(!html.contains("<b>bold"), "{path}: {html}");
        assert!(html.contains("&lt;"), "{path}");
    }
    let (_, html) = site.page(&format!("/projects/{}", project.id)).await;
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{html}"
    );
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_page_for_a_project_or_schedule_that_does_not_exist_is_a_404_that_says_so() {
    let site = Site::start("ok").await;
    let (status, html) = site.page("/projects/nope").await;
    assert_eq!(status, 404);
    assert!(html.contains("no project is named"), "{html}");
    let (status, _) = site.page("/schedules/nope").await;
    assert_eq!(status, 404);
    let refused = site.post("/schedules/nope/pause", &[]).await;
    assert_eq!(refused.status(), 404);
    site.server.shutdown().await.unwrap();
}

/// Regression: `allow_schedule` on a task no schedule started would have
/// quietly meant "allow for this task".
#[tokio::test]
async fn allow_for_the_schedule_is_refused_for_a_task_no_schedule_started() {
    use super::web_fake::{CSRF, FakeBackend, Server, sample_events};
    let backend = FakeBackend::new();
    let id = TaskId::from_raw("0123456789abcdef0123456789abcdef");
    backend.add_task(&id, "Tidy the notes", "/data", sample_events());
    let server = Server::start(backend).await;
    let html = server
        .get(&format!("/tasks/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("allow_schedule"), "{html}");
    let refused = server
        .post(
            &format!("/tasks/{id}/approvals/call_2"),
            &[("csrf", CSRF), ("decision", "allow_schedule")],
            false,
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("not a run of a schedule")
    );
    assert!(
        !server.backend.calls().iter().any(|c| c.contains("decide")),
        "{:?}",
        server.backend.calls()
    );
}

/// The HTTP layer's fakes keep no database: the pages say what is needed.
#[tokio::test]
async fn without_the_daemons_database_the_pages_say_to_start_the_daemon() {
    use super::web_fake::{FakeBackend, Server};
    let server = Server::start(FakeBackend::new()).await;
    for path in ["/projects", "/schedules", "/projects/x", "/schedules/x"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 503, "{path}");
        assert!(
            response.text().await.unwrap().contains("cowork serve"),
            "{path}"
        );
    }
}
