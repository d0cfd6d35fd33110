//! Loading a plugin folder: the manifest first, then each kind of
//! component from its default place and the manifest's overrides.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::jsonpos::JsonLines;
use super::manifest::{self, Decl, Manifest, Override, Source};
use super::read::{Kind, PluginDir, Problem};
use super::{HooksDecl, LoadError, Plugin, agent, command, connectors, servers, skill};
use crate::Diagnostic;
use crate::mcp::config::McpFile;

const MANIFEST: &str = ".claude-plugin/plugin.json";
const HOOKS: &str = "hooks/hooks.json";
const MCP: &str = ".mcp.json";
const CONNECTORS: &str = "CONNECTORS.md";

/// Reads the plugin in `dir`. See the [module docs](super) for what is a
/// diagnostic and what is an error.
pub fn load_plugin(dir: &Path) -> Result<(Plugin, Vec<Diagnostic>), LoadError> {
    load(dir, None)
}

/// Reads the plugin in `dir` as a marketplace entry describes it: the
/// entry's component paths (`"skills": ["./skills/xlsx"]` of a `strict:
/// false` entry) add to the plugin's own, and its name, description and
/// version stand in for a missing plugin.json's. Problems in the entry
/// name `marketplace_file` (without lines).
pub fn load_plugin_with_entry(
    dir: &Path,
    entry: &Value,
    marketplace_file: &Path,
) -> Result<(Plugin, Vec<Diagnostic>), LoadError> {
    let lines = JsonLines::default();
    load(
        dir,
        Some(Entry {
            value: entry,
            file: marketplace_file,
            lines: &lines,
            pointer: String::new(),
        }),
    )
}

/// A marketplace entry describing the plugin being loaded.
pub(crate) struct Entry<'a> {
    pub value: &'a Value,
    pub file: &'a Path,
    pub lines: &'a JsonLines,
    pub pointer: String,
}

pub(crate) fn load(
    dir: &Path,
    entry: Option<Entry<'_>>,
) -> Result<(Plugin, Vec<Diagnostic>), LoadError> {
    let root = PluginDir::open(dir)?;
    let mut diagnostics = Vec::new();
    let own = read_manifest(&root, &mut diagnostics);
    let has_entry = entry.is_some();
    let from_entry = entry.map(|entry| {
        let source = Source {
            file: entry.file,
            lines: entry.lines,
            pointer: entry.pointer,
            warn_unknown: false,
        };
        manifest::parse(entry.value, &source, &mut diagnostics)
    });
    let mut present = own.is_some() || has_entry;
    let folder_name = root
        .real_root()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("plugin")
        .to_owned();
    let manifest = merge(own.as_ref().and_then(|(m, _)| m.as_ref()), from_entry);
    let name = match (&manifest.name, &own) {
        (Some(name), _) => name.clone(),
        // plugin.json exists and parses but names nothing.
        (None, Some((Some(_), _))) => {
            diagnostics.push(Diagnostic::warning(
                root.shown(Path::new(MANIFEST)),
                Some(1),
                format!("plugin.json has no `name`; the plugin is called `{folder_name}` after its folder (add `\"name\": \"{folder_name}\"`)"),
            ));
            folder_name.clone()
        }
        (None, _) => folder_name.clone(),
    };
    if !skill::is_kebab(&name) {
        diagnostics.push(Diagnostic::warning(
            root.shown(Path::new(MANIFEST)),
            own.as_ref().map(|(_, lines)| lines.line("/name").unwrap_or(1)),
            format!("the plugin name `{name}` should be lowercase letters, digits and hyphens (it prefixes its skills and commands: `{name}:…`)"),
        ));
    }

    let mut skills = Vec::new();
    for (rel, declared) in places("skills", &manifest.skills) {
        present |= skills_in(
            &root,
            &rel,
            declared.as_ref(),
            &mut skills,
            &mut diagnostics,
        );
    }
    let mut commands = Vec::new();
    for (rel, declared) in places("commands", &manifest.commands) {
        present |= commands_in(
            &root,
            &rel,
            declared.as_ref(),
            &mut commands,
            &mut diagnostics,
        );
    }
    let mut agents = Vec::new();
    for (rel, declared) in places("agents", &manifest.agents) {
        present |= agents_in(
            &root,
            &rel,
            declared.as_ref(),
            &mut agents,
            &mut diagnostics,
        );
    }
    let mut hooks = Vec::new();
    present |= hooks_file(&root, Path::new(HOOKS), None, &mut hooks, &mut diagnostics);
    let mut mcp = McpFile::default();
    present |= mcp_file(&root, Path::new(MCP), None, &mut mcp, &mut diagnostics);
    for decl in manifest.hooks {
        match decl {
            Decl::Path(o) if o.path == Path::new(HOOKS) => {}
            Decl::Path(o) => {
                hooks_file(
                    &root,
                    &o.path.clone(),
                    Some(&o),
                    &mut hooks,
                    &mut diagnostics,
                );
            }
            // Only an object is read as inline hooks (see `manifest`).
            Decl::Inline { value, file, .. } => hooks.push(HooksDecl::Inline {
                manifest: file,
                hooks: value,
            }),
        }
    }
    for decl in manifest.mcp {
        match decl {
            Decl::Path(o) if o.path == Path::new(MCP) => {}
            Decl::Path(o) => {
                mcp_file(&root, &o.path.clone(), Some(&o), &mut mcp, &mut diagnostics);
            }
            Decl::Inline {
                value,
                file,
                pointer,
            } => {
                let lines = own.as_ref().map(|(_, l)| l);
                let empty = JsonLines::default();
                servers::read(
                    &value,
                    true,
                    &file,
                    lines.unwrap_or(&empty),
                    &pointer,
                    &mut mcp,
                    &mut diagnostics,
                );
            }
        }
    }
    let connectors = match root.read(Path::new(CONNECTORS)) {
        Ok(text) => {
            let (map, mut found) = connectors::parse(&text, &root.shown(Path::new(CONNECTORS)));
            diagnostics.append(&mut found);
            map
        }
        Err(Problem::Missing) => super::ConnectorsMap::default(),
        Err(problem) => {
            diagnostics.push(root.problem(Path::new(CONNECTORS), &problem));
            super::ConnectorsMap::default()
        }
    };
    if !present {
        return Err(LoadError::NotAPlugin {
            dir: dir.to_path_buf(),
        });
    }
    dedupe(
        &mut skills,
        |s| &s.name,
        |s| s.dir.join("SKILL.md"),
        "skill",
        &mut diagnostics,
    );
    dedupe(
        &mut commands,
        |c| &c.name,
        |c| c.file.clone(),
        "command",
        &mut diagnostics,
    );
    dedupe(
        &mut agents,
        |a| &a.name,
        |a| a.file.clone(),
        "agent",
        &mut diagnostics,
    );
    let plugin = Plugin {
        name,
        version: manifest.version,
        description: manifest.description,
        author: manifest.author,
        homepage: manifest.homepage,
        repository: manifest.repository,
        license: manifest.license,
        keywords: manifest.keywords,
        root: root.real_root().to_path_buf(),
        skills,
        commands,
        agents,
        hooks,
        mcp,
        connectors,
    };
    Ok((plugin, diagnostics))
}

/// plugin.json, parsed: `None` when there is none; `Some((None, _))` when
/// it exists but cannot be used (the error is in `diagnostics`).
fn read_manifest(
    root: &PluginDir,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(Option<Manifest>, JsonLines)> {
    let rel = Path::new(MANIFEST);
    let text = match root.read(rel) {
        Ok(text) => text,
        Err(Problem::Missing) => return None,
        Err(problem) => {
            diagnostics.push(root.problem(rel, &problem));
            return Some((None, JsonLines::default()));
        }
    };
    let file = root.shown(rel);
    let value: Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => {
            diagnostics.push(json_error(
                &file,
                &error,
                "the plugin loads from its default folders, under its folder's name",
            ));
            return Some((None, JsonLines::default()));
        }
    };
    let lines = JsonLines::scan(&text);
    let source = Source {
        file: &file,
        lines: &lines,
        pointer: String::new(),
        warn_unknown: true,
    };
    let manifest = manifest::parse(&value, &source, diagnostics);
    Some((Some(manifest), lines))
}

/// A JSON syntax error on its line, with what happens because of it.
pub(crate) fn json_error(file: &Path, error: &serde_json::Error, consequence: &str) -> Diagnostic {
    let line = u32::try_from(error.line()).ok().filter(|l| *l > 0);
    let message = error.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message);
    Diagnostic::error(
        file,
        line,
        format!(
            "not valid JSON: {message} (column {}); {consequence}",
            error.column()
        ),
    )
}

/// plugin.json's fields, else the marketplace entry's; component paths
/// from both.
fn merge(own: Option<&Manifest>, entry: Option<Manifest>) -> Manifest {
    let Some(mut entry) = entry else {
        return own.map(clone_manifest).unwrap_or_default();
    };
    let Some(own) = own else {
        return entry;
    };
    let mut merged = clone_manifest(own);
    merged.name = merged.name.or(entry.name);
    merged.description = merged.description.or(entry.description);
    merged.version = merged.version.or(entry.version);
    merged.author = merged.author.or(entry.author);
    merged.commands.append(&mut entry.commands);
    merged.agents.append(&mut entry.agents);
    merged.skills.append(&mut entry.skills);
    merged.hooks.append(&mut entry.hooks);
    merged.mcp.append(&mut entry.mcp);
    merged
}

fn clone_manifest(m: &Manifest) -> Manifest {
    Manifest {
        name: m.name.clone(),
        version: m.version.clone(),
        description: m.description.clone(),
        author: m.author.clone(),
        homepage: m.homepage.clone(),
        repository: m.repository.clone(),
        license: m.license.clone(),
        keywords: m.keywords.clone(),
        commands: m.commands.clone(),
        agents: m.agents.clone(),
        skills: m.skills.clone(),
        hooks: m.hooks.iter().map(clone_decl).collect(),
        mcp: m.mcp.iter().map(clone_decl).collect(),
    }
}

fn clone_decl(d: &Decl) -> Decl {
    match d {
        Decl::Path(o) => Decl::Path(o.clone()),
        Decl::Inline {
            value,
            file,
            pointer,
        } => Decl::Inline {
            value: value.clone(),
            file: file.clone(),
            pointer: pointer.clone(),
        },
    }
}

/// The default folder, then each override not naming it again. The
/// override comes along to name plugin.json's line when it is missing.
fn places(default: &str, overrides: &[Override]) -> Vec<(PathBuf, Option<Override>)> {
    let mut out: Vec<(PathBuf, Option<Override>)> = vec![(PathBuf::from(default), None)];
    for o in overrides {
        if !out.iter().any(|(p, _)| *p == o.path) {
            out.push((o.path.clone(), Some(o.clone())));
        }
    }
    out
}

/// What is at `rel`; a missing default is silent (`None`), a missing
/// override is an error on its plugin.json line.
fn locate(
    root: &PluginDir,
    rel: &Path,
    declared: Option<&Override>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Kind> {
    match (root.kind(rel), declared) {
        (Ok(kind), _) => Some(kind),
        (Err(Problem::Missing), None) => None,
        (Err(problem), Some(o)) => {
            diagnostics.push(Diagnostic::error(
                &o.file,
                o.line,
                format!("`./{}` {}", o.path.display(), problem.message()),
            ));
            None
        }
        (Err(problem), None) => {
            diagnostics.push(root.problem(rel, &problem));
            None
        }
    }
}

/// Skills in `rel`: a skill folder itself (holding SKILL.md), or a folder
/// of skill folders. Returns whether anything was there.
fn skills_in(
    root: &PluginDir,
    rel: &Path,
    declared: Option<&Override>,
    skills: &mut Vec<skill::SkillDef>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let Some(kind) = locate(root, rel, declared, diagnostics) else {
        return false;
    };
    match kind {
        Kind::Dir if root.kind(&rel.join("SKILL.md")).is_ok() => {
            skills.extend(skill::load(root, rel, diagnostics));
        }
        Kind::Dir => {
            let (entries, mut problems) = match root.list(rel) {
                Ok(listed) => listed,
                Err(problem) => {
                    diagnostics.push(root.problem(rel, &problem));
                    return true;
                }
            };
            diagnostics.append(&mut problems);
            for entry in entries.iter().filter(|e| e.kind == Kind::Dir) {
                let folder = rel.join(&entry.name);
                match root.kind(&folder.join("SKILL.md")) {
                    Ok(_) => skills.extend(skill::load(root, &folder, diagnostics)),
                    Err(Problem::Missing) => diagnostics.push(Diagnostic::warning(
                        root.shown(&folder),
                        None,
                        "this skill folder has no SKILL.md, so it was skipped",
                    )),
                    Err(problem) => diagnostics.push(root.problem(&folder.join("SKILL.md"), &problem)),
                }
            }
        }
        Kind::File if rel.file_name().is_some_and(|n| n == "SKILL.md") => {
            let folder = rel.parent().unwrap_or(Path::new(""));
            skills.extend(skill::load(root, folder, diagnostics));
        }
        Kind::File | Kind::Other => diagnostics.push(Diagnostic::error(
            root.shown(rel),
            None,
            "is not a skill folder (a folder holding SKILL.md) or a folder of them, so it was skipped",
        )),
    }
    true
}

/// Commands in `rel`: one `.md` file, or every `.md` below a folder
/// (`a/b.md` is `a:b`).
fn commands_in(
    root: &PluginDir,
    rel: &Path,
    declared: Option<&Override>,
    commands: &mut Vec<command::CommandDef>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let Some(kind) = locate(root, rel, declared, diagnostics) else {
        return false;
    };
    for (file, parts) in markdown_files(root, rel, kind, true, diagnostics) {
        commands.extend(command::load(root, &file, parts.join(":"), diagnostics));
    }
    true
}

fn agents_in(
    root: &PluginDir,
    rel: &Path,
    declared: Option<&Override>,
    agents: &mut Vec<agent::AgentDef>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let Some(kind) = locate(root, rel, declared, diagnostics) else {
        return false;
    };
    for (file, _) in markdown_files(root, rel, kind, false, diagnostics) {
        agents.extend(agent::load(root, &file, diagnostics));
    }
    true
}

/// The `.md` files at `rel` (a file, or a folder's, below it when
/// `nested`), each with its name parts relative to `rel`.
fn markdown_files(
    root: &PluginDir,
    rel: &Path,
    kind: Kind,
    nested: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, Vec<String>)> {
    let stem = |p: &Path| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        Kind::File => return vec![(rel.to_path_buf(), vec![stem(rel)])],
        Kind::Other => {
            diagnostics.push(root.problem(rel, &Problem::NotAFile));
            return Vec::new();
        }
        Kind::Dir => {}
    }
    let mut out = Vec::new();
    let mut pending = vec![(rel.to_path_buf(), Vec::<String>::new())];
    while let Some((folder, prefix)) = pending.pop() {
        let (entries, mut problems) = match root.list(&folder) {
            Ok(listed) => listed,
            Err(problem) => {
                diagnostics.push(root.problem(&folder, &problem));
                continue;
            }
        };
        diagnostics.append(&mut problems);
        for entry in entries {
            let path = folder.join(&entry.name);
            match entry.kind {
                Kind::File if entry.name.ends_with(".md") => {
                    let mut parts = prefix.clone();
                    parts.push(stem(&path));
                    out.push((path, parts));
                }
                // Bounded depth: a symlink loop inside the plugin must
                // not walk forever.
                Kind::Dir if nested && prefix.len() < 8 => {
                    let mut parts = prefix.clone();
                    parts.push(entry.name.clone());
                    pending.push((path, parts));
                }
                Kind::File | Kind::Dir | Kind::Other => {}
            }
        }
    }
    out.sort();
    out
}

/// A hooks file: checked to be a JSON object, recorded by path. Returns
/// whether it was there.
fn hooks_file(
    root: &PluginDir,
    rel: &Path,
    declared: Option<&Override>,
    hooks: &mut Vec<HooksDecl>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let (present, text) = read_declared(root, rel, declared, diagnostics);
    let Some(text) = text else {
        return present;
    };
    let file = root.shown(rel);
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(_)) => hooks.push(HooksDecl::File {
            path: root.real_root().join(rel),
        }),
        Ok(other) => diagnostics.push(Diagnostic::error(
            &file,
            Some(1),
            format!(
                "hooks must be a JSON object of events, not {}; the hooks were skipped",
                manifest::kind(&other)
            ),
        )),
        Err(error) => diagnostics.push(json_error(&file, &error, "the hooks were skipped")),
    }
    true
}

fn mcp_file(
    root: &PluginDir,
    rel: &Path,
    declared: Option<&Override>,
    mcp: &mut McpFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let (present, text) = read_declared(root, rel, declared, diagnostics);
    let Some(text) = text else {
        return present;
    };
    let file = root.shown(rel);
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => {
            let lines = JsonLines::scan(&text);
            servers::read(&value, false, &file, &lines, "", mcp, diagnostics);
        }
        Err(error) => diagnostics.push(json_error(&file, &error, "its servers were skipped")),
    }
    true
}

/// The text at `rel`, and whether anything is there at all: a missing
/// default file is silent, anything else unusable is a diagnostic.
fn read_declared(
    root: &PluginDir,
    rel: &Path,
    declared: Option<&Override>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (bool, Option<String>) {
    match (root.read(rel), declared) {
        (Ok(text), _) => (true, Some(text)),
        (Err(Problem::Missing), None) => (false, None),
        (Err(problem), Some(o)) => {
            diagnostics.push(Diagnostic::error(
                &o.file,
                o.line,
                format!("`./{}` {}", o.path.display(), problem.message()),
            ));
            (true, None)
        }
        (Err(problem), None) => {
            diagnostics.push(root.problem(rel, &problem));
            (true, None)
        }
    }
}

/// Keeps the first of each name, warning about the rest.
fn dedupe<T>(
    items: &mut Vec<T>,
    name: impl Fn(&T) -> &String,
    file: impl Fn(&T) -> PathBuf,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut seen: Vec<String> = Vec::new();
    items.retain(|item| {
        if seen.contains(name(item)) {
            diagnostics.push(Diagnostic::warning(
                file(item),
                None,
                format!(
                    "another {what} is already called `{}`; this one was skipped",
                    name(item)
                ),
            ));
            false
        } else {
            seen.push(name(item).clone());
            true
        }
    });
    items.sort_by(|a, b| name(a).cmp(name(b)));
}
