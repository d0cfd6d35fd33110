//! The crate's error type: what went wrong, named so a model (or a person)
//! can fix the spec or the file.

/// Why a document could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// The spec is wrong at `path` (a JSON path such as
    /// `sheets[0].rows[3][2]`, or `markdown` line 12). Fix the spec.
    #[error("invalid spec at `{path}`: {message}")]
    InvalidSpec {
        /// Where in the spec.
        path: String,
        /// What is wrong, and what would be right.
        message: String,
    },
    /// An image or other asset the spec names could not be loaded.
    #[error("cannot load `{name}`: {message}")]
    Asset {
        /// The name as the spec gave it.
        name: String,
        /// Why.
        message: String,
    },
    /// The file is not a valid document of this format (truncated, not a
    /// zip, broken XML ...).
    #[error("cannot read this {format} file: {message}")]
    Corrupt {
        /// "XLSX", "DOCX", "PDF" ...
        format: &'static str,
        /// What is broken.
        message: String,
    },
    /// The file is password-protected.
    #[error(
        "this {format} file is encrypted (password-protected); save an unprotected copy and read that"
    )]
    Encrypted {
        /// "XLSX", "DOCX", "PDF" ...
        format: &'static str,
    },
    /// The file declares more than a reader takes in (cells, inflated
    /// bytes, parts): reading it as it is could exhaust memory. Not
    /// retryable as is: the user saves a smaller file.
    #[error(
        "this {format} file is too large to read: {part} {declared}; cowork reads up to {limit} — {hint}"
    )]
    TooLarge {
        /// "XLSX", "ODS", "DOCX" ...
        format: &'static str,
        /// Which part of the file: "sheet `Data`", "part `word/document.xml`".
        part: String,
        /// What it declares: "declares 1,048,576 rows × 16,384 columns (17,179,869,184 cells)".
        declared: String,
        /// The limit, with its unit: "2,000,000 cells".
        limit: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// The file's type is not one this crate reads or writes.
    #[error("unsupported file type `{what}`: {hint}")]
    Unsupported {
        /// The extension or format.
        what: String,
        /// What is supported instead.
        hint: String,
    },
    /// Producing the output failed inside a writer library.
    #[error("could not produce the {format}: {message}")]
    Render {
        /// "XLSX", "DOCX", "PDF", "PNG" ...
        format: &'static str,
        /// The library's reason.
        message: String,
    },
}

impl DocsError {
    /// An `InvalidSpec` at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidSpec {
            path: path.into(),
            message: message.into(),
        }
    }

    /// A `Render` error for `format`.
    pub fn render(format: &'static str, message: impl ToString) -> Self {
        Self::Render {
            format,
            message: message.to_string(),
        }
    }

    /// A `Corrupt` error for `format`.
    pub fn corrupt(format: &'static str, message: impl ToString) -> Self {
        Self::Corrupt {
            format,
            message: message.to_string(),
        }
    }
}
