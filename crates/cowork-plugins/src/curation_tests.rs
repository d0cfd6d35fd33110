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

#[test]
fn a_host_pattern_is_matched_against_the_host_only_not_anywhere_in_the_url() {
    // Regression: `*` once crossed `/`, so an allowlisted
    // `*.notion.com/*` let any host through with `.notion.com/` in its
    // path, user info or subdomain.
    let policy = policy("[mcp]\nallowed = [\"*.notion.com/*\", \"https://mcp.slack.com/*\"]\n");
    policy
        .mcp_allowed("n", Some("https://mcp.notion.com/mcp"))
        .unwrap();
    policy
        .mcp_allowed("n", Some("https://a.b.notion.com/"))
        .unwrap();
    for url in [
        "https://evil.example/a.notion.com/x",
        "https://evil.example/?u=https://mcp.notion.com/",
        "https://mcp.notion.com.evil.example/mcp",
        "https://mcp.slack.com@evil.example/mcp",
        "https://mcp.slack.com.evil.example/mcp",
        // The scheme is part of the pattern when written.
        "http://mcp.slack.com/mcp",
    ] {
        assert!(policy.mcp_allowed("n", Some(url)).is_err(), "{url} passed");
    }
}

#[test]
fn a_blocked_host_is_blocked_whatever_the_spelling_port_or_user_info() {
    let policy = policy("[mcp]\nblocked = [\"*.evil.example/*\", \"exact.example:8443\"]\n");
    for url in [
        "https://mcp.evil.example/sse",
        "https://MCP.Evil.Example/sse",
        "https://mcp.evil.example./sse",
        "https://user:pw@mcp.evil.example/sse",
        "https://mcp.evil.example:8443/sse",
        "wss://mcp.evil.example/",
        "https://exact.example:8443/",
    ] {
        assert!(policy.mcp_allowed("x", Some(url)).is_err(), "{url} passed");
    }
    policy
        .mcp_allowed("x", Some("https://exact.example/"))
        .unwrap();
    policy
        .mcp_allowed("x", Some("https://evil.example.org/"))
        .unwrap();
}

#[test]
fn git_addresses_of_every_form_meet_one_source_pattern() {
    let policy = policy("[marketplaces]\nallowed = [\"github.com/acme/*\"]\n");
    for source in [
        "https://github.com/acme/m.git",
        "git@github.com:acme/m.git",
        "ssh://git@GitHub.com/acme/m.git",
    ] {
        policy.marketplace_allowed("m", source).unwrap();
    }
    for source in [
        "https://github.com/evil/acme/m.git",
        "git@evil.example:acme/m.git",
        "/home/me/acme/m",
    ] {
        assert!(
            policy.marketplace_allowed("m", source).is_err(),
            "{source} passed"
        );
    }
}

#[test]
fn plugin_keys_compare_without_case() {
    let policy = policy("[plugins]\n\"Evil@Market\" = \"blocked\"\n");
    assert!(policy.plugin_allowed("evil", "market").is_err());
}

#[test]
fn a_url_pattern_with_a_bad_port_is_an_error_with_its_line() {
    let error = error("[mcp]\n\nallowed = [\"https://x.example:http/*\"]\n");
    assert_eq!(error.line, Some(3), "{error}");
    assert!(error.message.contains("port"), "{error}");
}
