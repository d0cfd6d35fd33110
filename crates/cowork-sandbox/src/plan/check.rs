//! Checking what the caller asked for before anything is planned: the
//! mounts (canonical, existing, a usable stage) and the paths to hide.

use std::path::{Path, PathBuf};

use super::normalize;
use crate::error::SandboxError;
use crate::spec::{Access, SandboxSpec, Stage};

/// The canonical `spec.hidden` paths that overlap a mount (inside one, or
/// holding one), each with whether it lies inside a mount. A missing
/// directory inside a mount is created (empty, mode 0700) so that the mask
/// has something to cover and the command cannot create it instead.
pub(super) fn hidden_paths(
    spec: &SandboxSpec,
    mounts: &[(PathBuf, Access)],
) -> Result<Vec<(PathBuf, bool)>, SandboxError> {
    use std::os::unix::fs::DirBuilderExt;
    let mut out: Vec<(PathBuf, bool)> = Vec::new();
    for hidden in &spec.hidden {
        let Some(normal) = normalize(&hidden_absolute(hidden)?) else {
            continue;
        };
        let inside = |p: &Path| mounts.iter().any(|(m, _)| p.starts_with(m));
        let holds = |p: &Path| mounts.iter().any(|(m, _)| m.starts_with(p));
        if !normal.exists() {
            if !inside(&normal) {
                continue;
            }
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&normal)
                .map_err(|e| {
                    SandboxError::invalid(
                        "hidden",
                        format!("{} cannot be created to be hidden: {e}", normal.display()),
                    )
                })?;
        }
        let path = canonical_dir_or_file(&normal)?;
        let (is_inside, is_holding) = (inside(&path), holds(&path));
        if (is_inside || is_holding) && !out.iter().any(|(p, _)| *p == path) {
            out.push((path, is_inside));
        }
    }
    // A mask inside another one is covered by it (and its mount point is
    // unreachable once the outer one is in place).
    let outer: Vec<PathBuf> = out.iter().map(|(p, _)| p.clone()).collect();
    out.retain(|(path, _)| !outer.iter().any(|o| o != path && path.starts_with(o)));
    Ok(out)
}

fn hidden_absolute(path: &Path) -> Result<PathBuf, SandboxError> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        Err(SandboxError::invalid(
            "hidden",
            format!("{} is not an absolute path", path.display()),
        ))
    }
}

/// Canonical, existing, absolute mount paths, parents before children.
pub(super) fn checked_mounts(spec: &SandboxSpec) -> Result<Vec<(PathBuf, Access)>, SandboxError> {
    let mut mounts = Vec::with_capacity(spec.mounts.len());
    for mount in &spec.mounts {
        let path = canonical_dir_or_file(&mount.path)?;
        if path == Path::new("/") {
            return Err(SandboxError::invalid(
                "mounts",
                "the whole filesystem (/) cannot be mounted",
            ));
        }
        let access = match &mount.access {
            Access::ReadOnly => Access::ReadOnly,
            Access::ReadWrite => Access::ReadWrite,
            Access::Staged(stage) => Access::Staged(checked_stage(&path, stage)?),
        };
        mounts.push((path, access));
    }
    mounts.sort_by_key(|(path, _)| path.components().count());
    Ok(mounts)
}

fn canonical_dir_or_file(path: &Path) -> Result<PathBuf, SandboxError> {
    if !path.is_absolute() {
        return Err(SandboxError::invalid(
            "mounts",
            format!("{} is not an absolute path", path.display()),
        ));
    }
    std::fs::canonicalize(path)
        .map_err(|e| SandboxError::invalid("mounts", format!("{}: {e}", path.display())))
}

/// A stage overlayfs will accept: the folder is a directory; upper and work
/// are directories on one filesystem, neither inside the other nor
/// overlapping the folder.
fn checked_stage(folder: &Path, stage: &Stage) -> Result<Stage, SandboxError> {
    use std::os::unix::fs::MetadataExt;
    let dir_meta = |path: &Path| {
        std::fs::metadata(path)
            .ok()
            .filter(std::fs::Metadata::is_dir)
            .ok_or_else(|| {
                SandboxError::invalid(
                    "mounts",
                    format!("{} is not an existing directory", path.display()),
                )
            })
    };
    dir_meta(folder)?;
    let upper = canonical_dir_or_file(&stage.upper)?;
    let work = canonical_dir_or_file(&stage.work)?;
    let (upper_meta, work_meta) = (dir_meta(&upper)?, dir_meta(&work)?);
    if upper_meta.dev() != work_meta.dev() {
        return Err(SandboxError::invalid(
            "mounts",
            format!(
                "the stage's upper ({}) and work ({}) directories are on different filesystems",
                upper.display(),
                work.display()
            ),
        ));
    }
    for (a, b) in [
        (upper.as_path(), work.as_path()),
        (upper.as_path(), folder),
        (work.as_path(), folder),
    ] {
        if a.starts_with(b) || b.starts_with(a) {
            return Err(SandboxError::invalid(
                "mounts",
                format!(
                    "the stage for {} overlaps: {} and {}",
                    folder.display(),
                    a.display(),
                    b.display()
                ),
            ));
        }
    }
    Ok(Stage { upper, work })
}
