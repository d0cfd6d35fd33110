//! Notifications: the header's badge (unread count, polled by htmx) and
//! the list at `/notices`, newest first. Opening the list marks what it
//! shows as read; a notice that arrives meanwhile stays unread.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use cowork_store::{NoticeKind, StoredNotice};

use super::pages::now_ms;
use super::text::{ago, path_segment};
use super::{Ctx, WebError, html, page, render};
use crate::state::AppState;

/// Notices the list shows.
const SHOWN: usize = 100;

/// The unread count for the badge; `None` without a store or when it
/// cannot answer (the badge then stays away rather than say 0).
pub(crate) fn unread(state: &AppState) -> Option<u64> {
    let store = state.backend.store()?;
    match store.unread_notices() {
        Ok(count) => Some(count),
        Err(e) => {
            tracing::warn!("the notices badge could not count: {e}");
            None
        }
    }
}

#[derive(Debug, Serialize)]
struct NoticeRow {
    kind: &'static str,
    kind_label: &'static str,
    title: String,
    body: String,
    href: String,
    task_short: String,
    when: String,
    unread: bool,
}

fn row(notice: &StoredNotice, now: i64) -> NoticeRow {
    let kind_label = match notice.kind {
        NoticeKind::Finished => "finished",
        NoticeKind::Failed => "failed",
        NoticeKind::Waiting => "waiting for you",
    };
    NoticeRow {
        kind: notice.kind.as_str(),
        kind_label,
        title: notice.title.clone(),
        body: notice.body.clone(),
        href: format!("/tasks/{}", path_segment(notice.task.as_str())),
        task_short: notice.task.short().to_owned(),
        when: ago(now, notice.at),
        unread: notice.read_at.is_none(),
    }
}

/// `GET /notices`: the newest notices; what is shown is marked read.
pub(crate) async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let Some(store) = state.backend.store() else {
        return page(
            &ctx,
            "notices.html",
            render::data(serde_json::json!({ "available": false })),
        );
    };
    let notices = store.notices(SHOWN, false).map_err(|e| {
        WebError::new(
            &ctx,
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("The notifications could not be read: {e}"),
        )
    })?;
    let now = now_ms();
    let rows: Vec<NoticeRow> = notices.iter().map(|n| row(n, now)).collect();
    // Only up to the newest one shown: one recorded while this page was
    // being made stays unread for the badge.
    let mut ctx = ctx;
    if let Some(newest) = notices.first() {
        match store.mark_notices_read(newest.id) {
            Ok(_) => {
                ctx.unread = store.unread_notices().ok();
            }
            Err(e) => tracing::warn!("notices could not be marked read: {e}"),
        }
    }
    page(
        &ctx,
        "notices.html",
        render::data(serde_json::json!({ "available": true, "notices": rows })),
    )
}

/// `GET /parts/notices/badge`: the badge again, with the count now.
pub(crate) async fn badge(State(state): State<AppState>) -> Result<Response, WebError> {
    match unread(&state) {
        Some(count) => Ok(html(render::render(
            "notice_badge.html",
            serde_json::json!({ "unread": count }),
        )?)),
        // Without a store the badge goes: htmx swaps in nothing.
        None => Ok(html(String::new()).into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_row_links_its_task_and_escapes_in_the_template() {
        let notice = StoredNotice {
            id: 1,
            at: 0,
            kind: NoticeKind::Waiting,
            task: cowork_protocol::TaskId::from_raw("0123456789abcdef0123456789abcdef"),
            title: "<b>Approve</b>".into(),
            body: "write <i>x</i>".into(),
            read_at: None,
        };
        let row = row(&notice, 60_000);
        assert_eq!(row.href, "/tasks/0123456789abcdef0123456789abcdef");
        assert_eq!(row.kind_label, "waiting for you");
        let html = render::render(
            "notices.html",
            serde_json::json!({"available": true, "notices": [row], "csrf": "", "hx_headers": "{}"}),
        )
        .unwrap();
        assert!(html.contains("&lt;b&gt;Approve&lt;"), "{html}");
        assert!(!html.contains("<i>x</i>"), "{html}");
    }
}
