//! Finding each kind of component: in its default place and in the
//! places a manifest adds.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::jsonpos::JsonLines;
use super::load::json_error;
use super::manifest::{self, Override};
use super::read::{Kind, PluginDir, Problem};
use super::{HooksDecl, agent, command, servers, skill};
use crate::Diagnostic;
use crate::mcp::config::McpFile;

/// The default folder (unless replaced), then each override not naming
/// it again. The
/// override comes along to name plugin.json's line when it is missing.
pub(crate) fn places(
    default: Option<&str>,
    overrides: &[Override],
) -> Vec<(PathBuf, Option<Override>)> {
    let mut out: Vec<(PathBuf, Option<Override>)> = default
        .map(|d| (PathBuf::from(d), None))
        .into_iter()
        .collect();
    for o in overrides {
        if !out.iter().any(|(p, _)| *p == o.path) {
            out.push((o.path.clone(), Some(o.clone())));
        }
    }
    out
}

/// What is at `rel`; a missing default is silent (`None`), a missing
/// override is an error on its plugin.json line.
pub(crate) fn locate(
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
                format!(
                    "`{}` names `./{}`, which {}",
                    o.key,
                    o.path.display(),
                    problem.message()
                ),
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
pub(crate) fn skills_in(
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
pub(crate) fn commands_in(
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

pub(crate) fn agents_in(
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
pub(crate) fn markdown_files(
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
pub(crate) fn hooks_file(
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

pub(crate) fn mcp_file(
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
pub(crate) fn read_declared(
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
                format!(
                    "`{}` names `./{}`, which {}",
                    o.key,
                    o.path.display(),
                    problem.message()
                ),
            ));
            (true, None)
        }
        (Err(problem), None) => {
            diagnostics.push(root.problem(rel, &problem));
            (true, None)
        }
    }
}
