//! `Glob`: files whose path matches a pattern, newest first.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use globset::{GlobBuilder, GlobMatcher};
use ignore::WalkState;
use rustix::fs::FileType;
use serde::Deserialize;

use super::thousands;
use super::walk::{Base, Batch, walker};
use crate::conceal::Concealed;
use crate::error::FileError;
use crate::folders::Folders;

/// Paths listed at most; the rest are counted.
const MAX_RESULTS: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GlobInput {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
}

pub(crate) fn run(folders: &Folders, input: GlobInput) -> Result<String, FileError> {
    let base = Base::locate(folders, input.path.as_deref())?;
    if base.kind != FileType::Directory {
        return Err(FileError::NotADirectory { path: base.input });
    }
    let pattern = relative_pattern(&input.pattern, &base.path, folders)?;
    let matcher = GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map_err(|err| FileError::invalid("Glob", format!("field `pattern`: {err}")))?
        .compile_matcher();

    let found = walk(
        &base.path,
        &matcher,
        names_hidden(&pattern),
        folders.concealed(),
    );
    let mut found: Vec<(SystemTime, String)> = found
        .into_iter()
        .map(|(mtime, path)| (mtime, folders.display(&path)))
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));

    if found.is_empty() {
        return Ok(format!(
            "No files match `{}` in `{}`.",
            input.pattern, base.input
        ));
    }
    let mut out = String::new();
    for (_, path) in found.iter().take(MAX_RESULTS) {
        out.push_str(path);
        out.push('\n');
    }
    if found.len() > MAX_RESULTS {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "(showing the {MAX_RESULTS} most recently modified of {} matching files; \
             use a narrower pattern or path to see the others)",
            thousands(found.len() as u64)
        );
    }
    out.pop();
    Ok(out)
}

/// Patterns are relative to the search directory; an absolute pattern is
/// accepted when it starts with that directory (or its folder's root).
fn relative_pattern(pattern: &str, base: &Path, folders: &Folders) -> Result<String, FileError> {
    let as_path = Path::new(pattern);
    if !as_path.is_absolute() {
        return Ok(pattern.to_owned());
    }
    let rest = as_path.strip_prefix(base).ok().or_else(|| {
        folders
            .grants()
            .iter()
            .find_map(|g| as_path.strip_prefix(&g.path).ok())
    });
    match rest {
        Some(rest) => Ok(rest.to_string_lossy().into_owned()),
        None => Err(FileError::invalid(
            "Glob",
            format!(
                "field `pattern`: `{pattern}` is absolute; give a pattern relative to `path` \
                 (for example `**/*.md`) and put the directory in `path`"
            ),
        )),
    }
}

/// Whether the pattern asks for hidden files (`.github/**`, `**/.env`), in
/// which case they are not skipped.
fn names_hidden(pattern: &str) -> bool {
    Path::new(pattern).components().any(|c| match c {
        Component::Normal(name) => name.to_string_lossy().starts_with('.'),
        Component::Prefix(_) | Component::RootDir | Component::CurDir | Component::ParentDir => {
            false
        }
    })
}

/// Every regular file under `dir` whose path relative to `dir` matches,
/// with its modification time.
fn walk(
    dir: &Path,
    matcher: &GlobMatcher,
    hidden: bool,
    skip: &Concealed,
) -> Vec<(SystemTime, PathBuf)> {
    let found = Mutex::new(Vec::new());
    walker(dir, hidden, skip).build_parallel().run(|| {
        let found = &found;
        let mut local = Batch::new(found);
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            // Only regular files; symlinks are not followed.
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let Ok(rel) = entry.path().strip_prefix(dir) else {
                return WalkState::Continue;
            };
            if matcher.is_match(rel) {
                let mtime = entry
                    .metadata()
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                local.items.push((mtime, entry.into_path()));
            }
            WalkState::Continue
        })
    });
    found
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
