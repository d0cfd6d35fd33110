//! cowork's own storage for what changes replace: content-addressed blobs
//! of replaced file versions, and the trash.

use std::collections::HashSet;
use std::fs::{DirBuilder, File};
use std::io::{Read, Seek};
use std::os::fd::AsRawFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use rustix::fd::AsFd;
use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::error::FileError;
use crate::fsops;
use crate::names;
use crate::trash::Trash;

/// The journal's storage under cowork's data dir:
/// `journal/blobs/ab/abcdef…` (replaced file versions, named by the BLAKE3
/// hash of their bytes), `trash/<id>/` (deleted items) and `stage/<id>/`
/// (what a sandboxed command changed, until it is applied).
#[derive(Debug)]
pub struct JournalStore {
    blobs: PathBuf,
    trash: Trash,
    stages: PathBuf,
}

impl JournalStore {
    /// Opens (creating, mode 0700) `data_dir/journal/blobs` and
    /// `data_dir/trash`.
    pub fn open(data_dir: &Path) -> Result<Self, FileError> {
        let blobs = data_dir.join("journal").join("blobs");
        let trash = data_dir.join("trash");
        let stages = data_dir.join("stage");
        for dir in [&blobs, &trash, &stages] {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|source| store_err(dir, source))?;
        }
        Ok(Self {
            blobs,
            trash: Trash::new(trash),
            stages,
        })
    }

    /// Where sandboxed commands' changes are staged (`data_dir/stage`).
    pub fn stages(&self) -> &Path {
        &self.stages
    }

    /// Where the blob with this hash is (or would be) stored. A "hash"
    /// that is not one (a damaged journal) names a path never stored.
    pub fn blob_path(&self, hash: &str) -> PathBuf {
        if !is_hash(hash) {
            return self.blobs.join("not-a-hash");
        }
        let prefix = hash.get(..2).unwrap_or("00");
        self.blobs.join(prefix).join(hash)
    }

    /// Whether a blob with this hash is stored.
    pub fn has_blob(&self, hash: &str) -> bool {
        is_hash(hash) && self.blob_path(hash).is_file()
    }

    /// The trash directory.
    pub fn trash_dir(&self) -> &Path {
        self.trash.dir()
    }

    /// The trash, where Delete puts things.
    pub fn trash(&self) -> &Trash {
        &self.trash
    }

    /// Deletes blobs not in `keep`; returns (files removed, bytes freed).
    pub fn gc_blobs(&self, keep: &HashSet<String>) -> Result<(u64, u64), FileError> {
        let (mut files, mut bytes) = (0, 0);
        let prefixes = std::fs::read_dir(&self.blobs).map_err(|e| store_err(&self.blobs, e))?;
        for prefix in prefixes {
            let prefix = prefix.map_err(|e| store_err(&self.blobs, e))?.path();
            let Ok(entries) = std::fs::read_dir(&prefix) else {
                continue;
            };
            for entry in entries {
                let entry = entry.map_err(|e| store_err(&prefix, e))?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if keep.contains(name.as_ref()) {
                    continue;
                }
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                std::fs::remove_file(entry.path()).map_err(|e| store_err(&entry.path(), e))?;
                files += 1;
                bytes += size;
            }
            // Emptied prefix folders go too; a non-empty one stays.
            let _ = std::fs::remove_dir(&prefix);
        }
        Ok((files, bytes))
    }

    /// Saves the current content of `file` (opened from the folder, with
    /// `stat` taken before) as a blob, named by its hash. Dedups.
    ///
    /// A file with no other name is hard-linked in rather than copied: the
    /// caller is about to replace it by a rename, after which the blob is
    /// the old inode's only name. A blob must never share an inode with a
    /// file that stays in the folder (an in-place edit, `>>`, would change
    /// the saved version), so the returned [`SavedBlob`] settles this when
    /// dropped, after the replace or instead of it (a no-op, a failure): if
    /// the inode still has another name, the blob becomes a copy. Otherwise
    /// (another file system, other hard links) the bytes are copied and
    /// hashed as they are written. Blobs end up read-only (0400).
    pub(crate) fn save_blob(&self, file: &mut File, stat: &Stat) -> std::io::Result<SavedBlob> {
        file.rewind()?;
        let hash = hash_reader(file)?;
        unchanged_since(file, stat)?;
        let path = self.blob_path(&hash);
        if path.is_file() {
            // One an older cowork linked to a file still in a folder
            // becomes a copy now.
            settle(&path)?;
            return Ok(SavedBlob { hash, linked: None });
        }
        let prefix = hash.get(..2).unwrap_or("00");
        let blobs = open_dir(&self.blobs)?;
        let dir = match rustix::fs::mkdirat(&blobs, prefix, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => fsops::open_dir_at(blobs.as_fd(), prefix.as_ref())?,
            Err(errno) => return Err(errno.into()),
        };
        if stat.st_nlink == 1 {
            let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
            match rustix::fs::linkat(
                CWD,
                proc_path.as_str(),
                &dir,
                hash.as_str(),
                AtFlags::SYMLINK_FOLLOW,
            ) {
                Ok(()) => {
                    // Written to between the hash and the link: the blob
                    // would not hold what its name says.
                    if let Err(err) = unchanged_since(file, stat) {
                        let _ = rustix::fs::unlinkat(&dir, hash.as_str(), AtFlags::empty());
                        return Err(err);
                    }
                    let saved = SavedBlob {
                        hash,
                        linked: Some(path),
                    };
                    rustix::fs::fsync(&dir)?;
                    return Ok(saved);
                }
                Err(Errno::EXIST) => return Ok(SavedBlob { hash, linked: None }),
                // EXDEV (another file system), or no /proc: copy instead.
                Err(_) => {}
            }
        }
        file.rewind()?;
        let mut reader = HashingReader::new(&mut *file).expecting(&hash, names::show(&path));
        fsops::atomic_write(dir.as_fd(), hash.as_ref(), &mut reader, Some(0o400)).map_err(
            |err| match err.get_ref().is_some_and(|e| e.is::<BlobMismatch>()) {
                true => changed_while_saving(),
                false => err,
            },
        )?;
        Ok(SavedBlob { hash, linked: None })
    }

    /// Opens a stored blob for reading, checking as it is read that its
    /// bytes hash to its name: the reader fails at the end instead of
    /// reporting it when they do not, so a copy made from it is never
    /// installed (see [`BlobMismatch`]).
    pub(crate) fn open_blob(&self, hash: &str) -> Result<HashingReader<File>, FileError> {
        let path = self.blob_path(hash);
        let shown = path.display().to_string();
        if !is_hash(hash) {
            return Err(FileError::Tampered {
                what: format!("saved version `{hash}`"),
                why: "the journal names it with something that is not a BLAKE3 hash".to_owned(),
            });
        }
        let fd = rustix::fs::open(
            &path,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| fsops::io_err(&shown, e))?;
        let stat = rustix::fs::fstat(&fd).map_err(|e| fsops::io_err(&shown, e))?;
        if fsops::kind(&stat) != FileType::RegularFile {
            return Err(FileError::Tampered {
                what: format!("saved version {shown}"),
                why: "it is not a regular file".to_owned(),
            });
        }
        Ok(HashingReader::new(File::from(fd)).expecting(hash, shown))
    }

    /// Reads a whole blob and checks that it hashes to its name.
    pub(crate) fn verify_blob(&self, hash: &str) -> Result<(), FileError> {
        let mut blob = self.open_blob(hash)?;
        let shown = self.blob_path(hash).display().to_string();
        std::io::copy(&mut blob, &mut std::io::sink())
            .map(|_| ())
            .map_err(|e| mismatch_or_io(&shown, e))
    }
}

/// Whether `hash` looks like a BLAKE3 hash as cowork writes them (64
/// lowercase hex digits), so it can never name a path outside the blobs.
pub(crate) fn is_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A read that hashes what passes through it; with an expected hash, the
/// read that would report the end fails instead when the bytes differ.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: blake3::Hasher,
    expected: Option<(String, String)>,
}

/// The error a [`HashingReader`] ends with when the bytes do not hash to
/// what was expected.
#[derive(Debug, thiserror::Error)]
#[error(
    "{what} does not hash to {expected} (it hashes to {actual}); it was changed after cowork saved it"
)]
pub(crate) struct BlobMismatch {
    pub what: String,
    pub expected: String,
    pub actual: String,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: blake3::Hasher::new(),
            expected: None,
        }
    }

    /// Fails the final read unless the bytes hash to `hash`; `what` names
    /// the source in that error.
    pub(crate) fn expecting(mut self, hash: &str, what: String) -> Self {
        self.expected = Some((hash.to_owned(), what));
        self
    }

    /// The hash of everything read so far.
    pub(crate) fn finish(&self) -> String {
        self.hasher.finalize().to_hex().to_string()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.hasher.update(&buf[..n]);
        } else if let Some((expected, what)) = &self.expected {
            let actual = self.finish();
            if &actual != expected {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    BlobMismatch {
                        what: what.clone(),
                        expected: expected.clone(),
                        actual,
                    },
                ));
            }
        }
        Ok(n)
    }
}

/// Turns a failed copy from a [`HashingReader`] into the error that names
/// the tampered source, or an I/O error at `shown`.
pub(crate) fn mismatch_or_io(shown: &str, err: std::io::Error) -> FileError {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<BlobMismatch>())
    {
        Some(mismatch) => FileError::Tampered {
            what: mismatch.what.clone(),
            why: format!(
                "its content hashes to {} instead of {}",
                short(&mismatch.actual),
                short(&mismatch.expected)
            ),
        },
        None => fsops::io_err(shown, err),
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// A blob just saved; see [`JournalStore::save_blob`]. Keep it until the
/// file it was saved from has been replaced (or not): dropping it makes
/// sure the blob shares no inode with a file that stays.
#[must_use = "dropping it before the replace turns a hard-linked blob into a copy"]
#[derive(Debug)]
pub(crate) struct SavedBlob {
    hash: String,
    /// The blob's path, when it is the saved file's inode.
    linked: Option<PathBuf>,
}

impl SavedBlob {
    /// The blob's name: the BLAKE3 hash of its bytes.
    pub(crate) fn hash(&self) -> &str {
        &self.hash
    }
}

impl Drop for SavedBlob {
    fn drop(&mut self) {
        if let Some(path) = self.linked.take() {
            // Undo checks every blob's hash before restoring from it, so a
            // blob left shared here (the copy failed) is caught and named
            // later rather than restored wrong.
            let _ = settle(&path);
        }
    }
}

/// Copies the blob at `path` over itself when its inode has another name;
/// then makes it read-only.
fn settle(path: &Path) -> std::io::Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    let Some(name) = path.file_name() else {
        return Ok(());
    };
    let dir = open_dir(dir)?;
    let fd = rustix::fs::openat(
        &dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let stat = rustix::fs::fstat(&fd)?;
    if stat.st_nlink <= 1 {
        if stat.st_mode & 0o777 != 0o400 {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o400))?;
        }
        return Ok(());
    }
    let mut current = File::from(fd);
    fsops::atomic_write(dir.as_fd(), name, &mut current, Some(0o400))
}

fn open_dir(path: &Path) -> std::io::Result<rustix::fd::OwnedFd> {
    Ok(rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Fails when `file` changed (size, modification time) since `stat`.
fn unchanged_since(file: &File, stat: &Stat) -> std::io::Result<()> {
    let after = rustix::fs::fstat(file)?;
    if after.st_size != stat.st_size
        || after.st_mtime != stat.st_mtime
        || after.st_mtime_nsec != stat.st_mtime_nsec
    {
        return Err(changed_while_saving());
    }
    Ok(())
}

fn changed_while_saving() -> std::io::Error {
    std::io::Error::other("the file changed while its previous version was being saved; try again")
}

/// BLAKE3 (hex) of everything `reader` yields: the hash the journal
/// names content by.
pub fn hash_reader(reader: &mut dyn Read) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// BLAKE3 (hex) of `bytes`: the hash the journal names content by.
pub fn hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

pub(crate) fn store_err(path: &Path, source: std::io::Error) -> FileError {
    FileError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
