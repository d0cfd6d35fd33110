//! The YAML frontmatter of `SKILL.md`, commands and agents, with problems
//! reported on the line of the Markdown file they are on.

use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};

use crate::Diagnostic;

/// A Markdown file split at its frontmatter.
#[derive(Debug)]
pub(crate) struct Split<'a> {
    /// The YAML between the `---` lines; `None` when the file has none.
    pub yaml: Option<&'a str>,
    /// The file's line the YAML starts on (the one after `---`).
    pub yaml_line: u32,
    /// Everything after the closing `---`.
    pub body: &'a str,
}

/// Splits `text` at a frontmatter block that opens on its first line.
/// An opening `---` that never closes is an error on line 1.
pub(crate) fn split<'a>(text: &'a str, file: &Path) -> Result<Split<'a>, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first_end) = text.find('\n') else {
        return Ok(no_frontmatter(text));
    };
    if text[..first_end].trim_end() != "---" {
        return Ok(no_frontmatter(text));
    }
    let yaml_start = first_end + 1;
    let mut at = yaml_start;
    while at <= text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = text[at..end].trim_end();
        if line == "---" || line == "..." {
            let body_start = (end + 1).min(text.len());
            return Ok(Split {
                yaml: Some(&text[yaml_start..at]),
                yaml_line: 2,
                body: &text[body_start..],
            });
        }
        at = end + 1;
    }
    Err(Diagnostic::error(
        file,
        Some(1),
        "the frontmatter opened by `---` never closes; add a line with only `---` after it",
    ))
}

fn no_frontmatter(text: &str) -> Split<'_> {
    Split {
        yaml: None,
        yaml_line: 1,
        body: text,
    }
}

/// Parses frontmatter YAML into its mapping; a YAML error names the line
/// of the Markdown file it is on.
pub(crate) fn parse(yaml: &str, yaml_line: u32, file: &Path) -> Result<Mapping, Diagnostic> {
    if yaml.trim().is_empty() {
        return Ok(Mapping::new());
    }
    match serde_yaml_ng::from_str::<Value>(yaml) {
        Ok(Value::Mapping(map)) => Ok(map),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(_) => Err(Diagnostic::error(
            file,
            Some(yaml_line),
            "the frontmatter must be `key: value` lines",
        )),
        Err(error) => {
            // serde_yaml_ng's lines are 1-based within the YAML.
            let line = error
                .location()
                .map(|l| yaml_line + u32::try_from(l.line()).unwrap_or(1).saturating_sub(1));
            let message = file_lines(&error.to_string(), yaml_line);
            Err(Diagnostic::error(
                file,
                line.or(Some(yaml_line)),
                format!("the frontmatter is not valid YAML: {message}"),
            ))
        }
    }
}

/// A YAML error message with each "line N" (counted in the YAML) turned
/// into the line of the Markdown file.
fn file_lines(message: &str, yaml_line: u32) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        let (before, after) = rest.split_at(at + "line ".len());
        out.push_str(before);
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match after[..digits].parse::<u32>() {
            Ok(n) => out.push_str(&(n + yaml_line - 1).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The line of `key:` at the start of a line of the YAML, in the file.
pub(crate) fn key_line(yaml: &str, yaml_line: u32, key: &str) -> Option<u32> {
    yaml.lines().enumerate().find_map(|(i, line)| {
        let plain = line.strip_prefix(key);
        let quoted = |q: char| {
            line.strip_prefix(q)
                .and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix(q))
        };
        let rest = plain.or_else(|| quoted('"')).or_else(|| quoted('\''))?;
        rest.trim_start_matches([' ', '\t'])
            .starts_with(':')
            .then(|| yaml_line + u32::try_from(i).unwrap_or(0))
    })
}

/// Typed access to frontmatter fields; wrong types become warnings on the
/// line of their key, and the field counts as absent.
pub(crate) struct Fields<'a> {
    pub map: Mapping,
    pub yaml: &'a str,
    pub yaml_line: u32,
    pub file: PathBuf,
    pub diagnostics: Vec<Diagnostic>,
}

impl Fields<'_> {
    pub(crate) fn line(&self, key: &str) -> Option<u32> {
        key_line(self.yaml, self.yaml_line, key).or(Some(self.yaml_line))
    }

    fn warn(&mut self, key: &str, message: String) {
        let line = self.line(key);
        self.diagnostics
            .push(Diagnostic::warning(self.file.clone(), line, message));
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A string; numbers and booleans are taken as written.
    pub(crate) fn string(&mut self, key: &str) -> Option<String> {
        let value = self.get(key)?;
        match scalar(value) {
            Some(text) => Some(text),
            None => {
                self.warn(
                    key,
                    format!("`{key}` must be text, not {}; it was ignored", kind(value)),
                );
                None
            }
        }
    }

    /// A hint written for people: `argument-hint: [file] [count]` is a
    /// YAML list to a parser but text to its author, so a list or map is
    /// taken as the text written after the key.
    pub(crate) fn hint(&mut self, key: &str) -> Option<String> {
        match self.get(key) {
            Some(Value::Sequence(_) | Value::Mapping(_)) => {
                let line = key_line(self.yaml, self.yaml_line, key)?;
                let index = usize::try_from(line - self.yaml_line).ok()?;
                let written = self.yaml.lines().nth(index)?.split_once(':')?.1.trim();
                Some(written.to_owned())
            }
            _ => self.string(key),
        }
    }

    pub(crate) fn bool(&mut self, key: &str) -> Option<bool> {
        let value = self.get(key)?;
        match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            other => {
                let message = format!(
                    "`{key}` must be true or false, not {}; it was ignored",
                    kind(other)
                );
                self.warn(key, message);
                None
            }
        }
    }

    /// A list of names: a YAML sequence, or one string of them separated
    /// by commas (`Read, Grep, Bash(git:*)`) or, failing that, by spaces
    /// (the Agent Skills spec's `allowed-tools`).
    pub(crate) fn list(&mut self, key: &str) -> Option<Vec<String>> {
        let value = self.get(key)?;
        match value {
            Value::Sequence(items) => {
                let names: Option<Vec<String>> = items.iter().map(scalar).collect();
                if names.is_none() {
                    self.warn(
                        key,
                        format!("`{key}` must be a list of names; it was ignored"),
                    );
                }
                names
            }
            other => match scalar(other) {
                Some(text) => Some(split_names(&text)),
                None => {
                    let message = format!(
                        "`{key}` must be a list of names or one string of them, not {}; it was \
                         ignored",
                        kind(other)
                    );
                    self.warn(key, message);
                    None
                }
            },
        }
    }

    /// Any value, as JSON (for `metadata`).
    pub(crate) fn json(&mut self, key: &str) -> Option<serde_json::Value> {
        let value = self.get(key)?.clone();
        match serde_json::to_value(&value) {
            Ok(json) => Some(json),
            Err(error) => {
                self.warn(
                    key,
                    format!("`{key}` cannot be read ({error}); it was ignored"),
                );
                None
            }
        }
    }

    /// Warns about every key not in `known`.
    pub(crate) fn unknown_keys(&mut self, known: &[&str], what: &str) {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter_map(|k| match k {
                Value::String(s) if known.contains(&s.as_str()) => None,
                other => Some(scalar(other).unwrap_or_else(|| format!("{other:?}"))),
            })
            .collect();
        for key in unknown {
            self.warn(
                &key,
                format!(
                    "unknown {what} frontmatter key `{key}`; it was ignored (check its spelling)"
                ),
            );
        }
    }
}

/// A scalar as text; `None` for sequences, mappings and null.
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Tagged(tagged) => scalar(&tagged.value),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a map",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Splits `Read, Grep, Bash(git add:*)` on commas outside parentheses; a
/// string without such commas is split on spaces outside parentheses.
pub(crate) fn split_names(text: &str) -> Vec<String> {
    let by = |separator: fn(char) -> bool| {
        let mut names = Vec::new();
        let mut depth = 0i32;
        let mut current = String::new();
        for c in text.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth <= 0 && separator(c) {
                names.push(std::mem::take(&mut current));
            } else {
                current.push(c);
            }
        }
        names.push(current);
        names
            .into_iter()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
    };
    let by_comma = by(|c| c == ',');
    if by_comma.len() > 1 {
        by_comma
    } else {
        by(char::is_whitespace)
    }
}

#[cfg(test)]
#[path = "frontmatter_tests.rs"]
mod tests;
