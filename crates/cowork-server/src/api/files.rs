//! `GET /api/files/preview` and `GET /api/files/download`: the current
//! content of a file a task created or changed.
//!
//! Only a path the task's file list names is served (the backend then reads
//! it through the task's folder grants), so a crafted `path` reaches
//! nothing else. Nothing is ever served as a page of ours: text is
//! `text/plain`, and a preview that a browser could render as a document
//! (an SVG) runs sandboxed, with no script.

use std::path::Path as FsPath;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use cowork_protocol::TaskId;

use crate::backend::FileContent;
use crate::error::{ApiError, ErrorBody};
use crate::query::QueryParams;
use crate::state::AppState;
use crate::touched::read_touched;

/// Text beyond this is cut (with a note) in a preview.
pub const TEXT_PREVIEW_CAP: usize = 1024 * 1024;
/// Images and PDFs beyond this are not previewed; download them.
pub const BINARY_PREVIEW_CAP: usize = 32 * 1024 * 1024;

/// Nothing of ours runs in a preview; our own pages may frame it.
const PREVIEW_POLICY: &str = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox";
/// Browsers will not show a PDF in a sandboxed document; a PDF gets no
/// script of ours either way.
const PDF_POLICY: &str = "default-src 'none'; frame-ancestors 'self'";
const DOWNLOAD_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// The file as the browser can show it: text (cut at 1 MiB), an image or
/// a PDF (up to 32 MiB). Other kinds are a 415: download them.
#[utoipa::path(
    get,
    path = "/api/files/preview",
    tag = "files",
    params(
        ("task" = String, Query, description = "The task's id"),
        ("path" = String, Query, description = "The file's path as `GET /api/tasks/{id}/files` lists it")
    ),
    responses(
        (status = OK, description = "The file's content: `text/plain`, an image type or `application/pdf`"),
        (status = NOT_FOUND, body = ErrorBody, description = "Not a file the task touched"),
        (status = PAYLOAD_TOO_LARGE, body = ErrorBody),
        (status = UNSUPPORTED_MEDIA_TYPE, body = ErrorBody, description = "No preview for this kind of file")
    )
)]
pub async fn preview(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let file = read(&state, query.as_deref()).await?;
    let kind = Kind::of(&file)?;
    let (content_type, policy, bytes) = match kind {
        Kind::Text => (
            "text/plain; charset=utf-8",
            PREVIEW_POLICY,
            cut_text(file.bytes),
        ),
        Kind::Binary(content_type) => {
            if file.bytes.len() > BINARY_PREVIEW_CAP {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "{} is {} bytes, too large to preview (the limit is {BINARY_PREVIEW_CAP}): download it",
                        file.name,
                        file.bytes.len()
                    ),
                ));
            }
            let policy = if content_type == "application/pdf" {
                PDF_POLICY
            } else {
                PREVIEW_POLICY
            };
            (content_type, policy, file.bytes)
        }
    };
    Ok(respond(
        bytes,
        content_type,
        policy,
        &disposition("inline", &file.name),
        "SAMEORIGIN",
    ))
}

/// The file's bytes as an attachment.
#[utoipa::path(
    get,
    path = "/api/files/download",
    tag = "files",
    params(
        ("task" = String, Query, description = "The task's id"),
        ("path" = String, Query, description = "The file's path as `GET /api/tasks/{id}/files` lists it")
    ),
    responses(
        (status = OK, description = "The file, `Content-Disposition: attachment`", content_type = "application/octet-stream"),
        (status = NOT_FOUND, body = ErrorBody, description = "Not a file the task touched")
    )
)]
pub async fn download(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let file = read(&state, query.as_deref()).await?;
    let disposition = disposition("attachment", &file.name);
    Ok(respond(
        file.bytes,
        "application/octet-stream",
        DOWNLOAD_POLICY,
        &disposition,
        "DENY",
    ))
}

/// Reads `path` of `task` if (and only if) the task's file list names it.
async fn read(state: &AppState, query: Option<&str>) -> Result<FileContent, ApiError> {
    let query = QueryParams::parse(query);
    let task = TaskId::from_raw(query.require("task").map_err(ApiError::bad_request)?);
    let path = query
        .require("path")
        .map_err(ApiError::bad_request)?
        .to_owned();
    let backend = state.backend.clone();
    tokio::task::spawn_blocking(move || read_touched(backend.as_ref(), &task, &path))
        .await
        .map_err(|e| ApiError::internal(format!("reading the file stopped unexpectedly: {e}")))?
        .map_err(ApiError::from)
}

enum Kind {
    Text,
    Binary(&'static str),
}

impl Kind {
    fn of(file: &FileContent) -> Result<Self, ApiError> {
        let extension = FsPath::new(&file.name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let binary = match extension.as_str() {
            "png" => Some("image/png"),
            "jpg" | "jpeg" => Some("image/jpeg"),
            "gif" => Some("image/gif"),
            "webp" => Some("image/webp"),
            "svg" => Some("image/svg+xml"),
            "pdf" => Some("application/pdf"),
            _ => None,
        };
        if let Some(content_type) = binary {
            return Ok(Kind::Binary(content_type));
        }
        // Text is whatever decodes as UTF-8 with no NUL: HTML, scripts and
        // all, shown as their source.
        let head = &file.bytes[..file.bytes.len().min(TEXT_PREVIEW_CAP)];
        let is_text = !head.contains(&0)
            && match std::str::from_utf8(head) {
                Ok(_) => true,
                // A multi-byte character cut by the cap is still text.
                Err(e) => e.error_len().is_none(),
            };
        if is_text {
            Ok(Kind::Text)
        } else {
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("no preview for {}: download it", file.name),
            ))
        }
    }
}

/// The text, cut at the cap on a character boundary, with a note saying so.
fn cut_text(bytes: Vec<u8>) -> Vec<u8> {
    if bytes.len() <= TEXT_PREVIEW_CAP {
        return bytes;
    }
    let total = bytes.len();
    let mut end = TEXT_PREVIEW_CAP;
    while end > 0 && (bytes[end] & 0b1100_0000) == 0b1000_0000 {
        end -= 1;
    }
    let mut cut = bytes;
    cut.truncate(end);
    cut.extend_from_slice(
        format!("\n\n[preview cut at {end} of {total} bytes: download the file for all of it]\n")
            .as_bytes(),
    );
    cut
}

fn respond(
    bytes: Vec<u8>,
    content_type: &'static str,
    policy: &'static str,
    disposition: &str,
    frame_options: &'static str,
) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static(frame_options),
    );
    // The file may change while the task runs.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `inline` or `attachment` with the file's name: an ASCII fallback
/// (quotes, controls and non-ASCII replaced) and the exact name in
/// RFC 8187 form.
fn disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte);
        if keep {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
