//! `/name args` at the start of a message: a plugin's command or a
//! skill the person may run, expanded into the text the model is sent.

use std::collections::BTreeMap;
use std::sync::Arc;

use cowork_core::{Commands, ExpandedPrompt, Skill, UnknownCommand, close_matches};

use super::{Catalog, CatalogPlugin};
use crate::format::{expand, plugin_lookup, render_command, resolve_placeholders};

/// A task's `/commands`, from the catalog it was built with: what `/name`
/// runs is what the task's skills and read-only folders were made from.
pub(super) struct TaskCommands {
    /// `None`: the catalog could not be read; no command is known.
    pub(super) catalog: Option<Arc<Catalog>>,
    /// The skills the person may run as `/name`.
    pub(super) skills: Vec<Skill>,
    /// The person's environment, for `${VAR}` in commands.
    pub(super) env: BTreeMap<String, String>,
    /// The connectors the task was given (`None`: all), which the
    /// commands' `~~category` placeholders may name.
    pub(super) given: Option<Vec<String>>,
}

impl TaskCommands {
    pub(super) fn expand(&self, prompt: &str) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        let Some((name, args)) = parse_invocation(prompt) else {
            return Ok(None);
        };
        let Some(catalog) = &self.catalog else {
            return Err(UnknownCommand {
                name: name.to_owned(),
                close: Vec::new(),
            });
        };
        let mut entries: Vec<(String, Invocable<'_>)> = Vec::new();
        for entry in &catalog.plugins {
            for command in &entry.plugin.commands {
                entries.push((
                    format!("{}:{}", entry.plugin.name, command.name),
                    Invocable::Command {
                        template: &command.template,
                        plugin: entry,
                    },
                ));
            }
        }
        for skill in &self.skills {
            entries.push((skill.qualified.clone(), Invocable::Skill(skill)));
        }
        let (name, chosen) = pick(name, &entries)?;
        let text = match chosen {
            Invocable::Command { template, plugin } => {
                let connected = catalog.connected_for(plugin, self.given.as_deref());
                let env = |name: &str| self.env.get(name).cloned();
                let lookup = plugin_lookup(&plugin.plugin.root, &env);
                let rendered = render_command(template, args);
                let rendered = expand(&rendered, &lookup).text;
                resolve_placeholders(&rendered, &plugin.plugin.connectors, &connected)
            }
            Invocable::Skill(skill) => skill_invocation(skill, args),
        };
        Ok(Some(ExpandedPrompt {
            name: name.clone(),
            text,
        }))
    }
}

impl Commands for TaskCommands {
    fn expand(&self, message: &str) -> Result<Option<ExpandedPrompt>, UnknownCommand> {
        TaskCommands::expand(self, message)
    }
}

/// What `/name` can run.
enum Invocable<'a> {
    Command {
        template: &'a str,
        plugin: &'a CatalogPlugin,
    },
    Skill(&'a Skill),
}

/// `/name args`: the name and the rest. A prompt that starts with a path
/// (`/home/me/notes.md summarise`) is not an invocation.
pub(super) fn parse_invocation(prompt: &str) -> Option<(&str, &str)> {
    let rest = prompt.trim_start().strip_prefix('/')?;
    let (name, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    valid.then_some((name, args))
}

/// The entry `/name` means: its full name, else a unique bare name.
fn pick<'e, 'a>(
    name: &str,
    entries: &'e [(String, Invocable<'a>)],
) -> Result<(&'e String, &'e Invocable<'a>), UnknownCommand> {
    if let Some((full, found)) = entries.iter().find(|(n, _)| n == name) {
        return Ok((full, found));
    }
    let bare: Vec<&(String, Invocable<'a>)> = entries
        .iter()
        .filter(|(n, _)| n.rsplit(':').next() == Some(name))
        .collect();
    match bare.as_slice() {
        [(full, only)] => Ok((full, only)),
        [] => Err(UnknownCommand {
            name: name.to_owned(),
            close: close_matches(name, entries.iter().map(|(n, _)| n.as_str())),
        }),
        many => Err(UnknownCommand {
            name: name.to_owned(),
            close: many.iter().map(|(n, _)| n.clone()).collect(),
        }),
    }
}

/// A skill run as `/name args`: what the Skill tool would return, as the
/// person's first message.
pub(super) fn skill_invocation(skill: &Skill, args: &str) -> String {
    let body = if skill.body.contains("$ARGUMENTS") {
        skill.body.replace("$ARGUMENTS", args)
    } else if args.is_empty() {
        skill.body.clone()
    } else {
        format!("{}\n\nARGUMENTS: {args}", skill.body)
    };
    format!(
        "Base directory for this skill: {}\n\n{body}",
        skill.dir.display()
    )
}
