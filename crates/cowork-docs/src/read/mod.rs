//! Readers (`ReadDocument`, and `Read` for these types): documents back
//! into Markdown a model can use. Corrupt or encrypted files give a
//! [`DocsError`], never a panic.

mod bounds;
mod cfb;
mod docx;
mod ods_scan;
mod ooxml;
#[cfg(feature = "pdf")]
mod pdf;
#[cfg(feature = "pdf")]
mod pdf_scan;
mod pptx;
mod sheet;
mod table;
mod xls_scan;
mod xlsx_scan;

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::error::DocsError;

/// How much of a document to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Rows shown per sheet (spreadsheets); the rest are counted in a note.
    pub max_rows: usize,
    /// Characters of text returned at most; the rest is counted in a note.
    pub max_chars: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_rows: 200,
            max_chars: 200_000,
        }
    }
}

/// The formats readers understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.xlsx`, `.xlsm`
    Xlsx,
    /// `.xls`
    Xls,
    /// `.ods`
    Ods,
    /// `.csv`, `.tsv`
    Csv,
    /// `.docx`
    Docx,
    /// `.pptx`
    Pptx,
    /// `.pdf`
    Pdf,
}

impl Format {
    /// The format for a file name's extension (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "xlsx" | "xlsm" => Self::Xlsx,
            "xls" => Self::Xls,
            "ods" => Self::Ods,
            "csv" | "tsv" => Self::Csv,
            "docx" => Self::Docx,
            "pptx" => Self::Pptx,
            "pdf" => Self::Pdf,
            _ => return None,
        })
    }
}

/// Reads `bytes` (a file called `name`, whose extension picks the format)
/// into Markdown.
pub fn read(name: &str, bytes: &[u8], options: &ReadOptions) -> Result<String, DocsError> {
    let format = Format::from_name(name).ok_or_else(|| DocsError::Unsupported {
        what: name.rsplit_once('.').map_or(name, |(_, e)| e).to_owned(),
        hint: "ReadDocument reads .xlsx .xlsm .xls .ods .csv .tsv .docx .pptx .pdf".to_owned(),
    })?;
    let text = match format {
        Format::Xlsx | Format::Xls | Format::Ods | Format::Csv => {
            sheet::read(format, name, bytes, options)
        }
        Format::Docx => docx::read(bytes, options),
        Format::Pptx => pptx::read(bytes, options),
        #[cfg(feature = "pdf")]
        Format::Pdf => pdf::read(bytes, options),
        #[cfg(not(feature = "pdf"))]
        Format::Pdf => Err(DocsError::Unsupported {
            what: "pdf".to_owned(),
            hint: "this build of cowork-docs has no PDF support (feature `pdf`)".to_owned(),
        }),
    }?;
    // An empty answer reads like a failure; say what was found.
    if text.trim().is_empty() {
        return Ok("(the document holds no text)".to_owned());
    }
    Ok(text)
}

thread_local! {
    /// Set while this thread runs a third-party parser (calamine,
    /// pdf-extract) whose panics are expected and reported as errors: the
    /// panic hook stays silent for them only.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err(message)` without the panic hook
/// printing it; panics on other threads are reported as usual.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was_quiet));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unexpected content".to_owned())
    })
}
