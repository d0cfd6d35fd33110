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
    /// Real paths inside reserved directories that the task may read
    /// anyway (the folders of installed plugins' skills, granted
    /// read-only); deny rules' globs still apply in them.
    pub readable: Vec<PathBuf>,
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
            || self.in_reserved(path)
    }

    /// Whether `path` lies in a reserved directory and not in a folder
    /// the task may read there.
    fn in_reserved(&self, path: &Path) -> bool {
        self.reserved.iter().any(|r| path.starts_with(&r.path))
            && !self.readable.iter().any(|r| path.starts_with(r))
    }

    /// Like [`Concealed::by_name`] for an entry met while walking down
    /// from a place already judged: its folders were checked on the way,
    /// so only its own name is.
    pub fn entry(&self, path: &Path) -> bool {
        self.hidden.as_ref().is_some_and(|h| h.is_match(path)) || self.in_reserved(path)
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
        // Inside a readable folder, the reserved directory it lies in is
        // no reason to conceal: only what is below that folder counts.
        let readable = self.readable.iter().find(|r| path.starts_with(r));
        for ancestor in path.ancestors() {
            if let Ok(meta) = std::fs::symlink_metadata(ancestor)
                && self.by_id(meta.dev(), meta.ino())
            {
                return true;
            }
            if ancestor == stop
                || !ancestor.starts_with(stop)
                || readable.is_some_and(|r| ancestor == r)
            {
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
            readable: Vec::new(),
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

    /// A skill folder of an installed plugin lies in cowork's data dir:
    /// the task reads it, and nothing else of the data dir.
    #[test]
    fn a_readable_folder_inside_a_reserved_directory_is_not_concealed_but_its_siblings_are() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let data = root.join("data");
        let skill = data.join("plugins/p/skills/s");
        std::fs::create_dir_all(&skill).unwrap();
        std::fs::create_dir_all(data.join("mcp")).unwrap();
        let concealed = Concealed {
            hidden: None,
            reserved: vec![Reserved::new(&data)],
            readable: vec![skill.clone()],
        };
        assert!(!concealed.by_name(&skill.join("SKILL.md")));
        assert!(!concealed.entry(&skill.join("references")));
        assert!(!concealed.real(&skill.join("SKILL.md"), &root));
        assert!(concealed.by_name(&data.join("mcp/tokens.json")));
        assert!(concealed.by_name(&data.join("plugins/p/.mcp.json")));
        assert!(concealed.real(&data.join("mcp/tokens.json"), &root));
    }
}
