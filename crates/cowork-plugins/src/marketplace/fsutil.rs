//! Copying plugin files out of marketplaces and clones: regular files and
//! folders only. A symlink is never followed (it could point at the
//! person's own files and copy them into a plugin every task can read);
//! it is left out and reported.

use std::path::{Path, PathBuf};

use super::MarketError;

/// `root/rel`, refusing a symlink anywhere along `rel`: a marketplace
/// whose `./plugin` is a link to `~/.ssh` must not install `~/.ssh`.
/// `None` when it does not exist.
pub(crate) fn beneath(
    root: &Path,
    rel: &Path,
    plugin: &str,
) -> Result<Option<PathBuf>, MarketError> {
    let mut path = root.to_path_buf();
    for part in rel.components() {
        path.push(part);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(MarketError::io("read", path)(e)),
        };
        if meta.file_type().is_symlink() {
            return Err(MarketError::BadSource {
                plugin: plugin.to_owned(),
                message: format!(
                    "{} is a symbolic link; plugin folders are copied without following links",
                    path.display()
                ),
            });
        }
    }
    Ok(Some(path))
}

/// Copies the tree at `from` into `to` (created), except `.git` and the
/// relative paths in `skip`. Returns what was left out and why.
pub(crate) fn copy_tree(
    from: &Path,
    to: &Path,
    skip: &[&Path],
) -> Result<Vec<String>, MarketError> {
    let mut left_out = Vec::new();
    copy_dir(from, to, Path::new(""), skip, &mut left_out)?;
    Ok(left_out)
}

fn copy_dir(
    from: &Path,
    to: &Path,
    rel: &Path,
    skip: &[&Path],
    left_out: &mut Vec<String>,
) -> Result<(), MarketError> {
    std::fs::create_dir_all(to).map_err(MarketError::io("create", to))?;
    let entries = std::fs::read_dir(from).map_err(MarketError::io("read the folder", from))?;
    for entry in entries {
        let entry = entry.map_err(MarketError::io("read the folder", from))?;
        let name = entry.file_name();
        let rel = rel.join(&name);
        if name == ".git" || skip.contains(&rel.as_path()) {
            continue;
        }
        let source = entry.path();
        let target = to.join(&name);
        // `file_type` of a directory entry does not follow links.
        let kind = entry
            .file_type()
            .map_err(MarketError::io("read", source.clone()))?;
        if kind.is_symlink() {
            let pointee = std::fs::read_link(&source)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            left_out.push(format!(
                "{} is a symbolic link (to {pointee}) and was not copied",
                rel.display()
            ));
        } else if kind.is_dir() {
            copy_dir(&source, &target, &rel, skip, left_out)?;
        } else if kind.is_file() {
            std::fs::copy(&source, &target).map_err(MarketError::io("copy", source.clone()))?;
        } else {
            left_out.push(format!(
                "{} is not a regular file and was not copied",
                rel.display()
            ));
        }
    }
    Ok(())
}
