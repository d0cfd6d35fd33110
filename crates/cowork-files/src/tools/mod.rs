//! The file tools, with Claude Code's names and input shapes.

mod change;
mod glob;
mod grep;
mod grep_sink;
mod ls;
mod mkdir_delete;
mod mv;
mod read;
mod sniff;
mod specs;
mod text;
mod walk;
mod write;
mod write_specs;

pub use change::Preview;

use std::path::PathBuf;
use std::sync::Arc;

use cowork_protocol::ToolSpec;
use serde::de::DeserializeOwned;

use crate::error::FileError;
use crate::folders::Folders;
use crate::journal::Journal;

/// The tools' names, in the order [`FileTools::specs`] lists them.
const NAMES: [&str; 9] = [
    "Read", "LS", "Glob", "Grep", "Write", "Edit", "Move", "Mkdir", "Delete",
];

/// Lines (and Grep matches) longer than this many characters are cut.
pub(crate) const MAX_LINE_CHARS: usize = 2000;

/// The file tools over a set of connected folders. Cheap to clone; calls
/// are blocking and may run concurrently from several threads (the runner
/// runs changing calls one at a time).
#[derive(Debug, Clone)]
pub struct FileTools {
    folders: Arc<Folders>,
    journal: Option<Journal>,
}

/// A validated write call, ready to preview or apply.
enum Planned {
    Content(write::Planned),
    Move(mv::Planned),
    Mkdir(mkdir_delete::PlannedMkdir),
    Delete(mkdir_delete::PlannedDelete),
}

impl FileTools {
    /// Tools that see exactly `folders`, without a change journal: the
    /// reading tools work, the writing tools refuse
    /// ([`FileError::NoJournal`]).
    pub fn new(folders: Arc<Folders>) -> Self {
        Self {
            folders,
            journal: None,
        }
    }

    /// Tools that see `folders` and journal every change through
    /// `journal` before making it.
    pub fn with_journal(folders: Arc<Folders>, journal: Journal) -> Self {
        Self {
            folders,
            journal: Some(journal),
        }
    }

    /// The folders these tools see.
    pub fn folders(&self) -> &Folders {
        &self.folders
    }

    /// All the tools as the model sees them: name, description, input
    /// schema and effect (`Read` for the four reading tools, `Write` for
    /// Write, Edit, Move and Mkdir, `Delete` for Delete).
    pub fn specs() -> Vec<ToolSpec> {
        let mut all = specs::all();
        all.extend(write_specs::all());
        all
    }

    /// Only the four reading tools (for plan mode).
    pub fn read_specs() -> Vec<ToolSpec> {
        specs::all()
    }

    /// What a call WOULD do, without doing it: the absolute paths it
    /// touches and a summary for a person (with a diff for Write and
    /// Edit). Invalid calls (bad arguments, outside the folders, read-only
    /// folder, Edit's text not found or not unique, Move's target taken)
    /// fail here, so they are reported without asking anyone. Reading
    /// tools preview as the path they read.
    pub fn preview(&self, name: &str, input: &serde_json::Value) -> Result<Preview, FileError> {
        let planned = match self.plan(name, input)? {
            Some(planned) => planned,
            None => return self.read_preview(name, input),
        };
        Ok(match &planned {
            Planned::Content(p) => p.preview(),
            Planned::Move(p) => p.preview(),
            Planned::Mkdir(p) => p.preview(),
            Planned::Delete(p) => p.preview(),
        })
    }

    /// The absolute paths a call would touch, found without reading any
    /// file's content, so the permission engine can judge them before a
    /// preview reads anything: real, normalised locations (where the
    /// kernel resolves the path, not its spelling), and for a Move or
    /// Delete of a folder everything it carries along. Errors here depend
    /// on names and places only (a concealed path is answered as missing).
    pub fn targets(
        &self,
        name: &str,
        input: &serde_json::Value,
    ) -> Result<Vec<PathBuf>, FileError> {
        let folders = &self.folders;
        let spot = match name {
            "Read" | "LS" | "Glob" | "Grep" => return Ok(vec![self.read_target(name, input)?]),
            "Write" => {
                let input: write::WriteInput = parse(name, input)?;
                change::target(folders, &input.file_path, true, change::Need::New)?
            }
            "Edit" => {
                let input: write::EditInput = parse(name, input)?;
                change::target(folders, &input.file_path, false, change::Need::Existing)?
            }
            // Their plans look at names and metadata only.
            "Move" | "Mkdir" | "Delete" => return Ok(self.preview(name, input)?.paths),
            _ => return Err(self.unknown(name)),
        };
        Ok(vec![spot.abs])
    }

    /// Like [`FileTools::targets`], for [`FileTools::save`] at `path`.
    pub fn save_targets(&self, path: &str) -> Result<Vec<PathBuf>, FileError> {
        let spot = change::target(&self.folders, path, true, change::Need::New)?;
        Ok(vec![spot.abs])
    }

    /// Runs tool `name` with the model's JSON arguments and returns the text
    /// for the model. Write tools save what they replace, record the change
    /// in the journal, and only then change the folder.
    pub fn call(&self, name: &str, input: &serde_json::Value) -> Result<String, FileError> {
        match name {
            "Read" => return read::run(&self.folders, parse(name, input)?),
            "LS" => return ls::run(&self.folders, parse(name, input)?),
            "Glob" => return glob::run(&self.folders, parse(name, input)?),
            "Grep" => return grep::run(&self.folders, parse(name, input)?),
            _ => {}
        }
        let Some(journal) = &self.journal else {
            return Err(if NAMES.contains(&name) {
                FileError::NoJournal {
                    tool: name.to_owned(),
                }
            } else {
                self.unknown(name)
            });
        };
        match self.plan(name, input)? {
            Some(Planned::Content(p)) => p.apply(journal),
            Some(Planned::Move(p)) => p.apply(journal),
            Some(Planned::Mkdir(p)) => p.apply(journal),
            Some(Planned::Delete(p)) => p.apply(journal),
            None => Err(self.unknown(name)),
        }
    }

    /// What saving `content` at `path` would do (create or replace, with
    /// sizes), for an approval; fails like Write would (outside the
    /// folders, read-only, a directory or link in the way).
    pub fn preview_save(&self, path: &str, content: Vec<u8>) -> Result<Preview, FileError> {
        Ok(write::plan_bytes(&self.folders, path, content)?.preview())
    }

    /// Saves `content` (a produced document) at `path`, creating or
    /// replacing the file exactly as Write does: what it replaces is saved
    /// and the change journaled first, then the file is written atomically.
    pub fn save(&self, path: &str, content: Vec<u8>) -> Result<String, FileError> {
        let Some(journal) = &self.journal else {
            return Err(FileError::NoJournal {
                tool: "save".to_owned(),
            });
        };
        write::plan_bytes(&self.folders, path, content)?.apply(journal)
    }

    /// Reads the bytes of a file in the folders (a document to convert),
    /// refusing what Read refuses: outside the folders, hidden by a deny
    /// rule, not a regular file, or larger than `max_bytes`.
    pub fn read_bytes(&self, path: &str, max_bytes: u64) -> Result<Vec<u8>, FileError> {
        read::read_bytes(&self.folders, path, max_bytes)
    }

    /// Validates a write call; `None` for a tool that does not write.
    fn plan(&self, name: &str, input: &serde_json::Value) -> Result<Option<Planned>, FileError> {
        let folders = &self.folders;
        Ok(Some(match name {
            "Write" => Planned::Content(write::plan_write(folders, parse(name, input)?)?),
            "Edit" => Planned::Content(write::plan_edit(folders, parse(name, input)?)?),
            "Move" => Planned::Move(mv::plan(folders, parse(name, input)?)?),
            "Mkdir" => Planned::Mkdir(mkdir_delete::plan_mkdir(folders, parse(name, input)?)?),
            "Delete" => Planned::Delete(mkdir_delete::plan_delete(folders, parse(name, input)?)?),
            _ => return Ok(None),
        }))
    }

    fn read_preview(&self, name: &str, input: &serde_json::Value) -> Result<Preview, FileError> {
        let abs = self.read_target(name, input)?;
        Ok(Preview {
            summary: format!("{name} {}", crate::names::show(&abs)),
            paths: vec![abs],
        })
    }

    /// Where a reading call reads: the real location of its path (as far
    /// as it exists), so a rule about `private/` also covers
    /// `pub/../private` and a link into it.
    fn read_target(&self, name: &str, input: &serde_json::Value) -> Result<PathBuf, FileError> {
        let field = match name {
            "Read" => "file_path",
            "LS" | "Glob" | "Grep" => "path",
            _ => return Err(self.unknown(name)),
        };
        let path = match input.get(field).and_then(|v| v.as_str()) {
            None | Some("") => ".",
            Some(path) => path,
        };
        let resolved = self.folders.resolve(path)?;
        if resolved.conceals() {
            return Err(resolved.not_found());
        }
        Ok(resolved.real_guess())
    }

    fn unknown(&self, name: &str) -> FileError {
        FileError::UnknownTool {
            name: name.to_owned(),
            known: NAMES.iter().map(|n| (*n).to_owned()).collect(),
        }
    }
}

/// Deserializes a tool's arguments, naming the offending field on error.
fn parse<T: DeserializeOwned>(tool: &str, input: &serde_json::Value) -> Result<T, FileError> {
    let kind = match input {
        serde_json::Value::Object(_) => None,
        serde_json::Value::Null => Some("null"),
        serde_json::Value::Bool(_) => Some("a boolean"),
        serde_json::Value::Number(_) => Some("a number"),
        serde_json::Value::String(_) => Some("a string"),
        serde_json::Value::Array(_) => Some("an array"),
    };
    if let Some(kind) = kind {
        return Err(FileError::invalid(
            tool,
            format!("the arguments must be a JSON object, not {kind}"),
        ));
    }
    serde_path_to_error::deserialize(input).map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner();
        let message = if field == "." {
            inner.to_string()
        } else {
            format!("field `{field}`: {inner}")
        };
        FileError::invalid(tool, message)
    })
}

/// Cuts `line` to [`MAX_LINE_CHARS`] characters, saying how long it was.
pub(crate) fn clip_line(line: &str) -> std::borrow::Cow<'_, str> {
    if line.len() <= MAX_LINE_CHARS {
        return line.into();
    }
    match line.char_indices().nth(MAX_LINE_CHARS) {
        None => line.into(),
        Some((cut, _)) => {
            let total = line.chars().count();
            format!("{}… [line cut: {total} characters]", &line[..cut]).into()
        }
    }
}

pub(crate) use cowork_protocol::words::bytes as human_size;

pub(crate) use cowork_protocol::words::thousands;

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
