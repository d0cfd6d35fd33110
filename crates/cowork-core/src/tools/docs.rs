//! The document tools: `CreateSpreadsheet`, `CreateDocument`,
//! `CreatePresentation`, `CreatePdf`, `CreateChart` (cowork-docs writers,
//! saved through the change journal) and `ReadDocument` (its readers).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use cowork_docs::{Assets, DocsError};
use cowork_files::{FileError, FileTools, Folders};
use cowork_protocol::{Effect, ToolSpec};

use super::blocking;
use super::files::TaskJournal;
use crate::tool::{CallContext, Preview, Tool, ToolFailure, ToolRegistry};

/// The reading tool's name, as rules and the model name it.
pub(crate) const READ_DOCUMENT: &str = "ReadDocument";

/// The documents the writing tools make, one tool each.
const KINDS: [Kind; 5] = [
    Kind::Spreadsheet,
    Kind::Document,
    Kind::Presentation,
    Kind::Pdf,
    Kind::Chart,
];

/// The names of the writing tools.
pub(crate) fn writer_names() -> impl Iterator<Item = &'static str> {
    KINDS.into_iter().map(Kind::name)
}

/// Images and documents larger than this are not read.
const MAX_INPUT_BYTES: u64 = 200 << 20;

/// What a Create tool produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Spreadsheet,
    Document,
    Presentation,
    Pdf,
    Chart,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Spreadsheet => "CreateSpreadsheet",
            Kind::Document => "CreateDocument",
            Kind::Presentation => "CreatePresentation",
            Kind::Pdf => "CreatePdf",
            Kind::Chart => "CreateChart",
        }
    }

    /// The extensions `path` may have, the first being the default.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Spreadsheet => &["xlsx", "csv"],
            Kind::Document => &["docx"],
            Kind::Presentation => &["pptx"],
            Kind::Pdf => &["pdf"],
            Kind::Chart => &["png", "svg"],
        }
    }

    fn description(self) -> &'static str {
        match self {
            Kind::Spreadsheet => {
                "Creates an Excel workbook (.xlsx) — several sheets with typed columns (number, \
                 currency, percent, date, boolean, text), formulas (a string starting with `=`, \
                 cross-sheet references allowed), bold frozen header rows, fitted column widths, \
                 autofilter or Excel tables, conditional formatting, and native Excel charts over \
                 cell ranges — or a .csv of one sheet. `path` is where to save it in the \
                 connected folders; an existing file is replaced (the old one is kept for undo)."
            }
            Kind::Document => {
                "Creates a Word document (.docx) from Markdown with real Word styles (Heading \
                 1–3, List Bullet, Table Grid...), an optional title page, table of contents, \
                 header and footer with page numbers, images from the connected folders and \
                 charts. `path` is where to save it; an existing file is replaced (kept for undo)."
            }
            Kind::Presentation => {
                "Creates a PowerPoint deck (.pptx, 16:9): title, bullets (nested), two-column, \
                 image, table, chart and section slides, with speaker notes and a clean theme \
                 whose colours and fonts can be chosen. `path` is where to save it; an existing \
                 file is replaced (kept for undo)."
            }
            Kind::Pdf => {
                "Typesets a PDF report from Markdown (the same spec as CreateDocument): embedded \
                 fonts, title page, table of contents, page numbers, tables, images and charts. \
                 `path` is where to save it; an existing file is replaced (kept for undo)."
            }
            Kind::Chart => {
                "Draws a chart (bar, column, line, area, pie, scatter) with title, axis labels \
                 and legend to .png or .svg. To put a chart in a document, deck or PDF, give it \
                 in that tool's spec instead. `path` is where to save it."
            }
        }
    }

    fn schema(self) -> Value {
        let spec = match self {
            Kind::Spreadsheet => cowork_docs::spec::schema::<cowork_docs::xlsx::SpreadsheetSpec>(),
            Kind::Document | Kind::Pdf => {
                cowork_docs::spec::schema::<cowork_docs::report::ReportSpec>()
            }
            Kind::Presentation => {
                cowork_docs::spec::schema::<cowork_docs::pptx::PresentationSpec>()
            }
            Kind::Chart => cowork_docs::spec::schema::<cowork_docs::chart::ChartSpec>(),
        };
        with_path(spec, self.extensions())
    }

    /// Renders the spec (the input without `path`) for `path`'s extension.
    fn render(self, ext: &str, spec: &Value, assets: &dyn Assets) -> Result<Vec<u8>, DocsError> {
        use cowork_docs::spec::parse;
        match (self, ext) {
            (Kind::Spreadsheet, "csv") => cowork_docs::xlsx::write_csv(&parse(spec)?, None),
            (Kind::Spreadsheet, _) => cowork_docs::xlsx::write(&parse(spec)?),
            (Kind::Document, _) => cowork_docs::docx::write(&parse(spec)?, assets),
            (Kind::Presentation, _) => cowork_docs::pptx::write(&parse(spec)?, assets),
            (Kind::Pdf, _) => cowork_docs::pdf::write(&parse(spec)?, assets),
            (Kind::Chart, "svg") => {
                cowork_docs::chart::render_svg(&parse(spec)?).map(String::into_bytes)
            }
            (Kind::Chart, _) => cowork_docs::chart::render_png(&parse(spec)?),
        }
    }
}

/// The spec's schema with a required `path` property in front.
fn with_path(mut schema: Value, extensions: &[&str]) -> Value {
    let listed = extensions
        .iter()
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(" or ");
    if let Some(object) = schema.as_object_mut() {
        let mut properties = Map::new();
        properties.insert(
            "path".to_owned(),
            serde_json::json!({
                "type": "string",
                "description": format!(
                    "Where to save the file in the connected folders (relative to the first), \
                     ending in {listed}."
                ),
            }),
        );
        if let Some(Value::Object(rest)) = object.remove("properties") {
            properties.extend(rest);
        }
        object.insert("properties".to_owned(), Value::Object(properties));
        let mut required = vec![Value::from("path")];
        if let Some(Value::Array(rest)) = object.remove("required") {
            required.extend(rest);
        }
        object.insert("required".to_owned(), Value::Array(required));
    }
    schema
}

/// Images named by a spec, read from the connected folders like `Read`
/// would (relative paths from the first folder; hidden paths refused).
struct FolderAssets {
    files: Arc<FileTools>,
}

impl Assets for FolderAssets {
    fn load(&self, name: &str) -> Result<Vec<u8>, DocsError> {
        self.files
            .read_bytes(name, MAX_INPUT_BYTES)
            .map_err(|e| DocsError::Asset {
                name: name.to_owned(),
                message: e.to_string(),
            })
    }
}

struct CreateTool {
    kind: Kind,
    spec: ToolSpec,
    files: Arc<FileTools>,
    journal: TaskJournal,
}

/// A validated Create call.
struct Prepared {
    path: String,
    bytes: Vec<u8>,
}

/// Where a Create call saves, and the extension, which must fit the kind;
/// renders nothing.
fn save_path(kind: Kind, input: &Value) -> Result<(&str, String), ToolFailure> {
    let name = kind.name();
    let Some(object) = input.as_object() else {
        return Err(ToolFailure::new(format!(
            "{name}: the arguments must be a JSON object with `path` and the spec"
        )));
    };
    let Some(path) = object.get("path").and_then(Value::as_str) else {
        return Err(ToolFailure::new(format!(
            "{name}: `path` is missing; give where to save the file, e.g. `{}`",
            example_path(kind)
        )));
    };
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !kind.extensions().contains(&ext.as_str()) {
        return Err(ToolFailure::new(format!(
            "{name}: `path` must end in {} (got `{path}`), e.g. `{}`",
            kind.extensions()
                .iter()
                .map(|e| format!(".{e}"))
                .collect::<Vec<_>>()
                .join(" or "),
            example_path(kind)
        )));
    }
    Ok((path, ext))
}

fn prepare(kind: Kind, files: &Arc<FileTools>, input: &Value) -> Result<Prepared, ToolFailure> {
    let name = kind.name();
    let (path, ext) = save_path(kind, input)?;
    let mut spec = input.as_object().cloned().unwrap_or_default();
    spec.remove("path");
    let assets = FolderAssets {
        files: Arc::clone(files),
    };
    let bytes = kind
        .render(&ext, &Value::Object(spec), &assets)
        .map_err(|e| ToolFailure::new(format!("{name}: {e}")))?;
    Ok(Prepared {
        path: path.to_owned(),
        bytes,
    })
}

fn example_path(kind: Kind) -> String {
    let stem = match kind {
        Kind::Spreadsheet => "expenses",
        Kind::Document => "memo",
        Kind::Presentation => "deck",
        Kind::Pdf => "report",
        Kind::Chart => "chart",
    };
    format!("{stem}.{}", kind.extensions()[0])
}

fn file_failure(kind: Kind, error: &FileError) -> ToolFailure {
    ToolFailure::new(format!("{}: {error}", kind.name()))
}

impl Tool for CreateTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn targets(
        &self,
        input: &Value,
    ) -> BoxFuture<'static, Result<Option<Vec<PathBuf>>, ToolFailure>> {
        let (kind, files, input) = (self.kind, Arc::clone(&self.files), input.clone());
        Box::pin(blocking(move || {
            let (path, _) = save_path(kind, &input)?;
            files
                .save_targets(path)
                .map(Some)
                .map_err(|e| file_failure(kind, &e))
        }))
    }

    fn preview(&self, input: &Value) -> BoxFuture<'static, Result<Preview, ToolFailure>> {
        let (kind, files, input) = (self.kind, Arc::clone(&self.files), input.clone());
        Box::pin(blocking(move || {
            let prepared = prepare(kind, &files, &input)?;
            let preview = files
                .preview_save(&prepared.path, prepared.bytes)
                .map_err(|e| file_failure(kind, &e))?;
            Ok(Preview {
                paths: preview.paths,
                summary: preview.summary,
            })
        }))
    }

    fn call(
        &self,
        input: Value,
        ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        let (kind, files) = (self.kind, Arc::clone(&self.files));
        let journal = self.journal.clone();
        Box::pin(blocking(move || {
            let prepared = prepare(kind, &files, &input)?;
            journal.for_call(&ctx.call_id);
            files
                .save(&prepared.path, prepared.bytes)
                .map_err(|e| file_failure(kind, &e))
        }))
    }
}

struct ReadDocument {
    spec: ToolSpec,
    files: Arc<FileTools>,
}

impl Tool for ReadDocument {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    /// The document's real path, so path rules see what it reads (the
    /// preview names no paths).
    fn targets(
        &self,
        input: &Value,
    ) -> BoxFuture<'static, Result<Option<Vec<PathBuf>>, ToolFailure>> {
        let (files, input) = (Arc::clone(&self.files), input.clone());
        Box::pin(blocking(move || {
            let path = input
                .get("file_path")
                .and_then(Value::as_str)
                .unwrap_or_default();
            files
                .targets("Read", &serde_json::json!({ "file_path": path }))
                .map(Some)
                .map_err(|e| ToolFailure::new(e.to_string()))
        }))
    }

    fn call(
        &self,
        input: Value,
        _ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        let files = Arc::clone(&self.files);
        Box::pin(blocking(move || {
            let Some(path) = input.get("file_path").and_then(Value::as_str) else {
                return Err(ToolFailure::new(
                    "ReadDocument: `file_path` is missing; give the document to read",
                ));
            };
            let mut options = cowork_docs::read::ReadOptions::default();
            if let Some(rows) = input.get("max_rows").and_then(Value::as_u64) {
                options.max_rows = usize::try_from(rows).unwrap_or(usize::MAX).max(1);
            }
            read_document(&files, path, &options)
        }))
    }
}

/// Reads a document in the folders as Markdown (also what `Read` does for
/// these file types).
pub(crate) fn read_document(
    files: &FileTools,
    path: &str,
    options: &cowork_docs::read::ReadOptions,
) -> Result<String, ToolFailure> {
    let bytes = files
        .read_bytes(path, MAX_INPUT_BYTES)
        .map_err(|e| ToolFailure::new(e.to_string()))?;
    cowork_docs::read::read(path, &bytes, options)
        .map_err(|e| ToolFailure::new(format!("`{path}`: {e}")))
}

/// Whether `Read` should hand `path` to the document readers.
pub(crate) fn is_document(path: &str) -> bool {
    cowork_docs::read::Format::from_name(path)
        .is_some_and(|f| !matches!(f, cowork_docs::read::Format::Csv))
}

/// Registers `ReadDocument` always, and the Create tools when `journal`
/// is given (they change the folders).
pub fn register_doc_tools(
    registry: &mut ToolRegistry,
    folders: Arc<Folders>,
    journal: Option<&TaskJournal>,
) {
    let reader = Arc::new(FileTools::new(Arc::clone(&folders)));
    registry.register(Arc::new(ReadDocument {
        spec: ToolSpec {
            name: READ_DOCUMENT.into(),
            description: "Reads a spreadsheet (.xlsx .xlsm .xls .ods .csv .tsv) as Markdown \
                tables per sheet, a Word document (.docx) as Markdown, a deck (.pptx) slide by \
                slide with speaker notes, or a PDF page by page. `Read` does the same for these \
                types; use this to set `max_rows` per sheet (default 200)."
                .into(),
            input_schema: serde_json::json!({
                "type": "object",
                "properties": {
                    "file_path": {"type": "string", "description": "The document, in the connected folders."},
                    "max_rows": {"type": "integer", "minimum": 1, "description": "Rows shown per sheet (spreadsheets); default 200."}
                },
                "required": ["file_path"],
                "additionalProperties": false
            }),
            effect: Effect::Read,
        },
        files: reader,
    }));
    let Some(journal) = journal else {
        return;
    };
    let files = Arc::new(FileTools::with_journal(folders, journal.journal().clone()));
    for kind in KINDS {
        registry.register(Arc::new(CreateTool {
            kind,
            spec: ToolSpec {
                name: kind.name().into(),
                description: kind.description().into(),
                input_schema: kind.schema(),
                effect: Effect::Write,
            },
            files: Arc::clone(&files),
            journal: journal.clone(),
        }));
    }
}
