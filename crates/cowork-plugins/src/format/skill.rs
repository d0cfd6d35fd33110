//! `skills/<name>/SKILL.md`: a skill's frontmatter, body and other files.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::frontmatter::{self, Fields};
use super::read::{Kind, PluginDir};
use crate::Diagnostic;

/// A skill, as `SKILL.md` declares it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillDef {
    /// The skill's folder name, which is what it is called by
    /// (`/plugin:name`); the frontmatter `name` should equal it.
    pub name: String,
    pub description: String,
    pub argument_hint: Option<String>,
    /// Tools the skill may use without asking (`allowed-tools`).
    pub allowed_tools: Vec<String>,
    /// Whether `/name` may run it (default true).
    pub user_invocable: bool,
    /// Whether only a person may start it (the model is not told of it).
    pub disable_model_invocation: bool,
    pub model: Option<String>,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    /// `metadata`: any map, kept as written.
    pub metadata: Option<serde_json::Value>,
    /// The skill's folder (absolute, real path).
    pub dir: PathBuf,
    /// `SKILL.md` after its frontmatter.
    pub body: String,
    /// The skill's other files, relative to `dir`, sorted.
    pub files: Vec<PathBuf>,
}

/// Frontmatter keys of skills: Anthropic's schema notes, the Agent Skills
/// spec, and Claude Code's additions.
const KNOWN: &[&str] = &[
    "name",
    "description",
    "argument-hint",
    "allowed-tools",
    "user-invocable",
    "disable-model-invocation",
    "model",
    "license",
    "compatibility",
    "metadata",
    "version",
    "when_to_use",
    "context",
    "agent",
    "hooks",
    "effort",
    "paths",
    "shell",
];

/// How many files of one skill are listed; a skill with more is a data
/// dump, and listing it all would slow every load.
const MAX_FILES: usize = 2000;
/// The Agent Skills spec's limit on a description.
const MAX_DESCRIPTION: usize = 1024;
/// How deep a skill's folders are listed.
const MAX_DEPTH: usize = 8;

/// Reads the skill in the folder `rel` (which holds `SKILL.md`). `None`
/// when it is skipped; the reason is in `diagnostics`.
pub(crate) fn load(
    dir: &PluginDir,
    rel: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<SkillDef> {
    // `rel` is empty when the folder given is itself the skill.
    let folder_name = rel
        .file_name()
        .or_else(|| dir.real_root().file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let file_rel = rel.join("SKILL.md");
    let file = dir.shown(&file_rel);
    let text = match dir.read(&file_rel) {
        Ok(text) => text,
        Err(problem) => {
            diagnostics.push(dir.problem(&file_rel, &problem));
            return None;
        }
    };
    let split = match frontmatter::split(&text, &file) {
        Ok(split) => split,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let Some(yaml) = split.yaml else {
        diagnostics.push(Diagnostic::error(
            &file,
            Some(1),
            "SKILL.md has no frontmatter; start it with `---`, `name:` and `description:` lines \
             and a closing `---`",
        ));
        return None;
    };
    let map = match frontmatter::parse(yaml, split.yaml_line, &file) {
        Ok(map) => map,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let mut fields = Fields {
        map,
        yaml,
        yaml_line: split.yaml_line,
        file: file.clone(),
        diagnostics: Vec::new(),
    };
    let description = fields.string("description");
    let declared = fields.string("name");
    let skill = description.map(|description| SkillDef {
        name: folder_name.clone(),
        description,
        argument_hint: fields.hint("argument-hint"),
        allowed_tools: fields.list("allowed-tools").unwrap_or_default(),
        user_invocable: fields.bool("user-invocable").unwrap_or(true),
        disable_model_invocation: fields.bool("disable-model-invocation").unwrap_or(false),
        model: fields.string("model"),
        license: fields.string("license"),
        compatibility: fields.string("compatibility"),
        metadata: fields.json("metadata"),
        dir: dir.real_root().join(rel),
        body: split.body.to_owned(),
        files: Vec::new(),
    });
    match &declared {
        None => fields.diagnostics.push(Diagnostic::warning(
            &file,
            Some(split.yaml_line),
            format!("the frontmatter has no `name`; add `name: {folder_name}`"),
        )),
        Some(name) if *name != folder_name => {
            let line = fields.line("name");
            fields.diagnostics.push(Diagnostic::warning(
                &file,
                line,
                format!(
                    "`name: {name}` differs from the skill's folder `{folder_name}`; the skill is \
                     called `{folder_name}` (rename one to match the other)"
                ),
            ));
        }
        Some(_) => {}
    }
    if !is_kebab(&folder_name) {
        fields.diagnostics.push(Diagnostic::warning(
            dir.shown(rel),
            None,
            format!(
                "the skill name `{folder_name}` should be lowercase letters, digits and hyphens \
                 (at most 64)"
            ),
        ));
    }
    if let Some(skill) = &skill
        && skill.description.chars().count() > MAX_DESCRIPTION
    {
        let line = fields.line("description");
        fields.diagnostics.push(Diagnostic::warning(
            &file,
            line,
            format!(
                "the description has {} characters; the Agent Skills spec allows {MAX_DESCRIPTION}, \
                 and every skill's description is in every task's prompt: shorten it",
                skill.description.chars().count()
            ),
        ));
    }
    fields.unknown_keys(KNOWN, "skill");
    diagnostics.append(&mut fields.diagnostics);
    let Some(mut skill) = skill else {
        diagnostics.push(Diagnostic::error(
            &file,
            Some(split.yaml_line),
            "the skill has no `description`, which the model needs to know when to use it; add \
             `description: …` to the frontmatter",
        ));
        return None;
    };
    skill.files = files(dir, rel, diagnostics);
    Some(skill)
}

/// Lowercase letters, digits and single hyphens, as the Agent Skills spec
/// requires of names.
pub(crate) fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The skill's files besides `SKILL.md`, relative to its folder.
fn files(dir: &PluginDir, rel: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![(PathBuf::new(), 0usize)];
    while let Some((sub, depth)) = pending.pop() {
        let (entries, mut problems) = match dir.list(&rel.join(&sub)) {
            Ok(listed) => listed,
            Err(problem) => {
                diagnostics.push(dir.problem(&rel.join(&sub), &problem));
                continue;
            }
        };
        diagnostics.append(&mut problems);
        for entry in entries {
            let path = sub.join(&entry.name);
            match entry.kind {
                Kind::File if path != Path::new("SKILL.md") => found.push(path),
                Kind::Dir if depth < MAX_DEPTH => pending.push((path, depth + 1)),
                Kind::File | Kind::Dir | Kind::Other => {}
            }
        }
        if found.len() > MAX_FILES {
            diagnostics.push(Diagnostic::warning(
                dir.shown(rel),
                None,
                format!("the skill has more than {MAX_FILES} files; only the first are listed"),
            ));
            found.truncate(MAX_FILES);
            break;
        }
    }
    found.sort();
    found
}
