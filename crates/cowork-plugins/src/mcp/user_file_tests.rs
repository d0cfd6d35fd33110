use std::collections::BTreeMap;

use super::*;
use crate::mcp::config::{RemoteKind, RemoteServer, StdioServer};

fn local(command: &str) -> McpServer {
    McpServer::Stdio(StdioServer {
        kind: None,
        command: command.to_owned(),
        args: vec!["-y".into(), "pkg".into()],
        env: BTreeMap::from([("TOKEN".to_owned(), "${TOKEN}".to_owned())]),
    })
}

#[test]
fn adding_keeps_other_entries_and_keys_cowork_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcp.json");
    std::fs::write(
        &path,
        r#"{"mcpServers": {"old": {"type": "http", "url": "https://x/mcp"}}, "$comment": "mine"}"#,
    )
    .unwrap();
    assert_eq!(add(&path, "notion", &local("npx")).unwrap(), Added::New);
    let root: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(root["$comment"], "mine");
    assert_eq!(root["mcpServers"]["old"]["url"], "https://x/mcp");
    assert_eq!(root["mcpServers"]["notion"]["env"]["TOKEN"], "${TOKEN}");
    let file = read(&path).unwrap();
    assert_eq!(file.servers.len(), 2);
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn the_same_configuration_again_is_unchanged_and_another_one_clashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/mcp.json");
    assert_eq!(add(&path, "a", &local("npx")).unwrap(), Added::New);
    assert_eq!(add(&path, "a", &local("npx")).unwrap(), Added::Unchanged);
    let remote = McpServer::Remote(RemoteServer {
        kind: RemoteKind::Http,
        url: "https://y/mcp".into(),
        headers: BTreeMap::new(),
        oauth: None,
    });
    let clash = add(&path, "a", &remote).unwrap_err();
    assert!(matches!(clash, UserFileError::Clash { .. }), "{clash}");
    assert!(clash.to_string().contains("cowork mcp remove a"));
}

#[test]
fn a_name_outside_the_allowed_characters_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcp.json");
    for bad in ["", "a b", "a/b", "é", "a.b"] {
        assert!(matches!(
            add(&path, bad, &local("npx")),
            Err(UserFileError::BadName { .. })
        ));
    }
    assert!(!path.exists());
}

#[test]
fn a_file_cowork_cannot_read_is_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcp.json");
    std::fs::write(&path, "{not json").unwrap();
    let error = add(&path, "a", &local("npx")).unwrap_err();
    assert!(error.to_string().contains("fix it by hand"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{not json");
}

#[test]
fn removing_drops_only_that_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcp.json");
    add(&path, "a", &local("npx")).unwrap();
    add(&path, "b", &local("uvx")).unwrap();
    assert!(remove(&path, "a").unwrap());
    assert!(!remove(&path, "a").unwrap());
    let file = read(&path).unwrap();
    assert_eq!(file.servers.keys().collect::<Vec<_>>(), ["b"]);
}
