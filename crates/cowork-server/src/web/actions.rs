//! What the pages' forms do: start a task, answer an approval, cancel,
//! send a message, undo. Each works as a plain form (answered with a
//! redirect, or a page) and through htmx (answered with a fragment, or
//! nothing when the task's stream shows the result).

use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use cowork_protocol::{ApprovalDecision, PermissionMode, TaskId};

use super::pages::{TaskForm, TaskLinks, home_page};
use super::text::path_segment;
use super::{Ctx, WebError, fields, fragment_or_page, render};
use crate::backend::{FolderRequest, Front, NewTask};
use crate::state::AppState;

/// `POST /tasks`: starts a task and goes to its page. A mistake in the
/// form brings the form back, filled in, with what to fix.
pub(crate) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, WebError> {
    let mut form = fields(&body);
    let mut take = |name: &str| form.remove(name).unwrap_or_default();
    let form = TaskForm {
        prompt: take("prompt"),
        folder: take("folder").trim().to_owned(),
        access: take("access"),
        mode: take("mode"),
    };
    let request = match new_task(&form) {
        Ok(request) => request,
        Err(message) => return home_page(&state, &ctx, form, Some(message)),
    };
    match state.backend.create_task(request) {
        Ok(id) => Ok(go_to(
            &ctx,
            &format!("/tasks/{}", path_segment(id.as_str())),
        )),
        Err(crate::backend::BackendError::BadRequest(message)) => {
            home_page(&state, &ctx, form, Some(message))
        }
        Err(e) => Err(WebError::backend(&ctx, e)),
    }
}

/// The task the form asks for, or what to fix in it.
pub(crate) fn new_task(form: &TaskForm) -> Result<NewTask, String> {
    if form.prompt.trim().is_empty() {
        return Err("Say what the task should do: the prompt is empty.".to_owned());
    }
    let mode = match form.mode.as_str() {
        "" | "ask" => PermissionMode::Ask,
        "auto" => PermissionMode::Auto,
        "plan" => PermissionMode::Plan,
        other => {
            return Err(format!("Unknown mode {other:?}: choose ask, auto or plan."));
        }
    };
    let read_only = match form.access.as_str() {
        "" | "read_write" => false,
        "read_only" => true,
        other => {
            return Err(format!(
                "Unknown access {other:?}: choose read and change, or only read."
            ));
        }
    };
    let folders = if form.folder.is_empty() {
        Vec::new()
    } else {
        let path = PathBuf::from(&form.folder);
        if !path.is_absolute() {
            return Err(format!(
                "The folder must be an absolute path (starting with /), not {:?}.",
                form.folder
            ));
        }
        vec![FolderRequest { path, read_only }]
    };
    Ok(NewTask {
        prompt: form.prompt.clone(),
        folders,
        mode: Some(mode),
        model: None,
        provider: None,
        base_url: None,
        script: None,
        max_turns: None,
        max_tokens: None,
        timeout_secs: None,
        assume_yes: false,
        sandbox: None,
        allow_net: Vec::new(),
        project: None,
    })
}

/// A redirect after a form: htmx follows `HX-Location`, a browser a 303.
pub(super) fn go_to(ctx: &Ctx, url: &str) -> Response {
    if ctx.htmx
        && let Ok(value) = HeaderValue::from_str(url)
    {
        let mut response = StatusCode::NO_CONTENT.into_response();
        response.headers_mut().insert("hx-location", value);
        return response;
    }
    Redirect::to(url).into_response()
}

/// The answer to an action whose result the task's stream shows: nothing
/// for htmx, the task's page for a browser.
fn done(ctx: &Ctx, id: &TaskId) -> Response {
    if ctx.htmx {
        let mut response = StatusCode::NO_CONTENT.into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    Redirect::to(&task_url(id)).into_response()
}

fn task_url(id: &TaskId) -> String {
    format!("/tasks/{}", path_segment(id.as_str()))
}

/// `POST /tasks/{id}/approvals/{approval}`: `decision` is `allow_once`,
/// `allow_task` or `deny` (with an optional `message`).
pub(crate) async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, approval)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let id = TaskId::from_raw(id);
    let mut form = fields(&body);
    let message = form
        .remove("message")
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    let decision = match form.remove("decision").as_deref() {
        Some("allow_once") => ApprovalDecision::AllowOnce,
        Some("allow_task") => ApprovalDecision::AllowForTask,
        Some("allow_schedule") => ApprovalDecision::AllowForSchedule,
        Some("deny") => ApprovalDecision::Deny { message },
        Some(other) => {
            return Err(WebError::new(
                &ctx,
                StatusCode::BAD_REQUEST,
                format!(
                    "Unknown decision {other:?}: allow_once, allow_task, allow_schedule or deny."
                ),
            )
            .back(task_url(&id)));
        }
        None => {
            return Err(WebError::new(
                &ctx,
                StatusCode::BAD_REQUEST,
                "Choose allow once, allow for this task, or deny.",
            )
            .back(task_url(&id)));
        }
    };
    // Only a schedule's run can remember an answer for the schedule: for
    // any other task it would quietly mean "for this task".
    if decision == ApprovalDecision::AllowForSchedule {
        let view = super::pages::replay(state.backend.as_ref(), &id)
            .map_err(|e| WebError::backend(&ctx, e).back(task_url(&id)))?;
        if view.schedule.is_none() {
            return Err(WebError::new(
                &ctx,
                StatusCode::BAD_REQUEST,
                "This task is not a run of a schedule: choose allow once, allow for this task, \
                 or deny.",
            )
            .back(task_url(&id)));
        }
    }
    // Off the async workers: right after a resume the backend may wait a
    // moment for the run to take answers.
    let backend = state.backend.clone();
    let task = id.clone();
    tokio::task::spawn_blocking(move || backend.decide(&task, &approval, decision, Front::Web))
        .await
        .map_err(|e| {
            WebError::new(
                &ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("The answer stopped unexpectedly: {e}"),
            )
        })?
        .map_err(|e| WebError::backend(&ctx, e).back(task_url(&id)))?;
    Ok(done(&ctx, &id))
}

/// `POST /tasks/{id}/cancel`.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = TaskId::from_raw(id);
    state
        .backend
        .cancel(&id)
        .map_err(|e| WebError::backend(&ctx, e).back(task_url(&id)))?;
    Ok(done(&ctx, &id))
}

/// `POST /tasks/{id}/messages`: `text`, for the running task's next turn
/// or to continue a finished one.
pub(crate) async fn message(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let id = TaskId::from_raw(id);
    let text = fields(&body).remove("text").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(WebError::new(
            &ctx,
            StatusCode::BAD_REQUEST,
            "The message is empty: write what the task should do next.",
        )
        .back(task_url(&id)));
    }
    state
        .backend
        .message(&id, text)
        .map_err(|e| WebError::backend(&ctx, e).back(task_url(&id)))?;
    Ok(done(&ctx, &id))
}

/// `POST /tasks/{id}/undo`: with `dry_run=true` (the page's first step)
/// what undo would do and a button to do it; then the undo itself.
pub(crate) async fn undo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let id = TaskId::from_raw(id);
    // Anything but an explicit "false" is a dry run: a form that lost its
    // field must not change files.
    let dry_run = fields(&body).get("dry_run").map(String::as_str) != Some("false");
    let backend = state.backend.clone();
    let task = id.clone();
    let report = tokio::task::spawn_blocking(move || backend.undo(&task, dry_run))
        .await
        .map_err(|e| {
            WebError::new(
                &ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("undo failed: {e}"),
            )
        })?
        .map_err(|e| WebError::backend(&ctx, e).back(task_url(&id)))?;
    let links = TaskLinks::new(&id, String::new());
    let fragment = render::render(
        "undo.html",
        serde_json::json!({ "report": report, "task": links, "csrf": ctx.csrf }),
    )?;
    let title = if dry_run { "Undo this task?" } else { "Undone" };
    fragment_or_page(&ctx, title, Some(&task_url(&id)), fragment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(prompt: &str, folder: &str, access: &str, mode: &str) -> TaskForm {
        TaskForm {
            prompt: prompt.into(),
            folder: folder.into(),
            access: access.into(),
            mode: mode.into(),
        }
    }

    #[test]
    fn the_form_becomes_a_task_with_its_folder_and_mode() {
        let task = new_task(&form("sort", "/data/in", "read_only", "plan")).unwrap();
        assert_eq!(task.prompt, "sort");
        assert_eq!(task.mode, Some(PermissionMode::Plan));
        assert_eq!(
            task.folders,
            vec![FolderRequest {
                path: "/data/in".into(),
                read_only: true
            }]
        );
        let task = new_task(&form("sort", "", "", "")).unwrap();
        assert!(task.folders.is_empty());
        assert_eq!(task.mode, Some(PermissionMode::Ask));
    }

    #[test]
    fn a_bad_form_says_what_to_fix() {
        assert!(
            new_task(&form("  ", "", "", ""))
                .unwrap_err()
                .contains("prompt")
        );
        assert!(
            new_task(&form("x", "docs", "", ""))
                .unwrap_err()
                .contains("absolute")
        );
        assert!(
            new_task(&form("x", "", "", "yolo"))
                .unwrap_err()
                .contains("ask, auto or plan")
        );
        assert!(
            new_task(&form("x", "", "all", ""))
                .unwrap_err()
                .contains("access")
        );
    }
}
