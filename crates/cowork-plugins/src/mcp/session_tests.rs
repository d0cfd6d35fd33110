use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};

use super::*;
use crate::mcp::handler::List;

/// The server's side of a session: what the client wrote, line by line,
/// and a pipe to answer on.
struct FakeServer {
    from_client: Lines<BufReader<DuplexStream>>,
    to_client: DuplexStream,
}

impl FakeServer {
    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(5), self.from_client.next_line())
            .await
            .expect("the client wrote nothing")
            .unwrap()
            .expect("the client closed its output");
        serde_json::from_str(&line).unwrap()
    }

    async fn write(&mut self, line: &str) {
        self.to_client.write_all(line.as_bytes()).await.unwrap();
        self.to_client.write_all(b"\n").await.unwrap();
    }

    async fn send(&mut self, message: Value) {
        self.write(&message.to_string()).await;
    }
}

/// A session past its handshake, and the server's side of it.
async fn started() -> (StdioSession, FakeServer, Arc<Notices>) {
    let (client_out, server_in) = tokio::io::duplex(64 * 1024);
    let (server_out, client_in) = tokio::io::duplex(64 * 1024);
    let mut server = FakeServer {
        from_client: BufReader::new(server_in).lines(),
        to_client: server_out,
    };
    let notices = Arc::new(Notices::default());
    let start = StdioSession::start(
        "fake",
        (client_in, client_out),
        Arc::clone(&notices),
        json!({"protocolVersion": "2025-11-25"}),
    );
    let handshake = async {
        let hello = server.next().await;
        assert_eq!(hello["method"], "initialize");
        assert_eq!(hello["params"]["protocolVersion"], "2025-11-25");
        server
            .send(json!({"jsonrpc": "2.0", "id": hello["id"], "result": {"protocolVersion": "2025-11-25"}}))
            .await;
        let initialized = server.next().await;
        assert_eq!(initialized["method"], "notifications/initialized");
        assert!(initialized.get("id").is_none(), "{initialized}");
    };
    let (session, ()) = tokio::join!(start, handshake);
    let (session, result) = session.unwrap();
    assert_eq!(result["protocolVersion"], "2025-11-25");
    (session, server, notices)
}

#[tokio::test]
async fn answers_reach_their_own_request_whatever_the_order() {
    let (session, mut server, _) = started().await;
    let first = session.request("tools/call", Some(json!({"name": "a"})));
    let second = session.request("tools/call", Some(json!({"name": "b"})));
    let serve = async {
        let a = server.next().await;
        let b = server.next().await;
        assert_eq!(a["jsonrpc"], "2.0");
        // Answered in the other order.
        server
            .send(json!({"jsonrpc": "2.0", "id": b["id"], "result": {"was": b["params"]["name"]}}))
            .await;
        server
            .send(json!({"jsonrpc": "2.0", "id": a["id"], "result": {"was": a["params"]["name"]}}))
            .await;
    };
    let (first, second, ()) = tokio::join!(first, second, serve);
    assert_eq!(first.unwrap()["was"], "a");
    assert_eq!(second.unwrap()["was"], "b");
}

#[tokio::test]
async fn a_server_error_is_an_mcp_error_with_its_code_and_message() {
    let (session, mut server, _) = started().await;
    let call = session.request("tools/call", None);
    let serve = async {
        let request = server.next().await;
        assert!(request.get("params").is_none(), "{request}");
        server
            .send(json!({"jsonrpc": "2.0", "id": request["id"],
                "error": {"code": -32602, "message": "Unknown tool: nope"}}))
            .await;
    };
    let (answer, ()) = tokio::join!(call, serve);
    match answer.unwrap_err() {
        ServiceError::McpError(error) => {
            assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
            assert_eq!(error.message, "Unknown tool: nope");
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn the_servers_ping_is_answered_and_other_requests_refused() {
    let (_session, mut server, _) = started().await;
    server
        .send(json!({"jsonrpc": "2.0", "id": "p1", "method": "ping"}))
        .await;
    let pong = server.next().await;
    assert_eq!(pong, json!({"jsonrpc": "2.0", "id": "p1", "result": {}}));
    server
        .send(json!({"jsonrpc": "2.0", "id": 7, "method": "sampling/createMessage", "params": {}}))
        .await;
    let refused = server.next().await;
    assert_eq!(refused["id"], 7);
    assert_eq!(refused["error"]["code"], -32601);
    assert!(refused.get("result").is_none(), "{refused}");
}

#[tokio::test]
async fn list_changes_and_progress_are_noted() {
    let (session, mut server, notices) = started().await;
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}))
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/progress",
            "params": {"progressToken": "c1", "progress": 1, "total": 3, "message": "copying"}}))
        .await;
    // A ping of ours after them: once it is answered, the reader has
    // handled what came before.
    let ping = session.request("ping", None);
    let serve = async {
        let request = server.next().await;
        server
            .send(json!({"jsonrpc": "2.0", "id": request["id"], "result": {}}))
            .await;
    };
    let (pong, ()) = tokio::join!(ping, serve);
    pong.unwrap();
    assert_eq!(notices.generation(List::Tools), 1);
    assert_eq!(notices.generation(List::Resources), 0);
    assert_eq!(notices.last_progress().as_deref(), Some("1/3 copying"));
}

#[tokio::test]
async fn a_request_given_up_is_withdrawn_and_the_server_told() {
    let (session, mut server, _) = started().await;
    let gave_up =
        tokio::time::timeout(Duration::from_millis(50), session.request("slow", None)).await;
    assert!(gave_up.is_err());
    let request = server.next().await;
    let cancelled = server.next().await;
    assert_eq!(cancelled["method"], "notifications/cancelled");
    assert_eq!(cancelled["params"]["requestId"], request["id"]);
    // Its late answer is dropped, and the session goes on.
    server
        .send(json!({"jsonrpc": "2.0", "id": request["id"], "result": {"late": true}}))
        .await;
    let next = session.request("fast", None);
    let serve = async {
        let request = server.next().await;
        server
            .send(json!({"jsonrpc": "2.0", "id": request["id"], "result": {"fast": true}}))
            .await;
    };
    let (answer, ()) = tokio::join!(next, serve);
    assert_eq!(answer.unwrap(), json!({"fast": true}));
}

#[tokio::test]
async fn noise_and_batches_on_the_servers_output_do_not_break_the_session() {
    let (session, mut server, _) = started().await;
    let call = session.request("tools/call", None);
    let serve = async {
        let request = server.next().await;
        server.write("npm WARN something on stdout").await;
        server.write("").await;
        server
            .send(json!([
                {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hi"}},
                {"jsonrpc": "2.0", "id": request["id"], "result": {"ok": 1}}
            ]))
            .await;
    };
    let (answer, ()) = tokio::join!(call, serve);
    assert_eq!(answer.unwrap(), json!({"ok": 1}));
    assert!(!session.is_closed());
}

#[tokio::test]
async fn when_the_server_goes_away_every_waiter_fails_at_once() {
    let (session, mut server, _) = started().await;
    let call = session.request("tools/call", None);
    let serve = async {
        server.next().await;
        drop(server);
    };
    let (answer, ()) = tokio::join!(call, serve);
    assert!(
        matches!(answer, Err(ServiceError::TransportClosed)),
        "{answer:?}"
    );
    assert!(session.is_closed());
    assert!(matches!(
        session.request("again", None).await,
        Err(ServiceError::TransportClosed)
    ));
}

#[tokio::test]
async fn closing_ends_the_servers_input() {
    let (session, mut server, _) = started().await;
    session.close().await;
    let end = tokio::time::timeout(Duration::from_secs(5), server.from_client.next_line())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(end, None);
    assert!(matches!(
        session.request("after", None).await,
        Err(ServiceError::TransportClosed)
    ));
}
