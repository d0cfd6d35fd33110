//! What cowork tells a server about itself, and what it keeps of the
//! server's notifications: which lists changed since they were last read,
//! and the last progress message of each call.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, ProgressNotificationParam, ProtocolVersion,
};
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, RoleClient};

/// Shared between the client's handler and the connectors that poll it.
/// Each list's changes are counted rather than flagged: every task that
/// shares the connection (see `pool`) compares the count with the one it
/// last saw, so one task taking the news does not hide it from another.
#[derive(Debug, Default)]
pub(crate) struct Notices {
    tools: AtomicU64,
    resources: AtomicU64,
    prompts: AtomicU64,
    /// The latest progress notification's text.
    progress: Mutex<Option<String>>,
}

/// The lists a server announces changes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum List {
    Tools,
    Resources,
    Prompts,
}

impl Notices {
    /// The most recent progress message of any call.
    pub(crate) fn last_progress(&self) -> Option<String> {
        self.progress.lock().ok().and_then(|p| p.clone())
    }

    pub(crate) fn record_progress(&self, message: String) {
        if let Ok(mut progress) = self.progress.lock() {
            *progress = Some(message);
        }
    }

    pub(crate) fn changed(&self, list: List) {
        self.counter(list).fetch_add(1, Ordering::SeqCst);
    }

    /// How many changes of `list` the server announced so far.
    pub(crate) fn generation(&self, list: List) -> u64 {
        self.counter(list).load(Ordering::SeqCst)
    }

    fn counter(&self, list: List) -> &AtomicU64 {
        match list {
            List::Tools => &self.tools,
            List::Resources => &self.resources,
            List::Prompts => &self.prompts,
        }
    }
}

/// cowork's side of one MCP session.
#[derive(Debug, Clone)]
pub(crate) struct Handler {
    pub server: String,
    pub notices: Arc<Notices>,
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        // No roots, sampling or elicitation: a task's files reach a server
        // only through a tool call a person or rule allowed.
        // The handshake is `initialize`, so it names the newest version
        // that has one: rmcp's default (its newest) has none, and servers
        // speaking 2025-06-18 or 2025-11-25 refuse or mis-negotiate it.
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("cowork", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        tracing::debug!(server = %self.server, "tools/list_changed");
        self.notices.changed(List::Tools);
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        tracing::debug!(server = %self.server, "resources/list_changed");
        self.notices.changed(List::Resources);
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        tracing::debug!(server = %self.server, "prompts/list_changed");
        self.notices.changed(List::Prompts);
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let message = progress_text(&params);
        tracing::info!(target: "cowork::mcp::progress", server = %self.server, "{message}");
        self.notices.record_progress(message);
    }
}

pub(crate) fn progress_text(p: &ProgressNotificationParam) -> String {
    let amount = match p.total {
        Some(total) => format!("{}/{}", p.progress, total),
        None => p.progress.to_string(),
    };
    match &p.message {
        Some(message) => format!("{amount} {message}"),
        None => amount,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initialize_request_names_a_version_that_has_initialize() {
        // Regression: cowork sent 2026-07-28 in `initialize`, which the
        // conformance suite's 2025-11-25 server rejected as a mismatch.
        let handler = Handler {
            server: "s".into(),
            notices: Arc::default(),
        };
        let version = handler.get_info().protocol_version;
        assert!(version.has_initialize(), "{version}");
        assert_eq!(version, ProtocolVersion::V_2025_11_25);
    }
}
