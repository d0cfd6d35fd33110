//! `/api/tasks`: start tasks, read them, answer their approvals, steer,
//! cancel and undo them.

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use cowork_protocol::{ApprovalDecision, TaskId};

use super::ApiJson;
use crate::backend::{Front, NewTask, TaskDetail, TaskFile, TaskSummary, UndoReport};
use crate::error::{ApiError, ErrorBody};
use crate::query::QueryParams;
use crate::state::AppState;

/// How many tasks a listing returns unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedTask {
    pub id: String,
}

/// Starts a task. It is recorded and queued at once; watch it with
/// `GET /api/tasks/{id}/events`.
#[utoipa::path(
    post,
    path = "/api/tasks",
    tag = "tasks",
    request_body = NewTask,
    responses(
        (status = CREATED, body = CreatedTask),
        (status = BAD_REQUEST, body = ErrorBody)
    )
)]
pub async fn create_task(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<NewTask>,
) -> Result<(StatusCode, Json<CreatedTask>), ApiError> {
    if request.prompt.trim().is_empty() {
        return Err(ApiError::bad_request(
            "`prompt` is empty: say what the task should do",
        ));
    }
    let id = state.backend.create_task(request)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTask {
            id: id.as_str().to_owned(),
        }),
    ))
}

/// The newest tasks first.
#[utoipa::path(
    get,
    path = "/api/tasks",
    tag = "tasks",
    params(("limit" = Option<usize>, Query, description = "At most this many (default 50, at most 1000)")),
    responses(
        (status = OK, body = Vec<TaskSummary>),
        (status = BAD_REQUEST, body = ErrorBody)
    )
)]
pub async fn list_tasks(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<TaskSummary>>, ApiError> {
    let query = QueryParams::parse(query.as_deref());
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Ok(_) | Err(_) => {
                return Err(ApiError::bad_request(format!(
                    "`limit` must be a number from 1 to {MAX_LIMIT}, not `{raw}`"
                )));
            }
        },
    };
    Ok(Json(state.backend.list_tasks(limit)?))
}

/// One task: status, usage, folders and the approvals it waits for.
#[utoipa::path(
    get,
    path = "/api/tasks/{id}",
    tag = "tasks",
    params(("id" = String, Path, description = "The task's id or a unique prefix of it")),
    responses(
        (status = OK, body = TaskDetail),
        (status = NOT_FOUND, body = ErrorBody)
    )
)]
pub async fn get_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TaskDetail>, ApiError> {
    Ok(Json(state.backend.task(&id)?))
}

/// A person's answer to a pending approval.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: DecisionKind,
    /// Why, for the model; only with `deny`.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum DecisionKind {
    /// Allow this call.
    AllowOnce,
    /// Allow this call and every call like it for the rest of the task.
    AllowTask,
    /// Allow this call and every call like it in every run of the task's
    /// schedule (a scheduled run only).
    AllowSchedule,
    Deny,
}

impl DecisionRequest {
    fn into_decision(self) -> Result<ApprovalDecision, ApiError> {
        match (self.decision, self.message) {
            (DecisionKind::AllowOnce, None) => Ok(ApprovalDecision::AllowOnce),
            (DecisionKind::AllowTask, None) => Ok(ApprovalDecision::AllowForTask),
            (DecisionKind::AllowSchedule, None) => Ok(ApprovalDecision::AllowForSchedule),
            (DecisionKind::Deny, message) => Ok(ApprovalDecision::Deny {
                message: message.filter(|m| !m.trim().is_empty()),
            }),
            (
                DecisionKind::AllowOnce | DecisionKind::AllowTask | DecisionKind::AllowSchedule,
                Some(_),
            ) => Err(ApiError::bad_request(
                "`message` goes only with `\"decision\": \"deny\"`: it tells the model why",
            )),
        }
    }
}

/// Answers a pending approval. The first answer from any front wins; a
/// later one is a 409.
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/approvals/{approvalId}",
    tag = "tasks",
    params(
        ("id" = String, Path, description = "The task's id"),
        ("approvalId" = String, Path, description = "The pending approval's id"),
        ("X-Cowork-Front" = Option<String>, Header, description = "Who answers, recorded with the decision: `terminal` or `api` (the default); the web UI's session is `web`")
    ),
    request_body = DecisionRequest,
    responses(
        (status = NO_CONTENT, description = "Recorded"),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, body = ErrorBody, description = "Already answered")
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    Path((id, approval)): Path<(String, String)>,
    front: Option<Extension<Front>>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<StatusCode, ApiError> {
    let decision = request.into_decision()?;
    let front = front.map_or(Front::Api, |Extension(front)| front);
    // Off the async workers: right after a resume the backend may wait a
    // moment for the run to take answers.
    let backend = state.backend.clone();
    tokio::task::spawn_blocking(move || {
        backend.decide(&TaskId::from_raw(id), &approval, decision, front)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the answer stopped unexpectedly: {e}")))??;
    Ok(StatusCode::NO_CONTENT)
}

/// Stops the task at its next safe point; it is recorded as cancelled.
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/cancel",
    tag = "tasks",
    params(("id" = String, Path, description = "The task's id")),
    responses(
        (status = NO_CONTENT, description = "Cancelling"),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, body = ErrorBody, description = "The task already ended")
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.backend.cancel(&TaskId::from_raw(id))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageRequest {
    pub text: String,
}

/// A message from the person: taken at the next turn of a running task, or
/// continuing a finished one in the same transcript.
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/messages",
    tag = "tasks",
    params(("id" = String, Path, description = "The task's id")),
    request_body = MessageRequest,
    responses(
        (status = ACCEPTED, description = "Queued for the task"),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody)
    )
)]
pub async fn message(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<MessageRequest>,
) -> Result<StatusCode, ApiError> {
    if request.text.trim().is_empty() {
        return Err(ApiError::bad_request(
            "`text` is empty: write what the task should do next",
        ));
    }
    state.backend.message(&TaskId::from_raw(id), request.text)?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UndoRequest {
    /// Only say what undo would do; change nothing.
    pub dry_run: bool,
}

/// Restores the files the task changed, or with `dryRun` only says how.
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/undo",
    tag = "tasks",
    params(("id" = String, Path, description = "The task's id")),
    request_body = UndoRequest,
    responses(
        (status = OK, body = UndoReport),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, body = ErrorBody, description = "The task is still running")
    )
)]
pub async fn undo(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UndoRequest>,
) -> Result<Json<UndoReport>, ApiError> {
    let backend = state.backend.clone();
    let report =
        tokio::task::spawn_blocking(move || backend.undo(&TaskId::from_raw(id), request.dry_run))
            .await
            .map_err(|e| ApiError::internal(format!("undo stopped unexpectedly: {e}")))??;
    Ok(Json(report))
}

/// What the task created or changed.
#[utoipa::path(
    get,
    path = "/api/tasks/{id}/files",
    tag = "files",
    params(("id" = String, Path, description = "The task's id")),
    responses(
        (status = OK, body = Vec<TaskFile>),
        (status = NOT_FOUND, body = ErrorBody)
    )
)]
pub async fn files(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<TaskFile>>, ApiError> {
    Ok(Json(state.backend.files(&TaskId::from_raw(id))?))
}
