//! Walking a directory tree without recursion and without holding a
//! descriptor per level.
//!
//! A command can leave a tree thousands of levels deep; a recursive walk
//! overflows the stack on it, and one descriptor per level runs out of
//! descriptors (the usual soft limit is 1024). A [`Cursor`] keeps one open
//! directory and, per level above it, only that directory's identity and
//! the names still to visit. Going back up opens `..` and checks it is the
//! directory we came down from, so a tree renamed meanwhile stops the walk
//! instead of leading it somewhere else.

use std::ffi::{OsStr, OsString};
use std::io;

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};

use super::{children, open_dir_at};

/// A position in a tree: the directory being visited and the way back up.
pub(crate) struct Cursor {
    fd: OwnedFd,
    /// The start directory first, the current one last.
    frames: Vec<Frame>,
}

struct Frame {
    /// `(st_dev, st_ino)`, checked when coming back up to this level.
    id: (u64, u64),
    /// This directory's name in its parent.
    name: OsString,
    /// Names not visited yet, sorted, the next one last.
    pending: Vec<OsString>,
}

impl Frame {
    fn of(fd: &OwnedFd, name: &OsStr) -> io::Result<Self> {
        let stat = rustix::fs::fstat(fd)?;
        let mut pending = children(fd)?;
        pending.sort_unstable_by(|a, b| b.cmp(a));
        Ok(Self {
            id: (stat.st_dev, stat.st_ino),
            name: name.to_owned(),
            pending,
        })
    }
}

impl Cursor {
    /// Starts at the directory `name` in `dir` (never through a symlink).
    pub(crate) fn open(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Self> {
        let fd = open_dir_at(dir, name)?;
        let frame = Frame::of(&fd, name)?;
        Ok(Self {
            fd,
            frames: vec![frame],
        })
    }

    /// The directory being visited.
    pub(crate) fn dir(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The next name in the current directory, in sorted order.
    pub(crate) fn next_name(&mut self) -> Option<OsString> {
        self.frames.last_mut()?.pending.pop()
    }

    /// Enters the subdirectory `name` of the current directory.
    pub(crate) fn descend(&mut self, name: &OsStr) -> io::Result<()> {
        let fd = open_dir_at(self.fd.as_fd(), name)?;
        self.frames.push(Frame::of(&fd, name)?);
        self.fd = fd;
        Ok(())
    }

    /// Goes back to the parent and returns the name of the directory left;
    /// `None` at the start directory, where the walk ends.
    pub(crate) fn ascend(&mut self) -> io::Result<Option<OsString>> {
        if self.frames.len() < 2 {
            return Ok(None);
        }
        let parent = open_dir_at(self.fd.as_fd(), OsStr::new(".."))?;
        let stat = rustix::fs::fstat(&parent)?;
        let left = self.frames.pop().map(|f| f.name);
        let expected = self.frames.last().map(|f| f.id);
        if expected != Some((stat.st_dev, stat.st_ino)) {
            return Err(io::Error::other(
                "a folder was moved while cowork was walking through it; nothing more was done \
                 there",
            ));
        }
        self.fd = parent;
        Ok(left)
    }
}
