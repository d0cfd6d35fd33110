//! `.claude-plugin/plugin.json` (and a marketplace entry, which has the
//! same fields): metadata and component path overrides.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::jsonpos::{JsonLines, child};
use crate::Diagnostic;

/// Who made a plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Author {
    pub name: String,
    pub email: Option<String>,
    pub url: Option<String>,
}

/// What a manifest declares; every field optional.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub author: Option<Author>,
    pub homepage: Option<String>,
    pub repository: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub commands: Vec<Override>,
    pub agents: Vec<Override>,
    pub skills: Vec<Override>,
    pub hooks: Vec<Decl>,
    pub mcp: Vec<Decl>,
}

/// A component path a manifest names, and where it names it.
#[derive(Debug, Clone)]
pub(crate) struct Override {
    /// The manifest key naming it (`skills`).
    pub key: String,
    /// Relative to the plugin root, `./` and inner `..` removed.
    pub path: PathBuf,
    pub file: PathBuf,
    pub line: Option<u32>,
}

/// A `hooks` or `mcpServers` entry: a file, or the configuration inline.
#[derive(Debug, Clone)]
pub(crate) enum Decl {
    Path(Override),
    Inline {
        value: Value,
        file: PathBuf,
        pointer: String,
    },
}

/// Where the manifest's JSON is, for diagnostics.
pub(crate) struct Source<'a> {
    pub file: &'a Path,
    pub lines: &'a JsonLines,
    /// The JSON pointer of the manifest object in its file (empty for
    /// plugin.json, `/plugins/3` for a marketplace entry).
    pub pointer: String,
    /// Marketplace entries carry marketplace keys too; only plugin.json
    /// warns about keys it does not know.
    pub warn_unknown: bool,
}

impl Source<'_> {
    fn line(&self, key: &str) -> Option<u32> {
        self.lines.line(&child(&self.pointer, key))
    }

    fn error(&self, key: &str, message: String) -> Diagnostic {
        Diagnostic::error(self.file, self.line(key), message)
    }

    fn warning(&self, key: &str, message: String) -> Diagnostic {
        Diagnostic::warning(self.file, self.line(key), message)
    }
}

const KNOWN: &[&str] = &[
    "name",
    "version",
    "description",
    "author",
    "homepage",
    "repository",
    "license",
    "keywords",
    "commands",
    "agents",
    "skills",
    "hooks",
    "mcpServers",
    "$schema",
];

/// Keys Claude Code knows that cowork does not use.
const UNSUPPORTED: &[&str] = &[
    "outputStyles",
    "lspServers",
    "monitors",
    "settings",
    "userConfig",
];

pub(crate) fn parse(
    value: &Value,
    source: &Source<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Manifest {
    let Some(object) = value.as_object() else {
        diagnostics.push(Diagnostic::error(
            source.file,
            source.lines.line(&source.pointer),
            "the manifest must be a JSON object (`{\"name\": …}`)",
        ));
        return Manifest::default();
    };
    let mut text = |key: &str| match object.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            diagnostics.push(source.error(
                key,
                format!(
                    "`{key}` must be a string, not {}; it was ignored",
                    kind(other)
                ),
            ));
            None
        }
    };
    let mut manifest = Manifest {
        name: text("name"),
        version: text("version"),
        description: text("description"),
        homepage: text("homepage"),
        license: text("license"),
        ..Manifest::default()
    };
    manifest.repository = match object.get("repository") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        // npm's `{"type": "git", "url": …}` form.
        Some(Value::Object(repo)) if repo.get("url").is_some_and(Value::is_string) => {
            repo.get("url").and_then(Value::as_str).map(str::to_owned)
        }
        Some(other) => {
            diagnostics.push(source.error(
                "repository",
                format!(
                    "`repository` must be a URL string, not {}; it was ignored",
                    kind(other)
                ),
            ));
            None
        }
    };
    manifest.author = author(object.get("author"), source, diagnostics);
    manifest.keywords = match object.get("keywords") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(other) => {
            diagnostics.push(source.error(
                "keywords",
                format!(
                    "`keywords` must be a list of strings, not {}; it was ignored",
                    kind(other)
                ),
            ));
            Vec::new()
        }
    };
    manifest.commands = paths(object, "commands", source, diagnostics);
    manifest.agents = paths(object, "agents", source, diagnostics);
    manifest.skills = paths(object, "skills", source, diagnostics);
    manifest.hooks = decls(object, "hooks", source, diagnostics);
    manifest.mcp = decls(object, "mcpServers", source, diagnostics);
    if source.warn_unknown {
        for key in object.keys() {
            if UNSUPPORTED.contains(&key.as_str()) {
                diagnostics.push(source.warning(
                    key,
                    format!("cowork does not support `{key}` yet; it was ignored"),
                ));
            } else if !KNOWN.contains(&key.as_str()) {
                diagnostics.push(source.warning(
                    key,
                    format!(
                        "unknown key `{key}` in plugin.json; it was ignored (check its spelling)"
                    ),
                ));
            }
        }
    }
    manifest
}

/// `{"name", "email", "url"}`, or npm's `"Name <email> (url)"`.
fn author(
    value: Option<&Value>,
    source: &Source<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Author> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(author_string(s)),
        Value::Object(fields) => {
            let field = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_owned);
            let bad: Vec<&String> = fields
                .iter()
                .filter(|(k, v)| ["name", "email", "url"].contains(&k.as_str()) && !v.is_string())
                .map(|(k, _)| k)
                .collect();
            for key in bad {
                diagnostics.push(Diagnostic::error(
                    source.file,
                    source
                        .lines
                        .line(&child(&child(&source.pointer, "author"), key)),
                    format!("`author.{key}` must be a string; it was ignored"),
                ));
            }
            let Some(name) = field("name") else {
                diagnostics.push(source.warning(
                    "author",
                    "`author` has no `name`; write `\"author\": {\"name\": …}`".to_owned(),
                ));
                return None;
            };
            Some(Author {
                name,
                email: field("email"),
                url: field("url"),
            })
        }
        other => {
            diagnostics.push(source.error(
                "author",
                format!(
                    "`author` must be an object (`{{\"name\": …, \"email\": …}}`) or a string, not \
                     {}; it was ignored",
                    kind(other)
                ),
            ));
            None
        }
    }
}

fn author_string(text: &str) -> Author {
    let between = |open: char, close: char| {
        let start = text.find(open)?;
        let end = text[start..].find(close)? + start;
        Some(text[start + 1..end].trim().to_owned())
    };
    let name_end = text.find(['<', '(']).unwrap_or(text.len());
    Author {
        name: text[..name_end].trim().to_owned(),
        email: between('<', '>'),
        url: between('(', ')'),
    }
}

/// A path override: one string or a list of them, each relative to the
/// plugin root (`./x`) and inside it.
fn paths(
    object: &serde_json::Map<String, Value>,
    key: &str,
    source: &Source<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Override> {
    let items: Vec<(String, &Value)> = match object.get(key) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (child(&child(&source.pointer, key), &i.to_string()), v))
            .collect(),
        Some(other) => vec![(child(&source.pointer, key), other)],
    };
    let mut out = Vec::new();
    for (pointer, item) in items {
        let line = source.lines.line(&pointer);
        let Some(text) = item.as_str() else {
            diagnostics.push(Diagnostic::error(
                source.file,
                line,
                format!("`{key}` must be a path (`\"./dir\"`) or a list of paths, not {}; it was ignored", kind(item)),
            ));
            continue;
        };
        match relative_path(text) {
            Ok(path) => {
                if !text.starts_with("./") && text != "." {
                    diagnostics.push(Diagnostic::warning(
                        source.file,
                        line,
                        format!("paths in `{key}` should start with `./` (write `\"./{text}\"`)"),
                    ));
                }
                out.push(Override {
                    key: key.to_owned(),
                    path,
                    file: source.file.to_path_buf(),
                    line,
                });
            }
            Err(why) => diagnostics.push(Diagnostic::error(
                source.file,
                line,
                format!("`{key}` path `{text}` {why}; it was ignored"),
            )),
        }
    }
    out
}

/// `hooks` and `mcpServers`: paths as [`paths`], or an inline object.
fn decls(
    object: &serde_json::Map<String, Value>,
    key: &str,
    source: &Source<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Decl> {
    match object.get(key) {
        Some(Value::Object(_)) => vec![Decl::Inline {
            value: object.get(key).cloned().unwrap_or(Value::Null),
            file: source.file.to_path_buf(),
            pointer: child(&source.pointer, key),
        }],
        _ => paths(object, key, source, diagnostics)
            .into_iter()
            .map(Decl::Path)
            .collect(),
    }
}

/// `text` as a path relative to the plugin root, refusing absolute paths
/// and `..` that climbs above the root. (The kernel refuses the same, and
/// symlinks too, when the file is opened; this says so earlier, by line.)
pub(crate) fn relative_path(text: &str) -> Result<PathBuf, &'static str> {
    if text.trim().is_empty() {
        return Err("is empty");
    }
    let path = Path::new(text);
    let mut depth = 0i32;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err("is absolute; paths must be relative to the plugin root (`./dir`)");
            }
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return Err(
                        "leads outside the plugin root through `..`; a plugin may only use its own files",
                    );
                }
                out.pop();
            }
            Component::Normal(name) => {
                depth += 1;
                out.push(name);
            }
        }
    }
    Ok(out)
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
