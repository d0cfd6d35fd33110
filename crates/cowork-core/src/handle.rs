//! The queue pair a front end drives a task through: ops in, envelopes
//! out.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use cowork_protocol::{ApprovalDecision, Envelope, Event, Op, TaskId};

use crate::approvals::{Approvals, Decider, NotPending, PendingApproval};
use crate::hub::Subscription;

/// Sends ops into a running task and answers its approvals. Cheap to
/// clone, so a Ctrl-C handler can hold one while the renderer holds the
/// handle. The task goes on when every sender is dropped (a detached
/// task); its questions are then denied, since nobody is left to answer.
#[derive(Debug, Clone)]
pub struct OpSender {
    pub(crate) ops: mpsc::UnboundedSender<Op>,
    pub(crate) approvals: Approvals,
    pub(crate) messages: MessageGate,
}

/// Closed by the runner, under its lock, at the moment it decides the
/// task is over. A message is queued under the same lock, so every message
/// a front was told was taken is in the runner's queue before it decides:
/// none is accepted and then dropped as the task ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct MessageGate(Arc<Mutex<bool>>);

impl MessageGate {
    /// The gate's lock: `true` once the task takes no more messages.
    pub(crate) fn lock(&self) -> MutexGuard<'_, bool> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl OpSender {
    /// Queues `op`. Returns `false` when the task has already ended — for
    /// a message, also when the task is ending: it will not read it, so
    /// the front continues the task with it instead.
    /// `Op::Approval` is answered as [`OpSender::decide`] by an unnamed
    /// front ("user").
    pub fn send(&self, op: Op) -> bool {
        match op {
            Op::UserMessage { .. } => {
                let closed = self.messages.lock();
                !*closed && self.ops.send(op).is_ok()
            }
            Op::Approval { .. } | Op::Cancel => self.ops.send(op).is_ok(),
        }
    }

    /// Answers the pending approval of `call_id` on behalf of front `by`
    /// ("terminal", "web", "api"…). The first answer wins; any later one,
    /// or one for a call that is not waiting, is [`NotPending`]. Every
    /// watcher sees the decision as an `ApprovalDecided` event.
    pub fn decide(
        &self,
        call_id: &str,
        decision: ApprovalDecision,
        by: &str,
    ) -> Result<(), NotPending> {
        self.approvals
            .decide(call_id, decision, Decider::Front(by.to_owned()))
    }

    /// The calls waiting for a decision now, by call id.
    pub fn pending_approvals(&self) -> Vec<PendingApproval> {
        self.approvals.pending()
    }

    /// Whether the task's runner has ended.
    pub fn is_closed(&self) -> bool {
        self.ops.is_closed()
    }
}

impl std::fmt::Debug for Approvals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Approvals")
            .field("pending", &self.pending().len())
            .finish()
    }
}

/// A running task: submit ops, receive envelopes until the task ends.
#[derive(Debug)]
pub struct TaskHandle {
    pub(crate) id: TaskId,
    pub(crate) ops: OpSender,
    pub(crate) events: Subscription,
    pub(crate) join: JoinHandle<()>,
    pub(crate) ended: bool,
}

impl TaskHandle {
    pub fn id(&self) -> &TaskId {
        &self.id
    }

    pub fn submit(&self, op: Op) -> bool {
        self.ops.send(op)
    }

    pub fn op_sender(&self) -> OpSender {
        self.ops.clone()
    }

    /// The next envelope of this run, or `None` once its final
    /// `StatusChanged` (completed, failed or cancelled) was delivered.
    pub async fn next_event(&mut self) -> Option<Envelope> {
        if self.ended {
            return None;
        }
        let envelope = self.events.next().await?;
        if let Event::StatusChanged { status, .. } = &envelope.event
            && status.is_terminal()
        {
            self.ended = true;
        }
        Some(envelope)
    }

    /// Waits for the runner to finish, dropping undelivered events.
    pub async fn join(self) {
        drop(self.events);
        // The runner catches its own panics and records them as the
        // task's failure; a join error here can only be a runtime
        // shutting down, and the log says how far the task got.
        let _ = self.join.await;
    }
}
