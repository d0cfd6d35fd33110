//! The schedules pages: every schedule with when it runs next, one
//! schedule's history (runs with their tasks, catch-ups, missed due times
//! and why), its buttons (pause, resume, run now, delete) and a form to
//! make one.
//!
//! The store is the truth: these handlers write it directly and the daemon,
//! which alone runs the scheduler, picks the change up from the store's
//! schedule revision.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use cowork_protocol::{PermissionMode, ScheduleScope};
use cowork_scheduler::{CatchUp, Recurrence, ScheduleState, Timestamp};
use cowork_store::{NewSchedule, Project, Schedule, ScheduleError, Store};

use super::actions::go_to;
use super::pages::now_ms;
use super::schedule_rows::{ScheduleRow, run_row, schedule_href, schedule_row, scope_lines};
use super::stored::{Confirm, confirm, confirmed, schedule_error, store, store_error};
use super::{Ctx, WebError, fields, form_page, page, render};
use crate::state::AppState;

/// History lines on a schedule's page.
const HISTORY: usize = 100;
/// History lines read to find a schedule's last run for a list.
const RECENT: usize = 20;

/// What the new-schedule form holds.
#[derive(Debug, Default, Serialize)]
pub(crate) struct ScheduleForm {
    pub name: String,
    pub project: String,
    pub prompt: String,
    /// `every`, `cron` or `at`.
    pub kind: String,
    pub when: String,
    pub zone: String,
    /// `once`, `all` or `skip`.
    pub catch_up: String,
    /// `ask`, `auto`, `plan`, or empty for the project's.
    pub mode: String,
}

/// The rows of `schedules` (a project's, or all).
pub(crate) fn rows(
    state: &AppState,
    store: &Store,
    schedules: &[Schedule],
    projects: &[Project],
) -> Result<Vec<ScheduleRow>, cowork_store::StoreError> {
    let now = now_ms();
    schedules
        .iter()
        .map(|schedule| {
            let recent = store.schedule_runs(&schedule.id, RECENT)?;
            Ok(schedule_row(
                state.backend.as_ref(),
                schedule,
                projects,
                &recent,
                now,
            ))
        })
        .collect()
}

/// `GET /schedules`.
pub(crate) async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let form = ScheduleForm {
        zone: cowork_scheduler::system_zone().name().to_owned(),
        kind: "every".to_owned(),
        catch_up: "once".to_owned(),
        ..ScheduleForm::default()
    };
    list_page(&state, &ctx, form, None)
}

fn list_page(
    state: &AppState,
    ctx: &Ctx,
    form: ScheduleForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let store = store(state, ctx)?;
    let schedules = store
        .list_schedules(None)
        .map_err(|e| schedule_error(ctx, e))?;
    let projects = store
        .list_projects(true)
        .map_err(|e| super::stored::project_error(ctx, e))?;
    let rows = rows(state, &store, &schedules, &projects).map_err(|e| store_error(ctx, e))?;
    let zone_note = match cowork_scheduler::system_zone() {
        cowork_scheduler::SystemZone::Named(_) => None,
        cowork_scheduler::SystemZone::UtcFallback => {
            Some("This machine names no time zone, so schedules default to UTC: choose your zone.")
        }
    };
    let choices: Vec<_> = projects
        .iter()
        .filter(|p| p.archived_at.is_none())
        .map(|p| serde_json::json!({"id": p.id, "name": p.name}))
        .collect();
    form_page(
        ctx,
        "schedules.html",
        render::data(serde_json::json!({
            "schedules": rows,
            "projects": choices,
            "form": form,
            "zone_note": zone_note,
            "error": error,
        })),
        error.as_deref(),
    )
}

/// `POST /schedules`: makes a schedule and goes to its page; a mistake
/// brings the form back with what to fix.
pub(crate) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let mut fields = fields(&body);
    let mut take = |name: &str| fields.remove(name).unwrap_or_default();
    let form = ScheduleForm {
        name: take("name").trim().to_owned(),
        project: take("project"),
        prompt: take("prompt"),
        kind: take("kind"),
        when: take("when").trim().to_owned(),
        zone: take("zone").trim().to_owned(),
        catch_up: take("catch_up"),
        mode: take("mode"),
    };
    let new = match new_schedule(&store, &form) {
        Ok(new) => new,
        Err(message) => return list_page(&state, &ctx, form, Some(message)),
    };
    match store.create_schedule(&new) {
        Ok(created) => Ok(go_to(&ctx, &schedule_href(&created.id))),
        Err(e @ (ScheduleError::NameTaken(_) | ScheduleError::BadName { .. })) => {
            list_page(&state, &ctx, form, Some(e.to_string()))
        }
        Err(e) => Err(schedule_error(&ctx, e)),
    }
}

/// The schedule the form asks for, or what to fix in it.
pub(crate) fn new_schedule(store: &Store, form: &ScheduleForm) -> Result<NewSchedule, String> {
    if form.prompt.trim().is_empty() {
        return Err("Say what each run should do: the prompt is empty.".to_owned());
    }
    if form.name.is_empty() {
        return Err("Give the schedule a name, to find it in lists and notices.".to_owned());
    }
    cowork_store::check_schedule_name(&form.name).map_err(|e| e.to_string())?;
    let zone = if form.zone.is_empty() {
        cowork_scheduler::system_zone().name().to_owned()
    } else {
        form.zone.clone()
    };
    let now = Timestamp::now();
    let recurrence = match form.kind.as_str() {
        "" | "every" => Recurrence::every(&form.when, &zone, now),
        "cron" => Recurrence::cron(&form.when, &zone),
        "at" => Recurrence::at(&form.when, &zone, now),
        other => return Err(format!("Unknown kind {other:?}: choose every, cron or at.")),
    }
    .map_err(|e| e.to_string())?;
    let catch_up = match form.catch_up.as_str() {
        "" | "once" => CatchUp::Once,
        "all" => CatchUp::All { limit: 10 },
        "skip" => CatchUp::Skip,
        other => {
            return Err(format!(
                "Unknown catch-up {other:?}: choose once, all or skip."
            ));
        }
    };
    let project = match form.project.as_str() {
        "" => None,
        name => Some(store.project(name).map_err(|e| e.to_string())?),
    };
    if let Some(p) = project.as_ref().filter(|p| p.archived_at.is_some()) {
        return Err(cowork_store::ProjectError::Archived(p.name.clone()).to_string());
    }
    let mode = match parse_mode(&form.mode)? {
        Some(mode) => mode,
        None => project.as_ref().and_then(|p| p.mode).unwrap_or_default(),
    };
    // The mode and model are fixed now, for every run, as `cowork schedule
    // add` fixes them; the project's folders join each run as they are
    // then (the daemon merges them), so a folder removed from the project
    // is not kept alive by its schedules.
    let scope = ScheduleScope {
        mode,
        model: project.as_ref().and_then(|p| p.model.clone()),
        ..ScheduleScope::default()
    };
    Ok(NewSchedule {
        name: form.name.clone(),
        project: project.map(|p| p.id),
        prompt: form.prompt.clone(),
        state: ScheduleState::new("", recurrence, catch_up, now),
        scope,
    })
}

/// A mode from a form: empty for "the default".
pub(crate) fn parse_mode(mode: &str) -> Result<Option<PermissionMode>, String> {
    match mode {
        "" => Ok(None),
        "ask" => Ok(Some(PermissionMode::Ask)),
        "auto" => Ok(Some(PermissionMode::Auto)),
        "plan" => Ok(Some(PermissionMode::Plan)),
        other => Err(format!("Unknown mode {other:?}: choose ask, auto or plan.")),
    }
}

/// `GET /schedules/{id}`: the schedule and its history.
pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let schedule = store.schedule(&id).map_err(|e| schedule_error(&ctx, e))?;
    let runs = store
        .schedule_runs(&schedule.id, HISTORY)
        .map_err(|e| store_error(&ctx, e))?;
    let projects = store
        .list_projects(true)
        .map_err(|e| super::stored::project_error(&ctx, e))?;
    let zone = schedule.state.recurrence.zone_name();
    let history: Vec<_> = runs
        .iter()
        .map(|run| run_row(state.backend.as_ref(), run, zone))
        .collect();
    let row = schedule_row(
        state.backend.as_ref(),
        &schedule,
        &projects,
        &runs,
        now_ms(),
    );
    page(
        &ctx,
        "schedule.html",
        render::data(serde_json::json!({
            "schedule": row,
            "whole_prompt": schedule.prompt,
            "scope": scope_lines(&schedule.scope),
            "history": history,
        })),
    )
}

/// `POST /schedules/{id}/pause`.
pub(crate) async fn pause(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let mut schedule = store.schedule(&id).map_err(|e| schedule_error(&ctx, e))?;
    if !schedule.state.paused {
        schedule.state.paused = true;
        store
            .update_schedule(&schedule)
            .map_err(|e| schedule_error(&ctx, e))?;
    }
    Ok(go_to(&ctx, &schedule_href(&schedule.id)))
}

/// `POST /schedules/{id}/resume`.
pub(crate) async fn resume(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let schedule = store.schedule(&id).map_err(|e| schedule_error(&ctx, e))?;
    // The due times that passed while it was paused are recorded as
    // missed (never run), in the same transaction that resumes it.
    store
        .resume_schedule(&schedule.id, Timestamp::now())
        .map_err(|e| schedule_error(&ctx, e))?;
    Ok(go_to(&ctx, &schedule_href(&schedule.id)))
}

/// `POST /schedules/{id}/run`: a run now, outside the recurrence; the
/// daemon starts it when it next looks (at once when running).
pub(crate) async fn run_now(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let schedule = store.schedule(&id).map_err(|e| schedule_error(&ctx, e))?;
    store
        .request_schedule_run(&schedule.id)
        .map_err(|e| schedule_error(&ctx, e))?;
    Ok(go_to(&ctx, &schedule_href(&schedule.id)))
}

/// `POST /schedules/{id}/delete`: asks first (`confirm=yes` deletes). Its
/// runs' tasks stay.
pub(crate) async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let store = store(&state, &ctx)?;
    let schedule = store.schedule(&id).map_err(|e| schedule_error(&ctx, e))?;
    let href = schedule_href(&schedule.id);
    if !confirmed(&body) {
        let question = format!(
            "Delete schedule “{}”? Its history goes with it; the tasks its runs made stay.",
            schedule.name
        );
        return confirm(
            &ctx,
            &Confirm {
                title: "Delete this schedule?",
                question: &question,
                action: &format!("{href}/delete"),
                button: "Delete the schedule",
                cancel: &href,
            },
        );
    }
    store
        .delete_schedule(&schedule.id)
        .map_err(|e| schedule_error(&ctx, e))?;
    Ok(go_to(&ctx, "/schedules"))
}
