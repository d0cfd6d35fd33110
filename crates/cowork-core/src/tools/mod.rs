//! Adapters that expose tool libraries (files, docs and the sandbox)
//! through the [`Tool`](crate::Tool) trait, the `Skill` tool that loads
//! a plugin's skill, and the `Memory` tool over cowork's memory.

mod bash;
mod docs;
mod files;
mod memory;
mod skill;

pub use bash::{BashSetup, Isolation, register_bash};
pub use docs::register_doc_tools;
pub use files::{JournalSetup, TaskJournal, register_file_tools};
pub(crate) use memory::recalled_block;
pub use memory::{
    DEFAULT_RECALL_TOKENS, MemorySettings, MemorySetup, START_RECALL_LIMIT, register_memory_tool,
};
pub use skill::register_skill_tool;

use crate::tool::ToolFailure;

/// The names of every tool cowork itself offers (a task gets those its
/// mode, folders and extensions allow), to check the tool a person names
/// in a rule. Connectors' tools are `mcp__<server>__<tool>`.
pub fn builtin_tool_names() -> Vec<String> {
    let mut names: Vec<String> = cowork_files::FileTools::specs()
        .into_iter()
        .map(|spec| spec.name)
        .collect();
    names.push(docs::READ_DOCUMENT.to_owned());
    names.extend(docs::writer_names().map(str::to_owned));
    names.extend(
        [bash::BASH, skill::SKILL, cowork_store::MEMORY_TOOL]
            .into_iter()
            .map(str::to_owned),
    );
    names
}

/// Runs blocking library work (file system, document rendering) on
/// tokio's blocking pool, so it never stalls the runner's other work.
/// A panic there is a bug, not an answer for the model: it goes on
/// unwinding into the runner, whose guard fails the task with its
/// message, as a panic in any other tool does.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ToolFailure> + Send + 'static,
) -> Result<T, ToolFailure> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(ToolFailure::new(format!(
            "the tool stopped unexpectedly: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;

    use futures::FutureExt;

    use super::*;

    /// Regression for "a panic is swallowed as a tool error": the
    /// blocking pool's panics became text for the model while panics in
    /// other tools failed the task.
    #[tokio::test]
    async fn a_panic_on_the_blocking_pool_reaches_the_runners_guard() {
        let caught = AssertUnwindSafe(blocking::<()>(|| panic!("kaboom")))
            .catch_unwind()
            .await;
        let payload = caught.expect_err("the panic went on unwinding");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"kaboom"));
    }
}
