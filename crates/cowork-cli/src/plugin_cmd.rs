//! `cowork plugin …`: validate plugin folders, manage marketplaces, and
//! install, enable and list plugins. Everything a marketplace or plugin
//! says (names, descriptions, commands) is escaped to print
//! ([`crate::safe`]): a connector's command line in the install prompt
//! must read as what will run.

use std::fmt::Write as _;
use std::io::{BufRead as _, IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use console::style;

use cowork_plugins::PluginPaths;
use cowork_plugins::curation::Policy;
use cowork_plugins::marketplace::known::{self, PolicyInstalls};
use cowork_plugins::marketplace::{
    ConnectorInfo, Installed, InstalledPlugin, PluginSummary, describe, install, installed,
};
use cowork_plugins::trust::{FolderContents, FolderTrust};
use cowork_protocol::config::Config;

use crate::cli_plugins::{
    MarketplaceCommand, PluginCommand, PluginInstallArgs, PluginListArgs, PluginNameArgs,
    TrustFolderArgs,
};
use crate::safe;

pub fn plugin(command: PluginCommand, _config: &Config) -> Result<ExitCode> {
    let paths = crate::plugin_paths::plugin_paths;
    match command {
        PluginCommand::Validate(args) => crate::plugin_validate::run(&args),
        PluginCommand::Marketplace(command) => marketplace(command, &paths()?),
        PluginCommand::Install(args) => install_plugin(&args, &paths()?),
        PluginCommand::Uninstall(args) => {
            let plugin = installed::uninstall(&paths()?, &args.plugin)?;
            println!(
                "{} uninstalled {}",
                style("✓").green(),
                safe::line(&plugin.id)
            );
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Enable(args) => set_enabled(&args, &paths()?, true),
        PluginCommand::Disable(args) => set_enabled(&args, &paths()?, false),
        PluginCommand::List(args) => list(&args, &paths()?),
        PluginCommand::TrustFolder(args) => trust_folder(&args, &paths()?),
    }
}

fn marketplace(command: MarketplaceCommand, paths: &PluginPaths) -> Result<ExitCode> {
    match command {
        MarketplaceCommand::Add(args) => {
            let added = known::add(paths, &args.source)?;
            for diagnostic in &added.diagnostics {
                eprintln!(
                    "{} {}",
                    style("warning:").yellow(),
                    safe::line(&diagnostic.to_string())
                );
            }
            let verb = if added.new { "added" } else { "read again" };
            println!(
                "{} {verb} marketplace {} ({}) from {}",
                style("✓").green(),
                safe::line(&added.name),
                plural(added.plugins, "plugin"),
                safe::line(&added.source.display())
            );
            report_policy_installs(&added.policy_installs);
            Ok(ExitCode::SUCCESS)
        }
        MarketplaceCommand::List(args) => {
            let listed = known::list(paths)?;
            let mut out = String::new();
            if args.json {
                for item in &listed {
                    let line = serde_json::json!({
                        "name": item.name,
                        "source": item.known.source.display(),
                        "root": item.known.root,
                        "plugins": item.marketplace.as_ref().ok().map(|m| m.plugins.len()),
                        "error": item.marketplace.as_ref().err().map(ToString::to_string),
                        "added_at": item.known.added_at,
                        "updated_at": item.known.updated_at,
                    });
                    let _ = writeln!(out, "{line}");
                }
            } else if listed.is_empty() {
                out.push_str(
                    "No marketplaces yet. Add one with: cowork plugin marketplace add PATH|GIT-URL|owner/repo\n",
                );
            } else {
                for item in &listed {
                    let plugins = match &item.marketplace {
                        Ok(market) => plural(market.plugins.len(), "plugin"),
                        Err(e) => format!("unreadable: {e}"),
                    };
                    let _ = writeln!(
                        out,
                        "{}  {}  {}  updated {}",
                        style(safe::line(&item.name)).bold(),
                        safe::line(&item.known.source.display()),
                        safe::line(&plugins),
                        item.known.updated_at
                    );
                }
            }
            print!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        MarketplaceCommand::Update(args) => {
            let updated = known::update(paths, args.name.as_deref())?;
            let mut failed = false;
            for (name, outcome) in &updated.outcomes {
                match outcome {
                    Ok(count) => println!(
                        "{} updated {} ({})",
                        style("✓").green(),
                        safe::line(name),
                        plural(*count, "plugin")
                    ),
                    Err(e) => {
                        failed = true;
                        eprintln!(
                            "{} {}: {}",
                            style("error:").red(),
                            safe::line(name),
                            safe::line(&e.to_string())
                        );
                    }
                }
            }
            report_policy_installs(&updated.policy_installs);
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        MarketplaceCommand::Remove(args) => {
            let removed = known::remove(paths, &args.name)?;
            println!(
                "{} removed marketplace {} ({}); plugins installed from it stay until uninstalled",
                style("✓").green(),
                safe::line(&args.name),
                safe::line(&removed.source.display())
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn report_policy_installs(installs: &PolicyInstalls) {
    for (id, outcome) in installs {
        match outcome {
            Ok(plugin) => println!(
                "{} installed {} {} (the administrator's policy installs it)",
                style("✓").green(),
                safe::line(id),
                safe::line(&plugin.version)
            ),
            Err(e) => eprintln!(
                "{} the administrator's policy installs {}, but it failed: {}",
                style("warning:").yellow(),
                safe::line(id),
                safe::line(&e.to_string())
            ),
        }
    }
}

fn install_plugin(args: &PluginInstallArgs, paths: &PluginPaths) -> Result<ExitCode> {
    let staged = install::prepare(paths, &args.plugin)?;
    let policy = Policy::load(paths.policy_file())?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}",
        style(safe::line(staged.id())).bold(),
        safe::line(staged.version())
    );
    describe_summary(
        &mut out,
        staged.summary(),
        &policy,
        "it will start",
        "it will run",
    );
    for diagnostic in &staged.summary().diagnostics {
        let _ = writeln!(
            out,
            "  {} {}",
            style("note:").yellow(),
            safe::line(&diagnostic.to_string())
        );
    }
    for note in staged.left_out() {
        let _ = writeln!(out, "  {} {}", style("note:").yellow(), safe::line(note));
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "not installed: cowork cannot ask whether to install {} without a terminal. Read what it brings above, then run `cowork plugin install {} --yes`",
                safe::line(staged.id()),
                safe::line(staged.id())
            );
        }
        eprint!("Install? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            eprintln!("Not installed.");
            return Ok(ExitCode::FAILURE);
        }
    }
    let plugin = staged.commit()?;
    println!(
        "{} installed {} {} in {}",
        style("✓").green(),
        safe::line(&plugin.id),
        safe::line(&plugin.version),
        safe::path(&plugin.path)
    );
    Ok(ExitCode::SUCCESS)
}

/// The lines every view of a plugin shares: its components, the
/// connectors it starts and the hooks it runs.
fn describe_summary(
    out: &mut String,
    summary: &PluginSummary,
    policy: &Policy,
    connectors_verb: &str,
    hooks_verb: &str,
) {
    if let Some(description) = &summary.description {
        let _ = writeln!(out, "  {}", safe::line(description));
    }
    let names = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            safe::line(&items.join(", ")).into_owned()
        }
    };
    let _ = writeln!(out, "  skills:   {}", names(&summary.skills));
    let _ = writeln!(out, "  commands: {}", names(&summary.commands));
    let _ = writeln!(out, "  agents:   {}", names(&summary.agents));
    if summary.connectors.is_empty() {
        let _ = writeln!(out, "  connectors: none");
    } else {
        let heading = if connectors_verb.is_empty() {
            "connectors".to_owned()
        } else {
            format!("connectors {connectors_verb}")
        };
        let _ = writeln!(out, "  {heading}:");
        for connector in &summary.connectors {
            let target = if connector.target.trim().is_empty() {
                "(no URL: a connector of Anthropic's directory, not available here)".into()
            } else {
                safe::line(&connector.target)
            };
            let _ = writeln!(
                out,
                "    {}: {target}{}",
                safe::line(&connector.name),
                connector_policy_note(policy, connector)
            );
        }
    }
    if summary.hooks.is_empty() {
        let _ = writeln!(out, "  hooks: none");
    } else {
        let heading = if hooks_verb.is_empty() {
            "hooks".to_owned()
        } else {
            format!("hooks {hooks_verb}")
        };
        let _ = writeln!(out, "  {heading}:");
        for hook in &summary.hooks {
            let matcher = hook
                .matcher
                .as_deref()
                .map(|m| format!(" ({})", safe::line(m)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    {}{matcher}: {}",
                safe::line(&hook.event),
                safe::line(&hook.command)
            );
        }
    }
}

fn connector_policy_note(policy: &Policy, connector: &ConnectorInfo) -> String {
    match policy.mcp_allowed(&connector.name, connector.url.as_deref()) {
        Ok(()) => String::new(),
        Err(blocked) => format!(
            "  {}",
            style(format!("(blocked by policy: {})", safe::line(&blocked.by))).red()
        ),
    }
}

fn set_enabled(args: &PluginNameArgs, paths: &PluginPaths, enabled: bool) -> Result<ExitCode> {
    let plugin = installed::set_enabled(paths, &args.plugin, enabled)?;
    let state = if plugin.enabled {
        "enabled"
    } else {
        "disabled"
    };
    println!("{} {state} {}", style("✓").green(), safe::line(&plugin.id));
    Ok(ExitCode::SUCCESS)
}

fn list(args: &PluginListArgs, paths: &PluginPaths) -> Result<ExitCode> {
    let installed = Installed::load(paths)?;
    let policy = installed.policy();
    let plugins = installed.all();
    let mut out = String::new();
    if !args.json && plugins.is_empty() {
        out.push_str(
            "No plugins installed. Add a marketplace (cowork plugin marketplace add …), then: cowork plugin install NAME@MARKETPLACE\n",
        );
    }
    for plugin in &plugins {
        let summary = match describe(&plugin.path) {
            Ok(summary) => summary,
            Err(e) => {
                eprintln!(
                    "{} {}: {}",
                    style("warning:").yellow(),
                    safe::line(&plugin.id),
                    safe::line(&e.to_string())
                );
                PluginSummary::default()
            }
        };
        if args.json {
            let _ = writeln!(out, "{}", plugin_json(plugin, &summary, policy));
        } else {
            let state = if plugin.enabled {
                style("enabled").green()
            } else {
                style("disabled").dim()
            };
            let _ = writeln!(
                out,
                "{} {}  {state}  policy: {}",
                style(safe::line(&plugin.id)).bold(),
                safe::line(&plugin.version),
                plugin.policy
            );
            describe_summary(&mut out, &summary, policy, "", "");
        }
    }
    print!("{out}");
    for id in install::missing_required(paths)? {
        eprintln!(
            "{} {} is required by the administrator's policy but not installed: run `cowork plugin marketplace update`",
            style("warning:").yellow(),
            safe::line(&id)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn plugin_json(
    plugin: &InstalledPlugin,
    summary: &PluginSummary,
    policy: &Policy,
) -> serde_json::Value {
    let connectors: Vec<_> = summary
        .connectors
        .iter()
        .map(|c| {
            let blocked = policy.mcp_allowed(&c.name, c.url.as_deref()).err();
            serde_json::json!({
                "name": c.name,
                "target": c.target,
                "url": c.url,
                "allowed": blocked.is_none(),
                "blocked_by": blocked.map(|b| b.by),
            })
        })
        .collect();
    serde_json::json!({
        "name": plugin.name,
        "marketplace": plugin.marketplace,
        "id": plugin.id,
        "version": plugin.version,
        "path": plugin.path,
        "enabled": plugin.enabled,
        "policy": plugin.policy,
        "installed_at": plugin.installed_at,
        "skills": summary.skills,
        "commands": summary.commands,
        "agents": summary.agents,
        "connectors": summary.connectors.iter().map(|c| &c.name).collect::<Vec<_>>(),
        "connector_details": connectors,
        "hooks": summary.hooks,
    })
}

fn plural(count: usize, noun: &str) -> String {
    crate::render::plural(count as u64, noun)
}

/// `cowork trust FOLDER [--revoke]`, also `cowork plugin trust-folder`.
pub fn trust(args: &TrustFolderArgs) -> Result<ExitCode> {
    trust_folder(args, &crate::plugin_paths::plugin_paths()?)
}

/// Records the person's answer for `folder` (by its real path) in the
/// file the daemon's and the CLI's tasks read; returns the real path.
/// `cowork trust` and the web UI's trust button (through `cowork serve`)
/// both come here.
pub(crate) fn record_trust(paths: &PluginPaths, folder: &Path, allowed: bool) -> Result<PathBuf> {
    let folder = std::fs::canonicalize(folder)
        .with_context(|| format!("{} is not a folder cowork can open", safe::path(folder)))?;
    let file = FolderTrust::file(&paths.plugins_dir());
    let mut trust = FolderTrust::load(&file)?;
    trust.set(&file, &folder, allowed)?;
    Ok(folder)
}

/// Records the person's trust in a folder: one answer covers its
/// instructions and its skills.
fn trust_folder(args: &TrustFolderArgs, paths: &PluginPaths) -> Result<ExitCode> {
    let folder = record_trust(paths, &args.folder, !args.revoke)?;
    let contents = FolderContents::of(&folder);
    let shown = safe::path(&folder);
    let mut out = std::io::stdout().lock();
    match (args.revoke, contents.is_empty()) {
        (true, _) => writeln!(
            out,
            "{shown} is not trusted: tasks see its instructions only as data, and do not use its \
             skills"
        )?,
        (false, false) => writeln!(
            out,
            "{shown} is trusted: tasks follow {}",
            contents.enables()
        )?,
        (false, true) => writeln!(
            out,
            "{shown} is trusted; it has no instructions (COWORK.md, CLAUDE.md, AGENTS.md) or \
             skills (.claude/skills) yet, so there is nothing to follow"
        )?,
    }
    Ok(ExitCode::SUCCESS)
}
