//! Exporting a task to share it: one self-contained HTML page that opens
//! offline, Markdown, or a documented JSON structure ([`Export`],
//! [`FORMAT_VERSION`]). Every format shows the same things: the prompt,
//! model, folders and mode; each step in order (the model's text, each
//! tool call with its input, approval and result, warnings, connector
//! statuses, the final status), tokens and duration; and the files the
//! task created or changed ([`ExportedFile`]), read back from the folders
//! or from the change journal, with where each came from ([`Source`]).
//!
//! Secrets never leave: the whole [`Export`] passes through one
//! [`Redactor`] as a JSON value (every string, whatever its field), the
//! rendered file passes through it once more, and a file that holds a
//! secret is shown redacted, never embedded as it is. The front gathers
//! what is secret (keys in its environment, connector configurations,
//! OAuth tokens) since only it knows where those live; the redactor also
//! knows the well-known token shapes by itself.
//!
//! It reads, and never writes: writing the file is the front's.
//!
//! ```no_run
//! # fn demo(store: &cowork_store::Store, journal: &cowork_files::JournalStore) -> Result<(), Box<dyn std::error::Error>> {
//! use cowork_server::export::{self, Format, Redactor, Sources};
//!
//! let row = store.task("last")?;
//! let events = store.events(&row.id)?;
//! let folders = export::open_folders(&row.spec.folders, &[], &[]);
//! let redactor = Redactor::new(std::env::var("ANTHROPIC_API_KEY").ok());
//! let sources = Sources { folders: folders.as_ref(), journal: Some(journal), project: None };
//! let model = export::build(&row, &events, sources, &redactor, 0)?;
//! let html = export::render(&model, Format::Html, &redactor)?;
//! # Ok(()) }
//! ```

mod doc;
mod encode;
mod files;
mod html;
mod markdown;
mod redact;
mod time;

use std::path::{Path, PathBuf};

use cowork_files::{Folders, JournalStore};
use cowork_protocol::FolderGrant;
use cowork_store::{StoredEvent, TaskRow};

pub use doc::{Approval, Decision, Export, FORMAT_VERSION, FolderInfo, Step, TaskInfo, ToolCall};
pub use files::{EMBED_MAX_BYTES, ExportedFile, MAX_TEXT_CHARS, PreviewKind, Source};
pub use html::CSP;
pub use redact::{MIN_SECRET_CHARS, REDACTED, Redactor};

/// The formats an export is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    Json,
}

impl Format {
    /// The format a file name asks for by its extension (`.html`, `.htm`,
    /// `.md`, `.markdown`, `.json`); `None` for any other.
    pub fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Some(Self::Html),
            "md" | "markdown" => Some(Self::Markdown),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Markdown => "md",
            Self::Json => "json",
        }
    }
}

/// Where the files a task touched are read back from. Either may be
/// missing (a folder since removed, no journal): the files are then
/// listed with what could not be read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    /// The task's folders, opened as the task saw them.
    pub folders: Option<&'a Folders>,
    /// The change journal's blobs and the trash.
    pub journal: Option<&'a JournalStore>,
    /// The name of the task's project, when it has one the front could
    /// read.
    pub project: Option<&'a str>,
}

/// An export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The export's model did not survive encoding: a bug, reported
    /// rather than writing a file that may hold a secret.
    #[error("could not encode the export: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The task's folders for reading what it touched, with the paths deny
/// rules hide (`hidden`, globs) and cowork's own folders (`reserved`)
/// concealed as they were from the task. `None` when they cannot be
/// opened (a folder was removed): the files then show as gone.
pub fn open_folders(
    grants: &[FolderGrant],
    hidden: &[String],
    reserved: &[PathBuf],
) -> Option<Folders> {
    Folders::open(grants)
        .and_then(|f| f.with_hidden(hidden))
        .map(|f| f.with_reserved(reserved))
        .ok()
}

/// The export of task `row` with log `events`, redacted. `now_ms` is the
/// export's time (Unix milliseconds).
pub fn build(
    row: &TaskRow,
    events: &[StoredEvent],
    sources: Sources<'_>,
    redactor: &Redactor,
    now_ms: i64,
) -> Result<Export, ExportError> {
    let files = files::collect(events, sources.folders, sources.journal, redactor);
    let mut export = doc::build(row, events, files, now_ms);
    export.task.project = sources.project.map(str::to_owned);
    // One pass over every string, whatever field holds it.
    let mut value = serde_json::to_value(&export)?;
    redactor.redact_json(&mut value);
    Ok(serde_json::from_value(value)?)
}

/// What a front knows beyond the task's own record: the secrets to
/// redact, what the task had hidden, and where the journal is.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub redactor: &'a Redactor,
    /// The paths deny rules hide from tasks (globs).
    pub hidden: &'a [String],
    /// cowork's own folders, concealed from tasks.
    pub reserved: &'a [PathBuf],
    /// The data dir whose change journal holds the files' earlier
    /// versions; `None`: files are read from the folders only.
    pub journal_dir: Option<&'a std::path::Path>,
}

/// Task `row` (log `events`) exported as `format`: what `cowork export`
/// writes and the web UI downloads. Its folders are opened as the task
/// saw them, earlier versions come from the journal, and its project is
/// named from `store`. Returns the export and its text.
pub fn export_task(
    store: &cowork_store::Store,
    row: &TaskRow,
    events: &[StoredEvent],
    inputs: Inputs<'_>,
    format: Format,
    now_ms: i64,
) -> Result<(Export, String), ExportError> {
    let folders = open_folders(&row.spec.folders, inputs.hidden, inputs.reserved);
    let journal = inputs
        .journal_dir
        .and_then(|dir| JournalStore::open(dir).ok());
    let project = row
        .spec
        .project
        .as_deref()
        .and_then(|id| store.project(id).ok())
        .map(|p| p.name);
    let sources = Sources {
        folders: folders.as_ref(),
        journal: journal.as_ref(),
        project: project.as_deref(),
    };
    let export = build(row, events, sources, inputs.redactor, now_ms)?;
    let text = render(&export, format, inputs.redactor)?;
    Ok((export, text))
}

/// `export` written out in `format`, through `redactor` once more.
pub fn render(export: &Export, format: Format, redactor: &Redactor) -> Result<String, ExportError> {
    let text = match format {
        Format::Html => html::render(export),
        Format::Markdown => markdown::render(export),
        Format::Json => {
            let mut json = serde_json::to_string_pretty(export)?;
            json.push('\n');
            json
        }
    };
    Ok(redactor.redact(&text))
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
