//! The manager as the HTTP layer sees it: each [`Backend`] call.

use futures::StreamExt;
use futures::stream::BoxStream;

use cowork_core::factory::{FactoryError, UndoOutcome, UndoRequest};
use cowork_protocol::{ApprovalDecision, EndReason, Envelope, Event, Op, TaskId, TaskStatus};
use cowork_store::{ProjectError, StoreError, TaskRow};

use super::TaskManager;
use super::files;
use super::request;
use super::sched::shutting_down;
use super::view::{self, ApprovalState};
use crate::backend::{
    Backend, BackendError, FileContent, FolderRequest, Front, NewTask, PendingApproval, TaskDetail,
    TaskFile, TaskSummary, UndoConflict, UndoReport,
};

impl Backend for TaskManager {
    fn store(&self) -> Option<std::sync::Arc<cowork_store::Store>> {
        Some(std::sync::Arc::clone(&self.store))
    }

    fn project_files(&self, project_id: &str) -> Option<std::path::PathBuf> {
        Some(self.factory.paths().project_files(project_id))
    }

    fn create_task(&self, request: NewTask) -> Result<TaskId, BackendError> {
        if !self.is_accepting() {
            return Err(shutting_down());
        }
        let (request, project) = self.with_project(request)?;
        let mut prepared =
            request::prepare(request, &self.config, &|name| std::env::var(name).ok())?;
        prepared.spec.project = project;
        self.submit(prepared)
    }

    fn list_tasks(&self, limit: usize) -> Result<Vec<TaskSummary>, BackendError> {
        let rows = self.store.list_tasks(limit).map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let queued = self.sched().is_queued(&row.id);
                let pending = u32::try_from(self.pending(row)?.len()).unwrap_or(u32::MAX);
                Ok(view::summary(row, queued, pending))
            })
            .collect()
    }

    fn task(&self, id: &str) -> Result<TaskDetail, BackendError> {
        let row = self.store.task(id).map_err(store_error)?;
        let queued = self.sched().is_queued(&row.id);
        let pending = self.pending(&row)?;
        Ok(view::detail(&row, queued, pending))
    }

    fn subscribe(
        &self,
        id: &TaskId,
        after: u64,
    ) -> Result<BoxStream<'static, Envelope>, BackendError> {
        let row = self.store.task(id.as_str()).map_err(store_error)?;
        let subscription = self.hub.subscribe(&row.id, after).map_err(store_error)?;
        Ok(subscription.into_stream().boxed())
    }

    fn decide(
        &self,
        id: &TaskId,
        approval: &str,
        decision: ApprovalDecision,
        by: Front,
    ) -> Result<(), BackendError> {
        let row = self.store.task(id.as_str()).map_err(store_error)?;
        // "Allow for every run of this schedule": checked before anything
        // is answered, remembered once the answer is taken.
        let remember = match decision {
            ApprovalDecision::AllowForSchedule => Some(self.schedule_answer(&row, approval)?),
            ApprovalDecision::AllowOnce
            | ApprovalDecision::AllowForTask
            | ApprovalDecision::Deny { .. } => None,
        };
        self.answer(&row, approval, decision, by)?;
        match remember {
            Some((schedule, tool)) => self.allow_for_schedule(&schedule, &tool),
            None => Ok(()),
        }
    }
    fn cancel(&self, id: &TaskId) -> Result<(), BackendError> {
        let row = self.store.task(id.as_str()).map_err(store_error)?;
        let mut sched = self.sched();
        // Read under the lock, as the run records its end on its own.
        let row = self.store.task(row.id.as_str()).map_err(store_error)?;
        if let Some(ops) = sched.ops(&row.id)
            && !row.status.is_terminal()
        {
            ops.send(Op::Cancel);
            return Ok(());
        }
        if let Some(waiting) = sched.remove_waiting(&row.id) {
            if waiting.is_unfinished() {
                let cancelled = Event::StatusChanged {
                    status: TaskStatus::Cancelled,
                    reason: Some("cancelled before it started".to_owned()),
                    end: Some(EndReason::Cancelled),
                };
                self.hub
                    .publisher(&row.id)
                    .publish(cancelled)
                    .map_err(store_error)?;
            }
            return Ok(());
        }
        Err(not_running(&row))
    }

    fn message(&self, id: &TaskId, text: String) -> Result<(), BackendError> {
        if text.trim().is_empty() {
            return Err(BackendError::BadRequest(
                "the message is empty; say what the task should do next".to_owned(),
            ));
        }
        if !self.is_accepting() {
            return Err(shutting_down());
        }
        let row = self.store.task(id.as_str()).map_err(store_error)?;
        // An unknown `/command` is refused now, with its close matches,
        // rather than by the task once it gets there.
        self.factory
            .expand_message(&row.id, &row.spec, &text)
            .map_err(|e| BackendError::BadRequest(e.to_string()))?;
        let mut sched = self.sched();
        if let Some(waiting) = sched.waiting_mut(&row.id) {
            waiting.messages.push(text);
            return Ok(());
        }
        // Read under the lock: a run that recorded its end takes no more
        // messages, even if its slot is not given back yet.
        let row = self.store.task(row.id.as_str()).map_err(store_error)?;
        match row.status {
            TaskStatus::Running => match sched.ops(&row.id) {
                Some(ops) if ops.send(Op::UserMessage { text: text.clone() }) => return Ok(()),
                // The run is ending and takes no more messages: this one
                // continues the task once it has ended.
                Some(_) => {}
                None => return Err(not_running(&row)),
            },
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled => {}
            TaskStatus::Interrupted => return Err(not_running(&row)),
        }
        // Ended: go on in the same transcript once a slot is free.
        sched.push_continue(row.id, text);
        self.pump(&mut sched);
        Ok(())
    }

    fn undo(&self, id: &TaskId, dry_run: bool) -> Result<UndoReport, BackendError> {
        let row = self.store.task(id.as_str()).map_err(store_error)?;
        {
            let sched = self.sched();
            // A run that recorded its end changes nothing more, even before
            // its slot is given back.
            let running = sched.ops(&row.id).is_some() && !row.status.is_terminal();
            if running || sched.is_queued(&row.id) {
                return Err(BackendError::Conflict(format!(
                    "task {} is still running; cancel it before undoing it",
                    row.id.short()
                )));
            }
        }
        let report = self
            .factory
            .undo(
                row.id.as_str(),
                UndoRequest {
                    dry_run,
                    force: false,
                },
            )
            .map_err(factory_error)?;
        let (restored, skipped) = match report.outcome {
            UndoOutcome::Applied {
                restored, skipped, ..
            } => (restored, skipped),
            UndoOutcome::NothingToUndo | UndoOutcome::DryRun | UndoOutcome::RefusedForConflicts => {
                (0, 0)
            }
        };
        Ok(UndoReport {
            dry_run,
            steps: report.steps,
            conflicts: report
                .conflicts
                .iter()
                .map(|c| UndoConflict {
                    path: c.path.display().to_string(),
                    reason: c.reason.clone(),
                })
                .collect(),
            restored,
            skipped,
        })
    }

    fn files(&self, id: &TaskId) -> Result<Vec<TaskFile>, BackendError> {
        let row = self.store.task(id.as_str()).map_err(store_error)?;
        let touched = files::touched(&self.events(&row.id)?);
        let folders = files::open_folders(&row.spec.folders, &self.hidden, &self.reserved)?;
        Ok(files::list(&folders, &touched))
    }

    fn read_file(&self, id: &TaskId, path: &str) -> Result<FileContent, BackendError> {
        let row = self.store.task(id.as_str()).map_err(store_error)?;
        let touched = files::touched(&self.events(&row.id)?);
        let folders = files::open_folders(&row.spec.folders, &self.hidden, &self.reserved)?;
        files::read(&folders, &touched, path)
    }
}

impl TaskManager {
    /// Hands a person's answer to the run that asked, or to the log of a
    /// task waiting for a slot.
    fn answer(
        &self,
        row: &TaskRow,
        approval: &str,
        decision: ApprovalDecision,
        by: Front,
    ) -> Result<(), BackendError> {
        let sched = self.sched();
        if let Some(ops) = sched.ops(&row.id) {
            // A running task holds every question it waits for, those its
            // log left open included (registered when the run started), so
            // a refused answer came too late or names no question.
            return match ops.decide(approval, decision, by.as_str()) {
                Ok(()) => Ok(()),
                Err(_) => Err(not_waiting(
                    approval,
                    view::approval_state(&self.events(&row.id)?, approval),
                )),
            };
        }
        let state = view::approval_state(&self.events(&row.id)?, approval);
        match state {
            // Waiting for a slot (the lock held, so it cannot start
            // meanwhile): the answer goes into the log, where the resumed
            // run finds it instead of asking again.
            ApprovalState::Waiting if sched.is_queued(&row.id) => {
                self.record_answer(&row.id, approval, decision, by)
            }
            ApprovalState::Waiting => {
                let row = self.store.task(row.id.as_str()).map_err(store_error)?;
                Err(not_running(&row))
            }
            ApprovalState::Unknown | ApprovalState::Decided => Err(not_waiting(approval, state)),
        }
    }

    /// `request` with its project's folders, mode and model applied, and
    /// the project's id for the task's spec.
    pub(super) fn with_project(
        &self,
        mut request: NewTask,
    ) -> Result<(NewTask, Option<String>), BackendError> {
        let Some(name) = request.project.take() else {
            return Ok((request, None));
        };
        let project = self.store.project(&name).map_err(|e| match e {
            ProjectError::NotFound(_) | ProjectError::Archived(_) => {
                BackendError::BadRequest(e.to_string())
            }
            ProjectError::Store(e) => store_error(e),
            other => BackendError::Internal(other.to_string()),
        })?;
        if project.archived_at.is_some() {
            return Err(BackendError::BadRequest(
                ProjectError::Archived(project.name).to_string(),
            ));
        }
        for folder in &project.folders {
            if !request.folders.iter().any(|f| f.path == folder.path) {
                request.folders.push(FolderRequest {
                    path: folder.path.clone(),
                    read_only: folder.read_only,
                });
            }
        }
        if request.mode.is_none() {
            request.mode = project.mode;
        }
        if request.model.is_none() && request.provider.is_none() {
            request.model.clone_from(&project.model);
        }
        Ok((request, Some(project.id)))
    }

    /// The approvals the task waits for, from its log: a resumed run's
    /// question counts from the moment the log holds it, before the run
    /// gets back to it.
    fn pending(&self, row: &TaskRow) -> Result<Vec<PendingApproval>, BackendError> {
        if row.status.is_terminal() {
            return Ok(Vec::new());
        }
        let pending = self.store.pending_approvals(&row.id).map_err(store_error)?;
        Ok(pending
            .into_iter()
            .map(|p| PendingApproval {
                id: p.call_id,
                tool: p.tool,
                effect: p.effect,
                summary: p.summary,
                requested_at: p.at,
            })
            .collect())
    }

    fn events(&self, id: &TaskId) -> Result<Vec<cowork_store::StoredEvent>, BackendError> {
        self.store.events(id).map_err(store_error)
    }

    /// Records a person's answer for a task that waits for a slot.
    fn record_answer(
        &self,
        id: &TaskId,
        approval: &str,
        decision: ApprovalDecision,
        by: Front,
    ) -> Result<(), BackendError> {
        self.hub
            .publisher(id)
            .publish(Event::ApprovalDecided {
                call_id: approval.to_owned(),
                decision,
                by: by.as_str().to_owned(),
            })
            .map(|_| ())
            .map_err(store_error)
    }
}

pub(super) fn not_waiting(approval: &str, state: ApprovalState) -> BackendError {
    match state {
        ApprovalState::Unknown => {
            BackendError::NotFound(format!("the task never asked for approval `{approval}`"))
        }
        ApprovalState::Waiting | ApprovalState::Decided => BackendError::Conflict(format!(
            "approval `{approval}` is no longer waiting: it was already answered, or the task \
             stopped asking"
        )),
    }
}

fn not_running(row: &TaskRow) -> BackendError {
    match row.status {
        TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled => {
            BackendError::Conflict(format!(
                "task {} has already {}",
                row.id.short(),
                row.status.as_str()
            ))
        }
        TaskStatus::Running | TaskStatus::Interrupted => BackendError::Conflict(format!(
            "task {} is not run by the daemon (a terminal runs it, or it stopped there); act on \
             it where it runs",
            row.id.short()
        )),
    }
}

/// How the store's failures reach the API.
pub(crate) fn store_error(error: StoreError) -> BackendError {
    match error {
        StoreError::NotFound { .. } => BackendError::NotFound(error.to_string()),
        StoreError::Ambiguous { .. } | StoreError::PrefixTooShort { .. } => {
            BackendError::BadRequest(error.to_string())
        }
        other => BackendError::Internal(other.to_string()),
    }
}

fn factory_error(error: FactoryError) -> BackendError {
    match error {
        FactoryError::StillRunning { .. } => BackendError::Conflict(error.to_string()),
        FactoryError::Store(e) | FactoryError::Core(cowork_core::CoreError::Store(e)) => {
            store_error(e)
        }
        other => BackendError::Internal(other.to_string()),
    }
}
