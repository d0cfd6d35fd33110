//! `cowork plugin validate DIR [--json]`: every problem of a plugin
//! folder (or of a marketplace folder and each plugin in it) as
//! `file:line: error|warning: message`, paths relative to `DIR`, then one
//! summary line per plugin. Exits 1 when there is an error.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use cowork_plugins::Diagnostic;
use cowork_plugins::format::{Checked, Validation, validate};

use crate::cli_plugins::PluginValidateArgs;
use crate::safe;

pub fn run(args: &PluginValidateArgs) -> Result<ExitCode> {
    let validation = validate(&args.dir)?;
    for diagnostic in validation.all() {
        let shown = relative(diagnostic, &args.dir);
        if args.json {
            println!("{}", serde_json::to_string(&shown)?);
        } else {
            // Messages quote file content: escape it for the terminal.
            println!("{}", safe::line(&shown.to_string()));
        }
    }
    // With --json, stdout is only diagnostics; the summary goes to stderr.
    for line in summary(&validation) {
        if args.json {
            eprintln!("{}", safe::line(&line));
        } else {
            println!("{}", safe::line(&line));
        }
    }
    Ok(if validation.errors() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The diagnostic with its file relative to `dir`, as the person typed it.
fn relative(diagnostic: &Diagnostic, dir: &Path) -> Diagnostic {
    let mut shown = diagnostic.clone();
    if let Ok(rel) = diagnostic.file.strip_prefix(dir) {
        shown.file = rel.to_path_buf();
    }
    shown
}

/// "productivity: 4 skills, 0 commands, 0 agents, 9 connectors; 0
/// errors, 1 warning", per plugin, and a total for a marketplace.
fn summary(validation: &Validation) -> Vec<String> {
    let mut lines: Vec<String> = validation.plugins.iter().map(plugin_line).collect();
    if let Some(name) = &validation.marketplace {
        lines.push(format!(
            "marketplace {name}: {}; {}, {}",
            count(validation.plugins.len(), "plugin"),
            count(validation.errors(), "error"),
            count(validation.warnings(), "warning"),
        ));
    }
    lines
}

fn plugin_line(checked: &Checked) -> String {
    let plugin = &checked.plugin;
    format!(
        "{}: {}, {}, {}, {}; {}, {}",
        plugin.name,
        count(plugin.skills.len(), "skill"),
        count(plugin.commands.len(), "command"),
        count(plugin.agents.len(), "agent"),
        count(plugin.mcp.servers.len(), "connector"),
        count(checked.errors(), "error"),
        count(checked.warnings(), "warning"),
    )
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
