//! What the write tools share: the writable-path check, previews and diffs.

use std::path::PathBuf;

use rustix::fd::AsFd;
use rustix::fs::{FileType, Stat};

use crate::conceal::Concealed;
use crate::error::FileError;
use crate::folders::Folders;
use crate::fsops::{self, Spot, io_err};

/// What a call would do, without doing it: for the permission engine and
/// the approval prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Absolute paths the call touches: every source and target.
    pub paths: Vec<PathBuf>,
    /// What will happen, for a person to judge.
    pub summary: String,
}

/// Lines of diff shown in a preview.
pub(crate) const PREVIEW_DIFF_LINES: usize = 80;
/// Lines of diff returned to the model after a change.
pub(crate) const RESULT_DIFF_LINES: usize = 200;

/// Entries below a directory that one Move or Delete may carry along; past
/// this the call is refused, as every one must be checked.
const MAX_CARRIED: usize = 100_000;

/// Whether a changing call needs its target to exist already (Edit,
/// Delete, the source of a Move) or may create it (Write, Mkdir, the
/// target of a Move, a saved document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    Existing,
    New,
}

/// Locates where a changing call acts and decides whether it may, before
/// anything at that place is looked at: the decision depends on names and
/// on where the kernel resolved them, never on content.
///
/// - Concealed places (deny rules' hidden paths, cowork's own state) are
///   answered exactly as a missing path when the call needs an existing
///   entry, and refused alike whether or not they exist when it would
///   create one.
/// - The deepest folder containing the entry's real location decides
///   whether it may change, so `x/sub:ro` stays read-only inside a
///   read-write `x`, however the path is spelled (`sub2 -> sub`,
///   `a/../sub/x`).
pub(crate) fn target(
    folders: &Folders,
    path: &str,
    create_parents: bool,
    need: Need,
) -> Result<Spot, FileError> {
    let resolved = folders.resolve(path)?;
    let concealed = || match need {
        Need::Existing => resolved.not_found(),
        Need::New => FileError::Hidden {
            path: resolved.input().to_owned(),
        },
    };
    if resolved.conceals() {
        return Err(concealed());
    }
    let spot = fsops::spot(&resolved, create_parents)?;
    let hidden = folders.concealed();
    if !hidden.is_empty() && hidden.real(&spot.abs, resolved.root()) {
        return Err(concealed());
    }
    let grant = folders
        .grant_for(&spot.abs)
        .ok_or_else(|| folders.outside(resolved.input()))?;
    if grant.read_only {
        return Err(FileError::ReadOnly {
            path: resolved.input().to_owned(),
            folder: grant.path.clone(),
        });
    }
    Ok(spot)
}

/// The real paths below the entry at `spot` (a directory about to be
/// moved, replaced or deleted), which the call carries along and the
/// permission engine must judge too. Refused when the directory holds a
/// connected folder (moving it would take a read-only folder away) or
/// anything concealed (a new name would escape the rule that hides it).
pub(crate) fn carried(
    folders: &Folders,
    spot: &Spot,
    stat: &Stat,
) -> Result<Vec<PathBuf>, FileError> {
    if fsops::kind(stat) != FileType::Directory {
        return Ok(Vec::new());
    }
    if let Some(grant) = folders
        .grants()
        .iter()
        .find(|g| g.path.starts_with(&spot.abs))
    {
        return Err(FileError::invalid_path(
            &spot.shown,
            &format!(
                "it holds the connected folder {}, which it would take away; change what is \
                 inside instead",
                grant.path.display()
            ),
        ));
    }
    let concealed = folders.concealed();
    let refuse = || {
        FileError::invalid_path(
            &spot.shown,
            "it holds paths this task may not see or change (hidden by deny rules, or \
             cowork's own files); change what is inside it instead",
        )
    };
    if concealed.reserved_below(&spot.abs) {
        return Err(refuse());
    }
    let walked = collect(spot, concealed).map_err(|e| io_err(&spot.shown, e))?;
    match walked {
        Walked::Done(paths) => Ok(paths),
        Walked::Concealed => Err(refuse()),
        Walked::TooMany => Err(FileError::invalid_path(
            &spot.shown,
            &format!(
                "it holds more than {MAX_CARRIED} entries, too many to check; move or delete \
                 its parts in several calls"
            ),
        )),
    }
}

enum Walked {
    Done(Vec<PathBuf>),
    Concealed,
    TooMany,
}

/// Every path below the directory at `spot`, walked iteratively (one open
/// directory at a time), so a tree of any depth costs no stack.
fn collect(spot: &Spot, concealed: &Concealed) -> std::io::Result<Walked> {
    let mut paths = Vec::new();
    let mut cursor = fsops::Cursor::open(spot.dir.fd.as_fd(), &spot.name)?;
    let mut abs = spot.abs.clone();
    loop {
        let Some(name) = cursor.next_name() else {
            match cursor.ascend()? {
                Some(_) => {
                    abs.pop();
                    continue;
                }
                None => break,
            }
        };
        let Some(stat) = fsops::lstat_at(cursor.dir(), &name)? else {
            continue;
        };
        let path = abs.join(&name);
        if concealed.entry(&path) || concealed.by_id(stat.st_dev, stat.st_ino) {
            return Ok(Walked::Concealed);
        }
        if paths.len() >= MAX_CARRIED {
            return Ok(Walked::TooMany);
        }
        paths.push(path);
        if fsops::kind(&stat) == FileType::Directory {
            cursor.descend(&name)?;
            abs.push(&name);
        }
    }
    Ok(Walked::Done(paths))
}

/// A unified diff of `old` → `new`, cut after `max` lines.
pub(crate) fn diff(name: &str, old: &str, new: &str, max: usize) -> String {
    let text = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    cap_lines(&text, max)
}

/// `text` with at most `max` lines, then "… and N more lines".
pub(crate) fn cap_lines(text: &str, max: usize) -> String {
    let total = text.lines().count();
    if total <= max {
        return text.trim_end().to_owned();
    }
    let mut out: Vec<&str> = text.lines().take(max).collect();
    let more = format!("… and {} more lines", total - max);
    out.push(&more);
    out.join("\n")
}

/// "12 lines" / "1 line".
pub(crate) fn lines(text: &str) -> String {
    let n = text.lines().count();
    if n == 1 {
        "1 line".to_owned()
    } else {
        format!("{n} lines")
    }
}
