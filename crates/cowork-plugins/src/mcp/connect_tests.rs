use rmcp::transport::DynamicTransportError;

use super::*;

/// A legacy SSE server refusing a POST mid-session (a revoked login)
/// gave a plain "HTTP 401" failure: the session stayed "connected" and
/// the auth provider never heard of it, unlike over Streamable HTTP.
#[test]
fn a_refused_sse_post_is_recognised_as_a_refusal_with_its_challenge() {
    let refused = SseError::Refused {
        endpoint: "http://127.0.0.1:1/messages".to_owned(),
        status: 403,
        www_authenticate: Some("Bearer error=\"insufficient_scope\"".to_owned()),
    };
    let error = ServiceError::TransportSend(
        DynamicTransportError::new::<SseTransport, RoleClient>(refused),
    );
    assert_eq!(
        Refusal::of(&CallError::Service(error)),
        Some(Refusal {
            status: 403,
            www_authenticate: Some("Bearer error=\"insufficient_scope\"".to_owned()),
        })
    );
    let other = SseError::Status {
        endpoint: "http://127.0.0.1:1/messages".to_owned(),
        status: 500,
    };
    let error = ServiceError::TransportSend(
        DynamicTransportError::new::<SseTransport, RoleClient>(other),
    );
    assert_eq!(Refusal::of(&CallError::Service(error)), None);
}

/// An SSE server whose stream opens but whose `initialize` POST is
/// refused failed with "HTTP 401" instead of asking for a login.
#[test]
fn a_refused_sse_initialize_is_recognised_as_a_refusal() {
    let refused = SseError::Refused {
        endpoint: "http://127.0.0.1:1/messages".to_owned(),
        status: 401,
        www_authenticate: None,
    };
    let error = ClientInitializeError::TransportError {
        error: DynamicTransportError::new::<SseTransport, RoleClient>(refused),
        context: "send initialize request".into(),
    };
    assert_eq!(
        initialize_refusal(&error),
        Some(Refusal {
            status: 401,
            www_authenticate: None,
        })
    );
}

#[test]
fn a_challenge_saying_insufficient_scope_is_a_403() {
    let scope = Refusal::from_challenge(Some("Bearer error=\"insufficient_scope\", scope=\"a\""));
    assert_eq!(scope.status, 403);
    // Only the parameter counts, not the words anywhere in the header.
    let other = Refusal::from_challenge(Some("Bearer realm=\"insufficient_scope\""));
    assert_eq!(other.status, 401);
    assert_eq!(Refusal::from_challenge(None).status, 401);
}

#[test]
fn requests_to_remote_servers_take_rmcps_typed_form_by_their_method() {
    use rmcp::model::ClientRequest;
    let request = |value: Value| serde_json::from_value::<ClientRequest>(value).unwrap();
    assert!(matches!(
        request(
            json!({"method": "tools/call", "params": {"name": "echo", "arguments": {"message": "hi"}, "_meta": {"progressToken": "c1"}}})
        ),
        ClientRequest::CallToolRequest(_)
    ));
    assert!(matches!(
        request(json!({"method": "tools/list"})),
        ClientRequest::ListToolsRequest(_)
    ));
    assert!(matches!(
        request(json!({"method": "resources/list", "params": {"cursor": "2"}})),
        ClientRequest::ListResourcesRequest(_)
    ));
    assert!(matches!(
        request(json!({"method": "resources/templates/list"})),
        ClientRequest::ListResourceTemplatesRequest(_)
    ));
    assert!(matches!(
        request(json!({"method": "resources/read", "params": {"uri": "demo://a"}})),
        ClientRequest::ReadResourceRequest(_)
    ));
    assert!(matches!(
        request(json!({"method": "prompts/list"})),
        ClientRequest::ListPromptsRequest(_)
    ));
    assert!(matches!(
        request(json!({"method": "prompts/get", "params": {"name": "p", "arguments": {"a": "b"}}})),
        ClientRequest::GetPromptRequest(_)
    ));
}

#[test]
fn a_local_servers_summary_comes_from_its_initialize_result() {
    let summary = local_summary(
        "fs",
        &json!({"protocolVersion": "2025-06-18", "capabilities": {"tools": {}, "prompts": {}},
            "serverInfo": {"name": "secure-filesystem-server", "version": "0.2.0"}}),
    )
    .unwrap();
    assert_eq!(
        summary,
        ServerSummary {
            name: "secure-filesystem-server".into(),
            version: "0.2.0".into(),
            protocol: "2025-06-18".into(),
            has_resources: false,
            has_prompts: true,
        }
    );
    let error = local_summary("old", &json!({"protocolVersion": "2024-01-01"})).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("speaks MCP version `2024-01-01`"),
        "{error}"
    );
}
