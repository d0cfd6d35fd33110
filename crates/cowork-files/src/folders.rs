//! Connected folders and the mapping of user paths onto them.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

use cowork_protocol::FolderGrant;
use globset::{Glob, GlobSet, GlobSetBuilder};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::beneath::open_beneath;
use crate::conceal::{Concealed, Reserved, normalize};
use crate::error::FileError;
use crate::names;

/// The folders a task may see, each held open as a directory fd so that
/// every lookup is judged by the kernel beneath that fd.
#[derive(Debug)]
pub struct Folders {
    /// The grants, with each path replaced by its canonical form.
    grants: Vec<FolderGrant>,
    roots: Vec<Root>,
    /// Paths the task must not see (deny rules of the configuration, and
    /// cowork's own state): answered as missing when named, skipped when
    /// walking.
    concealed: Concealed,
    /// Paths deny rules name, which a Move may not rename out of their
    /// rule.
    protected: Option<GlobSet>,
}

#[derive(Debug)]
struct Root {
    /// `O_PATH | O_DIRECTORY`: enough to resolve beneath, grants no reading.
    fd: OwnedFd,
    /// The path as granted, before canonicalization, so that an absolute
    /// path spelled through a symlinked root still maps to it.
    given: PathBuf,
}

impl Folders {
    /// Opens every granted folder. Each must exist and be a directory; its
    /// path is canonicalized. An empty list is allowed: every tool call then
    /// fails with [`FileError::NoFolders`].
    pub fn open(grants: &[FolderGrant]) -> Result<Self, FileError> {
        let mut canonical = Vec::with_capacity(grants.len());
        let mut roots = Vec::with_capacity(grants.len());
        for grant in grants {
            let unavailable = |source: std::io::Error| FileError::FolderUnavailable {
                path: grant.path.clone(),
                source,
            };
            let path = std::fs::canonicalize(&grant.path).map_err(unavailable)?;
            let fd = rustix::fs::open(
                &path,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|errno| unavailable(errno.into()))?;
            canonical.push(FolderGrant {
                path,
                read_only: grant.read_only,
            });
            roots.push(Root {
                fd,
                given: grant.path.clone(),
            });
        }
        Ok(Self {
            grants: canonical,
            roots,
            concealed: Concealed::default(),
            protected: None,
        })
    }

    /// The connected folders, with canonical paths, in grant order.
    /// Hides every path matching one of `globs` (absolute-path globs, as
    /// in deny rules), and everything below one: naming one is answered
    /// as a missing path, walks skip them.
    pub fn with_hidden(mut self, globs: &[String]) -> Result<Self, FileError> {
        self.concealed.hidden = glob_set(globs)?;
        Ok(self)
    }

    /// Protects the paths matching `globs` (the paths of every deny rule,
    /// whatever tool it names) from being renamed out of their rule: a
    /// Move whose source, or anything below it, matches a glob that its
    /// new name would not match is refused.
    pub fn with_protected(mut self, globs: &[String]) -> Result<Self, FileError> {
        self.protected = glob_set(globs)?;
        Ok(self)
    }

    /// Whether renaming `from` to `to` would take it out of a protecting
    /// glob it matches now.
    pub(crate) fn escapes_rule(&self, from: &Path, to: &Path) -> bool {
        self.protected.as_ref().is_some_and(|set| {
            let now = set.matches(from);
            !now.is_empty() && {
                let then = set.matches(to);
                now.iter().any(|i| !then.contains(i))
            }
        })
    }

    /// Reserves `paths` (cowork's data and configuration directories)
    /// whatever the grants: no file tool reads, lists, finds, writes,
    /// moves or deletes them, and they are answered as missing. They are
    /// recognised by their real path and, when they exist, by device and
    /// inode, so a symlink or bind mount does not get around them. A path
    /// that does not exist yet is reserved by name (the task cannot create
    /// it either).
    pub fn with_reserved(mut self, paths: &[PathBuf]) -> Self {
        self.concealed
            .reserved
            .extend(paths.iter().map(|p| Reserved::new(p)));
        self
    }

    /// Lets the task read inside `dirs` (each real, absolute) even where
    /// they lie in a reserved directory: the folders of installed plugins'
    /// skills, kept in cowork's data dir. Grant them read-only: this only
    /// lifts the reservation, it grants nothing.
    pub fn with_readable(mut self, dirs: &[PathBuf]) -> Self {
        self.concealed.readable.extend(dirs.iter().cloned());
        self
    }

    /// Whether the absolute path `path` is kept from the task, by its name
    /// (a deny rule's glob, or inside cowork's own directories).
    pub fn is_hidden(&self, path: &Path) -> bool {
        self.concealed.by_name(&normalize(path))
    }

    /// What walkers must skip.
    pub(crate) fn concealed(&self) -> &Concealed {
        &self.concealed
    }

    pub fn grants(&self) -> &[FolderGrant] {
        &self.grants
    }

    /// The grant that decides about the real absolute path `path`: the
    /// deepest folder containing it, so a read-only folder nested in a
    /// read-write one stays read-only. `None` when no folder contains it.
    pub fn grant_for(&self, path: &Path) -> Option<&FolderGrant> {
        deepest_grant(&self.grants, path)
    }

    /// Maps a user- or model-supplied path onto a folder. A relative path
    /// lies beneath the first folder; an absolute one must start with one
    /// of the folders' roots (compared component by component, the longest
    /// root winning), and the rest is relative to that root.
    ///
    /// This only decides *which* folder; whether the rest stays inside it
    /// is decided by the kernel when the path is opened, so `..` and
    /// symlinks are judged on the real file system.
    ///
    /// `\xNN` escapes (`caf\xE9.txt`) stand for bytes that are not UTF-8,
    /// as the tools show them.
    pub fn resolve(&self, path: &str) -> Result<Resolved<'_>, FileError> {
        self.resolve_as(&names::decode(path), path)
    }

    /// Like [`Folders::resolve`], for a path that is already bytes (a
    /// journal entry's absolute path).
    pub fn resolve_path(&self, path: &Path) -> Result<Resolved<'_>, FileError> {
        self.resolve_as(path, &names::show(path))
    }

    fn resolve_as(&self, input: &Path, shown: &str) -> Result<Resolved<'_>, FileError> {
        if self.roots.is_empty() {
            return Err(FileError::NoFolders);
        }
        let (root, rel) = if input.is_absolute() {
            self.map_absolute(input)
                .ok_or_else(|| self.outside(shown))?
        } else {
            (0, input.to_path_buf())
        };
        Ok(Resolved {
            folders: self,
            root,
            rel,
            input: shown.to_owned(),
        })
    }

    fn map_absolute(&self, path: &Path) -> Option<(usize, PathBuf)> {
        let mut best: Option<(usize, usize, PathBuf)> = None;
        for (index, (grant, root)) in self.grants.iter().zip(&self.roots).enumerate() {
            for base in [&grant.path, &root.given] {
                if let Ok(rest) = path.strip_prefix(base) {
                    let depth = base.components().count();
                    if best.as_ref().is_none_or(|(_, d, _)| depth > *d) {
                        best = Some((index, depth, rest.to_path_buf()));
                    }
                }
            }
        }
        best.map(|(index, _, rest)| (index, rest))
    }

    pub(crate) fn outside(&self, path: &str) -> FileError {
        FileError::OutsideFolders {
            path: path.to_owned(),
            folders: self.grants.iter().map(|g| g.path.clone()).collect(),
        }
    }

    /// The canonical root of folder `root`.
    pub(crate) fn root_path(&self, root: usize) -> &Path {
        &self.grants[root].path
    }

    /// Opens `rel` beneath folder `root`, for walkers that already hold a
    /// path relative to the root and want no per-file bookkeeping.
    pub(crate) fn open_at(
        &self,
        root: usize,
        rel: &Path,
        flags: OFlags,
    ) -> rustix::io::Result<OwnedFd> {
        open_beneath(self.roots[root].fd.as_fd(), rel, flags, Mode::empty())
    }

    /// How tools show a path: relative to the first folder when inside it
    /// (what the model uses by default), absolute otherwise.
    pub fn display(&self, absolute: &Path) -> String {
        match absolute.strip_prefix(&self.grants[0].path) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
            Ok(rel) => names::show(rel),
            Err(_) => names::show(absolute),
        }
    }
}

/// The globs of deny rules as one set; `None` when there are none.
fn glob_set(globs: &[String]) -> Result<Option<GlobSet>, FileError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in globs {
        let glob = Glob::new(pattern).map_err(|e| FileError::InvalidPath {
            path: pattern.clone(),
            why: format!("it is not a valid glob for a deny rule: {e}"),
        })?;
        builder.add(glob);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| FileError::InvalidPath {
            path: globs.join(", "),
            why: e.to_string(),
        })
}

/// The deepest grant in `grants` whose path contains `path` (both real,
/// absolute): the one that decides whether `path` may be changed. Shared
/// by the file tools, the permission engine and the sandbox plumbing.
pub fn deepest_grant<'g>(grants: &'g [FolderGrant], path: &Path) -> Option<&'g FolderGrant> {
    grants
        .iter()
        .filter(|g| path.starts_with(&g.path))
        // The same folder granted twice: read-only wins.
        .max_by_key(|g| (g.path.components().count(), g.read_only))
}

/// A path mapped onto one connected folder, not yet opened. Every way of
/// opening it goes through the kernel's beneath-the-root check.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    folders: &'a Folders,
    root: usize,
    rel: PathBuf,
    input: String,
}

impl Resolved<'_> {
    /// The path as the caller wrote it, for messages.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The canonical root of the folder the path lies in.
    pub fn root(&self) -> &Path {
        self.folders.root_path(self.root)
    }

    /// The path relative to [`Resolved::root`], as written (it may still
    /// hold `..` or symlinks; the kernel judges them on open).
    pub fn rel(&self) -> &Path {
        &self.rel
    }

    /// Whether the path may not be changed: the deepest folder containing
    /// its real location (not the folder it was resolved against) was
    /// connected read-only.
    pub fn read_only(&self) -> bool {
        self.folders
            .grant_for(&self.real_guess())
            .is_none_or(|g| g.read_only)
    }

    /// Opens the path beneath its root with `flags` (and `mode`, for
    /// `O_CREAT`). Escapes fail with [`FileError::OutsideFolders`];
    /// concealed paths with [`FileError::NotFound`], judged on where the
    /// lookup really led, so a caller that creates (`O_CREAT`) must ask
    /// [`Resolved::conceals`] first.
    pub fn open(&self, flags: OFlags, mode: Mode) -> Result<OwnedFd, FileError> {
        let opened = open_beneath(
            self.folders.roots[self.root].fd.as_fd(),
            &self.rel,
            flags,
            mode,
        );
        let concealed = &self.folders.concealed;
        match opened {
            // Judge where the fd really is, so a link or `..` to a
            // concealed file does not get around the rule.
            Ok(fd) if !concealed.is_empty() => {
                let real = crate::fsops::fd_path(&fd).unwrap_or_else(|_| self.lexical());
                if concealed.real(&real, self.root()) || self.names_concealed() {
                    return Err(self.not_found());
                }
                Ok(fd)
            }
            Ok(fd) => Ok(fd),
            // Whatever the lookup met on its way (a missing name, a file
            // where a folder was expected) must not tell what lies in a
            // concealed place.
            Err(_) if self.conceals() => Err(self.not_found()),
            Err(errno) => Err(self.error(errno)),
        }
    }

    /// Opens a regular file for reading. Directories, fifos, sockets and
    /// devices are refused: reading them would fail, block forever or never
    /// end.
    pub fn open_file(&self) -> Result<File, FileError> {
        // O_NONBLOCK keeps opening a fifo from waiting for a writer; it
        // changes nothing for regular files.
        let flags = OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK;
        let fd = self.open(flags, Mode::empty())?;
        let special = match self.file_type(&fd)? {
            FileType::RegularFile => return Ok(File::from(fd)),
            FileType::Directory => {
                return Err(FileError::IsADirectory {
                    path: self.input.clone(),
                });
            }
            FileType::Fifo => "a named pipe",
            FileType::Socket => "a socket",
            FileType::CharacterDevice | FileType::BlockDevice => "a device",
            FileType::Symlink | FileType::Unknown => "not a regular file",
        };
        Err(FileError::Io {
            path: self.input.clone(),
            source: std::io::Error::other(format!("it is {special}, not a regular file")),
        })
    }

    /// Opens a directory for listing.
    pub fn open_dir(&self) -> Result<OwnedFd, FileError> {
        self.open(OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
    }

    /// The type of what an fd opened from this path refers to.
    pub fn file_type(&self, fd: &OwnedFd) -> Result<FileType, FileError> {
        let stat = rustix::fs::fstat(fd).map_err(|errno| self.error(errno))?;
        Ok(FileType::from_raw_mode(stat.st_mode))
    }

    /// Where an fd opened from this path really is, as an absolute path
    /// inside the root, and what it is. Walkers start from this path, so
    /// they begin exactly where the kernel's checked lookup ended.
    pub(crate) fn locate(&self) -> Result<(PathBuf, FileType), FileError> {
        let fd = self.open(OFlags::PATH, Mode::empty())?;
        let kind = self.file_type(&fd)?;
        let real = crate::fsops::fd_path(&fd)
            .or_else(|_| std::fs::canonicalize(self.root().join(&self.rel)))
            .map_err(|source| FileError::Io {
                path: self.input.clone(),
                source,
            })?;
        if !real.starts_with(self.root()) {
            // Only a rename racing with us can get here: the kernel just
            // confirmed the path was inside.
            return Err(self.folders.outside(&self.input));
        }
        Ok((real, kind))
    }

    /// Turns an errno from opening this path into the error the model sees.
    pub(crate) fn error(&self, errno: Errno) -> FileError {
        let path = self.input.clone();
        match errno {
            Errno::XDEV | Errno::LOOP => self.folders.outside(&self.input),
            Errno::NOENT => FileError::NotFound { path },
            Errno::NOTDIR => FileError::NotADirectory { path },
            Errno::ISDIR => FileError::IsADirectory { path },
            Errno::ROFS => FileError::ReadOnly {
                path,
                folder: self.root().to_path_buf(),
            },
            other => FileError::Io {
                path,
                source: other.into(),
            },
        }
    }

    /// The answer for a path that does not exist, which is also the
    /// answer for a concealed one.
    pub(crate) fn not_found(&self) -> FileError {
        FileError::NotFound {
            path: self.input.clone(),
        }
    }

    /// The path beneath its root with `.` and `..` applied by name.
    pub(crate) fn lexical(&self) -> PathBuf {
        normalize(&self.root().join(&self.rel))
    }

    /// Where the path lies, as far as the file system says: the real path
    /// of its longest prefix that can be opened, then the rest by name.
    /// Never reads content.
    pub fn real_guess(&self) -> PathBuf {
        let parts: Vec<_> = self.rel.components().collect();
        for cut in (0..=parts.len()).rev() {
            let prefix: PathBuf = parts[..cut].iter().collect();
            let Ok(fd) = self.open_rel(&prefix, OFlags::PATH) else {
                continue;
            };
            let Ok(mut real) = crate::fsops::fd_path(&fd) else {
                break;
            };
            real.extend(&parts[cut..]);
            return normalize(&real);
        }
        self.lexical()
    }

    /// Whether the path names something concealed from the task, judged by
    /// name and by where its existing part really is. Reads no content.
    /// A path that merely passes through a concealed place
    /// (`private/../pub/a.txt`) is concealed too: the lookup would tell
    /// whether that place exists.
    pub fn conceals(&self) -> bool {
        !self.folders.concealed.is_empty()
            && (self.names_concealed()
                || self.folders.concealed.real(&self.real_guess(), self.root()))
    }

    /// Whether the path, followed name by name as written, enters a
    /// concealed place at any step.
    fn names_concealed(&self) -> bool {
        let concealed = &self.folders.concealed;
        let mut walked = self.root().to_path_buf();
        if concealed.by_name(&walked) {
            return true;
        }
        for component in self.rel.components() {
            match component {
                Component::ParentDir => {
                    walked.pop();
                }
                Component::Normal(name) => {
                    walked.push(name);
                    if concealed.entry(&walked) {
                        return true;
                    }
                }
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        false
    }

    pub(crate) fn root_index(&self) -> usize {
        self.root
    }

    pub(crate) fn folders(&self) -> &Folders {
        self.folders
    }

    /// Opens `rel` (not this path) beneath the same root.
    pub(crate) fn open_rel(&self, rel: &Path, flags: OFlags) -> rustix::io::Result<OwnedFd> {
        self.folders.open_at(self.root, rel, flags)
    }
}
