//! The memory page: what tasks (and the person) remembered, global and
//! per project, to search, read, edit and delete. Deleting is the store's
//! real deletion (no copy left in the database file), asked for twice:
//! the first press shows the entry and a button that deletes it for good.
//!
//! Memory text is data: the templates escape it and show it as plain
//! text, never Markdown (a link in it must not become one).
//!
//! - `GET /memory`: `?project=ID` one project's entries, `?scope=global`
//!   the global ones, neither every entry; `?q=` searches (full-text, the
//!   ranking tasks recall with).
//! - `GET /memory/{id}`: the entry with a form to change its text
//!   (`POST /memory/{id}`, field `content`).
//! - `POST /memory/{id}/delete`: without `confirm=yes`, asks; with it,
//!   deletes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use cowork_protocol::MemoryScope;
use cowork_store::{MEMORY_MAX_CHARS, MemoryEntry, MemoryFilter, RecallQuery, Store, StoreError};

use super::pages::now_ms;
use super::text::{ago, path_segment, url_encode};
use super::{Ctx, WebError, fields, form_page, page, render};
use crate::state::AppState;

/// The most entries a search shows (per scope searched).
const SEARCH_LIMIT: usize = 200;

#[derive(Debug, Serialize)]
pub(crate) struct EntryRow {
    id: String,
    href: String,
    scope: String,
    scope_href: String,
    content: String,
    task_href: Option<String>,
    task_short: Option<String>,
    created: String,
    updated: Option<String>,
}

#[derive(Debug, Serialize)]
struct ScopeLink {
    label: String,
    href: String,
    current: bool,
}

/// Which entries the page lists, from its query string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    All,
    Global,
    Project(String),
}

impl Shown {
    fn filter(&self) -> MemoryFilter {
        match self {
            Shown::All => MemoryFilter::All,
            Shown::Global => MemoryFilter::Global,
            Shown::Project(id) => MemoryFilter::Project(id.clone()),
        }
    }

    fn query(&self) -> String {
        match self {
            Shown::All => String::new(),
            Shown::Global => "scope=global".to_owned(),
            Shown::Project(id) => format!("project={}", url_encode(id)),
        }
    }
}

fn store_of(state: &AppState, ctx: &Ctx) -> Result<Arc<Store>, WebError> {
    state.backend.store().ok_or_else(|| {
        WebError::new(
            ctx,
            StatusCode::NOT_FOUND,
            "Memory is kept by the daemon (cowork serve); this server has none. \
             The CLI shows it too: cowork memory list.",
        )
    })
}

fn store_error(ctx: &Ctx, error: StoreError) -> WebError {
    // Every other error is the database's, not the person's.
    let status = if matches!(
        error,
        StoreError::MemoryNotFound { .. } | StoreError::MemoryAmbiguous { .. }
    ) {
        StatusCode::NOT_FOUND
    } else if matches!(
        error,
        StoreError::EmptyMemory | StoreError::MemoryTooLong { .. }
    ) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    WebError::new(ctx, status, error.to_string())
}

/// Project names by id, for scopes; a store that cannot list them shows
/// ids.
fn project_names(store: &Store) -> HashMap<String, String> {
    store
        .list_projects(true)
        .map(|projects| projects.into_iter().map(|p| (p.id, p.name)).collect())
        .unwrap_or_default()
}

pub(crate) fn entry_row(
    entry: &MemoryEntry,
    names: &HashMap<String, String>,
    now: i64,
) -> EntryRow {
    let (scope, scope_href) = match &entry.scope {
        MemoryScope::Global => ("global".to_owned(), "/memory?scope=global".to_owned()),
        MemoryScope::Project(id) => (
            format!(
                "project {}",
                names.get(id).map_or(id.as_str(), String::as_str)
            ),
            format!("/memory?project={}", url_encode(id)),
        ),
    };
    EntryRow {
        id: entry.id.clone(),
        href: format!("/memory/{}", path_segment(&entry.id)),
        scope,
        scope_href,
        content: entry.content.clone(),
        task_href: entry
            .task
            .as_ref()
            .map(|t| format!("/tasks/{}", path_segment(t.as_str()))),
        task_short: entry.task.as_ref().map(|t| t.short().to_owned()),
        created: ago(now, entry.created_at),
        updated: (entry.updated_at != entry.created_at).then(|| ago(now, entry.updated_at)),
    }
}

/// The entries of `shown` that match `text`, most relevant first, by the
/// ranking tasks recall with. Recall searches one project with the
/// global entries; across every scope, the global matches come first,
/// then each project's.
fn search(
    ctx: &Ctx,
    store: &Store,
    shown: &Shown,
    text: &str,
) -> Result<Vec<MemoryEntry>, WebError> {
    let recall = |project: Option<&str>| {
        store
            .recall(&RecallQuery {
                text,
                project,
                limit: SEARCH_LIMIT,
                token_budget: usize::MAX,
            })
            .map_err(|e| store_error(ctx, e))
    };
    let filter = shown.filter();
    let mut found = match shown {
        Shown::Global => recall(None)?,
        Shown::Project(id) => recall(Some(id))?,
        Shown::All => {
            let mut all = recall(None)?;
            let projects = store.list_projects(true).map_err(|e| {
                WebError::new(ctx, StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            })?;
            for project in projects {
                all.extend(
                    recall(Some(&project.id))?
                        .into_iter()
                        .filter(|e| e.scope != MemoryScope::Global),
                );
            }
            all
        }
    };
    found.retain(|e| filter.admits(&e.scope));
    Ok(found)
}

/// `GET /memory`.
pub(crate) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let query = fields(query.unwrap_or_default().as_bytes());
    let store = store_of(&state, &ctx)?;
    let shown = match (query.get("project"), query.get("scope").map(String::as_str)) {
        (Some(id), _) if !id.is_empty() => Shown::Project(id.clone()),
        (_, Some("global")) => Shown::Global,
        _ => Shown::All,
    };
    let text = query
        .get("q")
        .map(|q| q.trim().to_owned())
        .unwrap_or_default();
    let entries = if text.is_empty() {
        store
            .list_memory(&shown.filter())
            .map_err(|e| store_error(&ctx, e))?
    } else {
        search(&ctx, &store, &shown, &text)?
    };
    let names = project_names(&store);
    let now = now_ms();
    let rows: Vec<EntryRow> = entries.iter().map(|e| entry_row(e, &names, now)).collect();
    let mut scopes = vec![
        ScopeLink {
            label: "All".to_owned(),
            href: "/memory".to_owned(),
            current: shown == Shown::All,
        },
        ScopeLink {
            label: "Global".to_owned(),
            href: "/memory?scope=global".to_owned(),
            current: shown == Shown::Global,
        },
    ];
    let mut projects: Vec<(&String, &String)> = names.iter().collect();
    projects.sort_by(|a, b| a.1.cmp(b.1));
    for (id, name) in projects {
        scopes.push(ScopeLink {
            label: name.clone(),
            href: format!("/memory?project={}", url_encode(id)),
            current: shown == Shown::Project(id.clone()),
        });
    }
    let (project, global) = match &shown {
        Shown::Project(id) => (Some(id.clone()), false),
        Shown::Global => (None, true),
        Shown::All => (None, false),
    };
    let done = match query.get("done").map(String::as_str) {
        Some("saved") => Some("Saved."),
        Some("deleted") => Some("Deleted for good: no copy is left in cowork's database."),
        _ => None,
    };
    page(
        &ctx,
        "memory.html",
        render::data(serde_json::json!({
            "entries": rows,
            "scopes": scopes,
            "q": text,
            "project": project,
            "global": global,
            "searched": !text.is_empty(),
            "done": done,
            "back_query": shown.query(),
        })),
    )
}

/// `GET /memory/{id}`: the entry and its edit form.
pub(crate) async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let store = store_of(&state, &ctx)?;
    let entry = store.memory(&id).map_err(|e| store_error(&ctx, e))?;
    edit_page(&ctx, &store, &entry, &entry.content, None)
}

fn edit_page(
    ctx: &Ctx,
    store: &Store,
    entry: &MemoryEntry,
    content: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let row = entry_row(entry, &project_names(store), now_ms());
    form_page(
        ctx,
        "memory_edit.html",
        render::data(serde_json::json!({
            "entry": row,
            "content": content,
            "max_chars": MEMORY_MAX_CHARS,
            "error": error,
        })),
        error.as_deref(),
    )
}

/// `POST /memory/{id}`: `content`, the entry's new text. The old text
/// leaves no copy (the store's edit).
pub(crate) async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store_of(&state, &ctx)?;
    let content = fields(&body).remove("content").unwrap_or_default();
    let entry = store.memory(&id).map_err(|e| store_error(&ctx, e))?;
    let writer = store.clone();
    let (key, text) = (entry.id.clone(), content.clone());
    // Scrubbing the old text and checkpointing the WAL touch the disk.
    let result = tokio::task::spawn_blocking(move || writer.edit_memory(&key, &text))
        .await
        .map_err(|e| {
            WebError::new(
                &ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("The edit stopped unexpectedly: {e}"),
            )
        })?;
    match result {
        Ok(_) => Ok(Redirect::to("/memory?done=saved").into_response()),
        Err(e @ (StoreError::EmptyMemory | StoreError::MemoryTooLong { .. })) => {
            edit_page(&ctx, &store, &entry, &content, Some(e.to_string()))
        }
        Err(e) => Err(store_error(&ctx, e)),
    }
}

/// `POST /memory/{id}/delete`: asks first (`confirm=yes` deletes).
pub(crate) async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store_of(&state, &ctx)?;
    let entry = store.memory(&id).map_err(|e| store_error(&ctx, e))?;
    // Anything but an explicit yes asks: a form that lost its field must
    // not delete.
    if !super::stored::confirmed(&body) {
        let row = entry_row(&entry, &project_names(&store), now_ms());
        return page(
            &ctx,
            "memory_delete.html",
            render::data(serde_json::json!({ "entry": row })),
        );
    }
    let key = entry.id.clone();
    tokio::task::spawn_blocking(move || store.forget(&key, &MemoryFilter::All))
        .await
        .map_err(|e| {
            WebError::new(
                &ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("The deletion stopped unexpectedly: {e}"),
            )
        })?
        .map_err(|e| store_error(&ctx, e))?;
    Ok(Redirect::to("/memory?done=deleted").into_response())
}

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
