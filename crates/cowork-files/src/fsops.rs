//! The write side's system calls: every one is relative to a directory fd
//! that was opened beneath a folder root, and none follows a symlink in the
//! last component. Nothing here decides *whether* to change something.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Write as _};
use std::os::fd::AsRawFd;
use std::path::{Component, Path, PathBuf};

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, RenameFlags, Stat};
use rustix::io::Errno;

use cowork_protocol::FileStamp;

use crate::error::FileError;
use crate::folders::Resolved;
use crate::names;

mod walk;

pub(crate) use walk::Cursor;

/// A directory opened for `*at` calls (and fsync), and its real path.
pub(crate) struct DirHandle {
    pub fd: OwnedFd,
    pub abs: PathBuf,
}

/// Where a write lands: an entry `name` in a parent directory inside a
/// folder. The parent may still have to be created (`missing`).
pub(crate) struct Spot {
    /// The deepest existing directory on the way to the entry.
    pub dir: DirHandle,
    /// Directories to create below `dir`, outermost first.
    pub missing: Vec<OsString>,
    pub name: OsString,
    /// Real absolute path of the entry.
    pub abs: PathBuf,
    /// The path as the caller wrote it.
    pub shown: String,
}

impl Spot {
    /// Absolute paths of the directories to create, outermost first.
    pub fn missing_paths(&self) -> Vec<PathBuf> {
        let mut path = self.dir.abs.clone();
        self.missing
            .iter()
            .map(|name| {
                path.push(name);
                path.clone()
            })
            .collect()
    }

    /// What is at the entry now (never following a symlink).
    pub fn stat(&self) -> Result<Option<Stat>, FileError> {
        if !self.missing.is_empty() {
            return Ok(None);
        }
        lstat_at(self.dir.fd.as_fd(), &self.name).map_err(|e| io_err(&self.shown, e))
    }

    /// Creates the missing parents (tolerating ones that appeared since)
    /// and returns the entry's parent directory.
    pub fn make_parent(&self) -> Result<OwnedFd, FileError> {
        let mut fd = reopen(self.dir.fd.as_fd()).map_err(|e| io_err(&self.shown, e))?;
        for name in &self.missing {
            fd = make_dir(fd.as_fd(), name).map_err(|e| io_err(&self.shown, e))?;
        }
        Ok(fd)
    }
}

/// Locates where `resolved` would be written. The last component must be a
/// plain name; the parent chain is opened beneath the root (so it cannot
/// leave the folder), and with `create_parents` a missing tail of it is
/// planned for creation.
pub(crate) fn spot(resolved: &Resolved<'_>, create_parents: bool) -> Result<Spot, FileError> {
    let shown = resolved.input().to_owned();
    let rel = resolved.rel();
    let name = match rel.components().next_back() {
        Some(Component::Normal(name)) => name.to_owned(),
        None | Some(Component::CurDir) => {
            return Err(FileError::invalid_path(
                &shown,
                "it is the connected folder itself; name a file or folder inside it",
            ));
        }
        Some(Component::ParentDir | Component::RootDir | Component::Prefix(_)) => {
            return Err(FileError::invalid_path(
                &shown,
                "it must end with a file or folder name, not `..`",
            ));
        }
    };
    let parent_rel = rel.parent().unwrap_or(Path::new(""));
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY;
    let (dir_fd, missing) = match resolved.open_rel(parent_rel, dir_flags) {
        Ok(fd) => (fd, Vec::new()),
        Err(Errno::NOENT) if create_parents => deepest_existing(resolved, parent_rel)?,
        Err(errno) => return Err(parent_error(resolved, errno)),
    };
    let dir_abs = real_path(&dir_fd, resolved)?;
    let mut abs = dir_abs.clone();
    abs.extend(&missing);
    abs.push(&name);
    Ok(Spot {
        dir: DirHandle {
            fd: dir_fd,
            abs: dir_abs,
        },
        missing,
        name,
        abs,
        shown,
    })
}

/// The deepest directory of `parent_rel` that exists, and the plain names
/// below it that do not.
fn deepest_existing(
    resolved: &Resolved<'_>,
    parent_rel: &Path,
) -> Result<(OwnedFd, Vec<OsString>), FileError> {
    let parts: Vec<Component<'_>> = parent_rel.components().collect();
    let flags = OFlags::RDONLY | OFlags::DIRECTORY;
    let mut existing = resolved
        .open_rel(Path::new(""), flags)
        .map_err(|e| resolved.error(e))?;
    for (index, _) in parts.iter().enumerate() {
        let prefix: PathBuf = parts[..=index].iter().collect();
        match resolved.open_rel(&prefix, flags) {
            Ok(fd) => existing = fd,
            Err(Errno::NOENT) => {
                let mut missing = Vec::new();
                for part in &parts[index..] {
                    match part {
                        Component::Normal(name) => missing.push((*name).to_owned()),
                        Component::CurDir => {}
                        Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                            return Err(FileError::invalid_path(
                                resolved.input(),
                                "`..` cannot follow a folder that does not exist yet",
                            ));
                        }
                    }
                }
                return Ok((existing, missing));
            }
            Err(errno) => return Err(parent_error(resolved, errno)),
        }
    }
    Err(resolved.error(Errno::NOENT))
}

fn parent_error(resolved: &Resolved<'_>, errno: Errno) -> FileError {
    match errno {
        Errno::NOENT => FileError::NotFound {
            path: format!("{} (its folder)", resolved.input()),
        },
        other => resolved.error(other),
    }
}

/// Where an fd really is, checked to lie inside the resolved path's root.
pub(crate) fn real_path(fd: &OwnedFd, resolved: &Resolved<'_>) -> Result<PathBuf, FileError> {
    let real = fd_path(fd).map_err(|e| io_err(resolved.input(), e))?;
    if !real.starts_with(resolved.root()) {
        return Err(resolved.folders().outside(resolved.input()));
    }
    Ok(real)
}

/// The path the kernel knows an fd by.
pub(crate) fn fd_path(fd: &impl AsRawFd) -> std::io::Result<PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

/// `lstat` of `name` in `dir`; `None` when nothing is there.
pub(crate) fn lstat_at(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<Option<Stat>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some(stat)),
        Err(Errno::NOENT) => Ok(None),
        Err(errno) => Err(errno),
    }
}

pub(crate) fn kind(stat: &Stat) -> FileType {
    FileType::from_raw_mode(stat.st_mode)
}

/// What identifies this state of an entry.
pub(crate) fn stamp(stat: &Stat) -> FileStamp {
    FileStamp {
        size: u64::try_from(stat.st_size).unwrap_or(0),
        mtime_ns: stat.st_mtime.saturating_mul(1_000_000_000) + stat.st_mtime_nsec as i64,
        inode: stat.st_ino,
        hash: None,
    }
}

/// Opens a directory entry (not following a final symlink) as a directory.
pub(crate) fn open_dir_at(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens a regular file entry for reading, never through a symlink.
pub(crate) fn open_file_at(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<File> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(File::from(fd))
}

fn reopen(dir: BorrowedFd<'_>) -> rustix::io::Result<OwnedFd> {
    open_dir_at(dir, OsStr::new("."))
}

/// `mkdir` of one level (an existing directory is fine), then opens it
/// without following a symlink swapped in meanwhile.
pub(crate) fn make_dir(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<OwnedFd> {
    match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755)) {
        Ok(()) => rustix::fs::fsync(dir)?,
        Err(Errno::EXIST) => {}
        Err(errno) => return Err(errno),
    }
    open_dir_at(dir, name)
}

/// Replaces (or creates) `name` in `dir` with `data`, atomically: a temp
/// file in the same directory, fsynced, renamed over the target, and the
/// directory fsynced. The old inode is never written to, so a hard link
/// to it elsewhere keeps its content. `mode`: the permission bits to keep,
/// without setuid, setgid and sticky ([`plain_mode`]); `None` for a new
/// file (0644 minus the umask).
pub(crate) fn atomic_write(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    data: &mut dyn Read,
    mode: Option<u32>,
) -> std::io::Result<()> {
    replace(dir, name, data, mode.map(plain_mode))
}

/// [`atomic_write`] that puts back a file's recorded mode exactly, special
/// bits included: for undo, which restores what the user had (a setuid
/// program of their own stays setuid), never what a task made.
pub(crate) fn atomic_restore(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    data: &mut dyn Read,
    mode: u32,
) -> std::io::Result<()> {
    replace(dir, name, data, Some(mode & 0o7777))
}

fn replace(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    data: &mut dyn Read,
    mode: Option<u32>,
) -> std::io::Result<()> {
    let tmp = format!(".cowork-{:016x}.tmp", fastrand::u64(..));
    let fd = rustix::fs::openat(
        dir,
        tmp.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )?;
    let result = (|| {
        let mut file = File::from(fd);
        std::io::copy(data, &mut file)?;
        file.flush()?;
        if let Some(mode) = mode {
            rustix::fs::fchmod(&file, Mode::from_raw_mode(mode))?;
        }
        file.sync_all()?;
        rustix::fs::renameat(dir, tmp.as_str(), dir, name)?;
        rustix::fs::fsync(dir)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = rustix::fs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
    }
    result
}

/// Renames without ever replacing what is at the target.
pub(crate) fn rename_noreplace(
    from_dir: BorrowedFd<'_>,
    from: &OsStr,
    to_dir: BorrowedFd<'_>,
    to: &OsStr,
) -> rustix::io::Result<()> {
    rustix::fs::renameat_with(from_dir, from, to_dir, to, RenameFlags::NOREPLACE)
}

/// Files and bytes under an entry (the entry itself when it is a file).
/// Iterative: a tree of any depth is measured in constant stack space.
pub(crate) fn tree_size(dir: BorrowedFd<'_>, name: &OsStr) -> std::io::Result<(u64, u64)> {
    let Some(stat) = lstat_at(dir, name)? else {
        return Ok((0, 0));
    };
    if kind(&stat) != FileType::Directory {
        return Ok((1, u64::try_from(stat.st_size).unwrap_or(0)));
    }
    let mut cursor = Cursor::open(dir, name)?;
    let (mut files, mut bytes) = (0u64, 0u64);
    loop {
        let Some(child) = cursor.next_name() else {
            match cursor.ascend()? {
                Some(_) => continue,
                None => break,
            }
        };
        match lstat_at(cursor.dir(), &child)? {
            Some(stat) if kind(&stat) == FileType::Directory => cursor.descend(&child)?,
            Some(stat) => {
                files += 1;
                bytes = bytes.saturating_add(u64::try_from(stat.st_size).unwrap_or(0));
            }
            None => {}
        }
    }
    Ok((files, bytes))
}

/// The names in a directory, without `.` and `..`.
pub(crate) fn children(dir: &OwnedFd) -> rustix::io::Result<Vec<OsString>> {
    use std::os::unix::ffi::OsStrExt;
    let mut reader = Dir::read_from(dir)?;
    let mut names = Vec::new();
    while let Some(entry) = reader.read() {
        let entry = entry?;
        let bytes = entry.file_name().to_bytes();
        if bytes != b"." && bytes != b".." {
            names.push(OsStr::from_bytes(bytes).to_owned());
        }
    }
    Ok(names)
}

/// Copies an entry (file, symlink or tree) from one directory to another,
/// fsyncing what it writes. Used when a rename cannot cross file systems.
/// Setuid, setgid and sticky bits are not copied (see [`plain_mode`]), and
/// the walk is iterative, so no depth overflows the stack.
pub(crate) fn copy_tree(
    from_dir: BorrowedFd<'_>,
    name: &OsStr,
    to_dir: BorrowedFd<'_>,
    to: &OsStr,
) -> std::io::Result<()> {
    let stat = lstat_at(from_dir, name)?.ok_or(Errno::NOENT)?;
    if kind(&stat) != FileType::Directory {
        return copy_leaf(from_dir, name, &stat, to_dir, to);
    }
    // Created owner-writable so its content can be copied in; it gets its
    // own permission bits once it is complete.
    rustix::fs::mkdirat(to_dir, to, Mode::from_raw_mode(0o700))?;
    let mut src = Cursor::open(from_dir, name)?;
    let mut dst = Cursor::open(to_dir, to)?;
    loop {
        let Some(child) = src.next_name() else {
            let mode = rustix::fs::fstat(src.dir())?.st_mode;
            rustix::fs::fchmod(dst.dir(), Mode::from_raw_mode(plain_mode(mode)))?;
            rustix::fs::fsync(dst.dir())?;
            if src.ascend()?.is_none() {
                break;
            }
            dst.ascend()?;
            continue;
        };
        let Some(stat) = lstat_at(src.dir(), &child)? else {
            continue;
        };
        if kind(&stat) == FileType::Directory {
            rustix::fs::mkdirat(dst.dir(), &child, Mode::from_raw_mode(0o700))?;
            src.descend(&child)?;
            dst.descend(&child)?;
        } else {
            copy_leaf(src.dir(), &child, &stat, dst.dir(), &child)?;
        }
    }
    Ok(())
}

/// Copies one entry that is not a directory.
fn copy_leaf(
    from_dir: BorrowedFd<'_>,
    name: &OsStr,
    stat: &Stat,
    to_dir: BorrowedFd<'_>,
    to: &OsStr,
) -> std::io::Result<()> {
    match kind(stat) {
        FileType::Symlink => {
            let target = rustix::fs::readlinkat(from_dir, name, Vec::new())?;
            rustix::fs::symlinkat(target.as_c_str(), to_dir, to)?;
        }
        FileType::RegularFile => {
            let mut src = open_file_at(from_dir, name)?;
            atomic_write(to_dir, to, &mut src, Some(stat.st_mode))?;
        }
        FileType::Directory
        | FileType::Fifo
        | FileType::Socket
        | FileType::CharacterDevice
        | FileType::BlockDevice
        | FileType::Unknown => {
            return Err(std::io::Error::other(format!(
                "`{}` is not a file, folder or link and cannot be copied",
                names::show_name(name)
            )));
        }
    }
    Ok(())
}

/// Removes an entry and everything below it (after it was copied).
/// Iterative, holding one directory open however deep the tree is.
pub(crate) fn remove_tree(dir: BorrowedFd<'_>, name: &OsStr) -> std::io::Result<()> {
    remove_tree_with(dir, name, false)
}

/// [`remove_tree`], first making each directory owner-writable: for
/// cowork's own scratch trees (stages), where a command may have left a
/// directory read-only.
pub(crate) fn remove_own_tree(dir: BorrowedFd<'_>, name: &OsStr) -> std::io::Result<()> {
    remove_tree_with(dir, name, true)
}

fn remove_tree_with(dir: BorrowedFd<'_>, name: &OsStr, unlock: bool) -> std::io::Result<()> {
    let Some(stat) = lstat_at(dir, name)? else {
        return Ok(());
    };
    if kind(&stat) != FileType::Directory {
        return Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?);
    }
    let enter = |parent: BorrowedFd<'_>, name: &OsStr| {
        if unlock {
            make_owner_accessible(parent, name)?;
        }
        Ok::<(), Errno>(())
    };
    enter(dir, name)?;
    let mut cursor = Cursor::open(dir, name)?;
    loop {
        let Some(child) = cursor.next_name() else {
            match cursor.ascend()? {
                Some(left) => rustix::fs::unlinkat(cursor.dir(), &left, AtFlags::REMOVEDIR)?,
                None => break,
            }
            continue;
        };
        match lstat_at(cursor.dir(), &child)? {
            Some(stat) if kind(&stat) == FileType::Directory => {
                enter(cursor.dir(), &child)?;
                cursor.descend(&child)?;
            }
            Some(_) => rustix::fs::unlinkat(cursor.dir(), &child, AtFlags::empty())?,
            None => {}
        }
    }
    drop(cursor);
    Ok(rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
}

/// Gives the directory `name` in `dir` mode 0700. `chmodat` would follow a
/// symlink swapped in meanwhile, so the directory is pinned first with an
/// `O_PATH` descriptor (which needs no permission on it) and changed
/// through that descriptor's `/proc/self/fd` link.
fn make_owner_accessible(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<()> {
    let pinned = rustix::fs::openat(
        dir,
        name,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let link = format!("/proc/self/fd/{}", pinned.as_raw_fd());
    rustix::fs::chmod(link.as_str(), Mode::RWXU)
}

/// The permission bits cowork sets on what it writes into a folder: never
/// setuid, setgid or sticky. A sandboxed command must not be able to leave
/// a setuid program behind (setuid-root when cowork runs as root), and for
/// directories setgid and sticky change who owns or may delete what is
/// later created in them.
pub(crate) fn plain_mode(mode: u32) -> u32 {
    mode & 0o777
}

pub(crate) fn io_err(path: &str, source: impl Into<std::io::Error>) -> FileError {
    FileError::Io {
        path: path.to_owned(),
        source: source.into(),
    }
}

#[cfg(test)]
#[path = "fsops_tests.rs"]
mod tests;
