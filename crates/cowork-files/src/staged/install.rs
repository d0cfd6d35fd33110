//! Moving one staged file into the folder without what a command must not
//! leave there: setuid, setgid and sticky bits, and file capabilities.
//!
//! A rename keeps the inode, and with it the mode and the extended
//! attributes the command gave it — `chmod 6755` or `setcap` inside the
//! sandbox would land as-is, setuid-root when cowork runs as root. So the
//! staged inode is cleaned (through the descriptor we then rename) before
//! it takes the folder's name; when it cannot be cleaned it is copied into
//! a new inode instead, which carries neither.

use std::ffi::OsStr;

use rustix::fd::BorrowedFd;
use rustix::fs::Mode;
use rustix::io::Errno;

use crate::fsops::{self, plain_mode};

/// The extended attribute holding file capabilities.
const CAPABILITY: &str = "security.capability";

/// What was removed from a staged file on its way in.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cleaned {
    /// Setuid, setgid or sticky bits.
    pub bits: bool,
    /// File capabilities (`security.capability`).
    pub capabilities: bool,
}

/// Moves the staged file into the folder: a rename when the stage and the
/// folder share a file system (no copy, however large), else an atomic
/// copy. The data is made durable before it takes the target's name.
pub(super) fn install(
    upper: BorrowedFd<'_>,
    target: BorrowedFd<'_>,
    name: &OsStr,
    new: bool,
) -> std::io::Result<Cleaned> {
    let mut file = fsops::open_file_at(upper, name)?;
    let mode = rustix::fs::fstat(&file)?.st_mode;
    let mut cleaned = Cleaned {
        bits: mode & 0o7000 != 0,
        capabilities: false,
    };
    let cleaned_in_place = clean(&file, mode, &mut cleaned).is_ok();
    file.sync_all()?;
    let renamed = if !cleaned_in_place {
        // A new inode has no attributes and only plain permission bits.
        Err(Errno::XDEV)
    } else if new {
        fsops::rename_noreplace(upper, name, target, name)
    } else {
        rustix::fs::renameat(upper, name, target, name)
    };
    match renamed {
        Ok(()) => Ok(cleaned),
        Err(Errno::XDEV) => {
            fsops::atomic_write(target, name, &mut file, Some(mode))?;
            Ok(cleaned)
        }
        Err(Errno::EXIST) => Err(std::io::Error::other(
            "a file of that name appeared in the folder while the command ran; nothing was \
             replaced",
        )),
        Err(errno) => Err(errno.into()),
    }
}

/// Clears special permission bits and capabilities on the staged inode,
/// and overlayfs's own bookkeeping attributes (`*.overlay.*`), which mean
/// nothing outside the overlay. Other attributes are the command's data
/// and stay.
fn clean(file: &std::fs::File, mode: u32, cleaned: &mut Cleaned) -> rustix::io::Result<()> {
    if cleaned.bits {
        rustix::fs::fchmod(file, Mode::from_raw_mode(plain_mode(mode)))?;
    }
    let size = match rustix::fs::flistxattr_query(file) {
        Ok(0) | Err(Errno::NOTSUP) => return Ok(()),
        Ok(size) => size,
        Err(errno) => return Err(errno),
    };
    let mut names = vec![0u8; size];
    let len = rustix::fs::flistxattr(file, &mut names[..])?;
    names.truncate(len);
    for name in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let is_capability = name == CAPABILITY.as_bytes();
        let is_overlay =
            name.starts_with(b"user.overlay.") || name.starts_with(b"trusted.overlay.");
        if !is_capability && !is_overlay {
            continue;
        }
        match rustix::fs::fremovexattr(file, name) {
            Ok(()) | Err(Errno::NODATA) => {}
            Err(errno) => {
                cleaned.capabilities |= is_capability;
                return Err(errno);
            }
        }
        cleaned.capabilities |= is_capability;
    }
    Ok(())
}
