//! The web UI: server-rendered pages with htmx and SSE, the main front for
//! people who do not live in a terminal.
//!
//! Pages are minijinja templates embedded in the binary (`web/templates`),
//! with htmx and its SSE extension vendored in `web/static` (no CDN, no
//! inline script: the CSP is `default-src 'self'`). Every template escapes
//! HTML; what files, the model and tools say is data and never markup.
//!
//! - `GET /`: a new task (prompt, folder, access, mode) and recent tasks,
//!   refreshed every 2 s.
//! - `GET /tasks/{id}`: the transcript rebuilt from the log, then live
//!   from `GET /tasks/{id}/stream` (HTML fragments over SSE); approvals,
//!   cancel, follow-up messages, undo with a dry run first.
//! - The files panel: what the task changed, previewed (spreadsheets as
//!   tables, documents as text, images as pictures, Markdown rendered).
//! - On the task page, its export (`GET /tasks/{id}/export`, as `cowork
//!   export` writes it) and, where it saw a folder's instructions as data,
//!   a button to trust the folder for later tasks (`POST /tasks/{id}/trust`).
//! - `GET /memory`: what tasks remembered, to search, edit and delete.
//! - `GET /notices`: the daemon's notifications; the header's badge counts
//!   the unread ones and polls `GET /parts/notices/badge`.
//!
//! Memory and notices live in the daemon's store ([`Backend::store`]);
//! export and trust need what the front hands in
//! ([`crate::hand_ins::HandIns`]). Without them those pages say so.
//!
//! [`Backend::store`]: crate::backend::Backend::store
//!
//! - `GET /projects`, `/projects/{id}`: projects, and a project's page
//!   (instructions, folders, links, files, tasks, memory, schedules) that
//!   starts tasks in it.
//! - `GET /schedules`, `/schedules/{id}`: schedules with their next run,
//!   a schedule's history, pause, resume, run now, delete.
//!
//! This module only calls [`crate::backend::Backend`] (and the task
//! database it hands out, for projects and schedules); authentication and
//! CSRF checks are the auth layer's, in front of these routes. Forms carry
//! the session's CSRF token (field `csrf`, and `X-CSRF-Token` for htmx).

mod actions;
mod assets;
mod export;
pub(crate) mod markdown;
mod memory;
mod multipart;
mod notices;
mod pages;
mod preview;
mod project_files;
mod projects;
mod render;
mod schedule_rows;
mod schedules;
mod stored;
mod stream;
pub(crate) mod text;
mod transcript;
mod trust;
pub(crate) mod words;

#[cfg(test)]
mod fixtures;

use axum::extract::{DefaultBodyLimit, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use minijinja::context;
use minijinja::value::Value;

use crate::backend::BackendError;
use crate::state::{AppState, Session};

/// The web UI's routes, mounted at `/` behind the auth layer.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/parts/tasks", get(pages::tasks_part))
        .route("/tasks", post(actions::create))
        .route("/tasks/{id}", get(pages::task))
        .route("/tasks/{id}/stream", get(stream::stream))
        .route("/tasks/{id}/files", get(preview::files_part))
        .route("/tasks/{id}/preview", get(preview::preview))
        .route("/tasks/{id}/image", get(preview::image))
        .route("/tasks/{id}/approvals/{approval}", post(actions::decide))
        .route("/tasks/{id}/cancel", post(actions::cancel))
        .route("/tasks/{id}/messages", post(actions::message))
        .route("/tasks/{id}/undo", post(actions::undo))
        .route("/tasks/{id}/export", get(export::download))
        .route("/tasks/{id}/trust", post(trust::set))
        .route("/memory", get(memory::list))
        .route("/memory/{id}", get(memory::edit).post(memory::save))
        .route("/memory/{id}/delete", post(memory::delete))
        .route("/notices", get(notices::list))
        .route("/parts/notices/badge", get(notices::badge))
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{id}", get(projects::show))
        .route("/projects/{id}/edit", post(projects::edit))
        .route("/projects/{id}/archive", post(projects::archive))
        .route("/projects/{id}/tasks", post(projects::start_task))
        .route(
            "/projects/{id}/files",
            post(project_files::upload).layer(DefaultBodyLimit::max(
                project_files::MAX_UPLOAD + UPLOAD_OVERHEAD,
            )),
        )
        .route("/projects/{id}/files/{name}", get(project_files::download))
        .route(
            "/projects/{id}/files/{name}/remove",
            post(project_files::remove),
        )
        .route("/schedules", get(schedules::list).post(schedules::create))
        .route("/schedules/{id}", get(schedules::show))
        .route("/schedules/{id}/pause", post(schedules::pause))
        .route("/schedules/{id}/resume", post(schedules::resume))
        .route("/schedules/{id}/run", post(schedules::run_now))
        .route("/schedules/{id}/delete", post(schedules::delete))
        .route("/static/{file}", get(assets::asset))
}

/// Room in an upload's body for the form around the file: a file a bit
/// over the limit is told so by name rather than cut off.
const UPLOAD_OVERHEAD: usize = 64 * 1024;

/// What every handler needs to know about the request it answers: whether
/// htmx sent it (answer with a fragment) or a plain browser navigation
/// (answer with a page or a redirect), and the session's CSRF token to put
/// in forms.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub htmx: bool,
    pub csrf: String,
    /// Unread notices for the header's badge; `None` without a store, or
    /// for an htmx fragment (which has no header).
    pub unread: Option<u64>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let htmx = parts.headers.get("hx-request").is_some();
        // One COUNT query; a store that cannot answer only hides the badge.
        let unread = if htmx { None } else { notices::unread(state) };
        // A request with a bearer token has no session: its forms need no
        // CSRF token, the auth layer only asks cookie sessions for one.
        let csrf =
            match <Extension<Session> as OptionalFromRequestParts<AppState>>::from_request_parts(
                parts, state,
            )
            .await
            {
                Ok(Some(Extension(session))) => session.csrf,
                Ok(None) | Err(_) => String::new(),
            };
        Ok(Self { htmx, csrf, unread })
    }
}

impl Ctx {
    /// `hx-headers` for `<body>`: htmx sends the CSRF token with every
    /// request it makes.
    fn hx_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }
}

/// Renders a full page: `page` (built with `minijinja::context!`, or
/// [`render::data`]) and what every page needs.
fn page(ctx: &Ctx, template: &str, page: Value) -> Result<Response, WebError> {
    let context = context! {
        csrf => ctx.csrf.clone(),
        hx_headers => ctx.hx_headers(),
        unread => ctx.unread,
        ..page
    };
    Ok(html(render::render_value(template, context)?))
}

/// Renders a page holding a form: 400 when it came back with `error`
/// (what the person must fix), else 200.
fn form_page(
    ctx: &Ctx,
    template: &str,
    data: Value,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let mut response = page(ctx, template, data)?;
    if error.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// Renders a fragment: `fragment` for htmx, or the same fragment in a page
/// titled `title` for a browser without JavaScript.
fn fragment_or_page(
    ctx: &Ctx,
    title: &str,
    back: Option<&str>,
    fragment: String,
) -> Result<Response, WebError> {
    if ctx.htmx {
        return Ok(html(fragment));
    }
    page(
        ctx,
        "fragment_page.html",
        context! {
            title => title,
            back => back,
            fragment => render::safe(fragment),
        },
    )
}

fn html(body: String) -> Response {
    let mut response = Html(body).into_response();
    // Pages change with every event; a cached one would show a stale task.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Why a page or an action failed, worded for the person, with the page
/// to go back to.
#[derive(Debug)]
pub(crate) struct WebError {
    status: StatusCode,
    message: String,
    htmx: bool,
    csrf: String,
    back: Option<String>,
}

impl WebError {
    fn new(ctx: &Ctx, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            htmx: ctx.htmx,
            csrf: ctx.csrf.clone(),
            back: None,
        }
    }

    fn backend(ctx: &Ctx, error: BackendError) -> Self {
        let status = match &error {
            BackendError::NotFound(_) => StatusCode::NOT_FOUND,
            BackendError::BadRequest(_) => StatusCode::BAD_REQUEST,
            BackendError::Conflict(_) => StatusCode::CONFLICT,
            BackendError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(ctx, status, error.to_string())
    }

    fn back(mut self, url: impl Into<String>) -> Self {
        self.back = Some(url.into());
        self
    }
}

impl From<minijinja::Error> for WebError {
    fn from(error: minijinja::Error) -> Self {
        tracing::error!("web UI template failed: {error:#}");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("the page could not be rendered: {error}"),
            htmx: false,
            csrf: String::new(),
            back: None,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.htmx {
            // htmx swaps only 2xx answers by default: say it with a 200
            // and point the message at the page's alert region.
            let body = render::render("error.html", serde_json::json!({"message": self.message}))
                .unwrap_or_else(|_| text::escape_html(&self.message));
            let mut response = html(body);
            let headers = response.headers_mut();
            headers.insert("hx-retarget", HeaderValue::from_static("#flash"));
            headers.insert("hx-reswap", HeaderValue::from_static("innerHTML"));
            return response;
        }
        let title = match self.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::CONFLICT => "Too late",
            StatusCode::BAD_REQUEST => "Cannot do that",
            _ => "Something went wrong",
        };
        let context = context! {
            csrf => self.csrf.clone(),
            hx_headers => serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string(),
            title => title,
            message => self.message.clone(),
            back => self.back.clone(),
        };
        let body = render::render_value("error_page.html", context)
            .unwrap_or_else(|_| text::escape_html(&self.message));
        let mut response = html(body);
        *response.status_mut() = self.status;
        response
    }
}

/// The first value of each field of a query string or form body.
pub(crate) fn fields(encoded: &[u8]) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    for (key, value) in form_urlencoded::parse(encoded) {
        out.entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    out
}
