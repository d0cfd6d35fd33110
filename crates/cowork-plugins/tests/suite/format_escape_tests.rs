//! The same refusals hold for every kind of file a plugin has: a symlink
//! out of the plugin is never followed, and a file that is not UTF-8 is
//! named with its line. (Regression class: a check made for one kind of
//! file and forgotten for the others.)

use std::path::Path;

use cowork_plugins::format::validate;
use cowork_plugins::{Diagnostic, Severity};

use super::format_bad_tests::Fixture;

/// Every file a plugin is read from, with valid content for it.
const FILES: &[(&str, &str)] = &[
    (".claude-plugin/plugin.json", "{\"name\": \"demo\"}\n"),
    (".mcp.json", "{\"mcpServers\": {}}\n"),
    (
        "CONNECTORS.md",
        "| Category | Placeholder | Included servers |\n|---|---|---|\n| Chat | `~~chat` | Slack |\n",
    ),
    ("hooks/hooks.json", "{}\n"),
    (
        "skills/extra/SKILL.md",
        "---\nname: extra\ndescription: Extra.\n---\nbody\n",
    ),
    ("commands/extra.md", "---\ndescription: Extra\n---\nbody\n"),
    (
        "agents/extra.md",
        "---\nname: extra\ndescription: Extra.\n---\nbody\n",
    ),
];

fn errors_for<'a>(diagnostics: &'a [Diagnostic], rel: &str) -> Vec<&'a Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && d.file.ends_with(rel))
        .collect()
}

#[test]
fn every_kind_of_plugin_file_refuses_a_symlink_out_of_the_plugin() {
    let outside = tempfile::tempdir().unwrap();
    for (rel, content) in FILES {
        // The file outside is valid, and holds a secret the plugin must
        // not be able to hand to the model.
        let target = outside.path().join(rel.replace('/', "_"));
        std::fs::write(
            &target,
            content.replace("body", "SECRET").replace("Slack", "SECRET"),
        )
        .unwrap();
        let fixture = Fixture::new();
        let link = fixture.root().join(rel);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        // plugin.json is there already: the link replaces it.
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();

        let (plugin, diagnostics) = fixture.load();
        let errors = errors_for(&diagnostics, rel);
        assert_eq!(errors.len(), 1, "{rel}: {diagnostics:#?}");
        assert!(
            errors[0].message.contains("outside the plugin folder"),
            "{rel}: {}",
            errors[0]
        );
        assert!(!format!("{plugin:?}").contains("SECRET"), "{rel} was read");
        // The rest of the plugin still loads.
        assert!(plugin.skills.iter().any(|s| s.name == "good"), "{rel}");
    }
}

#[test]
fn a_component_folder_symlinked_out_of_the_plugin_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("s/x")).unwrap();
    std::fs::write(
        outside.path().join("s/x/SKILL.md"),
        "---\nname: x\ndescription: SECRET\n---\n",
    )
    .unwrap();
    std::fs::write(outside.path().join("s/c.md"), "SECRET\n").unwrap();
    for folder in ["commands", "agents", "skills", ".claude-plugin"] {
        let fixture = Fixture::new();
        std::fs::remove_dir_all(fixture.root().join(folder)).unwrap();
        std::os::unix::fs::symlink(outside.path().join("s"), fixture.root().join(folder)).unwrap();
        let (plugin, diagnostics) = fixture.load();
        assert!(
            diagnostics.iter().any(|d| d.severity == Severity::Error
                && d.message.contains("outside the plugin folder")),
            "{folder}: {diagnostics:#?}"
        );
        assert!(
            !format!("{plugin:?}").contains("SECRET"),
            "{folder} was read"
        );
    }
}

#[test]
fn every_kind_of_plugin_file_that_is_not_utf8_is_named_with_its_line() {
    for (rel, content) in FILES {
        let fixture = Fixture::new();
        // A Latin-1 byte on the second line.
        let mut bytes = content.as_bytes().to_vec();
        let second = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
        bytes.insert(second, 0xe9);
        fixture.write(rel, bytes);
        let (_, diagnostics) = fixture.load();
        let errors = errors_for(&diagnostics, rel);
        assert_eq!(errors.len(), 1, "{rel}: {diagnostics:#?}");
        assert_eq!(errors[0].line, Some(2), "{rel}: {}", errors[0]);
        assert!(errors[0].message.contains("UTF-8"), "{rel}: {}", errors[0]);
    }
}

#[test]
fn a_marketplace_source_symlinked_out_of_the_marketplace_is_refused() {
    let market = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("p/commands")).unwrap();
    std::fs::write(outside.path().join("p/commands/c.md"), "SECRET\n").unwrap();
    std::fs::create_dir_all(market.path().join(".claude-plugin")).unwrap();
    std::fs::write(
        market.path().join(".claude-plugin/marketplace.json"),
        "{\n  \"name\": \"m\",\n  \"owner\": {\"name\": \"o\"},\n  \"plugins\": [\n    {\"name\": \"p\", \"source\": \"./p\"}\n  ]\n}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("p"), market.path().join("p")).unwrap();
    let validation = validate(market.path()).unwrap();
    assert!(validation.plugins.is_empty());
    assert_eq!(validation.errors(), 1, "{:#?}", validation.diagnostics);
    let error = &validation.diagnostics[0];
    assert_eq!(error.line, Some(5));
    assert!(
        error.message.contains("outside the plugin folder"),
        "{error}"
    );
    assert!(Path::new(&error.file).ends_with(".claude-plugin/marketplace.json"));
}

#[test]
fn a_file_name_that_is_not_utf8_is_skipped_with_a_warning() {
    use std::os::unix::ffi::OsStrExt;
    let fixture = Fixture::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
    std::fs::write(fixture.root().join("commands").join(name), "Hi\n").unwrap();
    let (plugin, diagnostics) = fixture.load();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert!(
        diagnostics[0].message.contains("not UTF-8"),
        "{}",
        diagnostics[0]
    );
    assert_eq!(plugin.commands.len(), 1);
}
