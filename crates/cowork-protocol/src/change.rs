//! The change journal's entries: what a tool changed in a connected folder,
//! recorded *before* the change happens, with enough to undo it exactly.

use serde::{Deserialize, Serialize};

use crate::path::RawPath;

/// What identifies one state of a file, to tell later whether someone
/// changed it after the task did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    pub inode: u64,
    /// Content hash (BLAKE3, hex), when the content was read anyway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// One change in a connected folder. Paths are absolute. Each variant
/// carries what undo needs: where things were, the saved content they
/// replaced, and stamps to detect edits made after the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A file was written where none was. Undo moves it to the trash.
    Created {
        path: RawPath,
        /// The content's hash, known before the write.
        hash: String,
    },
    /// A file's content was replaced. Its previous content is saved in the
    /// journal's blob store under `before`.
    Modified {
        path: RawPath,
        /// Hash of the previous content (the blob's name).
        before: String,
        /// Permission bits of the previous file.
        mode: u32,
        /// Hash of the new content.
        after: String,
    },
    /// A file or folder was moved (renamed). Undo moves it back.
    Moved {
        from: RawPath,
        to: RawPath,
        /// The moved entry's identity, which a rename keeps.
        stamp: FileStamp,
    },
    /// A folder was created. Undo removes it if it is empty.
    DirCreated { path: RawPath },
    /// A file or folder was moved to cowork's trash. Undo moves it back.
    Trashed {
        path: RawPath,
        /// The trash entry holding it.
        trash_id: String,
        stamp: FileStamp,
    },
}

impl Change {
    /// The paths this change touches, for display and conflict reports.
    pub fn paths(&self) -> Vec<&RawPath> {
        match self {
            Change::Created { path, .. }
            | Change::Modified { path, .. }
            | Change::DirCreated { path }
            | Change::Trashed { path, .. } => vec![path],
            Change::Moved { from, to, .. } => vec![from, to],
        }
    }
}
