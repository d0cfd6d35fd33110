//! Marketplaces from folders and local git repositories, installing,
//! enabling and uninstalling plugins.

use std::path::{Path, PathBuf};
use std::process::Command;

use cowork_plugins::PluginPaths;
use cowork_plugins::marketplace::manifest::PluginSource;
use cowork_plugins::marketplace::{Installed, MarketError, Marketplace, install, installed, known};
use serde_json::json;

/// A data dir, a config dir and a policy file path, all in one temp dir.
pub(super) struct Home {
    pub dir: tempfile::TempDir,
    pub paths: PluginPaths,
}

impl Home {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let paths = PluginPaths {
            data_dir: dir.path().join("data"),
            config_dir: dir.path().join("config"),
            policy_file: dir.path().join("policy.toml"),
        };
        Self { dir, paths }
    }

    pub fn policy(&self, text: &str) {
        std::fs::write(&self.paths.policy_file, text).unwrap();
    }

    pub fn installed_ids(&self) -> Vec<String> {
        Installed::load(&self.paths)
            .unwrap()
            .all()
            .into_iter()
            .map(|p| p.id)
            .collect()
    }
}

pub(super) fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A plugin folder with one of each component.
pub(super) fn plugin(dir: &Path, name: &str) {
    write(
        &dir.join(".claude-plugin/plugin.json"),
        &json!({"name": name, "version": "1.2.0", "description": "test"}).to_string(),
    );
    write(
        &dir.join("skills/standup/SKILL.md"),
        "---\nname: standup\ndescription: Write a standup.\n---\nBody\n",
    );
    write(
        &dir.join("commands/plan.md"),
        "---\ndescription: Plan\n---\nPlan $ARGUMENTS\n",
    );
    write(
        &dir.join("agents/helper.md"),
        "---\nname: helper\ndescription: Helps\n---\n",
    );
    write(
        &dir.join(".mcp.json"),
        &json!({"mcpServers": {
            "slack": {"type": "http", "url": "https://mcp.slack.com/mcp"},
            "local": {"command": "node", "args": ["${CLAUDE_PLUGIN_ROOT}/server.js"]}
        }})
        .to_string(),
    );
    write(
        &dir.join("hooks/hooks.json"),
        &json!({"description": "d", "hooks": {"PreToolUse": [
            {"matcher": "Write", "hooks": [{"type": "command", "command": "${CLAUDE_PLUGIN_ROOT}/check.sh"}]}
        ]}})
        .to_string(),
    );
}

/// A marketplace folder named `name` offering `plugins` as `./<plugin>`.
pub(super) fn marketplace(root: &Path, name: &str, plugins: &[&str]) {
    let entries: Vec<_> = plugins
        .iter()
        .map(|p| json!({"name": p, "source": format!("./{p}"), "description": "x"}))
        .collect();
    write(
        &root.join(".claude-plugin/marketplace.json"),
        &serde_json::to_string_pretty(
            &json!({"name": name, "owner": {"name": "T"}, "plugins": entries}),
        )
        .unwrap(),
    );
    for p in plugins {
        plugin(&root.join(p), p);
    }
}

pub(super) fn git_available() -> bool {
    cowork_test_support::consumers::available("git")
}

pub(super) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Turns `dir` into a git repository with everything committed; returns
/// the commit.
pub(super) fn commit_all(dir: &Path) -> String {
    if !dir.join(".git").exists() {
        git(dir, &["init", "-q"]);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "c"]);
    git(dir, &["rev-parse", "HEAD"])
}

pub(super) fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

fn installed_dir(home: &Home, id: &str) -> PathBuf {
    Installed::load(&home.paths).unwrap().find(id).unwrap().path
}

#[test]
fn every_entry_of_the_three_fixture_marketplaces_parses_without_errors() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let kwp = fixtures.join("knowledge-work-plugins");
    let (market, diagnostics) = Marketplace::read(&kwp).unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(market.name, "knowledge-work-plugins");
    assert_eq!(market.plugins.len(), 94);
    let count = |pred: &dyn Fn(&PluginSource) -> bool| {
        market.plugins.iter().filter(|p| pred(&p.source)).count()
    };
    assert_eq!(count(&|s| matches!(s, PluginSource::Relative(_))), 22);
    assert_eq!(
        count(&|s| matches!(
            s,
            PluginSource::Git(cowork_plugins::marketplace::GitSource::Url { .. })
        )),
        44
    );
    assert_eq!(
        count(&|s| matches!(
            s,
            PluginSource::Git(cowork_plugins::marketplace::GitSource::GitSubdir { .. })
        )),
        28
    );
    // Every relative source names a folder of the fixture.
    for entry in &market.plugins {
        if let PluginSource::Relative(source) = &entry.source {
            let dir = kwp.join(market.relative_dir(source).unwrap());
            assert!(
                dir.join(".claude-plugin/plugin.json").is_file(),
                "{}",
                entry.name
            );
        }
    }

    let brand = kwp.join("partner-built/brand-voice");
    let (market, diagnostics) = Marketplace::read(&brand).unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(market.metadata.plugin_root.as_deref(), Some("."));
    assert_eq!(market.relative_dir(".").unwrap(), PathBuf::new());

    let skills = fixtures.join("anthropics-skills");
    let (market, diagnostics) = Marketplace::read(&skills).unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let docs = market.plugin("document-skills").unwrap();
    assert!(!docs.strict);
    assert_eq!(docs.skills.as_ref().unwrap().to_vec().len(), 4);
}

#[test]
fn a_bare_source_name_is_resolved_under_plugin_root() {
    let text = json!({"name": "m", "metadata": {"pluginRoot": "./plugins"},
        "plugins": [{"name": "fmt", "source": "fmt"}, {"name": "x", "source": "./x"}]});
    let (market, diagnostics) = Marketplace::parse(&text.to_string(), Path::new("m.json")).unwrap();
    assert!(diagnostics.is_empty());
    assert_eq!(
        market.relative_dir("fmt").unwrap(),
        Path::new("plugins/fmt")
    );
    assert_eq!(market.relative_dir("./x").unwrap(), Path::new("x"));
}

#[test]
fn an_entry_that_climbs_out_of_the_marketplace_is_skipped_with_its_line() {
    let text = "{\n  \"name\": \"m\",\n  \"plugins\": [\n    {\"name\": \"good\", \"source\": \"./good\"},\n    {\"name\": \"evil\", \"source\": \"../../etc\"},\n    {\"name\": \"abs\", \"source\": \"/etc\"},\n    {\"name\": \"../up\", \"source\": \"./x\"},\n    {\"name\": \"kind\", \"source\": {\"source\": \"npm\", \"package\": \"x\"}}\n  ]\n}\n";
    let (market, diagnostics) = Marketplace::parse(text, Path::new("m.json")).unwrap();
    assert_eq!(market.plugins.len(), 1);
    let lines: Vec<_> = diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(
        lines,
        [Some(5), Some(6), Some(7), Some(8)],
        "{diagnostics:#?}"
    );
    assert!(diagnostics[0].message.contains(".."), "{}", diagnostics[0]);
    assert!(
        diagnostics[3].message.contains("git-subdir"),
        "{}",
        diagnostics[3]
    );
}

#[test]
fn add_sources_are_understood_without_cloning() {
    use known::MarketSource;
    assert_eq!(
        known::parse_source("acme/no-such-folder-here").unwrap(),
        MarketSource::Git {
            url: "https://github.com/acme/no-such-folder-here.git".into(),
            git_ref: None
        }
    );
    assert!(matches!(
        known::parse_source("git@github.com:acme/m.git").unwrap(),
        MarketSource::Git { .. }
    ));
    assert!(matches!(
        known::parse_source("https://example.com/m.git").unwrap(),
        MarketSource::Git { .. }
    ));
    for bad in ["-oProxyCommand=x", "a/b/c", "", "just-a-word"] {
        assert!(
            matches!(
                known::parse_source(bad),
                Err(MarketError::NotAMarketplace { .. })
            ),
            "{bad}"
        );
    }
    let home = Home::new();
    let root = home.dir.path().join("market");
    marketplace(&root, "m", &["hello"]);
    assert_eq!(
        known::parse_source(root.to_str().unwrap()).unwrap(),
        MarketSource::Path {
            path: root.canonicalize().unwrap()
        }
    );
    let empty = home.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let error = known::parse_source(empty.to_str().unwrap()).unwrap_err();
    assert!(error.to_string().contains("marketplace.json"), "{error}");
}

#[test]
fn a_folder_marketplace_is_used_in_place_and_its_plugin_installs_with_a_summary() {
    let home = Home::new();
    let root = home.dir.path().join("market");
    marketplace(&root, "team", &["hello"]);
    let added = known::add(&home.paths, root.to_str().unwrap()).unwrap();
    assert_eq!(
        (added.name.as_str(), added.plugins, added.new),
        ("team", 1, true)
    );
    assert!(
        !home.paths.plugins_dir().join("marketplaces/team").exists(),
        "not copied"
    );

    let staged = install::prepare(&home.paths, "hello@team").unwrap();
    let summary = staged.summary();
    assert_eq!(summary.skills, ["standup"]);
    assert_eq!(summary.commands, ["plan"]);
    assert_eq!(summary.agents, ["helper"]);
    let connectors: Vec<_> = summary
        .connectors
        .iter()
        .map(|c| (c.name.as_str(), c.target.as_str()))
        .collect();
    assert_eq!(
        connectors,
        [
            ("local", "node ${CLAUDE_PLUGIN_ROOT}/server.js"),
            ("slack", "https://mcp.slack.com/mcp")
        ]
    );
    assert_eq!(summary.hooks.len(), 1);
    assert_eq!(summary.hooks[0].event, "PreToolUse");
    assert_eq!(summary.hooks[0].command, "${CLAUDE_PLUGIN_ROOT}/check.sh");
    // Nothing is recorded until the person says yes.
    assert!(home.installed_ids().is_empty());

    let plugin = staged.commit().unwrap();
    assert_eq!(plugin.version, "1.2.0");
    assert_eq!(
        plugin.path,
        home.paths.plugins_dir().join("cache/team/hello/1.2.0")
    );
    assert!(plugin.path.join("skills/standup/SKILL.md").is_file());
    let enabled = Installed::load(&home.paths).unwrap().enabled();
    assert_eq!(enabled.len(), 1);
    assert_eq!(enabled[0].id, "hello@team");
    // A staging folder never stays behind.
    let cache: Vec<_> = std::fs::read_dir(home.paths.plugins_dir().join("cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(cache, ["team"]);
}

#[test]
fn disable_enable_and_uninstall_change_what_tasks_get() {
    let home = Home::new();
    let root = home.dir.path().join("market");
    marketplace(&root, "team", &["hello", "other"]);
    known::add(&home.paths, root.to_str().unwrap()).unwrap();
    install::prepare(&home.paths, "hello")
        .unwrap()
        .commit()
        .unwrap();
    install::prepare(&home.paths, "other@team")
        .unwrap()
        .commit()
        .unwrap();

    let off = installed::set_enabled(&home.paths, "hello", false).unwrap();
    assert!(!off.enabled);
    let enabled: Vec<_> = Installed::load(&home.paths)
        .unwrap()
        .enabled()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(enabled, ["other@team"]);
    installed::set_enabled(&home.paths, "hello@team", true).unwrap();
    assert_eq!(Installed::load(&home.paths).unwrap().enabled().len(), 2);

    let gone = installed::uninstall(&home.paths, "hello").unwrap();
    assert!(!gone.path.exists(), "its files are deleted");
    assert_eq!(home.installed_ids(), ["other@team"]);
    let error = installed::uninstall(&home.paths, "hello").unwrap_err();
    assert!(matches!(error, MarketError::NotInstalled { .. }), "{error}");
    assert!(error.to_string().contains("other@team"), "{error}");
}

#[test]
fn a_plugin_offered_by_two_marketplaces_must_be_named_with_its_marketplace() {
    let home = Home::new();
    for name in ["one", "two"] {
        let root = home.dir.path().join(name);
        marketplace(&root, name, &["hello"]);
        known::add(&home.paths, root.to_str().unwrap()).unwrap();
    }
    let error = install::prepare(&home.paths, "hello").unwrap_err();
    let MarketError::Ambiguous { choices, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(choices, &["hello@one", "hello@two"]);
    install::prepare(&home.paths, "hello@two").unwrap();
    let error = install::prepare(&home.paths, "helo@one").unwrap_err();
    assert!(error.to_string().contains("did you mean hello"), "{error}");
}

#[test]
fn two_sources_with_one_marketplace_name_clash_naming_both() {
    let home = Home::new();
    let first = home.dir.path().join("first");
    let second = home.dir.path().join("second");
    marketplace(&first, "same", &["a"]);
    marketplace(&second, "same", &["b"]);
    known::add(&home.paths, first.to_str().unwrap()).unwrap();
    let error = known::add(&home.paths, second.to_str().unwrap()).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("first") && text.contains("second"), "{text}");
    // The same source again is no clash: it is read again.
    assert!(
        !known::add(&home.paths, first.to_str().unwrap())
            .unwrap()
            .new
    );
}

#[test]
fn a_symlink_in_a_plugin_is_not_followed_and_a_symlinked_source_is_refused() {
    let home = Home::new();
    let secret = home.dir.path().join("secret.txt");
    write(&secret, "password");
    let root = home.dir.path().join("market");
    marketplace(&root, "team", &["hello", "linked"]);
    std::os::unix::fs::symlink(&secret, root.join("hello/skills/standup/notes.txt")).unwrap();
    std::fs::remove_dir_all(root.join("linked")).unwrap();
    std::os::unix::fs::symlink(home.dir.path(), root.join("linked")).unwrap();
    known::add(&home.paths, root.to_str().unwrap()).unwrap();

    let staged = install::prepare(&home.paths, "hello@team").unwrap();
    assert!(
        staged.left_out().iter().any(|l| l.contains("notes.txt")),
        "{:?}",
        staged.left_out()
    );
    let plugin = staged.commit().unwrap();
    assert!(!plugin.path.join("skills/standup/notes.txt").exists());

    let error = install::prepare(&home.paths, "linked@team").unwrap_err();
    assert!(error.to_string().contains("symbolic link"), "{error}");
}

#[test]
fn a_non_strict_entry_brings_only_the_skills_it_lists() {
    let home = Home::new();
    let root = home.dir.path().join("skills-market");
    for skill in ["xlsx", "pdf", "art"] {
        write(
            &root.join(format!("skills/{skill}/SKILL.md")),
            &format!("---\nname: {skill}\ndescription: d\n---\n"),
        );
    }
    write(&root.join("shared/tool.py"), "print(1)\n");
    write(
        &root.join(".claude-plugin/marketplace.json"),
        &json!({"name": "skills", "plugins": [
            {"name": "docs", "source": "./", "strict": false, "version": "1.0.0",
             "skills": ["./skills/xlsx", "./skills/pdf", "./skills/missing"],
             "mcpServers": {"files": {"command": "files-server"}}}
        ]})
        .to_string(),
    );
    known::add(&home.paths, root.to_str().unwrap()).unwrap();
    let staged = install::prepare(&home.paths, "docs@skills").unwrap();
    assert_eq!(staged.summary().skills, ["pdf", "xlsx"]);
    assert_eq!(staged.summary().connectors[0].name, "files");
    assert!(
        staged.left_out().iter().any(|l| l.contains("missing")),
        "{:?}",
        staged.left_out()
    );
    let plugin = staged.commit().unwrap();
    assert!(!plugin.path.join("skills/art").exists());
    assert!(plugin.path.join("shared/tool.py").is_file());
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(plugin.path.join(".claude-plugin/plugin.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["name"], "docs");
}

#[test]
fn the_fixture_skills_marketplace_installs_its_non_strict_plugin() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let home = Home::new();
    // The fixture's own folder, used in place and never written to.
    known::add(
        &home.paths,
        fixtures.join("anthropics-skills").to_str().unwrap(),
    )
    .unwrap();
    let staged = install::prepare(&home.paths, "example-skills@anthropic-agent-skills").unwrap();
    // Only skill-creator was copied into the fixtures.
    assert_eq!(staged.summary().skills, ["skill-creator"]);
    staged.commit().unwrap();
    assert_eq!(
        installed_dir(&home, "example-skills").file_name().unwrap(),
        "local"
    );
}

#[test]
fn concurrent_installs_do_not_lose_each_others_state() {
    let home = Home::new();
    let root = home.dir.path().join("market");
    let names: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    marketplace(&root, "team", &refs);
    known::add(&home.paths, root.to_str().unwrap()).unwrap();
    std::thread::scope(|scope| {
        for name in &names {
            let paths = home.paths.clone();
            scope.spawn(move || {
                install::prepare(&paths, &format!("{name}@team"))
                    .unwrap()
                    .commit()
                    .unwrap();
                installed::set_enabled(&paths, name, false).unwrap();
            });
        }
    });
    let all = Installed::load(&home.paths).unwrap().all();
    assert_eq!(all.len(), 8, "{all:#?}");
    assert!(all.iter().all(|p| !p.enabled));
}

#[test]
fn a_damaged_state_file_is_an_error_naming_it() {
    let home = Home::new();
    write(
        &home.paths.plugins_dir().join("installed.json"),
        "{not json",
    );
    let error = Installed::load(&home.paths).unwrap_err();
    assert!(error.to_string().contains("installed.json"), "{error}");
}

#[test]
fn uninstalling_from_a_damaged_state_file_deletes_nothing_outside_the_cache() {
    let home = Home::new();
    let outside = home.paths.plugins_dir().join("x");
    write(&outside.join("keep.txt"), "keep");
    write(
        &home.paths.plugins_dir().join("installed.json"),
        &json!({"plugins": {"x@..": {
            "version": "1", "path": outside, "enabled": true, "installed_at": "t", "source": "./x"
        }}})
        .to_string(),
    );
    installed::uninstall(&home.paths, "x@..").unwrap();
    assert!(outside.join("keep.txt").is_file());
}

#[test]
fn every_relative_plugin_of_the_fixture_marketplaces_installs_and_describes_cleanly() {
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let home = Home::new();
    let kwp = fixtures.join("knowledge-work-plugins");
    known::add(&home.paths, kwp.to_str().unwrap()).unwrap();
    known::add(
        &home.paths,
        kwp.join("partner-built/brand-voice").to_str().unwrap(),
    )
    .unwrap();
    let (market, _) = Marketplace::read(&kwp).unwrap();
    let mut ids: Vec<String> = market
        .plugins
        .iter()
        .filter(|p| matches!(p.source, PluginSource::Relative(_)))
        .map(|p| format!("{}@knowledge-work-plugins", p.name))
        .collect();
    ids.push("brand-voice@brand-voice".to_owned());
    let mut brings_something = 0;
    for id in &ids {
        let staged = install::prepare(&home.paths, id).unwrap();
        let summary = staged.summary();
        let errors: Vec<_> = summary
            .diagnostics
            .iter()
            .filter(|d| d.severity == cowork_plugins::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{id}: {errors:#?}");
        assert!(
            staged.left_out().is_empty(),
            "{id}: {:?}",
            staged.left_out()
        );
        if !(summary.skills.is_empty()
            && summary.commands.is_empty()
            && summary.connectors.is_empty())
        {
            brings_something += 1;
        }
        staged.commit().unwrap();
    }
    assert_eq!(home.installed_ids().len(), 23);
    assert!(brings_something >= 20, "{brings_something}");
    let productivity = Installed::load(&home.paths)
        .unwrap()
        .find("productivity")
        .unwrap();
    assert!(productivity.path.join("skills/start/SKILL.md").is_file());
}

#[test]
fn a_password_in_a_marketplace_url_is_never_shown() {
    let source = known::MarketSource::Git {
        url: "https://me:s3cret@git.example/m.git".to_owned(),
        git_ref: None,
    };
    assert_eq!(source.display(), "https://me:***@git.example/m.git");
}
