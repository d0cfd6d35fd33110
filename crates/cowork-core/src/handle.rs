//! The queue pair a front end drives a task through: ops in, events out.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use cowork_protocol::{Event, Op, TaskId};

/// Sends ops into a running task. Cheap to clone, so a Ctrl-C handler can
/// hold one while the renderer holds the handle.
#[derive(Debug, Clone)]
pub struct OpSender(pub(crate) mpsc::UnboundedSender<Op>);

impl OpSender {
    /// Queues `op`. Returns `false` when the task has already ended.
    pub fn send(&self, op: Op) -> bool {
        self.0.send(op).is_ok()
    }
}

/// A running task: submit ops, receive events until the task ends.
#[derive(Debug)]
pub struct TaskHandle {
    pub(crate) id: TaskId,
    pub(crate) ops: OpSender,
    pub(crate) events: mpsc::UnboundedReceiver<Event>,
    pub(crate) join: JoinHandle<()>,
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

    /// The next event, or `None` once the task has ended and every event
    /// was delivered. The last event of a task is its final
    /// `StatusChanged`.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Waits for the runner to finish, dropping undelivered events.
    pub async fn join(self) {
        drop(self.events);
        // A panic inside the runner is already recorded as the task's
        // failure by the runner's guard; nothing more to report here.
        let _ = self.join.await;
    }
}
