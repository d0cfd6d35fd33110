//! [`SandboxSpec::protected`]: paths inside writable folders that the
//! command may read but not change.
//!
//! Two walls, because a mount can only cover what exists:
//! - An existing path is bound read-only over itself inside the sandbox,
//!   and every directory between its folder and it is bound over itself
//!   too ("pinned"): a mount point cannot be renamed or removed, so the
//!   command can neither write it nor move it (or its parent) aside and
//!   put another in its place.
//! - A missing one cannot be covered (a mount needs a mount point, and
//!   making one would put a file in the person's folder that every `ls`
//!   and `git add` would see). In a staged folder the command's writes
//!   land in the stage's upper directory, so after the run whatever it left
//!   at a protected path — a file, a directory, a whiteout, or a deletion
//!   of a directory holding one — is dropped from the stage before the
//!   caller applies it, and named in [`Output::refused`](crate::Output).
//!   In a read-write folder nothing could stop the creation, so such a
//!   spec is refused.
//!
//! The second wall also runs for paths that exist: it costs a few `lstat`
//! calls, and covers what a mount cannot (a symlink's own name).

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::error::SandboxError;
use crate::spec::{Access, SandboxSpec};

/// What the sandbox does for the protected paths of one run.
#[derive(Debug, Default)]
pub(crate) struct Protection {
    /// Directories to bind over themselves (kept as they are), shallowest
    /// first.
    pub pins: Vec<PathBuf>,
    /// Existing paths to bind read-only over themselves.
    pub read_only: Vec<PathBuf>,
    /// What to drop from stages after the run.
    pub scrubs: Vec<Scrub>,
}

/// A protected path of a staged folder, checked in its stage after the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scrub {
    /// The folder (canonical).
    pub folder: PathBuf,
    /// The stage's upper directory (canonical).
    pub upper: PathBuf,
    /// The protected path, relative to the folder.
    pub rel: PathBuf,
}

impl Protection {
    /// Whether `mount` lies strictly inside an existing protected
    /// directory: it is then mounted read-only.
    pub(crate) fn covers(&self, mount: &Path) -> bool {
        self.read_only
            .iter()
            .any(|p| mount != p && mount.starts_with(p))
    }
}

/// Works out what protecting `spec.protected` takes, given the checked
/// (canonical, sorted) mounts.
pub(crate) fn plan(
    spec: &SandboxSpec,
    mounts: &[(PathBuf, Access)],
) -> Result<Protection, SandboxError> {
    let mut out = Protection::default();
    for given in &spec.protected {
        let name = named(given)?;
        // A symlink on the way (`.claude` leading elsewhere): the command
        // can replace the link with a real directory, so the path as
        // written is guarded too.
        let lexical = lexical(given);
        if lexical != name
            && let Some((folder, access)) = deepest(mounts, &lexical)
        {
            match access {
                Access::ReadOnly => {}
                Access::Staged(stage) => out.scrubs.push(Scrub {
                    folder: folder.clone(),
                    upper: stage.upper.clone(),
                    rel: relative(&lexical, folder),
                }),
                Access::ReadWrite => {
                    return Err(SandboxError::invalid(
                        "protected",
                        format!(
                            "{} lies behind a symlink in the read-write folder {}, so a mount \
                             cannot keep the command from replacing it; stage the folder \
                             (Access::Staged) or mount it read-only",
                            lexical.display(),
                            folder.display()
                        ),
                    ));
                }
            }
        }
        let Some((folder, access)) = deepest(mounts, &name) else {
            // Outside every mount the command cannot see it at all.
            continue;
        };
        let meta = std::fs::symlink_metadata(&name).ok();
        let is_link = meta.as_ref().is_some_and(|m| m.file_type().is_symlink());
        match access {
            Access::ReadOnly => {}
            Access::Staged(stage) => out.scrubs.push(Scrub {
                folder: folder.clone(),
                upper: stage.upper.clone(),
                rel: relative(&name, folder),
            }),
            Access::ReadWrite if meta.is_none() || is_link => {
                return Err(SandboxError::invalid(
                    "protected",
                    format!(
                        "{} {} in the read-write folder {}, so a mount cannot keep the command \
                         from creating it; stage the folder (Access::Staged) or mount it \
                         read-only",
                        name.display(),
                        if is_link {
                            "is a symlink"
                        } else {
                            "does not exist"
                        },
                        folder.display()
                    ),
                ));
            }
            Access::ReadWrite => {}
        }
        // What the name leads to, where the command would write through it.
        let Ok(target) = std::fs::canonicalize(&name) else {
            continue;
        };
        let Some((target_folder, target_access)) = deepest(mounts, &target) else {
            continue;
        };
        if matches!(target_access, Access::ReadOnly) {
            continue;
        }
        if is_link && let Access::Staged(stage) = target_access {
            out.scrubs.push(Scrub {
                folder: target_folder.clone(),
                upper: stage.upper.clone(),
                rel: relative(&target, target_folder),
            });
        }
        for pin in between(target_folder, &target) {
            if !out.pins.contains(&pin) {
                out.pins.push(pin);
            }
        }
        if !out.read_only.contains(&target) {
            out.read_only.push(target);
        }
    }
    out.scrubs.dedup();
    out.pins.sort_by_key(|p| p.components().count());
    out.read_only.sort_by_key(|p| p.components().count());
    // A path inside another protected one is covered by it.
    let outer = out.read_only.clone();
    out.read_only
        .retain(|p| !outer.iter().any(|o| o != p && p.starts_with(o)));
    out.pins.retain(|p| !outer.iter().any(|o| p.starts_with(o)));
    Ok(out)
}

/// `given` with its parent's symlinks resolved and its own name kept: the
/// path the command would use, at the real place of its folder.
fn named(given: &Path) -> Result<PathBuf, SandboxError> {
    if !given.is_absolute() {
        return Err(SandboxError::invalid(
            "protected",
            format!("{} is not an absolute path", given.display()),
        ));
    }
    let mut rest = Vec::new();
    let mut at = given;
    loop {
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                if let Ok(real) = std::fs::canonicalize(parent) {
                    let mut out = real;
                    out.extend(rest.iter().rev());
                    return Ok(out);
                }
                at = parent;
            }
            // `/`, or a path ending in `..`: checked as written.
            (Some(_) | None, None) | (None, Some(_)) => return Ok(given.to_path_buf()),
        }
    }
}

/// `path` without `.` and `..`, by its components only.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) | Component::Normal(_) => out.push(part),
        }
    }
    out
}

/// The deepest mount holding `path`.
fn deepest<'m>(mounts: &'m [(PathBuf, Access)], path: &Path) -> Option<&'m (PathBuf, Access)> {
    mounts.iter().rev().find(|(m, _)| path.starts_with(m))
}

fn relative(path: &Path, folder: &Path) -> PathBuf {
    path.strip_prefix(folder).unwrap_or(path).to_path_buf()
}

/// The directories strictly between `folder` and `path`.
fn between(folder: &Path, path: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut at = path.parent();
    while let Some(dir) = at {
        if dir == folder || !dir.starts_with(folder) {
            break;
        }
        dirs.push(dir.to_path_buf());
        at = dir.parent();
    }
    dirs.reverse();
    dirs
}

/// After the run: drops from each stage what the command left at a
/// protected path, and returns those paths (in the folder), sorted. An
/// entry that cannot be dropped fails the whole run (fail closed: the
/// caller then applies nothing).
pub(crate) fn scrub(scrubs: &[Scrub]) -> Result<Vec<PathBuf>, SandboxError> {
    let mut refused = Vec::new();
    for s in scrubs {
        scrub_one(s, &mut refused).map_err(|e| SandboxError::Setup {
            step: format!(
                "dropping the command's changes to {} from its stage",
                s.folder.join(&s.rel).display()
            ),
            message: e.to_string(),
        })?;
    }
    refused.sort();
    refused.dedup();
    Ok(refused)
}

fn scrub_one(s: &Scrub, refused: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let in_folder = s.folder.join(&s.rel);
    // Deleting or replacing a directory on the way deletes the protected
    // path too, when the folder has it.
    if std::fs::symlink_metadata(&in_folder).is_ok() {
        let mut prefix = PathBuf::new();
        let parts: Vec<_> = s.rel.components().collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            prefix.push(part);
            let staged = s.upper.join(&prefix);
            let Ok(meta) = std::fs::symlink_metadata(&staged) else {
                continue;
            };
            let before = std::fs::symlink_metadata(s.folder.join(&prefix));
            if meta.is_dir() && before.as_ref().is_ok_and(|m| !m.is_dir()) {
                // A directory in place of the folder's symlink to one.
                remove_tree(&staged)?;
                refused.push(s.folder.join(&prefix));
                return Ok(());
            }
            if meta.is_dir() {
                // Opaque: the command replaced the whole directory. Without
                // the mark, the folder's old content shows through again.
                if is_opaque(&staged) {
                    remove_xattr(&staged, c"user.overlay.opaque")?;
                    refused.push(s.folder.join(&prefix));
                }
                continue;
            }
            // A whiteout (deleted) or a file in the directory's place.
            std::fs::remove_file(&staged)?;
            refused.push(s.folder.join(&prefix));
            return Ok(());
        }
    }
    let staged = s.upper.join(&s.rel);
    let Ok(meta) = std::fs::symlink_metadata(&staged) else {
        return Ok(());
    };
    if meta.is_dir() {
        remove_tree(&staged)?;
    } else {
        std::fs::remove_file(&staged)?;
    }
    refused.push(in_folder);
    // Directories the command made only to hold what was dropped go too,
    // so the folder does not get them empty.
    let mut at = s.rel.parent();
    while let Some(dir) = at.filter(|d| !d.as_os_str().is_empty()) {
        if std::fs::symlink_metadata(s.folder.join(dir)).is_ok()
            || std::fs::remove_dir(s.upper.join(dir)).is_err()
        {
            break;
        }
        at = dir.parent();
    }
    Ok(())
}

/// `rm -rf` of a tree the command made, whose directories it may have
/// left unreadable (mode 0): each is opened up before it is read.
fn remove_tree(root: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    std::fs::remove_dir_all(root)
}

fn is_opaque(dir: &Path) -> bool {
    let Ok(path) = CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    let mut value = [0u8; 4];
    // SAFETY: `path` and the attribute name are NUL-terminated; `value` is
    // a live buffer of the length passed.
    let len = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            c"user.overlay.opaque".as_ptr(),
            value.as_mut_ptr().cast(),
            value.len(),
        )
    };
    usize::try_from(len).is_ok_and(|len| OsStr::from_bytes(&value[..len]) == "y")
}

fn remove_xattr(path: &Path, name: &std::ffi::CStr) -> std::io::Result<()> {
    let path = CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: both strings are NUL-terminated and valid for the call.
    if unsafe { libc::lremovexattr(path.as_ptr(), name.as_ptr()) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
#[path = "protect_tests.rs"]
mod tests;
