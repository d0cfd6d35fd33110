//! Instructions in layers: the person's global `COWORK.md` (in cowork's
//! configuration folder), a project's, then each connected folder's
//! `COWORK.md`, `CLAUDE.md` and `AGENTS.md` (Claude Code's and the
//! agents.md convention's names, for folders written for them).
//!
//! They live in core, not in cowork-files, because what they are is a
//! task's business (which layers, which folders are trusted, what the
//! model is told); cowork-files only opens the files, beneath each
//! folder's descriptor as every tool does, so a `COWORK.md` that links out
//! of its folder is refused and one a deny rule hides is never read.
//!
//! A folder's files are honoured only when the person trusted the folder;
//! otherwise the model still sees them, quoted, as data. Whatever they
//! say, they are text for the model: the permission engine never reads
//! them, so they cannot widen what a task may do.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use cowork_files::{FileError, Folders};
use cowork_protocol::{InstructionLayer, InstructionSource, RawPath};

/// The file names read at a connected folder's root, in this order.
pub const FOLDER_INSTRUCTION_FILES: [&str; 3] = ["COWORK.md", "CLAUDE.md", "AGENTS.md"];

/// The global instructions' name in cowork's configuration folder.
pub const GLOBAL_INSTRUCTION_FILE: &str = "COWORK.md";

/// The most of one file the model is sent: instructions are read whole
/// into every request of the task, and a folder's maker decides their
/// size.
pub const MAX_INSTRUCTION_BYTES: usize = 32 * 1024;

/// The most of all layers together, so many folders cannot fill the
/// context window either.
pub const MAX_TOTAL_INSTRUCTION_BYTES: usize = 128 * 1024;

/// A project's instructions, from the front that knows projects. The seam
/// for projects: nothing sets it yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectInstructions {
    /// The project's name, as the person and the model see it.
    pub name: String,
    pub text: String,
}

/// What a task's start read: the sources in the order the model sees
/// them, and what the person should know about files left out or
/// altered (recorded as warnings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instructions {
    pub sources: Vec<InstructionSource>,
    pub notices: Vec<String>,
}

/// Where each layer comes from.
pub(crate) struct Layers<'a> {
    /// The global file, when cowork knows its configuration folder.
    pub global: Option<&'a Path>,
    pub project: Option<&'a ProjectInstructions>,
    /// Opened beneath: the task's folders first (`task_folders` of them),
    /// then any skill folders, which hold no instructions.
    pub folders: &'a Folders,
    pub task_folders: usize,
    /// The task's folders the person trusted (any spelling: compared by
    /// real path).
    pub trusted: &'a [PathBuf],
}

/// Reads every layer. Nothing here fails a task: a file that cannot be
/// read is left out with a notice.
pub(crate) fn load(layers: &Layers<'_>) -> Instructions {
    let mut out = Instructions::default();
    let mut budget = MAX_TOTAL_INSTRUCTION_BYTES;
    if let Some(path) = layers.global {
        match read_global(path, budget.min(MAX_INSTRUCTION_BYTES)) {
            Ok(Some(read)) => out.push(InstructionLayer::Global, Some(path), true, read),
            Ok(None) => {}
            Err(e) => out.notices.push(format!(
                "the global instructions {} were not read: {e}",
                path.display()
            )),
        }
        budget = out.remaining(budget);
    }
    if let Some(project) = layers.project {
        let read = Read::from_bytes(project.text.as_bytes(), budget.min(MAX_INSTRUCTION_BYTES));
        let label = project.name.clone();
        out.push_labelled(InstructionLayer::Project, None, label, true, read);
        budget = out.remaining(budget);
    }
    let trusted: Vec<PathBuf> = layers.trusted.iter().map(|p| real(p)).collect();
    let mut seen: Vec<&Path> = Vec::new();
    for grant in &layers.folders.grants()[..layers.task_folders] {
        if seen.contains(&grant.path.as_path()) {
            continue;
        }
        seen.push(&grant.path);
        let is_trusted = trusted.contains(&grant.path);
        for name in FOLDER_INSTRUCTION_FILES {
            // The join only names the file; it is opened beneath the
            // folder's descriptor, which the kernel keeps it inside.
            let path = grant.path.join(name);
            match read_beneath(layers.folders, &path, budget.min(MAX_INSTRUCTION_BYTES)) {
                Ok(Some(read)) => {
                    out.push(InstructionLayer::Folder, Some(&path), is_trusted, read);
                    budget = out.remaining(budget);
                }
                Ok(None) => {}
                Err(FileError::OutsideFolders { .. }) => out.notices.push(format!(
                    "{} was not read: it links to outside its folder, and instructions are read \
                     only from inside the folder they belong to",
                    path.display()
                )),
                Err(e) => out
                    .notices
                    .push(format!("{} was not read: {e}", path.display())),
            }
        }
    }
    out
}

impl Instructions {
    fn push(&mut self, layer: InstructionLayer, path: Option<&Path>, trusted: bool, read: Read) {
        let label = path.map(|p| p.display().to_string()).unwrap_or_default();
        self.push_labelled(layer, path, label, trusted, read);
    }

    fn push_labelled(
        &mut self,
        layer: InstructionLayer,
        path: Option<&Path>,
        label: String,
        trusted: bool,
        read: Read,
    ) {
        if read.lossy {
            self.notices.push(format!(
                "{label} is not valid UTF-8: the bytes that are not were replaced with \u{FFFD}"
            ));
        }
        if read.truncated {
            self.notices.push(format!(
                "{label} is {} bytes; only its first {} were used (instructions are capped at {} \
                 KiB a file, {} KiB in all)",
                read.bytes,
                read.text.len(),
                MAX_INSTRUCTION_BYTES / 1024,
                MAX_TOTAL_INSTRUCTION_BYTES / 1024
            ));
        }
        self.sources.push(InstructionSource {
            layer,
            path: path.map(RawPath::from),
            label,
            trusted,
            bytes: read.bytes,
            truncated: read.truncated,
            text: read.text,
        });
    }

    /// What is left of `budget` once the last source was counted.
    fn remaining(&self, budget: usize) -> usize {
        let used = self.sources.last().map_or(0, |s| s.text.len());
        budget.saturating_sub(used)
    }
}

/// One source's text, capped.
struct Read {
    text: String,
    bytes: u64,
    truncated: bool,
    lossy: bool,
}

impl Read {
    /// `bytes` decoded, cut to `cap`. A character the cut splits is left
    /// out whole; other bytes that are not UTF-8 are replaced.
    fn from_bytes(bytes: &[u8], cap: usize) -> Self {
        Self::decode(bytes, bytes.len() as u64, cap)
    }

    fn decode(bytes: &[u8], size: u64, cap: usize) -> Self {
        let truncated = bytes.len() > cap || size > cap as u64;
        let mut kept = &bytes[..bytes.len().min(cap)];
        if truncated
            && let Err(e) = std::str::from_utf8(kept)
            && e.error_len().is_none()
        {
            kept = &kept[..e.valid_up_to()];
        }
        let text = String::from_utf8_lossy(kept);
        let lossy = matches!(text, std::borrow::Cow::Owned(_));
        Self {
            text: text.into_owned(),
            bytes: size.max(bytes.len() as u64),
            truncated,
            lossy,
        }
    }

    /// Reads at most `cap` bytes (and one more, to tell a cut) of `file`.
    fn from_file(file: std::fs::File, cap: usize) -> std::io::Result<Self> {
        let size = file.metadata()?.len();
        let mut bytes = Vec::new();
        file.take(cap as u64 + 1).read_to_end(&mut bytes)?;
        Ok(Self::decode(&bytes, size, cap))
    }
}

/// The person's global file: `None` when there is none.
fn read_global(path: &Path, cap: usize) -> std::io::Result<Option<Read>> {
    // A fifo or device would block the task's start or never end.
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => {
            return Err(std::io::Error::other("it is not a regular file"));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let file = std::fs::File::open(path)?;
    Read::from_file(file, cap).map(Some)
}

/// A folder's file, opened beneath its folder: `None` when it does not
/// exist or is hidden from the task.
fn read_beneath(folders: &Folders, path: &Path, cap: usize) -> Result<Option<Read>, FileError> {
    let resolved = folders.resolve_path(path)?;
    let file = match resolved.open_file() {
        Ok(file) => file,
        Err(FileError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    Read::from_file(file, cap)
        .map(Some)
        .map_err(|source| FileError::Io {
            path: path.display().to_string(),
            source,
        })
}

/// The recorded `sources` of a task being run again, with each folder's
/// file the person no longer trusts turned into data, and a notice for
/// each; `None` when nothing changed. Trust withdrawn counts from the
/// next run; trust given later does not change a task already started
/// (its recorded text is what it was given).
pub(crate) fn withdrawn(
    sources: &[InstructionSource],
    trusted: &[PathBuf],
) -> Option<Instructions> {
    let trusted: Vec<PathBuf> = trusted.iter().map(|p| real(p)).collect();
    let mut out = Instructions {
        sources: sources.to_vec(),
        notices: Vec::new(),
    };
    for source in &mut out.sources {
        let folder = source.path.as_ref().and_then(|p| p.as_path().parent());
        let still = folder.is_some_and(|f| trusted.iter().any(|t| t == f));
        if source.layer == InstructionLayer::Folder && source.trusted && !still {
            source.trusted = false;
            out.notices.push(format!(
                "{} is no longer followed: its folder is not trusted any more, so the task now \
                 sees it as data",
                source.label
            ));
        }
    }
    (!out.notices.is_empty()).then_some(out)
}

/// A folder by its real path, so a symlink to it is the same folder.
fn real(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
#[path = "instructions_tests.rs"]
mod tests;
