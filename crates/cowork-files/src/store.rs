//! cowork's own storage for what changes replace: content-addressed blobs
//! of replaced file versions, and the trash.

use std::collections::HashSet;
use std::fs::{DirBuilder, File};
use std::io::{Read, Seek};
use std::os::fd::AsRawFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use rustix::fd::AsFd;
use rustix::fs::{AtFlags, CWD, Stat};
use rustix::io::Errno;

use crate::error::FileError;
use crate::fsops;
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

    /// Where the blob with this hash is (or would be) stored.
    pub fn blob_path(&self, hash: &str) -> PathBuf {
        let prefix = hash.get(..2).unwrap_or("00");
        self.blobs.join(prefix).join(hash)
    }

    /// Whether a blob with this hash is stored.
    pub fn has_blob(&self, hash: &str) -> bool {
        self.blob_path(hash).is_file()
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
    /// `stat` taken before) as a blob and returns its hash. Dedups; a file
    /// with no other name is hard-linked in, not copied (it is about to be
    /// replaced by a rename, so the blob keeps the old inode); a copy is
    /// made across file systems or when the file has other hard links
    /// (whose later edits would change the blob).
    pub(crate) fn save_blob(&self, file: &mut File, stat: &Stat) -> std::io::Result<String> {
        let hash = hash_reader(file)?;
        let after = rustix::fs::fstat(&*file)?;
        if after.st_size != stat.st_size
            || after.st_mtime != stat.st_mtime
            || after.st_mtime_nsec != stat.st_mtime_nsec
        {
            return Err(std::io::Error::other(
                "the file changed while its previous version was being saved; try again",
            ));
        }
        let path = self.blob_path(&hash);
        if path.is_file() {
            return Ok(hash);
        }
        let dir = path.parent().unwrap_or(&self.blobs);
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let dir_fd = rustix::fs::open(
            dir,
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
            rustix::fs::Mode::empty(),
        )?;
        if stat.st_nlink == 1 {
            let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
            match rustix::fs::linkat(
                CWD,
                proc_path.as_str(),
                &dir_fd,
                hash.as_str(),
                AtFlags::SYMLINK_FOLLOW,
            ) {
                Ok(()) => {
                    rustix::fs::fsync(&dir_fd)?;
                    return Ok(hash);
                }
                Err(Errno::EXIST) => return Ok(hash),
                // EXDEV (another file system), or no /proc: copy instead.
                Err(_) => {}
            }
        }
        file.rewind()?;
        fsops::atomic_write(dir_fd.as_fd(), hash.as_ref(), file, Some(0o600))?;
        Ok(hash)
    }

    /// Makes sure a blob has no other name: after a replace that failed,
    /// the file it was linked from is still in the folder, and editing it
    /// in place would change the blob. The blob is then swapped for a copy.
    pub(crate) fn unshare_blob(&self, hash: &str) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        let path = self.blob_path(hash);
        if std::fs::metadata(&path)?.nlink() <= 1 {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.blobs);
        let dir_fd = rustix::fs::open(
            dir,
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
            rustix::fs::Mode::empty(),
        )?;
        let mut current = File::open(&path)?;
        fsops::atomic_write(dir_fd.as_fd(), hash.as_ref(), &mut current, Some(0o600))
    }

    /// Opens a stored blob for reading.
    pub(crate) fn open_blob(&self, hash: &str) -> std::io::Result<File> {
        File::open(self.blob_path(hash))
    }
}

/// BLAKE3 (hex) of everything `reader` yields.
pub(crate) fn hash_reader(reader: &mut dyn Read) -> std::io::Result<String> {
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

/// BLAKE3 (hex) of `bytes`.
pub(crate) fn hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

pub(crate) fn store_err(path: &Path, source: std::io::Error) -> FileError {
    FileError::Io {
        path: path.display().to_string(),
        source,
    }
}
