//! `commands/*.md`: slash commands, and filling in their arguments.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::frontmatter::{self, Fields};
use super::read::PluginDir;
use crate::Diagnostic;

/// A slash command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandDef {
    /// The file's name without `.md`; a command in a subfolder is
    /// `folder:name` (`commands/git/commit.md` → `git:commit`).
    pub name: String,
    /// The frontmatter's `description`, else the body's first line.
    pub description: String,
    pub argument_hint: Option<String>,
    pub allowed_tools: Vec<String>,
    pub model: Option<String>,
    pub disable_model_invocation: bool,
    /// The command's file (absolute, real path).
    pub file: PathBuf,
    /// The text after the frontmatter, with `$ARGUMENTS`, `$1`… as
    /// written: [`render_command`] fills them in.
    pub template: String,
}

const KNOWN: &[&str] = &[
    "description",
    "argument-hint",
    "allowed-tools",
    "model",
    "disable-model-invocation",
    "name",
];

/// Reads the command in `rel`, called `name`. `None` when skipped.
pub(crate) fn load(
    dir: &PluginDir,
    rel: &Path,
    name: String,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<CommandDef> {
    let file = dir.shown(rel);
    let text = match dir.read(rel) {
        Ok(text) => text,
        Err(problem) => {
            diagnostics.push(dir.problem(rel, &problem));
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
    let mut fields = match split.yaml {
        Some(yaml) => match frontmatter::parse(yaml, split.yaml_line, &file) {
            Ok(map) => Fields {
                map,
                yaml,
                yaml_line: split.yaml_line,
                file: file.clone(),
                diagnostics: Vec::new(),
            },
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                return None;
            }
        },
        None => Fields {
            map: serde_yaml_ng::Mapping::new(),
            yaml: "",
            yaml_line: 1,
            file: file.clone(),
            diagnostics: Vec::new(),
        },
    };
    let description = fields
        .string("description")
        .or_else(|| first_line(split.body));
    let command = CommandDef {
        name,
        description: description.unwrap_or_default(),
        argument_hint: fields.hint("argument-hint"),
        allowed_tools: fields.list("allowed-tools").unwrap_or_default(),
        model: fields.string("model"),
        disable_model_invocation: fields.bool("disable-model-invocation").unwrap_or(false),
        file: dir.real_root().join(rel),
        template: split.body.to_owned(),
    };
    fields.unknown_keys(KNOWN, "command");
    diagnostics.append(&mut fields.diagnostics);
    if command.template.trim().is_empty() {
        diagnostics.push(Diagnostic::error(
            &file,
            None,
            "the command has no text after its frontmatter; write what the model should do",
        ));
        return None;
    }
    Some(command)
}

/// The body's first non-empty line, without Markdown heading marks.
fn first_line(body: &str) -> Option<String> {
    body.lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

/// Fills a command's template with the arguments typed after `/name`:
///
/// - `$ARGUMENTS` becomes all of them, as typed (trimmed);
/// - `$ARGUMENTS[N]` becomes the N-th, from 0;
/// - `$1` … `$9` become the first to ninth, split as a shell would
///   (`'single'` and `"double"` quotes group words, `\` escapes); a
///   missing one becomes empty. `$10` is `$1` followed by `0`.
/// - When the template uses none of these and there are arguments, they
///   are appended as `ARGUMENTS: …`, as Claude Code does, so they are
///   never lost.
///
/// ``!`command` `` lines (Claude Code runs them and inlines their output)
/// are **not** run: a command file is data and must not start processes
/// on its own. They stay as text, and a note asks the model to run them
/// with its Bash tool (which passes the permission engine and the
/// sandbox) if it needs their output. `@path` references also stay as
/// text for the model to Read.
pub fn render_command(template: &str, args: &str) -> String {
    let args = args.trim();
    let words = shell_words(args);
    let mut out = String::with_capacity(template.len() + args.len());
    let mut used = false;
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix("ARGUMENTS") {
            used = true;
            if let Some((index, tail)) = indexed(tail) {
                out.push_str(words.get(index).map_or("", String::as_str));
                rest = tail;
            } else {
                out.push_str(args);
                rest = tail;
            }
            continue;
        }
        match after.as_bytes().first() {
            Some(digit @ b'1'..=b'9') => {
                used = true;
                let index = usize::from(digit - b'1');
                out.push_str(words.get(index).map_or("", String::as_str));
                rest = &after[1..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    if !used && !args.is_empty() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("\nARGUMENTS: {args}\n"));
    }
    if has_inline_bash(template) {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(
            "\n(Note from cowork: the lines marked !`…` above are shell commands this command \
             expects to have run; cowork did not run them. If you need their output, run them \
             with the Bash tool.)\n",
        );
    }
    out
}

/// `[N]` at the start of `tail`: the index and what follows.
fn indexed(tail: &str) -> Option<(usize, &str)> {
    let inner = tail.strip_prefix('[')?;
    let close = inner.find(']')?;
    let index = inner[..close].parse().ok()?;
    Some((index, &inner[close + 1..]))
}

/// Whether `template` holds ``!`…` `` inline shell.
fn has_inline_bash(template: &str) -> bool {
    template
        .match_indices("!`")
        .any(|(at, _)| template[at + 2..].contains('`'))
}

/// Splits arguments as a POSIX shell would, without expanding anything.
/// An unclosed quote runs to the end.
pub(crate) fn shell_words(args: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = args.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    current.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => current.push(e),
                            Some(e) => {
                                current.push('\\');
                                current.push(e);
                            }
                            None => current.push('\\'),
                        },
                        other => current.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    current.push(e);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                current.push(other);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;
