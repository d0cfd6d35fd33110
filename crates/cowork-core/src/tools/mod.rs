//! Adapters that expose tool libraries (files, later docs and sandbox)
//! through the [`Tool`](crate::Tool) trait.

mod files;

pub use files::{JournalSetup, register_file_tools};
