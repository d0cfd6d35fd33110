//! Opening a path beneath a directory fd, with the kernel as the judge.
//!
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` refuses, atomically,
//! every way out of the directory: `..` above it, absolute paths and
//! absolute symlinks, relative symlinks that climb out, and `/proc` magic
//! links. On kernels without `openat2` (before 5.6, or when a seccomp filter
//! hides it) a small component-by-component walk with `O_NOFOLLOW` does the
//! same job, resolving symlinks itself.
//!
//! Escapes come back as `EXDEV` (or `ELOOP` for magic links), which the
//! caller turns into `FileError::OutsideFolders`.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path};

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// Linux's own limit on symlinks followed in one lookup.
const MAX_SYMLINKS: usize = 40;

/// How many times to retry when the kernel reports a concurrent rename or
/// mount (`EAGAIN`) during a `RESOLVE_BENEATH` lookup.
const RACE_RETRIES: usize = 8;

/// Opens `rel` beneath `root`. `rel` must be relative; an empty path means
/// `root` itself.
pub(crate) fn open_beneath(
    root: BorrowedFd<'_>,
    rel: &Path,
    flags: OFlags,
    mode: Mode,
) -> rustix::io::Result<OwnedFd> {
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
    let mut attempt = 0;
    loop {
        match rustix::fs::openat2(root, rel, flags | OFlags::CLOEXEC, mode, resolve) {
            // ENOSYS: kernel < 5.6. EPERM: container seccomp profiles that
            // predate openat2 deny it this way. A real permission problem
            // shows up again in the walk.
            Err(Errno::NOSYS | Errno::PERM) => return walk_beneath(root, rel, flags, mode),
            Err(Errno::AGAIN) if attempt < RACE_RETRIES => attempt += 1,
            other => return other,
        }
    }
}

/// The fallback resolver: one component at a time, never letting the
/// kernel follow a symlink on its own.
pub(crate) fn walk_beneath(
    root: BorrowedFd<'_>,
    rel: &Path,
    flags: OFlags,
    mode: Mode,
) -> rustix::io::Result<OwnedFd> {
    // Directories entered below `root`; popping one is how `..` works, and
    // popping past `root` is an escape.
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut pending: VecDeque<OsString> = VecDeque::new();
    push_components(&mut pending, rel, false)?;
    let mut links = 0;

    while let Some(name) = pending.pop_front() {
        if name == ".." {
            if stack.pop().is_none() {
                return Err(Errno::XDEV);
            }
            continue;
        }
        let current = stack.last().map_or(root, |fd| fd.as_fd());
        let last = pending.is_empty();
        let stat = rustix::fs::statat(current, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW);
        match stat {
            Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Errno::LOOP);
                }
                let target = rustix::fs::readlinkat(current, name.as_os_str(), Vec::new())?;
                let target = OsString::from_vec(target.into_bytes());
                push_components(&mut pending, Path::new(&target), true)?;
            }
            // A missing last component may be about to be created (O_CREAT).
            Ok(_) | Err(Errno::NOENT) if last => {
                return rustix::fs::openat(
                    current,
                    name.as_os_str(),
                    flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    mode,
                );
            }
            Ok(_) => {
                let dir = rustix::fs::openat(
                    current,
                    name.as_os_str(),
                    OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )?;
                stack.push(dir);
            }
            Err(errno) => return Err(errno),
        }
    }
    // The path ended on a directory reached by `.`, `..` or a symlink.
    let current = stack.last().map_or(root, |fd| fd.as_fd());
    rustix::fs::openat(current, ".", flags | OFlags::CLOEXEC, mode)
}

/// Queues `path`'s components; `front` puts them before what is pending (a
/// symlink's target replaces the link in the walk). Absolute paths escape.
fn push_components(
    pending: &mut VecDeque<OsString>,
    path: &Path,
    front: bool,
) -> rustix::io::Result<()> {
    let mut names = Vec::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => return Err(Errno::XDEV),
            Component::CurDir => {}
            Component::ParentDir => names.push(OsString::from("..")),
            Component::Normal(name) => names.push(name.to_owned()),
        }
    }
    if front {
        for name in names.into_iter().rev() {
            pending.push_front(name);
        }
    } else {
        pending.extend(names);
    }
    Ok(())
}

#[cfg(test)]
#[path = "beneath_tests.rs"]
mod tests;
