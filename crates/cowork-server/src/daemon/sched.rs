//! Which tasks run and which wait: at most `max_tasks` at work at once,
//! the rest in submission order. A slot is taken when a task is launched
//! and given back when its runner ends, which launches the next. A task
//! waiting for a person's answer holds no slot meanwhile: runs waiting
//! overnight for approval must not keep the next ones (a schedule's next
//! due time) from running. Answered, it goes on even if that makes one
//! more at work than `max_tasks` for a while.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use cowork_core::factory::{FactoryError, RunSetup, SandboxChoice};
use cowork_core::{Approver, CoreError, OpSender};
use cowork_model::Model;
use cowork_protocol::{EndReason, Event, Op, TaskId, TaskStatus};
use cowork_store::{Host, Owner, StoreError};

use super::TaskManager;
use super::backend_impl::store_error;
use super::request::{Prepared, RunChoices};
use crate::backend::BackendError;

/// How long a run's notices may take to go out after the run ended.
const NOTICE_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

#[derive(Default)]
pub(crate) struct Sched {
    /// The ops channel (and approvals) of every task running now, with
    /// the number of its run.
    running: HashMap<TaskId, Run>,
    queue: VecDeque<Waiting>,
    /// Numbers runs, so a run that ends after its task was started again
    /// (a message to a task just finishing) gives back only its own slot.
    runs: u64,
}

struct Run {
    number: u64,
    ops: OpSender,
    /// The calls of this run whose question waits for a person; while any
    /// does, the run holds no slot.
    asking: std::collections::HashSet<String>,
}

/// A task waiting for a slot.
pub(crate) struct Waiting {
    id: TaskId,
    start: Start,
    /// Messages sent while it waited; they reach it once it runs.
    pub(crate) messages: Vec<String>,
    /// The model built when the request was checked, for a new task.
    model: Option<Arc<dyn Model>>,
}

/// How a waiting task starts.
pub(crate) enum Start {
    /// Submitted to this daemon and recorded, never run.
    New,
    /// Interrupted (its daemon stopped): run from where its log ends.
    Resume,
    /// A finished task, going on with a message from the person.
    Continue(String),
}

impl Sched {
    pub(crate) fn running_count(&self) -> usize {
        self.running.len()
    }

    /// Running tasks that hold a slot: those not waiting for a person.
    fn working(&self) -> usize {
        self.running
            .values()
            .filter(|run| run.asking.is_empty())
            .count()
    }

    pub(crate) fn queued_count(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn ops(&self, id: &TaskId) -> Option<&OpSender> {
        self.running.get(id).map(|run| &run.ops)
    }

    pub(crate) fn is_queued(&self, id: &TaskId) -> bool {
        self.queue.iter().any(|w| &w.id == id)
    }

    pub(crate) fn waiting_mut(&mut self, id: &TaskId) -> Option<&mut Waiting> {
        self.queue.iter_mut().find(|w| &w.id == id)
    }

    pub(crate) fn remove_waiting(&mut self, id: &TaskId) -> Option<Waiting> {
        let index = self.queue.iter().position(|w| &w.id == id)?;
        self.queue.remove(index)
    }

    /// Queues a finished task to go on with `text`.
    pub(crate) fn push_continue(&mut self, id: TaskId, text: String) {
        self.queue.push_back(Waiting {
            id,
            start: Start::Continue(text),
            messages: Vec::new(),
            model: None,
        });
    }

    fn push(&mut self, id: TaskId, start: Start, model: Option<Arc<dyn Model>>) {
        self.queue.push_back(Waiting {
            id,
            start,
            messages: Vec::new(),
            model,
        });
    }
}

impl Waiting {
    /// Whether the task shows as running while it waits (a new or
    /// interrupted task), rather than a finished one waiting to go on.
    pub(crate) fn is_unfinished(&self) -> bool {
        match self.start {
            Start::New | Start::Resume => true,
            Start::Continue(_) => false,
        }
    }
}

impl TaskManager {
    /// Records a checked request as a new task of the daemon's and queues
    /// it; it starts at once when a slot is free.
    pub(super) fn submit(&self, prepared: Prepared) -> Result<TaskId, BackendError> {
        let id = TaskId::new();
        self.submit_as(&id, prepared)?;
        Ok(id)
    }

    /// [`TaskManager::submit`] under an id chosen beforehand: a scheduled
    /// run's, recorded with the run before the task exists so that a
    /// daemon dying in between starts that task, never a second one.
    pub(super) fn submit_as(&self, id: &TaskId, prepared: Prepared) -> Result<(), BackendError> {
        if !self.is_accepting() {
            return Err(shutting_down());
        }
        // An unknown `/command` is refused before anything is recorded,
        // with its close matches; a known one is expanded when it starts.
        self.factory
            .expand_prompt(id, &prepared.spec)
            .map_err(|e| BackendError::BadRequest(e.to_string()))?;
        // The choices first: a task recorded without them would resume
        // with the defaults after a crash.
        self.records.save(id, &prepared.run).map_err(|e| {
            BackendError::Internal(format!("the daemon cannot record how the task runs: {e}"))
        })?;
        let owner = Owner::current().map_err(store_error)?;
        let mut sched = self.sched();
        self.store
            .create_hosted_task(id, &prepared.spec, &owner, Host::Daemon)
            .map_err(store_error)?;
        sched.push(id.clone(), Start::New, Some(prepared.model));
        self.pump(&mut sched);
        Ok(())
    }

    /// Queues every interrupted task the daemon hosted, oldest first.
    pub(super) fn resume_interrupted(&self) -> Result<(), StoreError> {
        let rows = self
            .store
            .list_tasks_with_status(&[TaskStatus::Interrupted], usize::MAX)?;
        let mut sched = self.sched();
        for row in rows.into_iter().rev() {
            match row.host {
                Host::Daemon => sched.push(row.id, Start::Resume, None),
                Host::Cli => {}
            }
        }
        self.pump(&mut sched);
        Ok(())
    }

    /// Launches waiting tasks while slots are free.
    pub(super) fn pump(&self, sched: &mut Sched) {
        while sched.working() < self.max_tasks && self.is_accepting() {
            // A task whose previous run is still ending (a message came
            // as it finished) waits for that run, holding up no other.
            let Some(next) = sched
                .queue
                .iter()
                .position(|w| !sched.running.contains_key(&w.id))
            else {
                return;
            };
            let Some(waiting) = sched.queue.remove(next) else {
                return;
            };
            let id = waiting.id.clone();
            let unfinished = waiting.is_unfinished();
            match self.launch(sched, waiting) {
                Ok(()) => {}
                Err(e) => self.launch_failed(&id, unfinished, &e),
            }
        }
    }

    fn launch(&self, sched: &mut Sched, waiting: Waiting) -> Result<(), FactoryError> {
        let Waiting {
            id,
            start,
            messages,
            model,
        } = waiting;
        let setup = run_setup(self.records.load(&id));
        // The runner is spawned onto the daemon's runtime whoever calls.
        let _runtime = self.runtime.enter();
        // Subscribed before the run starts, so no notice is missed.
        let number = sched.runs + 1;
        let notices = self.watch_notices(&id, number);
        // A resumed run's questions asked before the restart are not asked
        // again: they wait from the start.
        let asking = match start {
            Start::Resume => self.store.pending_approvals(&id).map_or_else(
                |_| std::collections::HashSet::new(),
                |pending| pending.into_iter().map(|p| p.call_id).collect(),
            ),
            Start::New | Start::Continue(_) => std::collections::HashSet::new(),
        };
        let started = match start {
            Start::New => self.factory.start_recorded(id.as_str(), setup, model)?,
            Start::Resume => self.factory.resume(id.as_str(), setup, model)?,
            Start::Continue(text) => self
                .factory
                .continue_task(id.as_str(), text, setup, model)?,
        };
        let publisher = self.hub.publisher(&id);
        for notice in &started.notices {
            // Live watchers learn what the task will not have; it is not
            // part of the log.
            let _ = publisher.publish(Event::Notice {
                message: notice.to_string(),
            });
        }
        let ops = started.handle.op_sender();
        for text in messages {
            ops.send(Op::UserMessage { text });
        }
        sched.runs = number;
        sched.running.insert(
            id.clone(),
            Run {
                number,
                ops,
                asking,
            },
        );
        let me = self.me.clone();
        let handle = started.handle;
        self.runtime.spawn(async move {
            handle.join().await;
            // The slot first: a slow notification holds up no other task.
            if let Some(manager) = me.upgrade() {
                manager.finished(&id, number);
            }
            if let Some(mut notices) = notices {
                // The run's last events may still be on their way to the
                // watcher; an interrupted run never sends an end.
                if tokio::time::timeout(NOTICE_GRACE, &mut notices)
                    .await
                    .is_err()
                {
                    notices.abort();
                }
            }
        });
        Ok(())
    }

    /// Run `number` of task `id` asked a person about `call` (`asked`), or
    /// the call was decided: a run that waits gives its slot to the next
    /// task. Decisions nobody asked for (a hook's, the policy's) change
    /// nothing.
    pub(super) fn question(&self, id: &TaskId, number: u64, call: &str, asked: bool) {
        let mut sched = self.sched();
        let Some(run) = sched.running.get_mut(id).filter(|run| run.number == number) else {
            return;
        };
        if asked {
            run.asking.insert(call.to_owned());
            self.pump(&mut sched);
        } else {
            run.asking.remove(call);
        }
    }

    /// Run `number` of a task ended: its slot goes to the next waiting
    /// task.
    fn finished(&self, id: &TaskId, number: u64) {
        let mut sched = self.sched();
        if sched
            .running
            .get(id)
            .is_some_and(|run| run.number == number)
        {
            sched.running.remove(id);
        }
        self.pump(&mut sched);
    }

    /// A waiting task could not start (its folder is gone, its model can
    /// no longer be built): a new or interrupted one is recorded as failed
    /// so it does not show as running forever. One another process runs
    /// now, or that has ended meanwhile, is left alone.
    fn launch_failed(&self, id: &TaskId, unfinished: bool, error: &FactoryError) {
        let not_ours = matches!(
            error,
            FactoryError::Store(StoreError::Busy { .. })
                | FactoryError::Core(CoreError::Store(StoreError::Busy { .. }))
                | FactoryError::Core(CoreError::NotResumable { .. })
        );
        if not_ours || !unfinished {
            tracing::warn!(task = %id, "the task could not start: {error}");
            return;
        }
        tracing::error!(task = %id, "the task could not start: {error}");
        let failed = Event::StatusChanged {
            status: TaskStatus::Failed,
            reason: Some(format!("the daemon could not start it: {error}")),
            end: Some(EndReason::Error),
        };
        if let Err(e) = self.hub.publisher(id).publish(failed) {
            tracing::error!(task = %id, "could not record that the task failed to start: {e}");
        }
    }
}

/// How a task's choices map onto the factory's.
fn run_setup(run: RunChoices) -> RunSetup {
    RunSetup {
        sandbox: if run.unsandboxed {
            SandboxChoice::None
        } else {
            SandboxChoice::Auto
        },
        allow_net: run.allow_net,
        approver: if run.assume_yes {
            Approver::AssumeYes
        } else {
            Approver::Person
        },
    }
}

pub(crate) fn shutting_down() -> BackendError {
    BackendError::Conflict("the daemon is shutting down; try again once it runs again".to_owned())
}
