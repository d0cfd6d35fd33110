//! Real plugins load as they are: every plugin of Anthropic's
//! knowledge-work-plugins marketplace, the anthropics/skills skills, and
//! Claude Code's hooks files, with zero errors.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cowork_plugins::format::{Plugin, load_plugin, load_plugin_with_entry, validate};
use cowork_plugins::mcp::config::{McpServer, RemoteKind};
use cowork_plugins::{Diagnostic, Severity};

/// Every folder with `.claude-plugin/plugin.json`, one or two levels
/// below `root` (`partner-built/*`).
fn plugin_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.join(".claude-plugin/plugin.json").is_file() {
                out.push(path.clone());
            }
            if path.is_dir() && depth < 1 {
                pending.push((path, depth + 1));
            }
        }
    }
    out.sort();
    out
}

/// One line per plugin: what it provides.
fn summary(plugin: &Plugin) -> String {
    let names = |items: Vec<&str>| items.join(", ");
    let servers: Vec<String> = plugin
        .mcp
        .servers
        .iter()
        .map(|(name, server)| {
            let transport = match server {
                McpServer::Stdio(_) => "stdio",
                McpServer::Remote(r) => match r.kind {
                    RemoteKind::Http => "http",
                    RemoteKind::Sse => "sse",
                },
            };
            format!("{name} {transport}")
        })
        .collect();
    let placeholders: Vec<&str> = plugin
        .connectors
        .categories
        .iter()
        .map(|c| c.placeholder.as_str())
        .collect();
    format!(
        "{}\n  skills: [{}]\n  commands: [{}]\n  agents: [{}]\n  servers: [{}]\n  placeholders: [{}]\n  hooks: {}\n",
        plugin.name,
        names(plugin.skills.iter().map(|s| s.name.as_str()).collect()),
        names(plugin.commands.iter().map(|c| c.name.as_str()).collect()),
        names(plugin.agents.iter().map(|a| a.name.as_str()).collect()),
        servers.join(", "),
        placeholders.join(", "),
        plugin.hooks.len(),
    )
}

fn shown(diagnostic: &Diagnostic, base: &Path) -> String {
    let mut d = diagnostic.clone();
    d.file = d
        .file
        .strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or(d.file);
    d.to_string()
}

#[test]
fn every_fixture_plugin_and_skill_loads_with_zero_errors() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let mut snapshot = String::new();
    let mut errors = Vec::new();
    let mut record = |plugin: &Plugin, diagnostics: &[Diagnostic], snapshot: &mut String| {
        snapshot.push_str(&summary(plugin));
        for d in diagnostics {
            writeln!(snapshot, "  {}", shown(d, &fixtures)).unwrap();
            if d.severity == Severity::Error {
                errors.push(shown(d, &fixtures));
            }
        }
    };
    let dirs = plugin_dirs(&fixtures.join("knowledge-work-plugins"));
    assert_eq!(dirs.len(), 22, "{dirs:?}");
    for dir in &dirs {
        let (plugin, diagnostics) = load_plugin(dir).unwrap();
        record(&plugin, &diagnostics, &mut snapshot);
    }
    // anthropics/skills: its skills/ folder, and the template skill named
    // the way a marketplace entry names skills.
    let skills_repo = fixtures.join("anthropics-skills");
    let (plugin, diagnostics) = load_plugin(&skills_repo).unwrap();
    record(&plugin, &diagnostics, &mut snapshot);
    let entry = serde_json::json!({"name": "template", "skills": ["./template"]});
    let (plugin, diagnostics) =
        load_plugin_with_entry(&skills_repo, &entry, Path::new("marketplace.json")).unwrap();
    assert!(plugin.skills.iter().any(|s| s.name == "template"));
    record(&plugin, &diagnostics, &mut snapshot);

    assert!(errors.is_empty(), "{errors:#?}");
    insta::assert_snapshot!(snapshot);
}

#[test]
fn skills_carry_their_frontmatter_body_and_files() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let (plugin, _) =
        load_plugin(&fixtures.join("knowledge-work-plugins/cowork-plugin-management")).unwrap();
    let customizer = &plugin.skills[0];
    assert_eq!(customizer.name, "cowork-plugin-customizer");
    assert!(
        customizer
            .description
            .starts_with("Customize a Claude Code plugin")
    );
    assert!(customizer.compatibility.is_some());
    assert!(customizer.user_invocable);
    assert_eq!(
        customizer.files,
        [
            PathBuf::from("LICENSE.txt"),
            PathBuf::from("examples/customized-mcp.json"),
            PathBuf::from("references/mcp-servers.md"),
            PathBuf::from("references/search-strategies.md"),
        ]
    );
    assert!(customizer.dir.is_absolute());
    assert!(!customizer.body.starts_with("---"));

    let (data, _) = load_plugin(&fixtures.join("knowledge-work-plugins/data")).unwrap();
    assert!(!data.skills[0].user_invocable, "user-invocable: false");
    let (small, _) = load_plugin(&fixtures.join("knowledge-work-plugins/small-business")).unwrap();
    assert_eq!(small.skills[0].allowed_tools, ["Read", "WebFetch", "Bash"]);
}

#[test]
fn commands_and_agents_of_partner_plugins_keep_their_fields() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let partner = fixtures.join("knowledge-work-plugins/partner-built");
    let (room, _) = load_plugin(&partner.join("common-room")).unwrap();
    let brief = room
        .commands
        .iter()
        .find(|c| c.name == "weekly-brief")
        .unwrap();
    // `argument-hint: [date range, …]` is a YAML list; its author meant text.
    assert_eq!(
        brief.argument_hint.as_deref(),
        Some("[date range, defaults to next 7 days]")
    );
    let (voice, _) = load_plugin(&partner.join("brand-voice")).unwrap();
    let qa = voice
        .agents
        .iter()
        .find(|a| a.name == "quality-assurance")
        .unwrap();
    assert_eq!(qa.model.as_deref(), Some("haiku"));
    assert_eq!(qa.color.as_deref(), Some("yellow"));
    assert_eq!(
        qa.tools.as_deref(),
        Some(&["Read".to_owned(), "Glob".to_owned(), "Grep".to_owned()][..])
    );
    assert!(qa.description.contains("<example>"));
    let analysis = voice
        .agents
        .iter()
        .find(|a| a.name == "document-analysis")
        .unwrap();
    assert_eq!(analysis.tools, None, "no tools line: every tool");
}

#[test]
fn both_claude_code_hooks_files_load_as_plugins_with_hooks() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    for name in ["hookify", "explanatory-output-style"] {
        let dir = fixtures.join("claude-code/plugins").join(name);
        let (plugin, diagnostics) = load_plugin(&dir).unwrap();
        assert_eq!(plugin.name, name);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(plugin.hooks.len(), 1, "{name}");
    }
}

#[test]
fn the_knowledge_work_marketplace_validates_with_every_local_plugin() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let validation = validate(&fixtures.join("knowledge-work-plugins")).unwrap();
    assert_eq!(
        validation.marketplace.as_deref(),
        Some("knowledge-work-plugins")
    );
    assert_eq!(validation.plugins.len(), 22);
    assert_eq!(
        validation.errors(),
        0,
        "{:#?}",
        validation.all().collect::<Vec<_>>()
    );
    // A single-plugin marketplace whose plugin is its own folder.
    let brand =
        validate(&fixtures.join("knowledge-work-plugins/partner-built/brand-voice")).unwrap();
    assert_eq!(brand.plugins.len(), 1);
    assert_eq!(brand.errors(), 0, "{:#?}", brand.all().collect::<Vec<_>>());
}

#[test]
fn skills_a_marketplace_lists_but_lacks_are_errors_on_their_lines() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    // The fixture copies only skill-creator of the skills its
    // marketplace.json lists.
    let validation = validate(&fixtures.join("anthropics-skills")).unwrap();
    let missing: Vec<&Diagnostic> = validation
        .all()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(missing.len(), 16, "{missing:#?}");
    let xlsx = missing
        .iter()
        .find(|d| d.message.contains("./skills/xlsx"))
        .unwrap();
    assert!(xlsx.file.ends_with(".claude-plugin/marketplace.json"));
    assert_eq!(xlsx.line, Some(18));
    assert!(xlsx.message.contains("does not exist"), "{xlsx}");
    // A `strict: false` entry's `skills` replace the default folder, so
    // each entry gets only the skills it lists (regression: every entry
    // of the shared root got every skill of `skills/`).
    let skills_of = |name: &str| -> Vec<String> {
        let checked = validation
            .plugins
            .iter()
            .find(|c| c.plugin.name == name)
            .unwrap();
        checked
            .plugin
            .skills
            .iter()
            .map(|s| s.name.clone())
            .collect()
    };
    assert!(skills_of("document-skills").is_empty());
    assert_eq!(skills_of("example-skills"), ["skill-creator"]);
    assert_eq!(
        validation.warnings(),
        0,
        "{:#?}",
        validation.all().collect::<Vec<_>>()
    );
    assert!(
        validation.plugins.iter().any(|c| c
            .plugin
            .skills
            .iter()
            .any(|s| s.name == "skill-creator"))
    );
}
