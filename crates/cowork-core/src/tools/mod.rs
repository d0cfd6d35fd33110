//! Adapters that expose tool libraries (files, docs and the sandbox)
//! through the [`Tool`](crate::Tool) trait.

mod bash;
mod docs;
mod files;

pub use bash::{BashSetup, Isolation, register_bash};
pub use docs::register_doc_tools;
pub use files::{JournalSetup, TaskJournal, register_file_tools};
