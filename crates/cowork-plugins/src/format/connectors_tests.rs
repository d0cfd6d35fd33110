use super::*;

const PRODUCTIVITY: &str = "# Connectors\n\n| Category | Placeholder | Included servers | Other options |\n|----------|-------------|-----------------|---------------|\n| Chat | `~~chat` | Slack | Microsoft Teams, Discord |\n| Email | `~~email` | Microsoft 365 | — |\n| Project tracker | `~~project tracker` | Asana, Linear, Atlassian (Jira/Confluence), monday.com, ClickUp | Shortcut |\n| Data | `~~data` | Snowflake\\*, BigQuery | — |\n| Data enrichment | `~~data enrichment` | Clay | — |\n";

fn map() -> ConnectorsMap {
    let (map, diagnostics) = parse(PRODUCTIVITY, Path::new("CONNECTORS.md"));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    map
}

#[test]
fn the_table_gives_each_placeholder_its_servers() {
    let map = map();
    let tracker = map.get("~~project tracker").unwrap();
    assert_eq!(tracker.category, "Project tracker");
    assert_eq!(
        tracker.included,
        [
            "Asana",
            "Linear",
            "Atlassian (Jira/Confluence)",
            "monday.com",
            "ClickUp"
        ]
    );
    assert_eq!(tracker.other, ["Shortcut"]);
    assert!(
        map.get("email").unwrap().other.is_empty(),
        "a dash means none"
    );
    assert_eq!(map.get("data").unwrap().included, ["Snowflake", "BigQuery"]);
}

#[test]
fn product_names_match_the_short_keys_of_mcp_json() {
    for (product, key) in [
        ("Slack", "slack"),
        ("Atlassian (Jira/Confluence)", "atlassian"),
        ("monday.com", "monday"),
        ("Google Calendar", "google calendar"),
        ("Google Calendar (via MCP)", "google calendar"),
        ("ClinicalTrials.gov", "c-trials"),
        ("Open Targets", "ot"),
        ("Wiley Scholar Gateway", "wiley"),
        ("Microsoft 365", "ms365"),
        ("Zoom", "zoom-mcp"),
        ("PagerDuty", "pagerduty"),
    ] {
        assert!(names_match(product, key), "{product} ↔ {key}");
    }
    for (product, key) in [
        ("Slack", "s"),
        ("Amplitude", "amplitude-eu"),
        ("Notion", "linear"),
        ("Microsoft 365", "ms"),
    ] {
        assert!(!names_match(product, key), "{product} ≠ {key}");
    }
}

#[test]
fn placeholders_become_the_connected_server_or_a_neutral_phrase() {
    let map = map();
    let text = "Post to ~~chat, file it in ~~project tracker, mail via ~~email, enrich with ~~data enrichment, query ~~data. ~~unknown stays; ~~chatter too.";
    let connected = [
        "slack".to_owned(),
        "linear".to_owned(),
        "atlassian".to_owned(),
    ];
    assert_eq!(
        resolve_placeholders(text, &map, &connected),
        "Post to Slack, file it in Linear or Atlassian (Jira/Confluence), mail via your email tool \
         (not connected), enrich with your data enrichment tool (not connected), query your data \
         tool (not connected). ~~unknown stays; ~~chatter too."
    );
}

#[test]
fn a_row_without_a_tilde_placeholder_is_skipped_on_its_line() {
    let text = "| Category | Placeholder | Included servers |\n|---|---|---|\n| Chat | chat | Slack |\n| CRM | `~~CRM` | HubSpot |\n";
    let (map, diagnostics) = parse(text, Path::new("CONNECTORS.md"));
    assert_eq!(map.categories.len(), 1);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].line, Some(3));
}
