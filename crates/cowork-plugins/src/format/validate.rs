//! `cowork plugin validate DIR`: a plugin folder, or a marketplace folder
//! (`.claude-plugin/marketplace.json`) with every plugin it holds.

use std::path::Path;

use serde_json::Value;

use super::jsonpos::{JsonLines, child};
use super::load::{Entry, json_error, load};
use super::manifest::{kind, relative_path};
use super::read::{Kind, PluginDir, Problem};
use super::{LoadError, Plugin};
use crate::{Diagnostic, Severity};

const MARKETPLACE: &str = ".claude-plugin/marketplace.json";

/// What validating a folder found.
#[derive(Debug)]
pub struct Validation {
    /// The marketplace's name, when the folder is one.
    pub marketplace: Option<String>,
    /// The plugins that loaded (for a marketplace, those with a local
    /// source), in order, each with its own problems.
    pub plugins: Vec<Checked>,
    /// Problems of the marketplace file itself, and of plugins that could
    /// not be loaded at all.
    pub diagnostics: Vec<Diagnostic>,
}

/// One plugin that loaded, and what is wrong with it.
#[derive(Debug)]
pub struct Checked {
    pub plugin: Plugin,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn errors(&self) -> usize {
        count(&self.diagnostics, Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        count(&self.diagnostics, Severity::Warning)
    }
}

impl Validation {
    /// Every problem: the marketplace's first, then each plugin's.
    pub fn all(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .chain(self.plugins.iter().flat_map(|c| &c.diagnostics))
    }

    pub fn errors(&self) -> usize {
        self.all().filter(|d| d.severity == Severity::Error).count()
    }

    pub fn warnings(&self) -> usize {
        self.all()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

fn count(diagnostics: &[Diagnostic], severity: Severity) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .count()
}

/// Validates `dir`: a marketplace when it has
/// `.claude-plugin/marketplace.json`, else a plugin. Fails only when
/// `dir` is neither (or cannot be read).
pub fn validate(dir: &Path) -> Result<Validation, LoadError> {
    let root = PluginDir::open(dir)?;
    let rel = Path::new(MARKETPLACE);
    match root.read(rel) {
        Ok(text) => Ok(marketplace(dir, &root, &root.shown(rel), &text)),
        Err(Problem::Missing) => {
            let (plugin, mut diagnostics) = load(dir, None)?;
            add_hook_problems(&plugin, &mut diagnostics);
            Ok(Validation {
                plugins: vec![Checked {
                    plugin,
                    diagnostics,
                }],
                diagnostics: Vec::new(),
                marketplace: None,
            })
        }
        Err(problem) => Ok(Validation {
            plugins: Vec::new(),
            diagnostics: vec![root.problem(rel, &problem)],
            marketplace: None,
        }),
    }
}

fn marketplace(dir: &Path, root: &PluginDir, file: &Path, text: &str) -> Validation {
    let mut out = Validation {
        plugins: Vec::new(),
        diagnostics: Vec::new(),
        marketplace: None,
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            out.diagnostics
                .push(json_error(file, &error, "no plugin of it was checked"));
            return out;
        }
    };
    let lines = JsonLines::scan(text);
    let error = |pointer: &str, message: String| {
        Diagnostic::error(file, lines.line(pointer).or(Some(1)), message)
    };
    let Some(object) = value.as_object() else {
        out.diagnostics.push(error(
            "",
            "marketplace.json must be a JSON object with `name`, `owner` and `plugins`".to_owned(),
        ));
        return out;
    };
    match object.get("name") {
        Some(Value::String(name)) => out.marketplace = Some(name.clone()),
        Some(other) => out.diagnostics.push(error(
            "/name",
            format!("`name` must be a string, not {}", kind(other)),
        )),
        None => out.diagnostics.push(error(
            "",
            "the marketplace has no `name`; add `\"name\": \"my-marketplace\"`".to_owned(),
        )),
    }
    match object.get("owner") {
        Some(Value::Object(owner)) if owner.get("name").is_some_and(Value::is_string) => {}
        Some(_) => out.diagnostics.push(error(
            "/owner",
            "`owner` must be an object with a `name` (`{\"name\": \"…\"}`)".to_owned(),
        )),
        None => out.diagnostics.push(error(
            "",
            "the marketplace has no `owner`; add `\"owner\": {\"name\": \"…\"}`".to_owned(),
        )),
    }
    let plugin_root = match object.get("metadata").and_then(|m| m.get("pluginRoot")) {
        None => Some(std::path::PathBuf::new()),
        Some(Value::String(base)) => match relative_path(base) {
            Ok(base) => Some(base),
            Err(why) => {
                out.diagnostics.push(error(
                    "/metadata/pluginRoot",
                    format!("`metadata.pluginRoot` `{base}` {why}"),
                ));
                None
            }
        },
        Some(other) => {
            out.diagnostics.push(error(
                "/metadata/pluginRoot",
                format!("`metadata.pluginRoot` must be a path, not {}", kind(other)),
            ));
            None
        }
    };
    let Some(Value::Array(entries)) = object.get("plugins") else {
        out.diagnostics.push(error(
            "/plugins",
            "the marketplace needs `plugins`, a list of plugin entries".to_owned(),
        ));
        return out;
    };
    let mut names: Vec<String> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let pointer = child("/plugins", &index.to_string());
        let Some(fields) = entry.as_object() else {
            out.diagnostics.push(error(
                &pointer,
                format!("a plugin entry must be an object, not {}", kind(entry)),
            ));
            continue;
        };
        let name = match fields.get("name") {
            Some(Value::String(name)) => name.clone(),
            _ => {
                out.diagnostics.push(error(
                    &pointer,
                    "the plugin entry has no `name` string".to_owned(),
                ));
                continue;
            }
        };
        if names.contains(&name) {
            out.diagnostics.push(error(
                &child(&pointer, "name"),
                format!("two plugins are called `{name}`; names must be unique"),
            ));
        }
        names.push(name.clone());
        match fields.get("source") {
            Some(Value::String(source)) => {
                let Some(base) = &plugin_root else { continue };
                let rel = match relative_path(source) {
                    Ok(rel) if source.starts_with('.') => base.join(rel),
                    Ok(_) => {
                        out.diagnostics.push(error(
                            &child(&pointer, "source"),
                            format!(
                                "`source` `{source}` must be a relative path starting with `./`, \
                                 or an object (`{{\"source\": \"github\", \"repo\": …}}`)"
                            ),
                        ));
                        continue;
                    }
                    Err(why) => {
                        out.diagnostics.push(error(
                            &child(&pointer, "source"),
                            format!("`source` `{source}` {why}"),
                        ));
                        continue;
                    }
                };
                // The kernel judges the source beneath the marketplace
                // folder first: a symlink out of it is not followed.
                match root.kind(&rel) {
                    Ok(Kind::Dir) => {}
                    Ok(Kind::File | Kind::Other) => {
                        out.diagnostics.push(error(
                            &child(&pointer, "source"),
                            format!("`source` `{source}` is not a folder"),
                        ));
                        continue;
                    }
                    Err(problem) => {
                        out.diagnostics.push(error(
                            &child(&pointer, "source"),
                            format!("`source` `{source}` {}", problem.message()),
                        ));
                        continue;
                    }
                }
                let entry = Entry {
                    value: entry,
                    file,
                    lines: &lines,
                    pointer: pointer.clone(),
                };
                match load(&dir.join(&rel), Some(entry)) {
                    Ok((plugin, mut diagnostics)) => {
                        if plugin.name != name {
                            diagnostics.insert(0, Diagnostic::warning(
                                file,
                                lines.line(&child(&pointer, "name")),
                                format!(
                                    "the entry `{name}` points at a plugin whose plugin.json calls \
                                     it `{}`; it installs as `{name}`",
                                    plugin.name
                                ),
                            ));
                        }
                        add_hook_problems(&plugin, &mut diagnostics);
                        out.plugins.push(Checked {
                            plugin,
                            diagnostics,
                        });
                    }
                    Err(load_error) => out.diagnostics.push(error(
                        &child(&pointer, "source"),
                        format!("the plugin `{name}` cannot be loaded: {load_error}"),
                    )),
                }
            }
            Some(Value::Object(source)) => {
                remote_source(source, &pointer, &name, &lines, file, &mut out.diagnostics);
            }
            Some(other) => out.diagnostics.push(error(
                &child(&pointer, "source"),
                format!("`source` must be a path or an object, not {}", kind(other)),
            )),
            None => out.diagnostics.push(error(
                &pointer,
                format!("the plugin `{name}` has no `source`"),
            )),
        }
    }
    out
}

/// A source fetched from elsewhere: only its shape is checked.
fn remote_source(
    source: &serde_json::Map<String, Value>,
    pointer: &str,
    name: &str,
    lines: &JsonLines,
    file: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let at = child(pointer, "source");
    let line = lines.line(&at);
    let required: &[&str] = match source.get("source").and_then(Value::as_str) {
        Some("github") => &["repo"],
        Some("url") => &["url"],
        Some("git-subdir") => &["url", "path"],
        Some("npm" | "pip") => &["package"],
        Some(other) => {
            diagnostics.push(Diagnostic::warning(
                file,
                line,
                format!(
                    "the plugin `{name}` has the unknown source kind `{other}`; known: github, \
                     url, git-subdir, npm, pip"
                ),
            ));
            return;
        }
        None => {
            diagnostics.push(Diagnostic::error(
                file,
                line,
                format!(
                    "the source of `{name}` needs `\"source\": \"github\"|\"url\"|\"git-subdir\"`"
                ),
            ));
            return;
        }
    };
    for key in required {
        if !source.get(*key).is_some_and(Value::is_string) {
            diagnostics.push(Diagnostic::error(
                file,
                line,
                format!("the source of `{name}` needs a `{key}` string"),
            ));
        }
    }
}

/// What the hooks parser finds in the plugin's hooks beyond the loader's
/// JSON check; a problem the loader already reported on a line is not
/// repeated.
fn add_hook_problems(plugin: &Plugin, diagnostics: &mut Vec<Diagnostic>) {
    let (_, found) = super::load_hooks(plugin);
    for problem in found {
        let known = diagnostics
            .iter()
            .any(|d| d.file == problem.file && d.line == problem.line);
        if !known {
            diagnostics.push(problem);
        }
    }
}
