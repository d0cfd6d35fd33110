//! Problems found while reading plugins, each naming its file and line.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// How bad a problem is. An error skips the component it is in; a warning
/// leaves it loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based; `None` when the problem is the file as a whole (missing,
    /// unreadable).
    pub line: Option<u32>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: impl Into<PathBuf>, line: Option<u32>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.into(),
            line,
            message: message.into(),
        }
    }

    pub fn warning(
        file: impl Into<PathBuf>,
        line: Option<u32>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line: error: message`, as compilers print it, so editors can
    /// jump to it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.line {
            Some(line) => write!(
                f,
                "{}:{line}: {kind}: {}",
                self.file.display(),
                self.message
            ),
            None => write!(f, "{}: {kind}: {}", self.file.display(), self.message),
        }
    }
}
