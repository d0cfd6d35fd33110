//! What the project and schedule pages share: the task database behind
//! them (the daemon's; the HTTP layer's fakes have none), its failures
//! worded for a page, and times shown in a schedule's zone.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;

use cowork_store::{ProjectError, ScheduleError, Store, StoreError};

use super::{Ctx, WebError, fields, page, render};
use crate::state::AppState;

/// The task database, or a page saying these pages need the daemon.
pub(super) fn store(state: &AppState, ctx: &Ctx) -> Result<Arc<Store>, WebError> {
    state.backend.store().ok_or_else(|| {
        WebError::new(
            ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            "Projects and schedules live in the daemon's database, and this server has none: \
             start the daemon with `cowork serve` and open its address.",
        )
    })
}

pub(super) fn store_error(ctx: &Ctx, error: StoreError) -> WebError {
    let status = match &error {
        StoreError::NotFound { .. } | StoreError::MemoryNotFound { .. } => StatusCode::NOT_FOUND,
        StoreError::Ambiguous { .. }
        | StoreError::PrefixTooShort { .. }
        | StoreError::MemoryAmbiguous { .. }
        | StoreError::EmptyMemory
        | StoreError::MemoryTooLong { .. }
        | StoreError::EmptyProjectName => StatusCode::BAD_REQUEST,
        StoreError::AlreadyExists { .. } => StatusCode::CONFLICT,
        StoreError::Locked { .. } | StoreError::Busy { .. } | StoreError::Transient { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        StoreError::Open { .. }
        | StoreError::CreateDir { .. }
        | StoreError::TooNew { .. }
        | StoreError::Sqlite { .. }
        | StoreError::Corrupt { .. }
        | StoreError::CorruptTask { .. }
        | StoreError::Encode { .. }
        | StoreError::CorruptRecord { .. }
        | StoreError::ProcessInfo { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    };
    WebError::new(ctx, status, error.to_string())
}

pub(super) fn project_error(ctx: &Ctx, error: ProjectError) -> WebError {
    let message = error.to_string();
    let status = match error {
        ProjectError::Store(e) => return store_error(ctx, e),
        ProjectError::NotFound(_) => StatusCode::NOT_FOUND,
        ProjectError::NameTaken(_) | ProjectError::Archived(_) => StatusCode::CONFLICT,
        ProjectError::BadName { .. } => StatusCode::BAD_REQUEST,
        ProjectError::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    };
    WebError::new(ctx, status, message)
}

pub(super) fn schedule_error(ctx: &Ctx, error: ScheduleError) -> WebError {
    let message = error.to_string();
    let status = match error {
        ScheduleError::Store(e) => return store_error(ctx, e),
        ScheduleError::NotFound(_) => StatusCode::NOT_FOUND,
        ScheduleError::NameTaken(_) => StatusCode::CONFLICT,
        ScheduleError::BadName { .. } => StatusCode::BAD_REQUEST,
        ScheduleError::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    };
    WebError::new(ctx, status, message)
}

/// Unix milliseconds as a date and time in `zone` ("2026-12-05 09:00
/// CET"), in UTC when the zone is unknown here.
pub(super) fn when(ms: i64, zone: &str) -> String {
    let Ok(at) = cowork_scheduler::Timestamp::from_millisecond(ms) else {
        return format!("{ms} ms after 1970");
    };
    match cowork_scheduler::zone(zone).or_else(|_| cowork_scheduler::zone("UTC")) {
        Ok(tz) => at.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// A question before something that cannot be taken back: its form posts
/// to `action` again with `confirm=yes`.
pub(super) struct Confirm<'a> {
    pub title: &'a str,
    pub question: &'a str,
    pub action: &'a str,
    pub button: &'a str,
    /// Where "No" goes.
    pub cancel: &'a str,
}

pub(super) fn confirm(ctx: &Ctx, question: &Confirm<'_>) -> Result<Response, WebError> {
    page(
        ctx,
        "confirm.html",
        render::data(serde_json::json!({
            "title": question.title,
            "question": question.question,
            "action": question.action,
            "button": question.button,
            "cancel": question.cancel,
        })),
    )
}

/// Whether a form said yes to a [`Confirm`] question. Anything else is
/// no: a form that lost its field must not delete.
pub(super) fn confirmed(body: &[u8]) -> bool {
    fields(body).get("confirm").map(String::as_str) == Some("yes")
}
