//! The reading file tools, with Claude Code's names and input shapes.

mod glob;
mod grep;
mod grep_sink;
mod ls;
mod read;
mod sniff;
mod specs;
mod text;
mod walk;

use std::sync::Arc;

use cowork_protocol::ToolSpec;
use serde::de::DeserializeOwned;

use crate::error::FileError;
use crate::folders::Folders;

/// The tools' names, in the order [`FileTools::specs`] lists them.
const NAMES: [&str; 4] = ["Read", "LS", "Glob", "Grep"];

/// Lines (and Grep matches) longer than this many characters are cut.
pub(crate) const MAX_LINE_CHARS: usize = 2000;

/// The file tools over a set of connected folders. Cheap to clone; calls
/// are blocking and may run concurrently from several threads.
#[derive(Debug, Clone)]
pub struct FileTools {
    folders: Arc<Folders>,
}

impl FileTools {
    /// Tools that see exactly `folders`.
    pub fn new(folders: Arc<Folders>) -> Self {
        Self { folders }
    }

    /// The folders these tools see.
    pub fn folders(&self) -> &Folders {
        &self.folders
    }

    /// The tools as the model sees them: name, description, input schema,
    /// and their effect (all of them only read).
    pub fn specs() -> Vec<ToolSpec> {
        specs::all()
    }

    /// Runs tool `name` with the model's JSON arguments and returns the text
    /// for the model.
    pub fn call(&self, name: &str, input: &serde_json::Value) -> Result<String, FileError> {
        match name {
            "Read" => read::run(&self.folders, parse(name, input)?),
            "LS" => ls::run(&self.folders, parse(name, input)?),
            "Glob" => glob::run(&self.folders, parse(name, input)?),
            "Grep" => grep::run(&self.folders, parse(name, input)?),
            _ => Err(FileError::UnknownTool {
                name: name.to_owned(),
                known: NAMES.iter().map(|n| (*n).to_owned()).collect(),
            }),
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

/// A byte count for people: `812 B`, `12.4 KB`, `3.1 MB`.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// `1,234,567`, so big counts stay readable.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
