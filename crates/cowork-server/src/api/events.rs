//! `GET /api/tasks/{id}/events`: the task's events as Server-Sent Events.
//!
//! Each event's `id:` is its `seq`, `event:` its kind, `data:` the
//! envelope's JSON. A client that reconnects with `Last-Event-ID: N` (as a
//! browser's `EventSource` does on its own) or asks `?after=N` gets the
//! stored events after N, then the live ones: no gap, no duplicate.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};

use cowork_protocol::TaskId;

use crate::error::{ApiError, ErrorBody};
use crate::query::QueryParams;
use crate::server::ShutdownSignal;
use crate::state::AppState;

/// A comment this often keeps proxies and browsers from timing the
/// stream out while a task waits (for a person, for the model).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The task's events: stored ones after `Last-Event-ID` (or `after`),
/// then live ones as they happen. The stream stays open.
#[utoipa::path(
    get,
    path = "/api/tasks/{id}/events",
    tag = "tasks",
    params(
        ("id" = String, Path, description = "The task's id"),
        ("after" = Option<u64>, Query, description = "Replay stored events with a seq above this (0: all). `Last-Event-ID` wins when both are sent."),
        ("Last-Event-ID" = Option<u64>, Header, description = "The seq of the last event the client saw")
    ),
    responses(
        (status = OK, description = "`text/event-stream`: `id:` the event's seq, `event:` its kind, `data:` the envelope `{task, seq, at, event}`", content_type = "text/event-stream", body = String),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody)
    )
)]
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    shutdown: Option<Extension<ShutdownSignal>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let after = replay_from(&headers, &QueryParams::parse(query.as_deref()))?;
    let envelopes = state.backend.subscribe(&TaskId::from_raw(id), after)?;
    let stream = envelopes.filter_map(|envelope| async move {
        match Event::default()
            .id(envelope.seq.to_string())
            .event(envelope.event.kind())
            .json_data(&envelope)
        {
            Ok(event) => Some(Ok(event)),
            Err(e) => {
                tracing::warn!(seq = envelope.seq, error = %e, "could not encode an event");
                None
            }
        }
    });
    // A stream ends when the server shuts down; otherwise a watching
    // browser would hold the shutdown open for ever.
    let until = async move {
        match shutdown {
            Some(Extension(signal)) => signal.wait().await,
            None => std::future::pending().await,
        }
    };
    Ok(Sse::new(stream.take_until(until)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The seq to replay after: `Last-Event-ID`, else `?after=`, else 0.
fn replay_from(headers: &HeaderMap, query: &QueryParams) -> Result<u64, ApiError> {
    if let Some(value) = headers.get("last-event-id") {
        let text = value.to_str().unwrap_or_default().trim();
        return text.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "`Last-Event-ID` must be the seq of an event (a whole number), not `{text}`"
            ))
        });
    }
    match query.get("after") {
        None => Ok(0),
        Some(raw) => raw.trim().parse().map_err(|_| {
            ApiError::bad_request(format!(
                "`after` must be the seq of an event (a whole number), not `{raw}`"
            ))
        }),
    }
}
