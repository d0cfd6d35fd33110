//! A task's connectors: the catalog's servers the task was given (all of
//! them unless its spec names some, as a schedule's runs do), resolved,
//! with what could not be given told as notices and statuses.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use cowork_core::{Connectors, ConnectorsUpdate, TaskContext};
use cowork_protocol::ConnectorStatus;

use super::{Catalog, CatalogServer, PluginHost};
use crate::mcp::TaskConnectors;

impl PluginHost {
    /// The connectors of a task over `ctx`: the allowed ones resolved, the
    /// rest as statuses the first poll reports. A name the task was given
    /// that no connector has any more (removed, or its plugin disabled
    /// since the schedule was made) is a notice: the task runs without
    /// its tools rather than failing.
    pub(super) fn connectors(
        &self,
        catalog: &Catalog,
        ctx: &TaskContext,
        notices: &mut Vec<String>,
    ) -> Option<Arc<dyn Connectors>> {
        let given = given(catalog, ctx, notices);
        if given.is_empty() {
            return None;
        }
        let mut resolved = Vec::new();
        let mut statuses = Vec::new();
        for server in given {
            match self.resolve(catalog, server) {
                Ok(ready) => resolved.push((server.name.clone(), ready)),
                Err(status) => statuses.push((server.name.clone(), status)),
            }
        }
        let options = self.connect_options();
        let inner = (!resolved.is_empty()).then(|| TaskConnectors::new(resolved, options));
        Some(Arc::new(HostConnectors {
            inner,
            initial: Mutex::new(statuses),
        }))
    }
}

/// The catalog's servers a task over `ctx` gets, matched by the names
/// tasks see and `cowork mcp list` shows (a plugin's server that another
/// of the same name shadowed carries its plugin's name in front).
fn given<'c>(
    catalog: &'c Catalog,
    ctx: &TaskContext,
    notices: &mut Vec<String>,
) -> Vec<&'c CatalogServer> {
    let Some(names) = &ctx.connectors else {
        return catalog.servers.iter().collect();
    };
    for name in names {
        if !catalog.servers.iter().any(|s| s.name == *name) {
            notices.push(format!(
                "the connector `{name}` this task was given (a schedule keeps its connectors for \
                 every run) is not configured any more; its tools are missing"
            ));
        }
    }
    catalog
        .servers
        .iter()
        .filter(|s| names.contains(&s.name))
        .collect()
}

/// A task's connectors, with the statuses settled before any server
/// started (blocked by policy, a variable missing) told at the first poll.
struct HostConnectors {
    inner: Option<TaskConnectors>,
    initial: Mutex<Vec<(String, ConnectorStatus)>>,
}

impl Connectors for HostConnectors {
    fn poll(&self) -> BoxFuture<'_, ConnectorsUpdate> {
        Box::pin(async move {
            let initial = self
                .initial
                .lock()
                .map(|mut s| std::mem::take(&mut *s))
                .unwrap_or_default();
            let mut update = match &self.inner {
                Some(inner) => inner.poll().await,
                None => ConnectorsUpdate::default(),
            };
            update.statuses.splice(0..0, initial);
            update
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(inner) = &self.inner {
                inner.shutdown().await;
            }
        })
    }
}
