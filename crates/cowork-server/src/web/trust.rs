//! Trusting a folder from a task's page: where the task lists a folder's
//! own instruction files (`COWORK.md`, `CLAUDE.md`, `AGENTS.md`), the page
//! says whether the task followed them or saw them as data, and offers to
//! trust the folder (or revoke it) — what `cowork trust FOLDER` does,
//! through the handed-in [`FolderTrustControl`]. An answer applies to
//! tasks started after it: the one on the page keeps what it was given.
//!
//! [`FolderTrustControl`]: crate::hand_ins::FolderTrustControl

use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use futures::{FutureExt as _, StreamExt as _};
use serde::Serialize;

use cowork_protocol::{Event, InstructionLayer, TaskId};

use super::text::path_segment;
use super::{Ctx, WebError, fields};
use crate::backend::Backend;
use crate::state::AppState;

/// One folder whose instructions the task was given, for the page.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct TrustRow {
    folder: String,
    /// Its instruction files, by name.
    files: Vec<String>,
    /// Whether the task was told to follow them.
    followed: bool,
    /// The person's answer now: `trusted`, `refused`, `unanswered`, or
    /// `unknown` when it cannot be read (`error` says why) or no trust
    /// control was handed in (`control` false).
    now: &'static str,
    control: bool,
    error: Option<String>,
}

/// The folders whose own instructions task `id` was given, each once, in
/// the order the task read them, with their files and whether it followed
/// them.
pub(crate) fn folder_sources(
    backend: &dyn Backend,
    id: &TaskId,
) -> Vec<(PathBuf, Vec<String>, bool)> {
    let Ok(mut events) = backend.subscribe(id, 0) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Vec<String>, bool)> = Vec::new();
    while let Some(Some(envelope)) = events.next().now_or_never() {
        let Event::InstructionsLoaded { sources } = &envelope.event else {
            continue;
        };
        for source in sources {
            let (InstructionLayer::Folder, Some(path)) = (source.layer, &source.path) else {
                continue;
            };
            let (Some(folder), Some(name)) = (path.0.parent(), path.0.file_name()) else {
                continue;
            };
            let name = name.to_string_lossy().into_owned();
            match out.iter_mut().find(|(f, _, _)| f == folder) {
                Some((_, files, _)) => files.push(name),
                None => out.push((folder.to_owned(), vec![name], source.trusted)),
            }
        }
    }
    out
}

/// The page's rows for task `id`.
pub(crate) fn panel(state: &AppState, id: &TaskId) -> Vec<TrustRow> {
    let control = state.hand_ins.trust.as_deref();
    folder_sources(state.backend.as_ref(), id)
        .into_iter()
        .map(|(folder, files, followed)| {
            let (now, error) = match control.map(|c| c.answer(&folder)) {
                Some(Ok(Some(true))) => ("trusted", None),
                Some(Ok(Some(false))) => ("refused", None),
                Some(Ok(None)) => ("unanswered", None),
                Some(Err(e)) => ("unknown", Some(e.to_string())),
                None => ("unknown", None),
            };
            TrustRow {
                folder: folder.display().to_string(),
                files,
                followed,
                now,
                control: control.is_some(),
                error,
            }
        })
        .collect()
}

/// `POST /tasks/{id}/trust`: `folder`, one of the task's folders, and
/// `trust` (`yes` or `no`).
pub(crate) async fn set(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let mut form = fields(&body);
    let back = format!("/tasks/{}", path_segment(&id));
    let refuse =
        |message: String| WebError::new(&ctx, StatusCode::BAD_REQUEST, message).back(back.clone());
    let trusted = match form.remove("trust").as_deref() {
        Some("yes") => true,
        Some("no") => false,
        Some(other) => return Err(refuse(format!("Unknown answer {other:?}: yes or no."))),
        None => {
            return Err(refuse(
                "Say whether to trust the folder: yes or no.".to_owned(),
            ));
        }
    };
    let folder = PathBuf::from(form.remove("folder").unwrap_or_default());
    let detail = state
        .backend
        .task(&id)
        .map_err(|e| WebError::backend(&ctx, e).back(back.clone()))?;
    // Only a folder the person granted this task: the form is not a way
    // to trust any path on the machine.
    if !detail.folders.iter().any(|f| f.path == folder) {
        return Err(refuse(format!(
            "{} is not a folder of this task; trust other folders with cowork trust FOLDER.",
            folder.display()
        )));
    }
    let Some(control) = state.hand_ins.trust.clone() else {
        return Err(WebError::new(
            &ctx,
            StatusCode::NOT_FOUND,
            "Trusting folders needs the daemon started by cowork serve; \
             or run: cowork trust FOLDER",
        )
        .back(back));
    };
    let answer = tokio::task::spawn_blocking(move || control.set(&folder, trusted))
        .await
        .map_err(|e| {
            WebError::new(
                &ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Trusting the folder stopped unexpectedly: {e}"),
            )
        })?;
    answer.map_err(|e| {
        WebError::new(
            &ctx,
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("The answer could not be saved: {e}"),
        )
        .back(back.clone())
    })?;
    Ok(Redirect::to(&format!("{back}#trust")).into_response())
}
