use std::path::Path;

use super::*;

fn policy(text: &str) -> Policy {
    Policy::parse(text, Path::new("/etc/cowork/policy.toml")).unwrap()
}

fn error(text: &str) -> PolicyError {
    Policy::parse(text, Path::new("/etc/cowork/policy.toml")).unwrap_err()
}

#[test]
fn a_missing_policy_file_allows_everything() {
    let dir = tempfile::tempdir().unwrap();
    let policy = Policy::load(&dir.path().join("policy.toml")).unwrap();
    assert_eq!(policy.plugin_state("x", "m"), PluginState::Available);
    policy.marketplace_allowed("m", "https://x/y.git").unwrap();
    policy
        .mcp_allowed("slack", Some("https://evil.example/"))
        .unwrap();
}

#[test]
fn an_exact_key_decides_and_patterns_take_the_strictest_state() {
    let policy = policy(
        r#"
[plugins]
"productivity@kwp" = "required"
"*@untrusted" = "blocked"
"*@kwp" = "installed_by_default"
"legal@*" = "blocked"
"#,
    );
    assert_eq!(
        policy.plugin_state("productivity", "kwp"),
        PluginState::Required
    );
    assert_eq!(
        policy.plugin_state("sales", "kwp"),
        PluginState::InstalledByDefault
    );
    assert_eq!(policy.plugin_state("legal", "kwp"), PluginState::Blocked);
    assert_eq!(
        policy.plugin_state("anything", "untrusted"),
        PluginState::Blocked
    );
    assert_eq!(
        policy.plugin_state("anything", "other"),
        PluginState::Available
    );
    let refused = policy.plugin_allowed("x", "untrusted").unwrap_err();
    assert!(
        refused.to_string().contains("/etc/cowork/policy.toml"),
        "{refused}"
    );
    assert!(refused.by.contains("*@untrusted"), "{}", refused.by);
}

#[test]
fn a_blocked_default_turns_the_plugin_list_into_an_allowlist() {
    let policy = policy(
        r#"
[plugins]
default = "blocked"
"productivity@kwp" = "available"
"#,
    );
    assert_eq!(
        policy.plugin_state("productivity", "kwp"),
        PluginState::Available
    );
    assert!(policy.plugin_allowed("sales", "kwp").is_err());
}

#[test]
fn marketplaces_are_allowed_by_name_or_by_source_pattern() {
    let policy = policy(
        r#"
[marketplaces]
allowed = ["knowledge-work-plugins", "https://github.com/acme/*"]
"#,
    );
    policy
        .marketplace_allowed("knowledge-work-plugins", "/somewhere")
        .unwrap();
    policy
        .marketplace_allowed("tools", "https://github.com/acme/tools.git")
        .unwrap();
    // The host is compared case-insensitively, as URLs are.
    policy
        .marketplace_allowed("tools", "HTTPS://GitHub.com/acme/tools.git")
        .unwrap();
    let refused = policy
        .marketplace_allowed("tools", "https://github.com/evil/tools.git")
        .unwrap_err();
    assert!(refused.by.contains("[marketplaces] allowed"), "{refused}");
    // A source pattern never matches a name, so naming a marketplace
    // `https:` things does not help.
    assert!(
        policy
            .marketplace_allowed("https://github.com/acme/x", "/tmp/m")
            .is_err()
    );
}

#[test]
fn mcp_servers_are_blocked_by_url_whatever_the_spelling_of_the_host() {
    let policy = policy(
        r#"
[mcp]
allowed = ["slack", "https://mcp.notion.com/*", "*.evil.example/*"]
blocked = ["*.evil.example/*"]
"#,
    );
    policy
        .mcp_allowed("slack", Some("https://mcp.slack.com/mcp"))
        .unwrap();
    policy
        .mcp_allowed("notion", Some("https://mcp.notion.com/mcp"))
        .unwrap();
    // No path still has the root path once normalised.
    policy
        .mcp_allowed("notion", Some("https://mcp.notion.com"))
        .unwrap();
    for url in [
        "https://mcp.evil.example/sse",
        "HTTPS://MCP.EVIL.EXAMPLE/sse",
        "https://mcp.evil.example:443/sse",
    ] {
        let refused = policy.mcp_allowed("helper", Some(url)).unwrap_err();
        assert!(refused.by.contains("[mcp] blocked"), "{url}: {refused}");
    }
    let refused = policy
        .mcp_allowed("drive", Some("https://drive.example/mcp"))
        .unwrap_err();
    assert!(refused.by.contains("[mcp] allowed"), "{refused}");
    // A stdio server is judged by name only.
    assert!(policy.mcp_allowed("local-tool", None).is_err());
    policy.mcp_allowed("slack", None).unwrap();
}

#[test]
fn an_unknown_state_is_an_error_naming_the_file_and_line() {
    let error = error("[plugins]\n\"a@b\" = \"available\"\n\"c@d\" = \"requierd\"\n");
    assert_eq!(error.line, Some(3), "{error}");
    assert!(
        error.to_string().starts_with("/etc/cowork/policy.toml:3:"),
        "{error}"
    );
}

#[test]
fn a_misspelt_section_is_an_error_not_an_open_policy() {
    let error = error("[marketplace]\nallowed = [\"kwp\"]\n");
    assert_eq!(error.line, Some(1), "{error}");
    assert!(error.to_string().contains("marketplace"), "{error}");
}

#[test]
fn a_plugin_key_without_a_marketplace_is_an_error_with_its_line() {
    let error = error("[plugins]\ndefault = \"available\"\n\n\"productivity\" = \"blocked\"\n");
    assert_eq!(error.line, Some(4), "{error}");
    assert!(error.message.contains("NAME@MARKETPLACE"), "{error}");
}

#[test]
fn a_bad_pattern_is_an_error_with_its_line() {
    let error = error("[mcp]\nblocked = [\n  \"ok\",\n  \"[unclosed\",\n]\n");
    assert_eq!(error.line, Some(4), "{error}");
}

#[test]
fn an_unreadable_policy_file_is_an_error_not_no_policy() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where the file should be cannot be read as one.
    let error = Policy::load(dir.path()).unwrap_err();
    assert!(error.message.contains("cannot be read"), "{error}");
}
