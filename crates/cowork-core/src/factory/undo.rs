//! Undo as a service: any front plans (dry run) or applies undoing a
//! task's file changes through here, and the log records what was done.

use crate::hub::Hub;
use cowork_files::{Folders, JournalStore, undo};
use cowork_protocol::{Change, Event, TaskId, TaskStatus};

use super::FactoryError;

pub use cowork_files::undo::Conflict as UndoConflict;

/// What to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UndoRequest {
    /// Only say what undo would do; change nothing.
    pub dry_run: bool,
    /// Restore even files changed after the task; their current versions
    /// go to the trash first.
    pub force: bool,
}

/// What undo did, or would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoReport {
    pub task: TaskId,
    /// One line per step, in the order they run (newest change first).
    pub steps: Vec<String>,
    /// Files changed after the task, which undo would overwrite.
    pub conflicts: Vec<UndoConflict>,
    pub outcome: UndoOutcome,
}

/// How an undo ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndoOutcome {
    /// The task changed no files.
    NothingToUndo,
    /// Planned only, as asked; nothing was changed.
    DryRun,
    /// Files changed after the task, and `force` was not given: nothing
    /// was changed.
    RefusedForConflicts,
    /// Done, and recorded in the task's log.
    Applied {
        /// Changes put back.
        restored: u32,
        /// Changes already as before, or left as they are.
        skipped: u32,
        /// Changes put back over later edits (previous versions trashed).
        forced: u32,
    },
}

/// Undoes the file changes of a task (by id, unique prefix or `last`), or
/// plans it. Refused while a live process runs the task: its next change
/// would race the undo. Applying appends [`Event::Undone`] to the log and
/// publishes it, so every watcher of the task sees it live.
pub fn undo_task(
    hub: &Hub,
    journal: &JournalStore,
    id_or_prefix: &str,
    request: UndoRequest,
) -> Result<UndoReport, FactoryError> {
    let store = hub.store();
    let row = store.task(id_or_prefix)?;
    if row.status == TaskStatus::Running && store.owner(&row.id)?.is_some_and(|o| o.is_alive()) {
        return Err(FactoryError::StillRunning { id: row.id });
    }
    let changes: Vec<Change> = store
        .events(&row.id)?
        .into_iter()
        .filter_map(|e| match e.event {
            Event::FileChanged { change, .. } => Some(change),
            _ => None,
        })
        .collect();
    let mut report = UndoReport {
        task: row.id.clone(),
        steps: Vec::new(),
        conflicts: Vec::new(),
        outcome: UndoOutcome::NothingToUndo,
    };
    if changes.is_empty() {
        return Ok(report);
    }
    let folders = Folders::open(&row.spec.folders)?;
    let plan = undo::plan(&changes, &folders, journal);
    report.steps = plan.steps.iter().map(|s| s.description.clone()).collect();
    report.conflicts.clone_from(&plan.conflicts);
    if request.dry_run {
        report.outcome = UndoOutcome::DryRun;
        return Ok(report);
    }
    if !plan.conflicts.is_empty() && !request.force {
        report.outcome = UndoOutcome::RefusedForConflicts;
        return Ok(report);
    }
    let done = undo::apply(&plan, &folders, journal, request.force)?;
    hub.publisher(&row.id).publish(Event::Undone {
        restored: done.restored,
        skipped: done.skipped,
        forced: done.forced,
    })?;
    report.outcome = UndoOutcome::Applied {
        restored: done.restored,
        skipped: done.skipped,
        forced: done.forced,
    };
    Ok(report)
}
