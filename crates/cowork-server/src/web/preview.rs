//! The files panel: what a task created or changed, and previews of each
//! file. Spreadsheets, DOCX, PPTX and PDF are read back with cowork-docs'
//! readers (sheets as tables with formulas' values, documents as their
//! text); images are shown as pictures, SVG included, always through
//! `<img>` (a script inside an SVG never runs there); Markdown is rendered
//! without raw HTML; other text is shown as is. Files come only through
//! [`crate::backend::Backend::read_file`], which serves the files a task
//! touched through its folder grants.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;

use cowork_docs::read::{Format, ReadOptions};
use cowork_protocol::TaskId;

use super::text::{capped, human_bytes, url_encode};
use super::{Ctx, WebError, fields, fragment_or_page, html, markdown, render};
use crate::backend::{FileChangeKind, FileContent, TaskFile};
use crate::state::AppState;

/// Characters of plain text shown at most; the download has the rest.
const MAX_TEXT_CHARS: usize = 200_000;
/// Rows of each sheet shown.
const MAX_SHEET_ROWS: usize = 100;

/// A file in the panel.
#[derive(Debug, Serialize)]
pub(crate) struct FileRow {
    pub path: String,
    pub name: String,
    pub change: &'static str,
    pub size: String,
    pub exists: bool,
    pub preview_url: String,
    pub download_url: String,
}

pub(crate) fn file_rows(id: &TaskId, files: &[TaskFile]) -> Vec<FileRow> {
    files
        .iter()
        .map(|f| {
            let query = format!("path={}", url_encode(&f.path));
            FileRow {
                name: file_name(&f.path).to_owned(),
                change: change_name(f.change),
                size: f.size.map(human_bytes).unwrap_or_default(),
                exists: f.exists,
                preview_url: format!("{}/preview?{query}", task_url(id)),
                download_url: download_url(id, &f.path),
                path: f.path.clone(),
            }
        })
        .collect()
}

fn change_name(change: FileChangeKind) -> &'static str {
    match change {
        FileChangeKind::Created => "created",
        FileChangeKind::Modified => "modified",
        FileChangeKind::Moved => "moved",
        FileChangeKind::Deleted => "deleted",
    }
}

fn task_url(id: &TaskId) -> String {
    format!("/tasks/{}", super::text::path_segment(id.as_str()))
}

/// The JSON API's download route, which sends the file as an attachment.
fn download_url(id: &TaskId, path: &str) -> String {
    format!(
        "/api/files/download?task={}&path={}",
        url_encode(id.as_str()),
        url_encode(path)
    )
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(path)
}

/// `GET /tasks/{id}/files`: the panel's list, refreshed when files change.
pub(crate) async fn files_part(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = TaskId::from_raw(id);
    let files = state
        .backend
        .files(&id)
        .map_err(|e| WebError::backend(&ctx, e))?;
    let body = render::render(
        "files.html",
        serde_json::json!({ "files": file_rows(&id, &files) }),
    )?;
    Ok(html(body))
}

/// How a file is shown.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Shown {
    /// Markup made by our own renderer, safe to include.
    Html(String),
    Text(String),
    Image,
    /// Nothing to show but this note (binary, unreadable).
    Note(String),
}

/// The image types shown as pictures, with the type they are served as.
fn image_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// What to show for `file`. Reading documents is CPU work: call it from a
/// blocking thread.
pub(crate) fn show(file: &FileContent) -> Shown {
    let name = file.name.as_str();
    if image_type(name).is_some() {
        return Shown::Image;
    }
    if Format::from_name(name).is_some() {
        let options = ReadOptions {
            max_rows: MAX_SHEET_ROWS,
            max_chars: MAX_TEXT_CHARS,
        };
        return match cowork_docs::read::read(name, &file.bytes, &options) {
            Ok(text) => Shown::Html(markdown::to_html(&text)),
            Err(e) => Shown::Note(format!("This file could not be read for a preview: {e}")),
        };
    }
    let lower = name.to_ascii_lowercase();
    let text = match std::str::from_utf8(&file.bytes) {
        Ok(text) => text,
        Err(_) => {
            return Shown::Note(format!(
                "No preview: a binary file of {}.",
                human_bytes(file.bytes.len() as u64)
            ));
        }
    };
    if lower.ends_with(".md") || lower.ends_with(".markdown") {
        Shown::Html(markdown::to_html(&capped(text, MAX_TEXT_CHARS)))
    } else {
        Shown::Text(capped(text, MAX_TEXT_CHARS))
    }
}

async fn read(
    state: &AppState,
    ctx: &Ctx,
    id: &TaskId,
    path: &str,
) -> Result<FileContent, WebError> {
    let backend = state.backend.clone();
    let (task, file) = (id.clone(), path.to_owned());
    // Only a file the task's list names is read, whatever the backend
    // would serve.
    tokio::task::spawn_blocking(move || crate::read_touched(backend.as_ref(), &task, &file))
        .await
        .map_err(|e| {
            WebError::new(
                ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("reading the file failed: {e}"),
            )
        })?
        .map_err(|e| WebError::backend(ctx, e).back(task_url(id)))
}

fn path_param(ctx: &Ctx, uri: &Uri) -> Result<String, WebError> {
    fields(uri.query().unwrap_or("").as_bytes())
        .remove("path")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            WebError::new(
                ctx,
                StatusCode::BAD_REQUEST,
                "say which file to show: ?path=/absolute/path/of/the/file",
            )
        })
}

/// `GET /tasks/{id}/preview?path=…`: the file shown in the panel.
pub(crate) async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, WebError> {
    let id = TaskId::from_raw(id);
    let path = path_param(&ctx, &uri)?;
    let file = read(&state, &ctx, &id, &path).await?;
    let name = file.name.clone();
    let shown = tokio::task::spawn_blocking(move || show(&file))
        .await
        .unwrap_or_else(|e| Shown::Note(format!("The preview failed: {e}")));
    let body = preview_html(&id, &path, &name, shown)?;
    fragment_or_page(&ctx, &name, Some(&task_url(&id)), body)
}

pub(crate) fn preview_html(
    id: &TaskId,
    path: &str,
    name: &str,
    shown: Shown,
) -> Result<String, minijinja::Error> {
    let none = || Value::from(());
    let (kind, html, text, note) = match shown {
        Shown::Html(html) => ("html", render::safe(html), none(), none()),
        Shown::Text(text) => ("text", none(), Value::from(text), none()),
        Shown::Image => ("image", none(), none(), none()),
        Shown::Note(note) => ("note", none(), none(), Value::from(note)),
    };
    render::render_value(
        "preview.html",
        context! {
            kind => kind,
            name => name,
            html => html,
            text => text,
            note => note,
            image_url => format!("{}/image?path={}", task_url(id), url_encode(path)),
            download_url => download_url(id, path),
        },
    )
}

/// `GET /tasks/{id}/image?path=…`: an image file for `<img>`. Only image
/// types are served, with headers that keep a browser from running an
/// SVG's script even when it is opened on its own.
pub(crate) async fn image(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, WebError> {
    let id = TaskId::from_raw(id);
    let path = path_param(&ctx, &uri)?;
    let Some(content_type) = image_type(&path) else {
        return Err(WebError::new(
            &ctx,
            StatusCode::NOT_FOUND,
            "only images (PNG, JPEG, GIF, WebP, SVG) are served here; use the download link",
        ));
    };
    let file = read(&state, &ctx, &id, &path).await?;
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
#[path = "preview_tests.rs"]
mod tests;
