//! Loading a plugin folder: the manifest first, then each kind of
//! component from its default place and the manifest's overrides.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::components::{agents_in, commands_in, hooks_file, mcp_file, places, skills_in};
use super::jsonpos::JsonLines;
use super::manifest::{self, Decl, Manifest, Override, Source};
use super::read::{PluginDir, Problem};
use super::skill::SkillDef;
use super::{HooksDecl, LoadError, Plugin, connectors, servers, skill};
use crate::Diagnostic;
use crate::mcp::config::McpFile;

const MANIFEST: &str = ".claude-plugin/plugin.json";
pub(crate) const HOOKS: &str = "hooks/hooks.json";
pub(crate) const MCP: &str = ".mcp.json";
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

/// The skills in a folder of skill folders that is not a plugin: the
/// person's own (`~/.config/cowork/skills/`) or a connected folder's
/// `.claude/skills/`. A folder that does not exist has none. Files are
/// opened beneath `dir`, as a plugin's are.
pub fn load_skills(dir: &Path) -> Result<(Vec<SkillDef>, Vec<Diagnostic>), LoadError> {
    match std::fs::symlink_metadata(dir) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Vec::new(), Vec::new()));
        }
        Err(_) | Ok(_) => {}
    }
    let root = PluginDir::open(dir)?;
    let mut skills = Vec::new();
    let mut diagnostics = Vec::new();
    skills_in(&root, Path::new(""), None, &mut skills, &mut diagnostics);
    dedupe(
        &mut skills,
        |s| &s.name,
        |s| s.dir.join("SKILL.md"),
        "skill",
        &mut diagnostics,
    );
    sort_by_file_then_line(&mut diagnostics);
    Ok((skills, diagnostics))
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
    // A `strict: false` entry is the whole definition of its plugin: the
    // component paths it lists replace the default folders (several
    // entries of anthropics/skills share one root, each with its own
    // `skills` list). Otherwise paths add to the defaults.
    let strict = entry
        .as_ref()
        .is_none_or(|e| e.value.get("strict") != Some(&Value::Bool(false)));
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
    let replaced = |kind: fn(&Manifest) -> &Vec<Override>| {
        !strict && from_entry.as_ref().is_some_and(|m| !kind(m).is_empty())
    };
    let defaults = (
        (!replaced(|m| &m.skills)).then_some("skills"),
        (!replaced(|m| &m.commands)).then_some("commands"),
        (!replaced(|m| &m.agents)).then_some("agents"),
    );
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
    for (rel, declared) in places(defaults.0, &manifest.skills) {
        present |= skills_in(
            &root,
            &rel,
            declared.as_ref(),
            &mut skills,
            &mut diagnostics,
        );
    }
    let mut commands = Vec::new();
    for (rel, declared) in places(defaults.1, &manifest.commands) {
        present |= commands_in(
            &root,
            &rel,
            declared.as_ref(),
            &mut commands,
            &mut diagnostics,
        );
    }
    let mut agents = Vec::new();
    for (rel, declared) in places(defaults.2, &manifest.agents) {
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
                // Lines are known for plugin.json, not for an entry
                // given through the public API.
                let empty = JsonLines::default();
                let lines = own
                    .as_ref()
                    .filter(|_| file == root.shown(Path::new(MANIFEST)))
                    .map(|(_, l)| l);
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
    sort_by_file_then_line(&mut diagnostics);
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
        return own.cloned().unwrap_or_default();
    };
    let Some(own) = own else {
        return entry;
    };
    let mut merged = own.clone();
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

/// Keeps the first of each name, warning about the rest.
fn dedupe<T>(
    items: &mut Vec<T>,
    name: impl Fn(&T) -> &String,
    file: impl Fn(&T) -> PathBuf,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut seen: Vec<(String, PathBuf)> = Vec::new();
    items.retain(|item| {
        // The same file reached twice (a default folder and an override
        // naming a folder inside it) is one component, not a clash.
        if seen
            .iter()
            .any(|(n, f)| n == name(item) && *f == file(item))
        {
            return false;
        }
        if seen.iter().any(|(n, _)| n == name(item)) {
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
            seen.push((name(item).clone(), file(item)));
            true
        }
    });
    items.sort_by(|a, b| name(a).cmp(name(b)));
}

/// Files in the order their first problem was found, and each file's
/// problems by line, as a person reads them top to bottom.
fn sort_by_file_then_line(diagnostics: &mut [Diagnostic]) {
    let mut files: Vec<PathBuf> = Vec::new();
    for d in diagnostics.iter() {
        if !files.contains(&d.file) {
            files.push(d.file.clone());
        }
    }
    diagnostics.sort_by_key(|d| {
        let file = files
            .iter()
            .position(|f| *f == d.file)
            .unwrap_or(usize::MAX);
        (file, d.line.unwrap_or(0))
    });
}
