//! The pages: home (new task, recent tasks) and a task's page.

use axum::extract::{Path, State};
use axum::response::Response;
use futures::{FutureExt as _, StreamExt as _};
use serde::Serialize;

use cowork_protocol::TaskId;

use super::preview::{self, FileRow};
use super::text::{ago, first_line, path_segment, plural};
use super::transcript::View;
use super::{Ctx, WebError, html, page, render};
use crate::backend::{Backend, TaskSummary};
use crate::state::AppState;

/// Tasks listed on the home page.
const RECENT_TASKS: usize = 20;
/// Tasks whose folders are offered as quick picks.
const FOLDER_SOURCES: usize = 10;
const QUICK_PICKS: usize = 6;

/// What the new-task form holds: empty at first, the person's input when
/// it comes back with an error.
#[derive(Debug, Default, Serialize)]
pub(crate) struct TaskForm {
    pub prompt: String,
    pub folder: String,
    pub access: String,
    pub mode: String,
}

#[derive(Serialize)]
struct Mode {
    value: &'static str,
    label: &'static str,
    help: &'static str,
}

const MODES: [Mode; 3] = [
    Mode {
        value: "ask",
        label: "Ask",
        help: "reads freely, asks before every change",
    },
    Mode {
        value: "auto",
        label: "Auto",
        help: "changes files in the folder without asking",
    },
    Mode {
        value: "plan",
        label: "Plan",
        help: "only reads, and proposes a plan",
    },
];

#[derive(Debug, Serialize)]
pub(crate) struct TaskRow {
    id: String,
    href: String,
    prompt: String,
    status: &'static str,
    status_label: String,
    pending: Option<String>,
    meta: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
struct RecentFolder {
    path: String,
    label: String,
    read_only: bool,
}

pub(crate) async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    home_page(&state, &ctx, TaskForm::default(), None)
}

/// The home page, with `form` filled in and `error` above it.
pub(crate) fn home_page(
    state: &AppState,
    ctx: &Ctx,
    mut form: TaskForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let tasks = state
        .backend
        .list_tasks(RECENT_TASKS)
        .map_err(|e| WebError::backend(ctx, e))?;
    let recent_folders = recent_folders(state.backend.as_ref(), &tasks);
    if form.mode.is_empty() {
        form.mode = "ask".to_owned();
    }
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = page(
        ctx,
        "home.html",
        render::data(serde_json::json!({
            "form": form,
            "modes": MODES,
            "recent_folders": recent_folders,
            "tasks": task_rows(&tasks, now_ms()),
            "error": error,
        })),
    )?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /parts/tasks`: the recent tasks, which the home page polls.
pub(crate) async fn tasks_part(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, WebError> {
    let tasks = state
        .backend
        .list_tasks(RECENT_TASKS)
        .map_err(|e| WebError::backend(&ctx, e))?;
    let body = render::render(
        "tasks_list.html",
        serde_json::json!({ "tasks": task_rows(&tasks, now_ms()) }),
    )?;
    Ok(html(body))
}

pub(crate) fn task_rows(tasks: &[TaskSummary], now: i64) -> Vec<TaskRow> {
    tasks
        .iter()
        .map(|t| {
            let status = t.status.as_str();
            let status_label = if t.queued {
                "queued".to_owned()
            } else {
                status.to_owned()
            };
            let pending = (t.pending_approvals > 0).then(|| match t.pending_approvals {
                1 => "1 approval waiting".to_owned(),
                n => format!("{n} approvals waiting"),
            });
            TaskRow {
                id: t.id.to_string(),
                href: format!("/tasks/{}", path_segment(t.id.as_str())),
                prompt: first_line(&t.prompt, 140),
                status,
                status_label,
                pending,
                meta: format!(
                    "{} · {} · {}",
                    t.id.short(),
                    ago(now, t.updated_at),
                    plural(u64::from(t.turns), "turn")
                ),
            }
        })
        .collect()
}

/// The folders of the last tasks, newest first, each once.
fn recent_folders(backend: &dyn Backend, tasks: &[TaskSummary]) -> Vec<RecentFolder> {
    let mut out: Vec<RecentFolder> = Vec::new();
    for task in tasks.iter().take(FOLDER_SOURCES) {
        // A task that cannot be read now only loses its quick pick.
        let Ok(detail) = backend.task(task.id.as_str()) else {
            continue;
        };
        for folder in detail.folders {
            let path = folder.path.display().to_string();
            if out.iter().any(|f| f.path == path) {
                continue;
            }
            let label = folder
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.clone());
            out.push(RecentFolder {
                path,
                label,
                read_only: folder.read_only,
            });
        }
        if out.len() >= QUICK_PICKS {
            out.truncate(QUICK_PICKS);
            break;
        }
    }
    out
}

/// Links and names the task's templates share.
#[derive(Debug, Serialize)]
pub(crate) struct TaskLinks {
    pub id: String,
    pub short: String,
    pub url: String,
    pub stream_url: String,
    pub files_url: String,
    pub model: String,
}

impl TaskLinks {
    pub fn new(id: &TaskId, model: String) -> Self {
        let url = format!("/tasks/{}", path_segment(id.as_str()));
        Self {
            id: id.to_string(),
            short: id.short().to_owned(),
            stream_url: format!("{url}/stream"),
            files_url: format!("{url}/files"),
            url,
            model,
        }
    }
}

pub(crate) async fn task(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let backend = state.backend.as_ref();
    let detail = backend.task(&id).map_err(|e| WebError::backend(&ctx, e))?;
    let id = detail.summary.id.clone();
    let view = replay(backend, &id).map_err(|e| WebError::backend(&ctx, e))?;
    let files = backend.files(&id).map_err(|e| WebError::backend(&ctx, e))?;
    let mut links = TaskLinks::new(&id, detail.model.clone());
    // The live stream picks up where this page stops, so nothing shows
    // twice and nothing stored is missed.
    links.stream_url = format!("{}?after={}", links.stream_url, view.last_seq);
    let rows = preview::file_rows(&id, &files);
    let first_preview = rows
        .iter()
        .find(|f| f.exists)
        .map(|f: &FileRow| f.preview_url.clone());
    page(
        &ctx,
        "task.html",
        render::data(serde_json::json!({
            "title": first_line(&view.prompt, 60),
            "heading": first_line(&view.prompt, 200),
            "queued": detail.summary.queued,
            "task": links,
            "view": view,
            "files": rows,
            "first_preview": first_preview,
            "oob": false,
            "trust": super::trust::panel(&state, &id),
            "export": state.hand_ins.export.is_some() && backend.store().is_some(),
        })),
    )
}

/// The task's transcript from its log: every event the backend has ready
/// now (the stored ones, and any live one already queued). Events that
/// come later reach the page through its stream.
pub(crate) fn replay(
    backend: &dyn Backend,
    id: &TaskId,
) -> Result<View, crate::backend::BackendError> {
    let mut events = backend.subscribe(id, 0)?;
    let mut view = View::default();
    while let Some(Some(envelope)) = events.next().now_or_never() {
        view.apply(&envelope);
    }
    Ok(view)
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
