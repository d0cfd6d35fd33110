//! Marketplaces and plugins from git: local repositories stand in for
//! remote ones (this machine has no network).

use std::path::Path;

use cowork_plugins::marketplace::{MarketError, Marketplace, install, known};
use serde_json::json;

use super::marketplace_tests::{
    Home, commit_all, file_url, git_available, marketplace, plugin, write,
};

#[test]
fn a_git_marketplace_is_cloned_by_file_url_and_by_path_and_updates() {
    if !git_available() {
        return;
    }
    let home = Home::new();
    let repo = home.dir.path().join("repo");
    marketplace(&repo, "gitmarket", &["hello"]);
    let first = commit_all(&repo);

    let added = known::add(&home.paths, &file_url(&repo)).unwrap();
    assert_eq!(added.name, "gitmarket");
    let clone = home.paths.plugins_dir().join("marketplaces/gitmarket");
    assert!(clone.join(".claude-plugin/marketplace.json").is_file());
    // A relative plugin of a git marketplace is versioned by its
    // plugin.json, else the marketplace's commit.
    let plugin = install::prepare(&home.paths, "hello@gitmarket")
        .unwrap()
        .commit()
        .unwrap();
    assert_eq!(plugin.version, "1.2.0");

    // A new plugin upstream appears after `update`.
    marketplace(&repo, "gitmarket", &["hello", "second"]);
    let second = commit_all(&repo);
    assert_ne!(first, second);
    let updated = known::update(&home.paths, Some("gitmarket")).unwrap();
    assert_eq!(updated.outcomes.len(), 1);
    assert_eq!(*updated.outcomes[0].1.as_ref().unwrap(), 2);
    install::prepare(&home.paths, "second@gitmarket").unwrap();

    // Removing forgets it and deletes cowork's clone.
    known::remove(&home.paths, "gitmarket").unwrap();
    assert!(!clone.exists());
    assert!(known::list(&home.paths).unwrap().is_empty());

    // A plain path to the repository's .git is cloned too.
    let added = known::add(&home.paths, repo.join(".git").to_str().unwrap()).unwrap();
    assert!(
        matches!(added.source, known::MarketSource::Git { .. }),
        "{:?}",
        added.source
    );
    assert_eq!(added.plugins, 2);
}

#[test]
fn a_git_subdir_plugin_is_cloned_at_its_pinned_commit_and_a_wrong_pin_is_refused() {
    if !git_available() {
        return;
    }
    let home = Home::new();
    let upstream = home.dir.path().join("upstream");
    plugin(&upstream.join("plugins/sub"), "sub");
    write(&upstream.join("README.md"), "not part of the plugin");
    let sha = commit_all(&upstream);
    let root = home.dir.path().join("market");
    write(
        &root.join(".claude-plugin/marketplace.json"),
        &json!({"name": "m", "plugins": [
            {"name": "sub", "source": {"source": "git-subdir", "url": file_url(&upstream), "path": "plugins/sub", "ref": "main", "sha": sha}},
            {"name": "whole", "source": {"source": "url", "url": file_url(&upstream)}},
            {"name": "wrong", "source": {"source": "git-subdir", "url": file_url(&upstream), "path": "plugins/sub", "sha": "0123456789abcdef0123456789abcdef01234567"}}
        ]})
        .to_string(),
    );
    known::add(&home.paths, root.to_str().unwrap()).unwrap();
    // Upstream moves on; the pin still gives the pinned commit.
    write(
        &upstream.join("plugins/sub/skills/later/SKILL.md"),
        "---\nname: later\ndescription: d\n---\n",
    );
    commit_all(&upstream);

    let plugin = install::prepare(&home.paths, "sub@m")
        .unwrap()
        .commit()
        .unwrap();
    assert!(plugin.path.join("skills/standup/SKILL.md").is_file());
    assert!(
        !plugin.path.join("skills/later").exists(),
        "the pinned commit, not the newest"
    );
    assert!(
        !plugin.path.join("README.md").exists(),
        "only the subfolder"
    );
    assert!(!plugin.path.join(".git").exists());

    // The repository's root is no plugin: nothing is installed from it.
    let error = install::prepare(&home.paths, "whole@m").unwrap_err();
    assert!(error.to_string().contains("is not a plugin"), "{error}");

    let error = install::prepare(&home.paths, "wrong@m").unwrap_err();
    assert!(
        matches!(
            error,
            MarketError::Git { .. } | MarketError::ShaMismatch { .. }
        ),
        "{error}"
    );
    assert_eq!(home.installed_ids(), ["sub@m"]);
}

#[test]
fn a_marketplace_from_elsewhere_cannot_install_this_machines_repositories() {
    let home = Home::new();
    let private = home.dir.path().join("private");
    plugin(&private, "private");
    // A clone of a remote marketplace, as `add` would have recorded it.
    let clone = home.paths.plugins_dir().join("marketplaces/remote");
    write(
        &clone.join(".claude-plugin/marketplace.json"),
        &json!({"name": "remote", "plugins": [
            {"name": "grab", "source": {"source": "url", "url": format!("file://{}", private.display())}},
            {"name": "grab2", "source": {"source": "git-subdir", "url": private.display().to_string(), "path": "."}}
        ]})
        .to_string(),
    );
    write(
        &home.paths.plugins_dir().join("known_marketplaces.json"),
        &json!({"marketplaces": {"remote": {
            "source": {"kind": "git", "url": "https://example.com/remote.git"},
            "root": clone, "added_at": "t", "updated_at": "t"
        }}})
        .to_string(),
    );
    for id in ["grab@remote", "grab2@remote"] {
        let error = install::prepare(&home.paths, id).unwrap_err();
        assert!(error.to_string().contains("this machine"), "{error}");
    }
}

#[test]
fn a_relative_git_url_is_skipped_with_its_line() {
    let text = "{\"name\": \"m\", \"plugins\": [\n{\"name\": \"rel\", \"source\": {\"source\": \"url\", \"url\": \"../other.git\"}}\n]}";
    let (market, diagnostics) = Marketplace::parse(text, Path::new("m.json")).unwrap();
    assert!(market.plugins.is_empty());
    assert_eq!(diagnostics[0].line, Some(2), "{diagnostics:#?}");
}
