//! The administrator's policy over marketplaces and installed plugins.

use cowork_plugins::curation::PluginState;
use cowork_plugins::marketplace::{Installed, MarketError, install, installed, known};

use super::marketplace_tests::{Home, marketplace};

fn team_market(home: &Home, plugins: &[&str]) -> String {
    let root = home.dir.path().join("market");
    marketplace(&root, "team", plugins);
    root.to_str().unwrap().to_owned()
}

#[test]
fn a_blocked_plugin_cannot_be_installed_and_the_refusal_names_the_policy_file() {
    let home = Home::new();
    home.policy("[plugins]\n\"*@team\" = \"blocked\"\n");
    let root = team_market(&home, &["hello"]);
    known::add(&home.paths, &root).unwrap();
    let error = install::prepare(&home.paths, "hello@team").unwrap_err();
    assert!(matches!(error, MarketError::Blocked(_)), "{error}");
    let text = error.to_string();
    assert!(
        text.contains("policy.toml") && text.contains("*@team"),
        "{text}"
    );
}

#[test]
fn a_plugin_blocked_after_it_was_installed_is_never_given_to_tasks_nor_enabled() {
    let home = Home::new();
    let root = team_market(&home, &["hello"]);
    known::add(&home.paths, &root).unwrap();
    install::prepare(&home.paths, "hello@team")
        .unwrap()
        .commit()
        .unwrap();
    home.policy("[plugins]\n\"hello@team\" = \"blocked\"\n");
    let installed = Installed::load(&home.paths).unwrap();
    assert!(installed.enabled().is_empty());
    assert_eq!(installed.all()[0].policy, PluginState::Blocked);
    let error = installed::set_enabled(&home.paths, "hello", true).unwrap_err();
    assert!(matches!(error, MarketError::Blocked(_)), "{error}");
}

#[test]
fn a_required_plugin_is_installed_with_its_marketplace_and_cannot_be_disabled_or_uninstalled() {
    let home = Home::new();
    home.policy("[plugins]\n\"hello@team\" = \"required\"\n");
    let root = team_market(&home, &["hello", "other"]);
    let added = known::add(&home.paths, &root).unwrap();
    let ids: Vec<_> = added
        .policy_installs
        .iter()
        .map(|(id, r)| (id.as_str(), r.is_ok()))
        .collect();
    assert_eq!(ids, [("hello@team", true)]);
    assert_eq!(home.installed_ids(), ["hello@team"]);

    let error = installed::set_enabled(&home.paths, "hello", false).unwrap_err();
    assert!(matches!(error, MarketError::Required { .. }), "{error}");
    assert!(error.to_string().contains("policy.toml"), "{error}");
    let error = installed::uninstall(&home.paths, "hello").unwrap_err();
    assert!(matches!(error, MarketError::Required { .. }), "{error}");
    // Even a state file saying "off" does not turn a required plugin off.
    let file = home.paths.plugins_dir().join("installed.json");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"enabled\": true", "\"enabled\": false");
    std::fs::write(&file, text).unwrap();
    assert_eq!(Installed::load(&home.paths).unwrap().enabled().len(), 1);
}

#[test]
fn an_installed_by_default_plugin_the_person_uninstalled_stays_uninstalled() {
    let home = Home::new();
    home.policy("[plugins]\n\"*@team\" = \"installed_by_default\"\n");
    let root = team_market(&home, &["hello"]);
    known::add(&home.paths, &root).unwrap();
    assert_eq!(home.installed_ids(), ["hello@team"]);
    installed::set_enabled(&home.paths, "hello", false).unwrap();
    installed::uninstall(&home.paths, "hello").unwrap();
    let updated = known::update(&home.paths, None).unwrap();
    assert!(
        updated.policy_installs.is_empty(),
        "{:?}",
        updated.policy_installs
    );
    assert!(home.installed_ids().is_empty());
    // Installing it by hand is still possible.
    install::prepare(&home.paths, "hello")
        .unwrap()
        .commit()
        .unwrap();
}

#[test]
fn a_marketplace_outside_the_allowlist_cannot_be_added() {
    let home = Home::new();
    home.policy("[marketplaces]\nallowed = [\"approved\", \"https://github.com/acme/*\"]\n");
    let root = team_market(&home, &["hello"]);
    let error = known::add(&home.paths, &root).unwrap_err();
    assert!(matches!(error, MarketError::Blocked(_)), "{error}");
    assert!(
        error.to_string().contains("[marketplaces] allowed"),
        "{error}"
    );
    assert!(known::list(&home.paths).unwrap().is_empty());
}

#[test]
fn a_marketplace_added_before_the_allowlist_cannot_install_after_it() {
    let home = Home::new();
    let root = team_market(&home, &["hello"]);
    known::add(&home.paths, &root).unwrap();
    home.policy("[marketplaces]\nallowed = [\"approved\"]\n");
    let error = install::prepare(&home.paths, "hello@team").unwrap_err();
    assert!(matches!(error, MarketError::Blocked(_)), "{error}");
}

#[test]
fn an_invalid_policy_file_stops_every_operation_with_its_line() {
    let home = Home::new();
    let root = team_market(&home, &["hello"]);
    known::add(&home.paths, &root).unwrap();
    install::prepare(&home.paths, "hello@team")
        .unwrap()
        .commit()
        .unwrap();
    home.policy("[plugins]\n\"hello@team\" = \"required\"\n\"*@team\" = \"blokced\"\n");
    let expect_line = |error: MarketError| {
        let text = error.to_string();
        assert!(text.contains("policy.toml:3:"), "{text}");
    };
    expect_line(Installed::load(&home.paths).unwrap_err());
    expect_line(install::prepare(&home.paths, "hello@team").unwrap_err());
    expect_line(known::add(&home.paths, &root).unwrap_err());
    expect_line(installed::set_enabled(&home.paths, "hello", true).unwrap_err());
}

#[test]
fn a_plugin_installed_before_a_marketplace_allowlist_is_cut_off_by_it() {
    let home = Home::new();
    let root = team_market(&home, &["hello"]);
    known::add(&home.paths, &root).unwrap();
    install::prepare(&home.paths, "hello@team")
        .unwrap()
        .commit()
        .unwrap();
    home.policy("[marketplaces]\nallowed = [\"approved\"]\n");
    let installed = Installed::load(&home.paths).unwrap();
    assert!(installed.enabled().is_empty());
    let error = installed::set_enabled(&home.paths, "hello", true).unwrap_err();
    assert!(
        error.to_string().contains("[marketplaces] allowed"),
        "{error}"
    );
    // Allowing its folder by source pattern lets it back in.
    home.policy(&format!(
        "[marketplaces]\nallowed = [\"{}/*\"]\n",
        home.dir.path().canonicalize().unwrap().display()
    ));
    assert_eq!(Installed::load(&home.paths).unwrap().enabled().len(), 1);
}

#[test]
fn a_plugin_required_after_its_marketplace_was_added_is_reported_until_an_update_installs_it() {
    let home = Home::new();
    let root = team_market(&home, &["hello", "other"]);
    known::add(&home.paths, &root).unwrap();
    assert!(install::missing_required(&home.paths).unwrap().is_empty());
    home.policy("[plugins]\n\"other@team\" = \"required\"\n");
    // Loading installs nothing: a task must not wait on git.
    assert!(Installed::load(&home.paths).unwrap().all().is_empty());
    assert_eq!(
        install::missing_required(&home.paths).unwrap(),
        ["other@team"]
    );
    let updated = known::update(&home.paths, None).unwrap();
    assert_eq!(updated.policy_installs.len(), 1);
    assert!(install::missing_required(&home.paths).unwrap().is_empty());
    assert_eq!(home.installed_ids(), ["other@team"]);
}
