//! Adapters that expose tool libraries (files, later docs and sandbox)
//! through the [`Tool`](crate::Tool) trait.

mod bash;
mod files;

pub use bash::{BashSetup, Isolation, register_bash};
pub use files::{JournalSetup, TaskJournal, register_file_tools};
