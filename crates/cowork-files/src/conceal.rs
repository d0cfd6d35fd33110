//! What a task must never see, whatever its grants: paths hidden by deny
//! rules (globs over absolute paths) and cowork's own state (its data and
//! configuration directories, "reserved"). Both are judged on where the
//! kernel really put an entry, never on how the caller spelled it, and
//! reserved directories also by identity (device and inode), so a bind
//! mount or a second spelling of them is recognised too.

use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use globset::GlobSet;

/// The concealed paths of one task.
#[derive(Debug, Clone, Default)]
pub(crate) struct Concealed {
    pub hidden: Option<GlobSet>,
    pub reserved: Vec<Reserved>,
}

/// One of cowork's own directories (or files).
#[derive(Debug, Clone)]
pub(crate) struct Reserved {
    /// Canonical where it exists; otherwise the canonical form of its
    /// longest existing ancestor joined with the rest.
    pub path: PathBuf,
    /// `(dev, ino)` when it exists.
    pub id: Option<(u64, u64)>,
}

impl Reserved {
    pub fn new(path: &Path) -> Self {
        let path = canonical_prefix(path);
        let id = std::fs::metadata(&path).ok().map(|m| (m.dev(), m.ino()));
        Self { path, id }
    }
}

impl Concealed {
    pub fn is_empty(&self) -> bool {
        self.hidden.is_none() && self.reserved.is_empty()
    }

    /// Whether `path` (absolute, normalised) is concealed by its name
    /// alone: it or a folder it lies in matches a hiding glob (what is
    /// inside a hidden `x.key/` is hidden too, as walks never enter it),
    /// or it lies in a reserved directory.
    pub fn by_name(&self, path: &Path) -> bool {
        self.hidden
            .as_ref()
            .is_some_and(|h| path.ancestors().any(|a| h.is_match(a)))
            || self.reserved.iter().any(|r| path.starts_with(&r.path))
    }

    /// Like [`Concealed::by_name`] for an entry met while walking down
    /// from a place already judged: its folders were checked on the way,
    /// so only its own name is.
    pub fn entry(&self, path: &Path) -> bool {
        self.hidden.as_ref().is_some_and(|h| h.is_match(path))
            || self.reserved.iter().any(|r| path.starts_with(&r.path))
    }

    /// Whether an object with this identity is a reserved directory.
    pub fn by_id(&self, dev: u64, ino: u64) -> bool {
        self.reserved.iter().any(|r| r.id == Some((dev, ino)))
    }

    /// Whether some reserved directory has inode `ino` (a cheap first test
    /// before a `stat` for the device).
    pub fn has_ino(&self, ino: u64) -> bool {
        self.reserved
            .iter()
            .any(|r| r.id.is_some_and(|(_, i)| i == ino))
    }

    /// Whether the real path `path` is concealed: by name, or because it
    /// or one of its ancestors up to `stop` (the folder's root) IS a
    /// reserved directory reached under another name.
    pub fn real(&self, path: &Path, stop: &Path) -> bool {
        if self.by_name(path) {
            return true;
        }
        if self.reserved.iter().all(|r| r.id.is_none()) {
            return false;
        }
        for ancestor in path.ancestors() {
            if let Ok(meta) = std::fs::symlink_metadata(ancestor)
                && self.by_id(meta.dev(), meta.ino())
            {
                return true;
            }
            if ancestor == stop || !ancestor.starts_with(stop) {
                break;
            }
        }
        false
    }

    /// Whether anything concealed lies at or below `dir` by name (a
    /// reserved directory inside it). Globs are judged entry by entry by
    /// the caller's walk.
    pub fn reserved_below(&self, dir: &Path) -> bool {
        self.reserved.iter().any(|r| r.path.starts_with(dir))
    }
}

/// `path` with `.` and `..` applied lexically (never above the root).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if out.parent().is_some() {
                    out.pop();
                }
            }
            Component::CurDir => {}
            Component::Prefix(_) | Component::RootDir | Component::Normal(_) => {
                out.push(component);
            }
        }
    }
    out
}

/// The canonical form of `path`'s longest existing ancestor, joined with
/// the rest of `path` (normalised), so a path spelled through a symlink
/// names the same place as its real spelling even when it does not exist
/// yet.
pub fn canonical_prefix(path: &Path) -> PathBuf {
    let path = normalize(path);
    let mut rest = Vec::new();
    let mut base = path.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(base) {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (base.parent(), base.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                base = parent;
            }
            _ => return path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reserved directory reached under a name that is not its own (a
    /// bind mount) is recognised by device and inode.
    #[test]
    fn a_reserved_directory_is_recognised_by_identity_under_another_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("mounted/inner")).unwrap();
        let meta = std::fs::metadata(root.join("mounted")).unwrap();
        let concealed = Concealed {
            hidden: None,
            reserved: vec![Reserved {
                path: PathBuf::from("/somewhere/else/cowork"),
                id: Some((meta.dev(), meta.ino())),
            }],
        };
        assert!(!concealed.by_name(&root.join("mounted/inner")));
        assert!(concealed.real(&root.join("mounted/inner/x"), &root));
        assert!(concealed.real(&root.join("mounted"), &root));
        assert!(!concealed.real(&root.join("other"), &root));
    }

    #[test]
    fn a_missing_reserved_path_is_made_real_through_its_existing_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        let reserved = Reserved::new(&dir.path().join("link/later/../cowork"));
        assert_eq!(reserved.path, real.join("cowork"));
        assert_eq!(reserved.id, None);
    }
}
