//! Adapters that expose tool libraries (files, docs and the sandbox)
//! through the [`Tool`](crate::Tool) trait.

mod bash;
mod docs;
mod files;

pub use bash::{BashSetup, Isolation, register_bash};
pub use docs::register_doc_tools;
pub use files::{JournalSetup, TaskJournal, register_file_tools};

use crate::tool::ToolFailure;

/// Runs blocking library work (file system, document rendering) on
/// tokio's blocking pool, so it never stalls the runner's other work.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ToolFailure> + Send + 'static,
) -> Result<T, ToolFailure> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(ToolFailure::new(format!(
            "the tool stopped unexpectedly: {e}"
        )))
    })
}
