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

/// How old a working folder must be before [`temp_dir_in`] takes it for
/// the leftover of an interrupted run rather than a concurrent one's.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// A new working folder named `prefix…` in `parent`, after removing the
/// ones an interrupted install or clone left there (killed before its
/// `TempDir` could delete them): unseen, they would pile up a copy of a
/// plugin or a whole clone each.
pub(crate) fn temp_dir_in(parent: &Path, prefix: &str) -> Result<tempfile::TempDir, MarketError> {
    std::fs::create_dir_all(parent).map_err(MarketError::io("create", parent))?;
    sweep_stale(parent, prefix, STALE_AFTER);
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(parent)
        .map_err(MarketError::io("create a folder in", parent))
}

/// Removes the folders named `prefix…` in `parent` not changed for
/// `older_than`. Best effort: one that cannot be removed is tried again
/// next time.
fn sweep_stale(parent: &Path, prefix: &str, older_than: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(prefix))
            && entry.file_type().is_ok_and(|t| t.is_dir())
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().is_ok_and(|age| age > older_than));
        if stale && let Err(e) = std::fs::remove_dir_all(entry.path()) {
            tracing::debug!("could not remove {}: {e}", entry.path().display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(dir: &Path, by: std::time::Duration) {
        let when = std::time::SystemTime::now() - by;
        std::fs::File::open(dir)
            .unwrap()
            .set_times(std::fs::FileTimes::new().set_modified(when))
            .unwrap();
    }

    #[test]
    fn an_interrupted_installs_leftover_is_removed_and_a_running_ones_is_not() {
        let cache = tempfile::tempdir().unwrap();
        let leftover = cache.path().join(".staging-killed");
        std::fs::create_dir_all(leftover.join("plugin/skills")).unwrap();
        age(&leftover, std::time::Duration::from_secs(3 * 60 * 60));
        let running = cache.path().join(".staging-running");
        std::fs::create_dir(&running).unwrap();
        let installed = cache.path().join("productivity");
        std::fs::create_dir(&installed).unwrap();
        age(&installed, std::time::Duration::from_secs(3 * 60 * 60));

        let new = temp_dir_in(cache.path(), ".staging-").unwrap();

        assert!(!leftover.exists());
        assert!(running.exists(), "a concurrent install's folder is kept");
        assert!(installed.exists(), "only working folders are swept");
        assert!(new.path().exists());
    }
}
