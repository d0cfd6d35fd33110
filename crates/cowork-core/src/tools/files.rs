use std::sync::Arc;

use futures::future::BoxFuture;

use cowork_files::FileTools;
use cowork_protocol::ToolSpec;

use crate::tool::{Tool, ToolFailure, ToolRegistry};

/// One of cowork-files' tools. The library is blocking, so calls run on
/// tokio's blocking pool and never stall the runner's other work.
struct FileTool {
    spec: ToolSpec,
    tools: Arc<FileTools>,
}

impl Tool for FileTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn call(&self, input: serde_json::Value) -> BoxFuture<'static, Result<String, ToolFailure>> {
        let tools = Arc::clone(&self.tools);
        let name = self.spec.name.clone();
        Box::pin(async move {
            let joined = tokio::task::spawn_blocking(move || tools.call(&name, &input)).await;
            match joined {
                Ok(result) => result.map_err(|e| ToolFailure::new(e.to_string())),
                Err(e) => Err(ToolFailure::new(format!(
                    "the tool stopped unexpectedly: {e}"
                ))),
            }
        })
    }
}

/// Registers every file tool over `tools`' folders.
pub fn register_file_tools(registry: &mut ToolRegistry, tools: Arc<FileTools>) {
    for spec in FileTools::specs() {
        registry.register(Arc::new(FileTool {
            spec,
            tools: Arc::clone(&tools),
        }));
    }
}
