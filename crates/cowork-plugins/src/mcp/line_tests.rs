use rmcp::model::{
    CallToolRequest, CallToolRequestParams, ClientRequest, JsonRpcMessage, NumberOrString,
    RequestId, ServerResult,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;

use super::*;

/// A transport whose "server stdout" is written by the test, and the pipe
/// the test reads its "server stdin" from.
fn transport() -> (LineTransport<pipe::Receiver>, pipe::Sender, pipe::Receiver) {
    let (server_out, client_in) = pipe::pipe().unwrap();
    let (client_out, server_in) = pipe::pipe().unwrap();
    (
        LineTransport::new(client_in, client_out),
        server_out,
        server_in,
    )
}

fn call(id: i64, text: &str) -> TxJsonRpcMessage<RoleClient> {
    let params = CallToolRequestParams::new("echo").with_arguments(
        serde_json::json!({"message": text})
            .as_object()
            .unwrap()
            .clone(),
    );
    JsonRpcMessage::request(
        ClientRequest::CallToolRequest(CallToolRequest::new(params)),
        RequestId::Number(id),
    )
}

#[tokio::test]
async fn lines_larger_than_the_pipe_are_written_whole_and_nothing_overtakes_them() {
    // The direct write must not let a small message jump ahead of the
    // rest of a big one the pipe could not take at once.
    let (mut transport, _server_out, mut server_in) = transport();
    let big = "x".repeat(300 * 1024);
    let reader = tokio::spawn(async move {
        let mut all = Vec::new();
        server_in.read_to_end(&mut all).await.unwrap();
        all
    });
    let mut sends = Vec::new();
    for id in 0..20 {
        let text = if id % 5 == 0 { big.as_str() } else { "hi" };
        sends.push(tokio::spawn(transport.send(call(id, text))));
    }
    for send in sends {
        send.await.unwrap().unwrap();
    }
    transport.close().await.unwrap();
    drop(transport);
    let all = reader.await.unwrap();
    let ids: Vec<i64> = all
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_slice(l).unwrap();
            v["id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids, (0..20).collect::<Vec<_>>());
}

#[tokio::test]
async fn answers_split_across_reads_with_crlf_and_bom_are_read_and_noise_is_skipped() {
    let (mut transport, mut server_out, _server_in) = transport();
    let writer = tokio::spawn(async move {
        let answer =
            br#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Echo: hi"}]}}"#;
        server_out.write_all(b"\n").await.unwrap();
        server_out.write_all(b"this is not json\n").await.unwrap();
        server_out
            .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"$/lsp/thing\"}\n")
            .await
            .unwrap();
        server_out.write_all(b"\xEF\xBB\xBF").await.unwrap();
        server_out.write_all(&answer[..20]).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        server_out.write_all(&answer[20..]).await.unwrap();
        server_out.write_all(b"\r\n").await.unwrap();
    });
    // A notification outside MCP reaches the handler as a custom one, as
    // with rmcp's own transport.
    let message = transport.receive().await.unwrap();
    assert!(
        matches!(message, JsonRpcMessage::Notification(_)),
        "{message:?}"
    );
    let message = transport.receive().await.unwrap();
    let JsonRpcMessage::Response(response) = message else {
        panic!("not a response: {message:?}");
    };
    assert_eq!(response.id, NumberOrString::Number(1));
    let ServerResult::CallToolResult(result) = response.result else {
        panic!("not a tool result: {:?}", response.result);
    };
    assert_eq!(result.content.len(), 1);
    writer.await.unwrap();
    // The server closed its stdout: the session ends.
    assert!(transport.receive().await.is_none());
}

#[tokio::test]
async fn an_over_long_line_is_dropped_and_the_next_message_still_arrives() {
    let (mut transport, mut server_out, _server_in) = transport();
    transport.max_line = 1024;
    tokio::spawn(async move {
        let long = format!("{{\"x\":\"{}\"}}\n", "y".repeat(200 * 1024));
        server_out.write_all(long.as_bytes()).await.unwrap();
        server_out
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n")
            .await
            .unwrap();
    });
    let message = transport.receive().await.unwrap();
    let JsonRpcMessage::Response(response) = message else {
        panic!("not a response: {message:?}");
    };
    assert_eq!(response.id, NumberOrString::Number(2));
}

#[tokio::test]
async fn well_formed_json_that_is_no_message_is_answered_with_invalid_request() {
    let (mut transport, mut server_out, mut server_in) = transport();
    tokio::spawn(async move {
        server_out
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":3,\"oops\":true}\n")
            .await
            .unwrap();
        server_out
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}\n")
            .await
            .unwrap();
    });
    let message = transport.receive().await.unwrap();
    assert!(
        matches!(message, JsonRpcMessage::Response(_)),
        "{message:?}"
    );
    let mut reply = vec![0; 512];
    let n = server_in.read(&mut reply).await.unwrap();
    let reply: serde_json::Value = serde_json::from_slice(&reply[..n]).unwrap();
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
}

#[tokio::test]
async fn sending_after_close_fails_instead_of_writing() {
    let (mut transport, _server_out, _server_in) = transport();
    transport.close().await.unwrap();
    let error = transport.send(call(1, "hi")).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotConnected);
}
