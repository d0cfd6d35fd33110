//! One scheduled run: a daemon task built from its schedule's scope (no
//! one is there to widen it), linked to the schedule and due time that
//! started it; and the "allow for every run of this schedule" answer,
//! remembered in that scope.
//!
//! A run that cannot start (its folder is gone, no model is configured,
//! its project was archived) is still a task: a failed one saying why,
//! linked to the run, with a notice. The schedule goes on either way.

use cowork_protocol::{
    Budget, EndReason, Event, ModelChoice, Provider, ScheduleLink, ScheduledRunKind, TaskId,
    TaskSpec, TaskStatus,
};
use cowork_store::{Host, Owner, RunEntry, Schedule, ScheduleError, ScheduleRun, TaskRow};

use super::TaskManager;
use super::backend_impl::{not_waiting, store_error};
use super::request::{self, DEFAULT_MAX_TURNS, Prepared};
use crate::backend::{BackendError, FolderRequest, NewTask};
use crate::notify::{About, Notification};

/// What became of an attempt to start a scheduled run.
#[derive(Debug)]
pub(super) enum Outcome {
    /// Its task is queued or running.
    Started(TaskId),
    /// It could not start, for a reason of its own; recorded (a failed
    /// task, the run's error, a notice).
    Failed,
    /// Nothing to start: its schedule was removed meanwhile (with its
    /// runs).
    Gone,
    /// Not now (the daemon is stopping, the store is busy): try again.
    Later(String),
}

impl TaskManager {
    /// Starts `run`, under the task id already recorded with it if any
    /// (and records one with it first when there is none).
    pub(super) fn start_scheduled(&self, run: &mut ScheduleRun) -> Outcome {
        let kind = match run.entry {
            RunEntry::Run(kind) => kind,
            RunEntry::Missed { .. } => return Outcome::Gone,
        };
        let schedule = match self.store.schedule(&run.schedule) {
            Ok(schedule) => schedule,
            Err(ScheduleError::NotFound(_)) => return Outcome::Gone,
            Err(e) => return Outcome::Later(e.to_string()),
        };
        // The task's id goes with the run first: a daemon dying before the
        // task is recorded starts this one next time, never a second.
        let id = match &run.task {
            Some(id) => id.clone(),
            None => {
                let id = TaskId::new();
                if let Err(e) = self.store.attach_schedule_run(run.id, &id) {
                    return Outcome::Later(e.to_string());
                }
                run.task = Some(id.clone());
                id
            }
        };
        let link = ScheduleLink {
            id: schedule.id.clone(),
            name: schedule.name.clone(),
            due: run.due,
            run: kind,
        };
        let started = self
            .prepare_scheduled(&schedule, link.clone())
            .and_then(|prepared| self.submit_as(&id, prepared));
        match started {
            Ok(()) => Outcome::Started(id),
            Err(BackendError::BadRequest(why) | BackendError::NotFound(why)) => {
                self.record_failed_run(run.id, &id, &schedule, link, &why)
            }
            Err(BackendError::Conflict(why) | BackendError::Internal(why)) => Outcome::Later(why),
        }
    }

    /// The run's request from its schedule, checked as any request is,
    /// with what only a schedule gives: its rules, connectors and link.
    fn prepare_scheduled(
        &self,
        schedule: &Schedule,
        link: ScheduleLink,
    ) -> Result<Prepared, BackendError> {
        let scope = &schedule.scope;
        let request = NewTask {
            prompt: schedule.prompt.clone(),
            folders: scope
                .folders
                .iter()
                .map(|f| FolderRequest {
                    path: f.path.clone(),
                    read_only: f.read_only,
                })
                .collect(),
            mode: Some(scope.mode),
            model: scope.model.clone(),
            provider: scope.provider.clone(),
            base_url: scope.base_url.clone(),
            script: scope.script.clone(),
            project: schedule.project.clone(),
            max_turns: scope.max_turns,
            max_tokens: None,
            timeout_secs: scope.timeout_secs,
            // Nobody is there: what the scope does not allow waits.
            assume_yes: false,
            sandbox: scope.unsandboxed.then(|| "none".to_owned()),
            allow_net: scope.allow_net.clone(),
        };
        let (request, project) = self.with_project(request)?;
        let mut prepared =
            request::prepare(request, &self.config, &|name| std::env::var(name).ok())?;
        prepared.spec.project = project;
        prepared.spec.rules.clone_from(&scope.rules);
        prepared.spec.connectors.clone_from(&scope.connectors);
        prepared.spec.schedule = Some(link);
        Ok(prepared)
    }

    /// Records a run that could not start as a failed task saying why,
    /// the run's error, and a notice.
    fn record_failed_run(
        &self,
        run: i64,
        id: &TaskId,
        schedule: &Schedule,
        link: ScheduleLink,
        why: &str,
    ) -> Outcome {
        tracing::warn!(schedule = %schedule.name, task = %id, "a scheduled run could not start: {why}");
        let failed = Event::StatusChanged {
            status: TaskStatus::Failed,
            reason: Some(format!("the scheduled run could not start: {why}")),
            end: Some(EndReason::Error),
        };
        let spec = attempted_spec(schedule, link, &self.config);
        let recorded = Owner::current()
            .and_then(|owner| {
                self.store
                    .create_hosted_task(id, &spec, &owner, Host::Daemon)
            })
            .and_then(|()| self.hub.publisher(id).publish(failed.clone()));
        if let Err(e) = recorded {
            tracing::error!(task = %id, "the failed run could not be recorded as a task: {e}");
        }
        if let Err(e) = self.store.fail_schedule_run(run, why) {
            return Outcome::Later(e.to_string());
        }
        let about = About {
            task: id,
            prompt: &schedule.prompt,
            schedule: Some(&schedule.name),
        };
        if let Some(notice) = Notification::for_event(about, &failed) {
            let sink = self.notice_sink();
            self.runtime
                .spawn(async move { sink.deliver(&notice).await });
        }
        Outcome::Failed
    }

    /// For [`ApprovalDecision::AllowForSchedule`]: the schedule of the
    /// task `row` and the tool approval `approval` asks for, or why the
    /// answer cannot be given.
    pub(super) fn schedule_answer(
        &self,
        row: &TaskRow,
        approval: &str,
    ) -> Result<(String, String), BackendError> {
        let Some(link) = &row.spec.schedule else {
            return Err(BackendError::BadRequest(format!(
                "task {} was not started by a schedule, so there is no schedule to allow this for; \
                 allow it for the task instead",
                row.id.short()
            )));
        };
        match self.store.schedule(&link.id) {
            Ok(_) => {}
            Err(ScheduleError::NotFound(_)) => {
                return Err(BackendError::BadRequest(format!(
                    "schedule `{}`, which started task {}, was removed, so it has no later runs \
                     to allow this for; allow it for the task instead",
                    link.name,
                    row.id.short()
                )));
            }
            Err(e) => return Err(BackendError::Internal(e.to_string())),
        }
        let pending = self.store.pending_approvals(&row.id).map_err(store_error)?;
        let Some(asked) = pending.into_iter().find(|p| p.call_id == approval) else {
            let events = self.store.events(&row.id).map_err(store_error)?;
            return Err(not_waiting(
                approval,
                super::view::approval_state(&events, approval),
            ));
        };
        Ok((link.id.clone(), asked.tool))
    }

    /// Adds an allow rule for `tool` to the scope of schedule `id`, so its
    /// later runs do not ask again; an equal rule already there is kept
    /// as the only one. The answer for this run was already taken.
    pub(super) fn allow_for_schedule(&self, id: &str, tool: &str) -> Result<(), BackendError> {
        // One transaction reads and writes the scope, so neither another
        // answer nor a person's edit made meanwhile is lost.
        match self
            .store
            .add_schedule_rule(id, &cowork_core::exact_tool_rule(tool))
        {
            // Removed since the answer was checked: no later run to allow.
            Ok(_) | Err(ScheduleError::NotFound(_)) => Ok(()),
            Err(e) => Err(BackendError::Internal(format!(
                "the run was allowed, but its schedule could not remember it for later runs: {e}"
            ))),
        }
    }
}

/// The spec a run that could not start would have had, as far as its
/// schedule says, for the failed task that records it.
fn attempted_spec(
    schedule: &Schedule,
    link: ScheduleLink,
    config: &cowork_protocol::config::Config,
) -> TaskSpec {
    let scope = &schedule.scope;
    let provider = match scope.provider.as_deref().map(str::trim) {
        Some("openai") => Provider::Openai,
        Some("script") => Provider::Script,
        Some(_) => Provider::Anthropic,
        None if scope.script.is_some() => Provider::Script,
        // Whatever the daemon would have chosen; Anthropic is cowork's
        // default when nothing is configured.
        None => config.model.provider.unwrap_or(Provider::Anthropic),
    };
    TaskSpec {
        prompt: schedule.prompt.clone(),
        folders: scope.folders.clone(),
        model: ModelChoice {
            provider,
            model: scope.model.clone().unwrap_or_default(),
            base_url: scope.base_url.clone(),
            script: scope.script.clone(),
        },
        budget: Budget {
            max_turns: Some(scope.max_turns.unwrap_or(DEFAULT_MAX_TURNS)),
            max_tokens: None,
            max_wall_secs: scope.timeout_secs,
        },
        mode: scope.mode,
        project: schedule.project.clone(),
        rules: scope.rules.clone(),
        connectors: scope.connectors.clone(),
        schedule: Some(link),
    }
}

/// For the log: why a run started.
pub(super) fn kind_name(kind: ScheduledRunKind) -> &'static str {
    match kind {
        ScheduledRunKind::OnTime => "on time",
        ScheduledRunKind::CatchUp => "as a catch-up",
        ScheduledRunKind::Manual => "on request",
    }
}

#[cfg(test)]
#[path = "scheduled_tests.rs"]
mod tests;
