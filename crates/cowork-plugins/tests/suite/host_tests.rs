//! What the plugin host gives a task: only the connectors the task was
//! given by name (a schedule keeps its connectors for every run), a notice
//! for a named one that is gone, and `/commands` from the catalog the task
//! was built with.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use cowork_core::{ExtensionSource, TaskContext, TaskExtensions};
use cowork_plugins::hooks::HookSandbox;
use cowork_plugins::host::{Catalog, HostSetup, PluginHost};
use cowork_plugins::marketplace::{install, known};
use cowork_plugins::mcp::auth::NoAuth;
use cowork_protocol::{PermissionMode, TaskId};

use super::marketplace_tests::{Home, marketplace, write};

/// The person's connectors `mock` and `other`, and the plugin `hello`
/// whose own `mock` differs, so tasks see it as `hello-mock`.
fn home_with_connectors(bin: &Path) -> Home {
    let home = Home::new();
    let root = home.dir.path().join("market");
    marketplace(&root, "team", &["hello"]);
    let bin = bin.to_str().unwrap();
    write(
        &root.join("hello/.mcp.json"),
        &json!({"mcpServers": {"mock": {"command": bin}}}).to_string(),
    );
    known::add(&home.paths, root.to_str().unwrap()).unwrap();
    install::prepare(&home.paths, "hello@team")
        .unwrap()
        .commit()
        .unwrap();
    write(
        &home.paths.user_mcp_file(),
        &json!({"mcpServers": {
            "mock": {"command": bin, "env": {"WHO": "person"}},
            "other": {"command": bin}
        }})
        .to_string(),
    );
    home
}

fn host(home: &Home) -> PluginHost {
    PluginHost::new(HostSetup {
        paths: home.paths.clone(),
        env: BTreeMap::new(),
        hook_sandbox: HookSandbox::Unsandboxed,
        hidden: Vec::new(),
        rules_hide_paths: false,
        auth: Arc::new(NoAuth),
    })
}

fn ctx(connectors: Option<&[&str]>) -> TaskContext {
    TaskContext {
        id: TaskId::new(),
        folders: Vec::new(),
        mode: PermissionMode::Ask,
        connectors: connectors.map(|c| c.iter().map(|n| (*n).to_owned()).collect()),
    }
}

/// The tools the task's connectors offer once every server answered.
async fn tool_names(extensions: &TaskExtensions) -> Vec<String> {
    let connectors = extensions.connectors.as_ref().expect("connectors");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut names = Vec::new();
    while Instant::now() < deadline {
        if let Some(tools) = connectors.poll().await.tools {
            names = tools.iter().map(|t| t.spec().name.clone()).collect();
            if names.iter().any(|n| n.ends_with("__echo")) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    connectors.shutdown().await;
    names
}

#[test]
fn connectors_are_named_as_tasks_and_cowork_mcp_list_see_them() {
    let home = home_with_connectors(Path::new("/bin/true"));
    let names: Vec<String> = Catalog::load(&home.paths)
        .unwrap()
        .servers
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["mock", "other", "hello-mock"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_given_one_connector_sees_only_its_tools_and_a_notice_for_a_gone_one() {
    let Some(bin) = cowork_test_support::consumers::mock_mcp_server() else {
        return;
    };
    let home = home_with_connectors(&bin);
    let host = host(&home);
    let extensions = host.for_task(&ctx(Some(&["hello-mock", "slack"])));
    let gone: Vec<&String> = extensions
        .notices
        .iter()
        .filter(|n| n.contains("`slack`"))
        .collect();
    assert_eq!(gone.len(), 1, "{:?}", extensions.notices);
    assert!(
        gone[0].contains("not configured") && gone[0].contains("its tools are missing"),
        "{gone:?}"
    );
    let names = tool_names(&extensions).await;
    assert!(
        names.contains(&"mcp__hello-mock__echo".to_owned()),
        "{names:?}"
    );
    assert!(
        names.iter().all(|n| n.starts_with("mcp__hello-mock__")),
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_given_no_names_gets_every_connector() {
    let Some(bin) = cowork_test_support::consumers::mock_mcp_server() else {
        return;
    };
    let home = home_with_connectors(&bin);
    let extensions = host(&home).for_task(&ctx(None));
    assert!(
        !extensions
            .notices
            .iter()
            .any(|n| n.contains("not configured")),
        "{:?}",
        extensions.notices
    );
    let names = tool_names(&extensions).await;
    for server in ["mock", "other", "hello-mock"] {
        assert!(
            names.contains(&format!("mcp__{server}__echo")),
            "{server}: {names:?}"
        );
    }
}

#[test]
fn a_task_given_an_empty_list_of_connectors_gets_none() {
    let home = home_with_connectors(Path::new("/bin/true"));
    let extensions = host(&home).for_task(&ctx(Some(&[])));
    assert!(extensions.connectors.is_none());
    assert!(
        !extensions
            .notices
            .iter()
            .any(|n| n.contains("not configured")),
        "{:?}",
        extensions.notices
    );
}

// Regression: the task's `/commands` read the catalog again (a second
// load per task start); they now come from the catalog the task was built
// with, like its skills and the folders those are read from.
#[test]
fn a_task_s_commands_come_from_the_catalog_it_was_built_with() {
    let home = home_with_connectors(Path::new("/bin/true"));
    let extensions = host(&home).for_task(&ctx(None));
    let commands = extensions.commands.expect("commands");
    // Uninstalled after the task was built: the task keeps what it had.
    std::fs::remove_dir_all(home.paths.plugins_dir()).unwrap();
    let expanded = commands.expand("/hello:plan the week").unwrap().unwrap();
    assert_eq!(expanded.name, "hello:plan");
    assert!(expanded.text.contains("Plan the week"), "{}", expanded.text);
    assert!(commands.expand("/hello:nothing").is_err());
    assert!(commands.expand("no command").unwrap().is_none());
}

/// A task start over the fixture marketplace's plugins, timed: before,
/// the `/command` prompt was expanded from a catalog of its own
/// (`ExtensionSource::expand`) and the task's extensions from another;
/// now the task's own commands expand it from the one catalog. Both give
/// the same text. Run with `--nocapture` to see the numbers.
#[test]
fn a_command_task_start_expands_from_its_one_catalog_as_a_fresh_load_would() {
    use cowork_plugins::marketplace::Marketplace;
    use cowork_plugins::marketplace::manifest::PluginSource;
    let Some(fixtures) = cowork_test_support::fixtures_dir() else {
        return;
    };
    let kwp = fixtures.join("knowledge-work-plugins");
    let home = Home::new();
    let added = known::add(&home.paths, kwp.to_str().unwrap()).unwrap();
    let (market, _) = Marketplace::read(&kwp).unwrap();
    for entry in &market.plugins {
        if matches!(entry.source, PluginSource::Relative(_)) {
            let id = format!("{}@{}", entry.name, added.name);
            install::prepare(&home.paths, &id)
                .unwrap()
                .commit()
                .unwrap();
        }
    }
    let catalog = Catalog::load(&home.paths).unwrap();
    let (plugin, command) = catalog
        .plugins
        .iter()
        .find_map(|p| Some((&p.plugin.name, &p.plugin.commands.first()?.name)))
        .expect("a fixture plugin with a command");
    let prompt = format!("/{plugin}:{command} this week");
    let host = host(&home);
    let ctx = ctx(None);
    let time = |f: &dyn Fn() -> String| {
        let mut runs: Vec<(Duration, String)> = (0..15)
            .map(|_| {
                let start = Instant::now();
                let text = f();
                (start.elapsed(), text)
            })
            .collect();
        runs.sort_by_key(|(d, _)| *d);
        runs.swap_remove(runs.len() / 2)
    };
    let (twice, fresh) = time(&|| {
        let text = host.expand(&prompt, &ctx).unwrap().unwrap().text;
        drop(host.for_task(&ctx));
        text
    });
    let (once, kept) = time(&|| {
        let extensions = host.for_task(&ctx);
        let commands = extensions.commands.expect("commands");
        commands.expand(&prompt).unwrap().unwrap().text
    });
    eprintln!(
        "task start over {} plugins, median of 15: catalog loaded twice {twice:?}, once {once:?}",
        catalog.plugins.len()
    );
    assert_eq!(kept, fresh);
}
