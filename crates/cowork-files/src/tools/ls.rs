//! `LS`: the entries of one directory, read from a descriptor opened
//! beneath the folder root.

use std::ffi::{CStr, OsStr};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, Dir, FileType, Stat};
use serde::Deserialize;

use super::{human_size, thousands};
use crate::error::FileError;
use crate::folders::{Folders, Resolved};

/// Entries listed at most; the rest are counted.
const MAX_ENTRIES: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LsInput {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    ignore: Option<Vec<String>>,
}

struct Entry {
    name: String,
    kind: Kind,
}

enum Kind {
    Dir,
    File { size: u64 },
    Symlink { target: String },
    Other { what: &'static str },
}

pub(crate) fn run(folders: &Folders, input: LsInput) -> Result<String, FileError> {
    let path = match input.path.as_deref() {
        None | Some("") => ".",
        Some(path) => path,
    };
    let ignore = ignore_set(input.ignore.as_deref().unwrap_or_default())?;
    let resolved = folders.resolve(path)?;
    let fd = resolved.open_dir()?;
    let dir = crate::fsops::fd_path(&fd).map_err(|source| FileError::Io {
        path: resolved.input().to_owned(),
        source,
    })?;
    let mut entries = read_entries(&resolved, &fd, &ignore, &Place { folders, dir: &dir })?;
    entries.sort_by(|a, b| {
        let a_dir = matches!(a.kind, Kind::Dir);
        let b_dir = matches!(b.kind, Kind::Dir);
        b_dir
            .cmp(&a_dir)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(render(resolved.input(), &entries))
}

fn ignore_set(patterns: &[String]) -> Result<GlobSet, FileError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|err| {
            FileError::invalid("LS", format!("field `ignore`: bad glob `{pattern}`: {err}"))
        })?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|err| FileError::invalid("LS", format!("field `ignore`: {err}")))
}

/// Where a listing happens, to leave out what the task must not see.
struct Place<'a> {
    folders: &'a Folders,
    /// The real path of the directory listed.
    dir: &'a Path,
}

impl Place<'_> {
    /// Whether the entry `name` with this `stat` is concealed, by its real
    /// path or by being a reserved directory under another name.
    fn conceals(&self, name: &CStr, stat: &Stat) -> bool {
        let concealed = self.folders.concealed();
        !concealed.is_empty()
            && (concealed.entry(&self.dir.join(OsStr::from_bytes(name.to_bytes())))
                || concealed.by_id(stat.st_dev, stat.st_ino))
    }
}

fn read_entries(
    resolved: &Resolved<'_>,
    fd: &OwnedFd,
    ignore: &GlobSet,
    place: &Place<'_>,
) -> Result<Vec<Entry>, FileError> {
    let mut dir = Dir::read_from(fd).map_err(|errno| resolved.error(errno))?;
    let mut entries = Vec::new();
    while let Some(entry) = dir.read() {
        let entry = entry.map_err(|errno| resolved.error(errno))?;
        let raw: &CStr = entry.file_name();
        if matches!(raw.to_bytes(), b"." | b"..") {
            continue;
        }
        // Names need not be UTF-8; other bytes are shown as `\xNN`.
        let name = crate::names::escape_bytes(raw.to_bytes());
        if ignore.is_match(&name) {
            continue;
        }
        let kind = match rustix::fs::statat(fd, raw, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) if place.conceals(raw, &stat) => continue,
            Ok(stat) => kind_of(fd, raw, FileType::from_raw_mode(stat.st_mode), stat.st_size),
            // Removed between listing and stat: leave it out.
            Err(rustix::io::Errno::NOENT) => continue,
            Err(errno) => return Err(resolved.error(errno)),
        };
        entries.push(Entry { name, kind });
    }
    Ok(entries)
}

fn kind_of(fd: &OwnedFd, name: &CStr, file_type: FileType, size: i64) -> Kind {
    match file_type {
        FileType::Directory => Kind::Dir,
        FileType::RegularFile => Kind::File {
            size: u64::try_from(size).unwrap_or(0),
        },
        FileType::Symlink => {
            let target = rustix::fs::readlinkat(fd, name, Vec::new())
                .map(|t| crate::names::escape_bytes(t.as_bytes()))
                .unwrap_or_else(|_| "?".to_owned());
            Kind::Symlink { target }
        }
        FileType::Fifo => Kind::Other { what: "fifo" },
        FileType::Socket => Kind::Other { what: "socket" },
        FileType::CharacterDevice => Kind::Other {
            what: "character device",
        },
        FileType::BlockDevice => Kind::Other {
            what: "block device",
        },
        FileType::Unknown => Kind::Other { what: "unknown" },
    }
}

fn render(path: &str, entries: &[Entry]) -> String {
    let dirs = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Dir))
        .count();
    let files = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::File { .. }))
        .count();
    let others = entries.len() - dirs - files;
    if entries.is_empty() {
        return format!("Directory `{path}` is empty.");
    }
    let mut out = format!(
        "Directory `{path}`: {} {}, {} {}",
        dirs,
        plural(dirs, "directory", "directories"),
        files,
        plural(files, "file", "files")
    );
    if others > 0 {
        let _ = write!(out, ", {others} other");
    }
    out.push('\n');
    for entry in entries.iter().take(MAX_ENTRIES) {
        // Writing to a String cannot fail.
        let _ = match &entry.kind {
            Kind::Dir => writeln!(out, "{}/", entry.name),
            Kind::File { size } => writeln!(out, "{} ({})", entry.name, human_size(*size)),
            Kind::Symlink { target } => writeln!(out, "{} -> {target}", entry.name),
            Kind::Other { what } => writeln!(out, "{} ({what})", entry.name),
        };
    }
    if entries.len() > MAX_ENTRIES {
        let _ = writeln!(
            out,
            "(showing {MAX_ENTRIES} of {} entries; use Glob with a pattern, or `ignore`, to narrow the listing)",
            thousands(entries.len() as u64)
        );
    }
    out.pop();
    out
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
