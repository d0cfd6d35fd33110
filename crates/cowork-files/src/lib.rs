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
//! Every decision is made on where the kernel really resolved a path, not
//! on its spelling: the deepest granted folder containing it decides
//! whether it may change ([`Folders::grant_for`]), and paths hidden by deny
//! rules ([`Folders::with_hidden`]) or reserved for cowork's own state
//! ([`Folders::with_reserved`]) are answered exactly as missing ones by
//! every tool, skipped by every walk, and never created, moved or carried
//! away. [`FileTools::targets`] names the paths a call touches without
//! reading any content, for the permission engine.
//!
//! [`FileTools`] are the file tools with Claude Code's names and inputs:
//! `Read`, `LS`, `Glob` and `Grep` (ripgrep's own crates) read; `Write`,
//! `Edit`, `Move`, `Mkdir` and `Delete` change the folder, and only when
//! built [`FileTools::with_journal`]. Every change follows the same order:
//! resolve and validate beneath the folder's root, save what it replaces
//! ([`JournalStore`]: content-addressed blobs, hard-linked when possible,
//! and a [`Trash`] that Delete moves things into), hand the [`Change`]s to
//! the [`ChangeSink`] (the task's durable log), and only then act, with
//! atomic renames and fsyncs. [`undo`] plans and applies the reverse of a
//! task's changes, conflict-aware and idempotent. [`FileTools::preview`]
//! says what a call would do, for approvals.
//!
//! Names that are not UTF-8 are shown as `\xNN` escapes and accepted back
//! the same way. This crate is blocking and knows nothing of models, HTTP
//! or the task runner; the runner calls it from `spawn_blocking`.
//!
//! [`Change`]: cowork_protocol::Change
//!
//! ```no_run
//! use std::sync::Arc;
//! use cowork_files::{FileTools, Folders};
//! use cowork_protocol::FolderGrant;
//!
//! let grant = FolderGrant { path: "/home/me/notes".into(), read_only: true };
//! let tools = FileTools::new(Arc::new(Folders::open(&[grant])?));
//! let text = tools.call("Grep", &serde_json::json!({"pattern": "invoice", "glob": "*.md"}))?;
//!
//! // Writing needs a journal: a store for replaced content and a sink that
//! // makes each change durable before it happens.
//! struct Log;
//! impl cowork_files::ChangeSink for Log {
//!     fn record(&self, changes: &[cowork_protocol::Change]) -> Result<(), String> {
//!         Ok(()) // append to the task's log here
//!     }
//! }
//! let journal = cowork_files::Journal {
//!     store: Arc::new(cowork_files::JournalStore::open("/home/me/.local/share/cowork".as_ref())?),
//!     sink: Arc::new(Log),
//!     task: None,
//! };
//! let folders = Arc::new(Folders::open(&[FolderGrant { path: "/home/me/notes".into(), read_only: false }])?);
//! let tools = FileTools::with_journal(folders, journal);
//! let preview = tools.preview("Delete", &serde_json::json!({"path": "old.md"}))?;
//! tools.call("Delete", &serde_json::json!({"path": "old.md"}))?;
//! # Ok::<(), cowork_files::FileError>(())
//! ```

mod beneath;
mod conceal;
mod error;
mod folders;
mod fsops;
mod journal;
mod names;
pub mod staged;
mod store;
mod tools;
mod trash;
pub mod undo;

pub use conceal::canonical_prefix;
pub use error::FileError;
pub use folders::{Folders, Resolved, deepest_grant};
pub use journal::{ChangeSink, Journal};
pub use names::show as show_path;
pub use store::{JournalStore, hash_bytes as content_hash, hash_reader as content_hash_reader};
pub use tools::{FileTools, Preview};
pub use trash::{Expected, Trash, TrashEntry, TrashRecord};
