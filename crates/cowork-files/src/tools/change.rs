//! What the write tools share: the writable-path check, previews and diffs.

use std::path::PathBuf;

use crate::error::FileError;
use crate::folders::{Folders, Resolved};

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

/// Resolves a path the call will change: refused in read-only folders.
pub(crate) fn writable<'a>(folders: &'a Folders, path: &str) -> Result<Resolved<'a>, FileError> {
    let resolved = folders.resolve(path)?;
    if resolved.read_only() {
        return Err(FileError::ReadOnly {
            path: resolved.input().to_owned(),
            folder: resolved.root().to_path_buf(),
        });
    }
    Ok(resolved)
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
