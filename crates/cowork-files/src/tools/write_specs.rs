//! What the model is told about the writing tools.

use cowork_protocol::{Effect, ToolSpec};
use serde_json::json;

const PATHS: &str = "Paths are relative to the first connected folder, or absolute inside one \
                     of the connected folders. A name shown with `\\xNN` escapes (bytes that are \
                     not UTF-8, e.g. `caf\\xE9.txt`) can be given the same way.";

const UNDO: &str = "Every change is journaled first and can be undone.";

pub(crate) fn all() -> Vec<ToolSpec> {
    vec![write(), edit(), mv(), mkdir(), delete()]
}

fn spec(name: &str, effect: Effect, description: String, schema: serde_json::Value) -> ToolSpec {
    ToolSpec {
        name: name.to_owned(),
        description,
        input_schema: schema,
        effect,
    }
}

fn write() -> ToolSpec {
    spec(
        "Write",
        Effect::Write,
        format!(
            "Creates a file, or replaces a file's whole content, with `content` (text). Missing \
             parent folders are created. The file is replaced atomically and keeps its \
             permissions. To change part of an existing file, prefer Edit. Symbolic links are \
             not written through. {UNDO} {PATHS}"
        ),
        json!({
            "type": "object",
            "properties": {
                "file_path": {"type": "string", "description": "The file to create or replace."},
                "content": {"type": "string", "description": "The file's complete new content."}
            },
            "required": ["file_path", "content"],
            "additionalProperties": false
        }),
    )
}

fn edit() -> ToolSpec {
    spec(
        "Edit",
        Effect::Write,
        format!(
            "Replaces exact text in a text file: `old_string` must appear in the file exactly \
             as given (whitespace and indentation included; Read the file first) and only \
             once, unless `replace_all` is true. Returns a unified diff of the change. {UNDO} \
             {PATHS}"
        ),
        json!({
            "type": "object",
            "properties": {
                "file_path": {"type": "string", "description": "The file to edit."},
                "old_string": {"type": "string", "description": "The exact text to replace."},
                "new_string": {"type": "string", "description": "The text to put in its place (may be empty to remove it)."},
                "replace_all": {"type": "boolean", "description": "Replace every occurrence (default false: old_string must be unique)."}
            },
            "required": ["file_path", "old_string", "new_string"],
            "additionalProperties": false
        }),
    )
}

fn mv() -> ToolSpec {
    let pair = json!({
        "type": "object",
        "properties": {
            "from": {"type": "string", "description": "The file or folder to move."},
            "to": {"type": "string", "description": "Its new path; ending in `/`, or naming an existing folder, moves it into that folder."}
        },
        "required": ["from", "to"],
        "additionalProperties": false
    });
    spec(
        "Move",
        Effect::Write,
        format!(
            "Moves or renames files and folders: one with `from` and `to`, or many at once with \
             `moves` (a list of {{from, to}}, up to 1000; use it to reorganise a folder in one \
             call). Missing parent folders are created. An existing target is not replaced \
             unless `overwrite` is true (the replaced item then goes to cowork's trash). A \
             batch is checked completely before anything moves. {UNDO} {PATHS}"
        ),
        json!({
            "type": "object",
            "properties": {
                "from": pair["properties"]["from"].clone(),
                "to": pair["properties"]["to"].clone(),
                "moves": {"type": "array", "items": pair, "description": "Several moves at once (instead of from/to)."},
                "overwrite": {"type": "boolean", "description": "Replace existing targets (default false)."}
            },
            "additionalProperties": false
        }),
    )
}

fn mkdir() -> ToolSpec {
    spec(
        "Mkdir",
        Effect::Write,
        format!(
            "Creates a folder, and any missing parent folders (like `mkdir -p`). An existing \
             folder is fine. {UNDO} {PATHS}"
        ),
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "The folder to create."}
            },
            "required": ["path"],
            "additionalProperties": false
        }),
    )
}

fn delete() -> ToolSpec {
    spec(
        "Delete",
        Effect::Delete,
        format!(
            "Deletes a file or a whole folder by moving it to cowork's trash, from where it can \
             be restored; nothing is erased. A symbolic link is deleted itself, not what it \
             points to. {UNDO} {PATHS}"
        ),
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "The file or folder to delete."}
            },
            "required": ["path"],
            "additionalProperties": false
        }),
    )
}
