//! The projects pages: the list (with a form to make one) and a project's
//! page: its instructions (editable), folders, links, files, default mode
//! and model, tasks, memory and schedules, and a form that starts a task
//! in it. Names follow the CLI's rules ([`cowork_store::check_project_name`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use cowork_store::{MemoryFilter, NewProject, Project, ProjectError, Store};

use super::actions::{go_to, new_task};
use super::pages::now_ms;
use super::pages::{TaskForm, task_rows};
use super::project_files::list_files;
use super::schedule_rows::project_href;
use super::schedules::{parse_mode, rows as schedule_rows};
use super::stored::{Confirm, confirm, confirmed, project_error, store, store_error};
use super::text::{first_line, path_segment};
use super::{Ctx, WebError, fields, form_page, render};
use crate::backend::{BackendError, TaskSummary};
use crate::state::AppState;

/// Tasks listed on a project's page.
const PROJECT_TASKS: usize = 30;

#[derive(Debug, Serialize)]
struct ProjectRow {
    name: String,
    href: String,
    folders: usize,
    archived: bool,
}

/// `GET /projects`.
pub(crate) async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    list_page(&state, &ctx, "", "", None)
}

fn list_page(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    instructions: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let store = store(state, ctx)?;
    let projects = store
        .list_projects(true)
        .map_err(|e| project_error(ctx, e))?;
    let rows: Vec<ProjectRow> = projects
        .iter()
        .map(|p| ProjectRow {
            name: p.name.clone(),
            href: project_href(&p.id),
            folders: p.folders.len(),
            archived: p.archived_at.is_some(),
        })
        .collect();
    form_page(
        ctx,
        "projects.html",
        render::data(serde_json::json!({
            "projects": rows,
            "form": {"name": name, "instructions": instructions},
            "error": error,
        })),
        error.as_deref(),
    )
}

/// `POST /projects`: `name`, `instructions`; goes to the new project.
pub(crate) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let mut form = fields(&body);
    let name = form.remove("name").unwrap_or_default();
    let instructions = form.remove("instructions").unwrap_or_default();
    let new = NewProject {
        name: name.clone(),
        instructions: instructions.clone(),
        ..NewProject::default()
    };
    match store.create_project(&new) {
        Ok(project) => Ok(go_to(&ctx, &project_href(&project.id))),
        Err(e @ (ProjectError::NameTaken(_) | ProjectError::BadName { .. })) => {
            list_page(&state, &ctx, &name, &instructions, Some(e.to_string()))
        }
        Err(e) => Err(project_error(&ctx, e)),
    }
}

/// `GET /projects/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    project_page(&state, &ctx, &id, TaskForm::default(), None)
}

/// The project's page, with the new-task form filled in with `form` and
/// `error` above the page.
fn project_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    form: TaskForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let store = store(state, ctx)?;
    let project = store.project(id).map_err(|e| project_error(ctx, e))?;
    let tasks = project_tasks(state, &store, &project).map_err(|e| WebError::backend(ctx, e))?;
    let memory: Vec<_> = store
        .list_memory(&MemoryFilter::Project(project.id.clone()))
        .map_err(|e| store_error(ctx, e))?
        .into_iter()
        .map(|m| {
            serde_json::json!({
                "id": m.id,
                "content": first_line(&m.content, 200),
                "task": m.task.map(|t| format!("/tasks/{}", path_segment(t.as_str()))),
            })
        })
        .collect();
    let schedules = store
        .list_schedules(Some(&project.id))
        .map_err(|e| super::stored::schedule_error(ctx, e))?;
    let schedules = schedule_rows(state, &store, &schedules, std::slice::from_ref(&project))
        .map_err(|e| store_error(ctx, e))?;
    let files = list_files(state, &project);
    let href = project_href(&project.id);
    form_page(
        ctx,
        "project.html",
        render::data(serde_json::json!({
            "project": {
                "id": project.id,
                "name": project.name,
                "href": href,
                "instructions": project.instructions,
                "folders": project.folders.iter().map(|f| serde_json::json!({
                    "path": f.path.display().to_string(),
                    "read_only": f.read_only,
                })).collect::<Vec<_>>(),
                "links": project.links.iter().map(|l| serde_json::json!({
                    "url": l,
                    // Only a web address becomes a link: a stored
                    // `javascript:` one would run in this page.
                    "web": is_web_link(l),
                })).collect::<Vec<_>>(),
                "mode": project.mode.map(|m| m.as_str()),
                "model": project.model,
                "archived": project.archived_at.is_some(),
            },
            "files": files,
            "tasks": tasks,
            "memory": memory,
            "memory_href": format!("/memory?project={}", path_segment(&project.id)),
            "schedules": schedules,
            "form": form,
            "error": error,
        })),
        error.as_deref(),
    )
}

fn is_web_link(link: &str) -> bool {
    let lower = link.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The project's tasks as the home page lists tasks, newest first.
fn project_tasks(
    state: &AppState,
    store: &Store,
    project: &Project,
) -> Result<Vec<super::pages::TaskRow>, BackendError> {
    let stored = store
        .project_tasks(&project.id, PROJECT_TASKS)
        .map_err(|e| BackendError::Internal(e.to_string()))?;
    // The backend knows what the store does not: queued, approvals open.
    let summaries: Vec<TaskSummary> = stored
        .iter()
        .filter_map(|row| state.backend.task(row.id.as_str()).ok())
        .map(|detail| detail.summary)
        .collect();
    Ok(task_rows(&summaries, now_ms()))
}

/// `POST /projects/{id}/tasks`: starts a task in the project (its folders,
/// mode and model are the daemon's to merge in).
pub(crate) async fn start_task(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let project = store.project(&id).map_err(|e| project_error(&ctx, e))?;
    let mut fields = fields(&body);
    let mut take = |name: &str| fields.remove(name).unwrap_or_default();
    let form = TaskForm {
        prompt: take("prompt"),
        folder: String::new(),
        access: String::new(),
        mode: take("mode"),
    };
    let mut request = match new_task(&form) {
        Ok(request) => request,
        Err(message) => return project_page(&state, &ctx, &id, form, Some(message)),
    };
    // An empty mode is the project's, which the daemon fills in.
    if form.mode.is_empty() {
        request.mode = None;
    }
    request.project = Some(project.id.clone());
    match state.backend.create_task(request) {
        Ok(task) => Ok(go_to(
            &ctx,
            &format!("/tasks/{}", path_segment(task.as_str())),
        )),
        Err(BackendError::BadRequest(message)) => {
            project_page(&state, &ctx, &id, form, Some(message))
        }
        Err(e) => Err(WebError::backend(&ctx, e)),
    }
}

/// `POST /projects/{id}/edit`: `name`, `instructions`, `mode` (empty:
/// none), `model` (empty: none).
pub(crate) async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let mut project = store.project(&id).map_err(|e| project_error(&ctx, e))?;
    let href = project_href(&project.id);
    let mut form = fields(&body);
    let bad =
        |message: String| WebError::new(&ctx, StatusCode::BAD_REQUEST, message).back(href.clone());
    if let Some(name) = form.remove("name") {
        project.name = name;
    }
    if let Some(instructions) = form.remove("instructions") {
        // Browsers send CRLF line ends; the file the CLI writes has LF.
        project.instructions = instructions.replace("\r\n", "\n");
    }
    if let Some(mode) = form.remove("mode") {
        project.mode = parse_mode(&mode).map_err(bad)?;
    }
    if let Some(model) = form.remove("model") {
        let model = model.trim();
        project.model = (!model.is_empty()).then(|| model.to_owned());
    }
    store
        .update_project(&project)
        .map_err(|e| project_error(&ctx, e).back(href.clone()))?;
    Ok(go_to(&ctx, &href))
}

/// `POST /projects/{id}/archive`: archives (asking first), or with
/// `restore=yes` brings an archived project back.
pub(crate) async fn archive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let mut project = store.project(&id).map_err(|e| project_error(&ctx, e))?;
    let href = project_href(&project.id);
    let restore = fields(&body).get("restore").map(String::as_str) == Some("yes");
    if restore {
        project.archived_at = None;
    } else if !confirmed(&body) {
        let question = format!(
            "Archive project “{}”? It leaves the lists and no task starts in it; its tasks, \
             files and memory stay, and you can bring it back from its page.",
            project.name
        );
        return confirm(
            &ctx,
            &Confirm {
                title: "Archive this project?",
                question: &question,
                action: &format!("{href}/archive"),
                button: "Archive the project",
                cancel: &href,
            },
        );
    } else {
        project.archived_at = Some(now_ms());
    }
    store
        .update_project(&project)
        .map_err(|e| project_error(&ctx, e).back(href.clone()))?;
    Ok(go_to(&ctx, &href))
}
