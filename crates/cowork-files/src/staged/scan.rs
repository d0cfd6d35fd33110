//! Measuring what a command staged before any of it is applied, so a
//! change too large to apply is refused whole, with the folder untouched.
//!
//! The scan reads only directory entries and `lstat`s — never file content —
//! so a 4 TiB sparse file is refused as fast as a small one, and it stops
//! at the first limit passed. It walks with a stack of open directories no
//! deeper than the depth limit, reading one entry at a time, so neither the
//! stack, the descriptors nor the memory it uses grow with what the command
//! left behind.

use std::fmt;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};

use cowork_protocol::config::SandboxConfig;

use super::Stage;
use crate::error::FileError;
use crate::fsops::io_err;

/// How much one command may leave changed in the connected folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageLimits {
    /// Bytes of file content (apparent size: sparse files count in full).
    pub max_bytes: u64,
    /// Files, folders and deletions.
    pub max_entries: u64,
    /// Levels of folders below the connected folder.
    pub max_depth: usize,
}

impl StageLimits {
    /// 2 GiB: far above what document work writes in one command, yet
    /// applied in seconds — each changed file's old version is saved as a
    /// blob and the new one is hashed, so the cost follows the bytes.
    pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;
    /// 100,000: a large unpacked archive or generated site; each entry is
    /// one journaled change, and this keeps a task's log in the tens of MB.
    pub const DEFAULT_MAX_ENTRIES: u64 = 100_000;
    /// 256: far deeper than any real document tree (with PATH_MAX at 4096,
    /// 256 levels leave 15 bytes a name), shallow enough to walk safely.
    pub const DEFAULT_MAX_DEPTH: usize = 256;

    /// The limits from the configuration's `[sandbox]` section, defaults
    /// for what it leaves unset.
    pub fn from_config(config: &SandboxConfig) -> Self {
        Self {
            max_bytes: config
                .max_stage_mb
                .map_or(Self::DEFAULT_MAX_BYTES, |mb| mb.saturating_mul(1 << 20)),
            max_entries: config
                .max_stage_entries
                .unwrap_or(Self::DEFAULT_MAX_ENTRIES),
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }
}

impl Default for StageLimits {
    fn default() -> Self {
        Self::from_config(&SandboxConfig::default())
    }
}

/// What went over a [`StageLimits`] limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Excess {
    /// More bytes of file content than `limit`.
    Bytes { limit: u64 },
    /// More files, folders and deletions than `limit`.
    Entries { limit: u64 },
    /// Folders nested deeper than `limit` levels.
    Depth { limit: usize },
}

impl fmt::Display for Excess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Excess::Bytes { limit } => write!(
                f,
                "it left more than {} MiB of file content in the connected folders \
                 (sparse files count at their full size); at most {} MiB may be applied from \
                 one command (`max_stage_mb`)",
                limit >> 20,
                limit >> 20
            ),
            Excess::Entries { limit } => write!(
                f,
                "it left more than {limit} files, folders and deletions in the connected \
                 folders; at most {limit} may be applied from one command (`max_stage_entries`)"
            ),
            Excess::Depth { limit } => write!(
                f,
                "it left folders nested more than {limit} levels deep in the connected folders"
            ),
        }
    }
}

/// What a set of stages holds, as far as the scan got.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    entries: u64,
    bytes: u64,
}

/// Checks that `stages` together stay within `limits`, reading no file
/// content. [`FileError::StagedTooLarge`] when they do not: then nothing of
/// them may be applied.
pub fn check(stages: &[&Stage], limits: &StageLimits) -> Result<(), FileError> {
    let mut tally = Tally::default();
    for stage in stages {
        scan(stage, limits, &mut tally)?;
    }
    Ok(())
}

fn scan(stage: &Stage, limits: &StageLimits, tally: &mut Tally) -> Result<(), FileError> {
    let shown = stage.upper().display().to_string();
    let err = |e: rustix::io::Errno| io_err(&shown, e);
    let root = rustix::fs::open(
        stage.upper(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(err)?;
    // One reader per level: the deepest last. Its length is the depth of
    // the entries it yields, bounded by `max_depth`.
    let mut stack: Vec<Dir> = vec![Dir::new(root).map_err(err)?];
    loop {
        let depth = stack.len();
        let Some(reader) = stack.last_mut() else {
            break;
        };
        let Some(entry) = reader.read() else {
            stack.pop();
            continue;
        };
        let entry = entry.map_err(err)?;
        let name = entry.file_name();
        if name.to_bytes() == b"." || name.to_bytes() == b".." {
            continue;
        }
        let dir = reader.fd().map_err(err)?;
        let stat = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).map_err(err)?;
        tally.entries += 1;
        if tally.entries > limits.max_entries {
            return Err(too_large(Excess::Entries {
                limit: limits.max_entries,
            }));
        }
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => {
                let size = u64::try_from(stat.st_size).unwrap_or(u64::MAX);
                tally.bytes = tally.bytes.saturating_add(size);
                if tally.bytes > limits.max_bytes {
                    return Err(too_large(Excess::Bytes {
                        limit: limits.max_bytes,
                    }));
                }
            }
            FileType::Directory => {
                if depth > limits.max_depth {
                    return Err(too_large(Excess::Depth {
                        limit: limits.max_depth,
                    }));
                }
                let sub: OwnedFd = rustix::fs::openat(
                    dir.as_fd(),
                    name,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(err)?;
                stack.push(Dir::new(sub).map_err(err)?);
            }
            FileType::Symlink
            | FileType::CharacterDevice
            | FileType::Fifo
            | FileType::Socket
            | FileType::BlockDevice
            | FileType::Unknown => {}
        }
    }
    Ok(())
}

fn too_large(excess: Excess) -> FileError {
    FileError::StagedTooLarge { excess }
}
