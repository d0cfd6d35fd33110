//! The task's connectors (MCP servers) in the loop: polled before each
//! turn, so the model is offered exactly the tools the servers offer now,
//! and stopped when the task ends, however it ends.

use std::time::Duration;

use cowork_protocol::Event;

use super::{Runner, sleep_until};
use crate::error::CoreError;

/// How long stopping the servers may hold up the task's end.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl Runner {
    /// Connects what is not connected yet, records each server whose
    /// status changed, and puts the servers' current tools in the
    /// registry in place of the previous ones. `false`: the task was
    /// cancelled meanwhile.
    pub(super) async fn poll_connectors(&mut self) -> Result<bool, CoreError> {
        let Some(connectors) = self.deps.extensions.connectors.clone() else {
            return Ok(true);
        };
        let deadline = self.deadline();
        let update = {
            let mut poll = connectors.poll();
            loop {
                tokio::select! {
                    update = &mut poll => break update,
                    op = self.next_op() => {
                        if self.handle_op(op) {
                            return Ok(false);
                        }
                    }
                    () = sleep_until(deadline) => return Err(self.wall_budget_error()),
                }
            }
        };
        for (server, status) in update.statuses {
            self.emit(Event::Connector { server, status })?;
        }
        if let Some(tools) = update.tools {
            for name in self.deps.tools.replace_connector_tools(tools) {
                self.emit(Event::Warning {
                    source: "connectors".to_owned(),
                    message: format!(
                        "a connector offers a tool named {name}, which another tool already has; \
                         it is left out"
                    ),
                })?;
            }
            self.fixed_chars = super::fixed_chars(&self.system, &self.deps.tools.specs());
        }
        Ok(true)
    }

    /// Stops the task's servers, waiting a bounded time.
    pub(super) async fn shutdown_connectors(&self) {
        if let Some(connectors) = &self.deps.extensions.connectors
            && tokio::time::timeout(SHUTDOWN_GRACE, connectors.shutdown())
                .await
                .is_err()
        {
            tracing::warn!(task = %self.id, "the connectors did not stop within {SHUTDOWN_GRACE:?}");
        }
    }
}
