//! Connected folders, escape-proof path resolution, and cowork's file tools.
//!
//! A task sees only the folders it was granted. [`Folders`] holds each one
//! open as a directory descriptor, and every path a person or the model
//! supplies is opened *beneath* that descriptor with
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`: the kernel, not a
//! string comparison, refuses `..`, absolute symlinks, symlinks pointing out
//! and `/proc` tricks ([`FileError::OutsideFolders`]). Older kernels get a
//! component-by-component walk that refuses the same escapes.
//!
//! [`FileTools`] are the reading tools with Claude Code's names and inputs:
//! `Read`, `LS`, `Glob` and `Grep` (ripgrep's own crates). This crate is
//! blocking and knows nothing of models, HTTP or the task runner; the runner
//! calls it from `spawn_blocking`. Writing, the change journal and the trash
//! come later and will reuse [`Resolved::open`].
//!
//! ```no_run
//! use std::sync::Arc;
//! use cowork_files::{FileTools, Folders};
//! use cowork_protocol::FolderGrant;
//!
//! let grant = FolderGrant { path: "/home/me/notes".into(), read_only: true };
//! let tools = FileTools::new(Arc::new(Folders::open(&[grant])?));
//! let text = tools.call("Grep", &serde_json::json!({"pattern": "invoice", "glob": "*.md"}))?;
//! # Ok::<(), cowork_files::FileError>(())
//! ```

mod beneath;
mod error;
mod folders;
mod tools;

pub use error::FileError;
pub use folders::{Folders, Resolved};
pub use tools::FileTools;
