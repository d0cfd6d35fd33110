//! A project's files from the web: listed, downloaded, uploaded (written
//! atomically, never over a file of the same name), and removed into the
//! project's `removed` folder after a question, as `cowork project edit
//! --remove-file` does: never silently gone.
//!
//! A file is named by one path component checked here ([`check_name`]),
//! and opened from the files folder's descriptor without following a
//! symlink, so no name reaches outside the folder.

use std::io::Write as _;
use std::path::{Path as FsPath, PathBuf};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use cowork_store::Project;

use super::actions::go_to;
use super::multipart;
use super::schedule_rows::project_href;
use super::stored::{Confirm, confirm, confirmed, project_error, store};
use super::text::{human_bytes, path_segment, url_encode};
use super::{Ctx, WebError};
use crate::state::AppState;

/// The largest file the web takes into a project.
pub(crate) const MAX_UPLOAD: usize = 25 * 1024 * 1024;
/// The longest file name, in bytes (most file systems' limit).
const MAX_NAME: usize = 255;

#[derive(Debug, Serialize)]
pub(crate) struct FileRow {
    name: String,
    size: String,
    href: String,
    remove: String,
}

/// The project's files by name; none when the folder is missing or the
/// backend keeps no files (the page still renders).
pub(crate) fn list_files(state: &AppState, project: &Project) -> Vec<FileRow> {
    let Some(dir) = state.backend.project_files(&project.id) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let href = project_href(&project.id);
    let mut files: Vec<FileRow> = entries
        .flatten()
        .filter_map(|entry| {
            // `DirEntry::metadata` does not follow a symlink: only real
            // files are the project's.
            let meta = entry.metadata().ok().filter(std::fs::Metadata::is_file)?;
            let name = entry.file_name().into_string().ok()?;
            // A copy still being written is not one of its files yet.
            if name.starts_with(".tmp") {
                return None;
            }
            let segment = path_segment(&name);
            Some(FileRow {
                size: human_bytes(meta.len()),
                href: format!("{href}/files/{segment}"),
                remove: format!("{href}/files/{segment}/remove"),
                name,
            })
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// What is wrong with `name` as a project file's name, if anything.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let why = if name.is_empty() {
        "it is empty"
    } else if name == "." || name == ".." {
        "it names a folder"
    } else if name.contains('/') || name.contains('\\') {
        "it holds a slash"
    } else if name.chars().any(char::is_control) {
        "it holds a control character"
    } else if name.starts_with('.') {
        "it starts with a dot (hidden files are not kept)"
    } else if name.len() > MAX_NAME {
        "it is longer than 255 bytes"
    } else {
        return Ok(());
    };
    Err(format!(
        "{name:?} cannot be a project file's name: {why}; rename the file and try again."
    ))
}

fn files_dir(state: &AppState, ctx: &Ctx, project: &Project) -> Result<PathBuf, WebError> {
    state.backend.project_files(&project.id).ok_or_else(|| {
        WebError::new(
            ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            "This server keeps no project files: start the daemon with `cowork serve`.",
        )
    })
}

/// `GET /projects/{id}/files/{name}`: the file, as a download.
pub(crate) async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let project = store.project(&id).map_err(|e| project_error(&ctx, e))?;
    let href = project_href(&project.id);
    check_name(&name)
        .map_err(|e| WebError::new(&ctx, StatusCode::BAD_REQUEST, e).back(href.clone()))?;
    let dir = files_dir(&state, &ctx, &project)?;
    let bytes = tokio::task::spawn_blocking(move || read_beneath(&dir, &name))
        .await
        .map_err(|e| WebError::new(&ctx, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| WebError::new(&ctx, StatusCode::NOT_FOUND, e).back(href.clone()))?;
    let (bytes, name) = bytes;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename*=UTF-8''{}",
        url_encode(&name).replace('+', "%20")
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// The file `name` of folder `dir`, opened from the folder's descriptor
/// without following a symlink; only a regular file is read.
fn read_beneath(dir: &FsPath, name: &str) -> Result<(Vec<u8>, String), String> {
    use rustix::fs::{Mode, OFlags};
    let missing = || format!("the project has no file named {name:?}");
    let dir_fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|_| missing())?;
    let fd = rustix::fs::openat(
        &dir_fd,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .map_err(|_| missing())?;
    let stat = rustix::fs::fstat(&fd).map_err(|e| e.to_string())?;
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::RegularFile {
        return Err(missing());
    }
    let mut file = std::fs::File::from(fd);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(|e| e.to_string())?;
    Ok((bytes, name.to_owned()))
}

/// `POST /projects/{id}/files` (`multipart/form-data`, field `file`):
/// keeps the file in the project, refusing to replace one of the same
/// name.
pub(crate) async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let project = store.project(&id).map_err(|e| project_error(&ctx, e))?;
    let href = project_href(&project.id);
    let bad =
        |message: String| WebError::new(&ctx, StatusCode::BAD_REQUEST, message).back(href.clone());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let parts = multipart::parse(content_type, &body).map_err(bad)?;
    let Some(file) = parts.into_iter().find(|p| p.name == "file") else {
        return Err(bad("Choose a file to add: the form sent none.".to_owned()));
    };
    let name = match file.filename.as_deref() {
        // Some browsers send the whole path the file came from.
        Some(name) => name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned(),
        None => String::new(),
    };
    if name.is_empty() {
        return Err(bad("Choose a file to add: the form sent none.".to_owned()));
    }
    check_name(&name).map_err(bad)?;
    if file.data.len() > MAX_UPLOAD {
        return Err(bad(format!(
            "{name} is {}; a project file can be at most {} from the web (copy bigger ones \
             with `cowork project edit --file`).",
            human_bytes(file.data.len() as u64),
            human_bytes(MAX_UPLOAD as u64)
        )));
    }
    let dir = files_dir(&state, &ctx, &project)?;
    let data = file.data.to_vec();
    let written = tokio::task::spawn_blocking(move || keep(&dir, &name, &data))
        .await
        .map_err(|e| WebError::new(&ctx, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    match written {
        Ok(()) => Ok(go_to(&ctx, &href)),
        Err(Kept::Exists(message)) => {
            Err(WebError::new(&ctx, StatusCode::CONFLICT, message).back(href))
        }
        Err(Kept::Failed(message)) => {
            Err(WebError::new(&ctx, StatusCode::INTERNAL_SERVER_ERROR, message).back(href))
        }
    }
}

enum Kept {
    Exists(String),
    Failed(String),
}

/// Writes `data` as `dir/name` atomically: a temporary file, synced, then
/// linked into place only if the name is free.
fn keep(dir: &FsPath, name: &str, data: &[u8]) -> Result<(), Kept> {
    let failed = |e: std::io::Error| Kept::Failed(format!("cannot keep {name}: {e}"));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp")
        .tempfile_in(dir)
        .map_err(failed)?;
    temp.write_all(data).map_err(failed)?;
    temp.as_file().sync_all().map_err(failed)?;
    match temp.persist_noclobber(dir.join(name)) {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(Kept::Exists(format!(
                "The project has a file named {name:?} already: remove it first, or rename the new one."
            )))
        }
        Err(e) => Err(failed(e.error)),
    }
}

/// `POST /projects/{id}/files/{name}/remove`: asks first; with
/// `confirm=yes` moves the file to the project's `removed` folder.
pub(crate) async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let project = store.project(&id).map_err(|e| project_error(&ctx, e))?;
    let href = project_href(&project.id);
    check_name(&name)
        .map_err(|e| WebError::new(&ctx, StatusCode::BAD_REQUEST, e).back(href.clone()))?;
    let dir = files_dir(&state, &ctx, &project)?;
    if !confirmed(&body) {
        let question = format!(
            "Remove {name} from project “{}”? Its tasks will no longer see it; it is kept in \
             the project's removed folder ({}), from where you can take it back.",
            project.name,
            removed_dir(&dir).display()
        );
        return confirm(
            &ctx,
            &Confirm {
                title: "Remove this file?",
                question: &question,
                action: &format!("{href}/files/{}/remove", path_segment(&name)),
                button: "Remove the file",
                cancel: &href,
            },
        );
    }
    let moved = tokio::task::spawn_blocking(move || set_aside(&dir, &name))
        .await
        .map_err(|e| WebError::new(&ctx, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    moved.map_err(|e| WebError::new(&ctx, StatusCode::NOT_FOUND, e).back(href.clone()))?;
    Ok(go_to(&ctx, &href))
}

/// Where removed files go: beside the files folder, out of the tasks'
/// sight (the CLI's `--remove-file` uses the same folder).
fn removed_dir(files: &FsPath) -> PathBuf {
    files
        .parent()
        .map_or_else(|| files.join("removed"), |p| p.join("removed"))
}

fn set_aside(dir: &FsPath, name: &str) -> Result<(), String> {
    let from = dir.join(name);
    let is_file = std::fs::symlink_metadata(&from).is_ok_and(|m| m.is_file());
    if !is_file {
        return Err(format!("the project has no file named {name:?}"));
    }
    let removed = removed_dir(dir);
    std::fs::create_dir_all(&removed)
        .map_err(|e| format!("cannot create {}: {e}", removed.display()))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let to = removed.join(format!("{stamp}-{name}"));
    if to.exists() {
        return Err(format!(
            "{} exists already: wait a second and remove {name} again",
            to.display()
        ));
    }
    std::fs::rename(&from, &to).map_err(|e| format!("cannot remove {name}: {e}"))
}
