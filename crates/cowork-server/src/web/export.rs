//! `GET /tasks/{id}/export?format=html|md|json`: the task as the file
//! `cowork export` writes, downloaded. Built by [`crate::export`] with
//! the same secrets redacted as the CLI's (the front hands in how to
//! gather them); without them there is no export, rather than one that
//! might hold a key.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::pages::now_ms;
use super::{Ctx, WebError, fields};
use crate::export::{self, Format, Redactor};
use crate::hand_ins::ExportSetup;
use crate::state::AppState;

pub(crate) async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let query = fields(query.unwrap_or_default().as_bytes());
    let format = match query.get("format").map(String::as_str) {
        None | Some("html") => Format::Html,
        Some("md") => Format::Markdown,
        Some("json") => Format::Json,
        Some(other) => {
            return Err(WebError::new(
                &ctx,
                StatusCode::BAD_REQUEST,
                format!("Unknown export format {other:?}: choose html, md or json."),
            ));
        }
    };
    let (Some(store), Some(setup)) = (state.backend.store(), state.hand_ins.export.clone()) else {
        return Err(WebError::new(
            &ctx,
            StatusCode::NOT_FOUND,
            "Exporting needs the daemon started by cowork serve, which knows what is secret. \
             The CLI exports too: cowork export TASK -o task.html.",
        ));
    };
    let failed = |status, message: String| WebError::new(&ctx, status, message);
    // Reading the task's files back (folders, journal) touches the disk.
    let made = tokio::task::spawn_blocking(move || build(&store, &setup, &id, format))
        .await
        .map_err(|e| {
            failed(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("The export stopped unexpectedly: {e}"),
            )
        })?;
    let (short, text) = made.map_err(|(status, message)| failed(status, message))?;
    let (content_type, extension) = match format {
        Format::Html => ("text/html; charset=utf-8", "html"),
        Format::Markdown => ("text/markdown; charset=utf-8", "md"),
        Format::Json => ("application/json", "json"),
    };
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The short id is hex: the file name needs no quoting.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"cowork-task-{short}.{extension}\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The task's short id and its export, or the status and words of why
/// there is none.
fn build(
    store: &cowork_store::Store,
    setup: &ExportSetup,
    id: &str,
    format: Format,
) -> Result<(String, String), (StatusCode, String)> {
    let row = store.task(id).map_err(|e| {
        let status = if matches!(e, cowork_store::StoreError::NotFound { .. }) {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        (status, e.to_string())
    })?;
    let internal = |e: &dyn std::fmt::Display| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    let events = store.events(&row.id).map_err(|e| internal(&e))?;
    // Gathered now: a connector added since the daemon started counts.
    let redactor = Redactor::new(setup.secrets.secrets());
    let inputs = export::Inputs {
        redactor: &redactor,
        hidden: &setup.hidden,
        reserved: &setup.reserved,
        journal_dir: setup.journal_dir.as_deref(),
    };
    let (_, text) = export::export_task(store, &row, &events, inputs, format, now_ms())
        .map_err(|e| internal(&e))?;
    Ok((row.id.short().to_owned(), text))
}
