//! What the model is told about each tool.

use cowork_protocol::{Effect, ToolSpec};
use serde_json::json;

const PATHS: &str = "Paths are relative to the first connected folder, or absolute inside one \
                     of the connected folders; nothing outside them can be reached. Bytes of \
                     file names that are not UTF-8 are shown as `\\xNN` (e.g. `caf\\xE9.txt`) \
                     and can be given back the same way.";

pub(crate) fn all() -> Vec<ToolSpec> {
    vec![read(), ls(), glob(), grep()]
}

fn spec(name: &str, description: String, input_schema: serde_json::Value) -> ToolSpec {
    ToolSpec {
        name: name.to_owned(),
        description,
        input_schema,
        effect: Effect::Read,
    }
}

fn read() -> ToolSpec {
    spec(
        "Read",
        format!(
            "Reads a text file and returns its lines numbered like `cat -n` (line number, tab, \
             text). Use it to look at a file's content once you know its path (find paths with \
             LS, Glob or Grep). By default it returns up to 2000 lines from the start; for longer \
             files, call it again with `offset` (the 1-based line to start at) and `limit`, as the \
             note at the end of the output says. Lines longer than 2000 characters are cut. \
             UTF-8, UTF-16 and Windows-1252 text are decoded. Binary files (PDF, images, Office \
             documents, archives) are described, not shown. Directories cannot be read: use LS. \
             {PATHS}"
        ),
        json!({
            "type": "object",
            "properties": {
                "file_path": {
                    "type": "string",
                    "description": "The file to read: relative to the first folder, or absolute inside a connected folder."
                },
                "offset": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "The line number to start reading from (1-based). Only needed for files too long to read at once."
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "How many lines to read (default 2000)."
                }
            },
            "required": ["file_path"],
            "additionalProperties": false
        }),
    )
}

fn ls() -> ToolSpec {
    spec(
        "LS",
        format!(
            "Lists one directory: subdirectories first (with a trailing `/`), then files with \
             their sizes; symlinks are shown as `name -> target`. Use it to see what a folder \
             holds; use Glob to find files by name across subfolders. Shows at most 1000 \
             entries. `path` defaults to the first connected folder. {PATHS}"
        ),
        json!({
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "description": "The directory to list (default: the first connected folder)."
                },
                "ignore": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Glob patterns of entry names to leave out, e.g. [\"*.tmp\", \"node_modules\"]."
                }
            },
            "additionalProperties": false
        }),
    )
}

fn glob() -> ToolSpec {
    spec(
        "Glob",
        format!(
            "Finds files by path pattern, such as `**/*.md` (any depth), `*.csv` (top level of \
             `path` only) or `reports/2024-*/*.{{xlsx,csv}}`. Returns matching file paths, most \
             recently modified first, at most 1000. The pattern is matched against paths \
             relative to `path`, which defaults to the first connected folder (other folders are \
             searched only when `path` names them). Files excluded by .gitignore or .ignore and \
             hidden files are skipped unless the pattern names them (e.g. `**/.env`). Use Grep \
             to search inside files. {PATHS}"
        ),
        json!({
            "type": "object",
            "properties": {
                "pattern": {
                    "type": "string",
                    "description": "The glob pattern, relative to `path`; `**` matches any number of directories."
                },
                "path": {
                    "type": "string",
                    "description": "The directory to search in (default: the first connected folder)."
                }
            },
            "required": ["pattern"],
            "additionalProperties": false
        }),
    )
}

fn grep() -> ToolSpec {
    spec(
        "Grep",
        format!(
            "Searches file contents with a regular expression (ripgrep syntax, e.g. `invoice\\s+\\d+` \
             or `TODO|FIXME`; escape literal braces and dots). Use it to find which files mention \
             something, or the lines that do. `output_mode`: \"files_with_matches\" (default, \
             paths only), \"content\" (matching lines as `path:line:text`, with -A/-B/-C context \
             lines as `path-line-text`), or \"count\" (`path:count`). Filter files with `glob` \
             (e.g. `*.md`, `*.{{csv,txt}}`) or `type` (ripgrep's type names: md, py, js, …). \
             `path` may be a directory (default: the first connected folder) or a single file. \
             Files excluded by .gitignore, hidden files and binary files are skipped. Patterns \
             match within one line unless `multiline` is true. Use `head_limit` to see only the \
             first lines of a large result; the search stops after 10000 matches. {PATHS}"
        ),
        json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "The regular expression to search for."},
                "path": {"type": "string", "description": "A file or directory to search (default: the first connected folder)."},
                "glob": {"type": "string", "description": "Only search files whose name matches this glob, e.g. \"*.md\" or \"*.{ts,tsx}\"."},
                "type": {"type": "string", "description": "Only search files of this type (ripgrep's names: md, txt, csv, json, py, js, rust, …)."},
                "output_mode": {
                    "type": "string",
                    "enum": ["files_with_matches", "content", "count"],
                    "description": "What to return (default files_with_matches)."
                },
                "-i": {"type": "boolean", "description": "Ignore case."},
                "-n": {"type": "boolean", "description": "Show line numbers in content mode (default true)."},
                "-A": {"type": "integer", "minimum": 0, "description": "Lines of context after each match (content mode)."},
                "-B": {"type": "integer", "minimum": 0, "description": "Lines of context before each match (content mode)."},
                "-C": {"type": "integer", "minimum": 0, "description": "Lines of context before and after each match (content mode)."},
                "multiline": {"type": "boolean", "description": "Let the pattern span lines; `.` then matches newlines too."},
                "head_limit": {"type": "integer", "minimum": 1, "description": "Return only the first N lines of output."}
            },
            "required": ["pattern"],
            "additionalProperties": false
        }),
    )
}
