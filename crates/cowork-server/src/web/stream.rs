//! `GET /tasks/{id}/stream?after=SEQ`: the task page's live updates as
//! HTML fragments over SSE, for htmx's SSE extension to swap in.
//!
//! The stream folds the whole log from the start (as the page did), so a
//! step that finishes after the page loaded is rendered with the call it
//! belongs to; it sends only what changed after `after` (or the
//! `Last-Event-ID` a reconnecting browser sends). Events:
//! - `log`: items to append to the transcript, and out-of-band
//!   replacements (a step's outcome, an answered approval, the status);
//! - `delta`: the model's text as it streams, escaped;
//! - `files`: the task's files changed (the panel reloads its list).
//!
//! Each event's `id` is the seq of the event it comes from.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt as _};

use cowork_protocol::{Envelope, TaskId};

use super::pages::TaskLinks;
use super::text::escape_html;
use super::transcript::{Update, View};
use super::{Ctx, WebError, fields, render};
use crate::state::AppState;

pub(crate) async fn stream(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let id = TaskId::from_raw(id);
    let after = resume_point(&headers, &uri);
    let events = state
        .backend
        .subscribe(&id, 0)
        .map_err(|e| WebError::backend(&ctx, e))?;
    let mut renderer = Renderer::new(&id, ctx.csrf, after);
    let fragments = events.flat_map(move |envelope| {
        let out: Vec<Result<SseEvent, Infallible>> =
            renderer.envelope(&envelope).into_iter().map(Ok).collect();
        futures::stream::iter(out)
    });
    Ok(sse(fragments))
}

fn sse<S>(fragments: S) -> Response
where
    S: Stream<Item = Result<SseEvent, Infallible>> + Send + 'static,
{
    Sse::new(fragments)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// Where the browser's copy of the task ends: `Last-Event-ID` when it
/// reconnects, else the page's `after`, else the start.
fn resume_point(headers: &HeaderMap, uri: &Uri) -> u64 {
    let header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    header
        .or_else(|| {
            fields(uri.query().unwrap_or("").as_bytes())
                .get("after")
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Folds a task's events and renders what each one changed.
pub(crate) struct Renderer {
    view: View,
    links: TaskLinks,
    csrf: String,
    after: u64,
}

/// One SSE message, before it is framed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Fragment {
    pub event: &'static str,
    pub id: u64,
    pub data: String,
}

impl Renderer {
    pub fn new(id: &TaskId, csrf: String, after: u64) -> Self {
        Self {
            view: View::default(),
            links: TaskLinks::new(id, String::new()),
            csrf,
            after,
        }
    }

    fn envelope(&mut self, envelope: &Envelope) -> Vec<SseEvent> {
        self.fragments(envelope)
            .into_iter()
            .map(|f| {
                SseEvent::default()
                    .event(f.event)
                    .id(f.id.to_string())
                    .data(f.data)
            })
            .collect()
    }

    /// The messages `envelope` gives rise to. Stored events the browser
    /// already has (seq at or below `after`) only update the fold; live
    /// transient ones are always new (they are never replayed).
    pub fn fragments(&mut self, envelope: &Envelope) -> Vec<Fragment> {
        let updates = self.view.apply(envelope);
        let new = !envelope.is_persistent() || envelope.seq > self.after;
        if !new {
            self.shed(&updates);
            return Vec::new();
        }
        let mut log = String::new();
        let mut out = Vec::new();
        for update in &updates {
            match update {
                Update::Append(index) => log.push_str(&self.item(*index, false)),
                Update::Replace(index) => log.push_str(&self.item(*index, true)),
                Update::Delta(text) => out.push(Fragment {
                    event: "delta",
                    id: envelope.seq,
                    data: escape_html(text),
                }),
                Update::LiveCleared => {
                    log.push_str("<div id=\"live-text\" hx-swap-oob=\"innerHTML\"></div>");
                }
                Update::Status => log.push_str(&self.status()),
                // A browser drops an SSE event whose data is empty, so
                // this one says something, though only its name matters.
                Update::Files => out.push(Fragment {
                    event: "files",
                    id: envelope.seq,
                    data: "changed".to_owned(),
                }),
            }
        }
        self.shed(&updates);
        if !log.is_empty() {
            out.insert(
                0,
                Fragment {
                    event: "log",
                    id: envelope.seq,
                    data: log,
                },
            );
        }
        out
    }

    /// Forgets what the page has and can no longer change.
    fn shed(&mut self, updates: &[Update]) {
        for update in updates {
            match update {
                Update::Append(index) | Update::Replace(index) => self.view.shed(*index),
                Update::Delta(_) | Update::LiveCleared | Update::Status | Update::Files => {}
            }
        }
    }

    fn item(&self, index: usize, oob: bool) -> String {
        let Some(item) = self.view.items.get(index) else {
            return String::new();
        };
        render::render(
            "item.html",
            serde_json::json!({
                "item": item,
                "oob": oob,
                "task": self.links,
                "csrf": self.csrf,
            }),
        )
        .unwrap_or_else(|e| render_failed(&e))
    }

    fn status(&self) -> String {
        let context = serde_json::json!({
            "view": self.view,
            "oob": true,
            "task": self.links,
            "csrf": self.csrf,
        });
        let status = render::render("task_status.html", &context);
        let controls = render::render("controls.html", &context);
        match (status, controls) {
            (Ok(status), Ok(controls)) => status + &controls,
            (Err(e), _) | (_, Err(e)) => render_failed(&e),
        }
    }
}

fn render_failed(error: &minijinja::Error) -> String {
    tracing::error!("web UI fragment failed: {error:#}");
    format!(
        "<li class=\"notice error\">This update could not be shown ({}); reload the page.</li>",
        escape_html(&error.to_string())
    )
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
