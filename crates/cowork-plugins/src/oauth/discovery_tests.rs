use super::*;

#[test]
fn a_bearer_challenge_gives_its_metadata_url_and_scope() {
    let c = Challenge::parse(
        r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read files:write""#,
    )
    .unwrap();
    assert_eq!(
        c.resource_metadata.as_deref(),
        Some("https://mcp.example.com/.well-known/oauth-protected-resource")
    );
    assert_eq!(c.scope.as_deref(), Some("files:read files:write"));
}

#[test]
fn the_bearer_challenge_is_found_among_others_and_escapes_are_read() {
    let c = Challenge::parse(
        r#"Basic realm="a, b", Bearer error="insufficient_scope", scope="a \"b\"", DPoP algs="ES256""#,
    )
    .unwrap();
    assert_eq!(c.error.as_deref(), Some("insufficient_scope"));
    assert_eq!(c.scope.as_deref(), Some(r#"a "b""#));
    assert_eq!(c.resource_metadata, None);
}

#[test]
fn a_header_without_a_bearer_challenge_gives_none() {
    assert_eq!(Challenge::parse(r#"Basic realm="x""#), None);
    assert_eq!(Challenge::parse(""), None);
    assert_eq!(Challenge::parse("Bearer"), Some(Challenge::default()));
}

#[test]
fn well_known_urls_insert_the_path_then_fall_back_to_the_root() {
    let url = Url::parse("https://mcp.example.com/v1/mcp?x=1").unwrap();
    let urls: Vec<String> = well_known(&url, "oauth-protected-resource")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        urls,
        [
            "https://mcp.example.com/.well-known/oauth-protected-resource/v1/mcp",
            "https://mcp.example.com/.well-known/oauth-protected-resource",
        ]
    );
    let root = Url::parse("https://mcp.example.com/").unwrap();
    assert_eq!(well_known(&root, "oauth-protected-resource").len(), 1);
}

/// Conformance `auth/metadata-var2`: metadata published only at the root
/// well-known URL names the origin, which RFC 9728 §3.3 requires of it;
/// cowork refused it as naming another resource.
#[test]
fn root_metadata_may_name_the_origin_but_nothing_else_may() {
    let server = Url::parse("https://mcp.example.com/v1/mcp").unwrap();
    assert!(names_the_server(
        &server,
        "https://mcp.example.com/v1/mcp",
        false
    ));
    assert!(names_the_server(
        &server,
        "https://MCP.example.com/v1/mcp#x",
        true
    ));
    assert!(names_the_server(&server, "https://mcp.example.com", true));
    assert!(names_the_server(&server, "https://mcp.example.com/", true));
    // Path-inserted or challenge-given metadata must name the server itself.
    assert!(!names_the_server(&server, "https://mcp.example.com", false));
    // Never another host, scheme, port or path.
    for other in [
        "https://evil.example.com",
        "http://mcp.example.com",
        "https://mcp.example.com:8443",
        "https://mcp.example.com/v1",
        "https://mcp.example.com/other/mcp",
    ] {
        assert!(!names_the_server(&server, other, true), "{other}");
    }
}
