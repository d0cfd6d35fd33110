//! `cargo test -p cowork-server --test all serve_the_ui_with_a_fake_backend -- --ignored --nocapture`
//! serves the web UI with a sample task on 127.0.0.1:4681 for five
//! minutes, for a person (or a browser) to look at.

use std::time::Duration;

use cowork_protocol::TaskId;

use super::web_fake::{FakeBackend, Server, live_events, sample_events};

#[tokio::test]
#[ignore = "serves the UI for a person to look at; not a test"]
async fn serve_the_ui_with_a_fake_backend() {
    let backend = FakeBackend::new();
    let id = TaskId::from_raw("0123456789abcdef0123456789abcdef");
    backend.add_task(
        &id,
        "Tidy the notes and write a report",
        "/home/ana/Documents/reports",
        sample_events(),
    );
    backend.add_file(
        &id,
        "/home/ana/Documents/reports/notes.md",
        b"# Notes\n\n- final\n- **done**\n",
    );
    let spec: cowork_docs::xlsx::SpreadsheetSpec = cowork_docs::spec::parse(&serde_json::json!({
        "sheets": [{
            "name": "Sales",
            "columns": [{"header": "Month"}, {"header": "Total"}],
            "rows": [["Jan", 10], ["Feb", 20], ["Sum", {"formula": "=SUM(B2:B3)", "result": 30}]]
        }]
    }))
    .unwrap();
    backend.add_file(
        &id,
        "/home/ana/Documents/reports/sales.xlsx",
        &cowork_docs::xlsx::write(&spec).unwrap(),
    );
    let live = TaskId::from_raw("fedcba9876543210fedcba9876543210");
    backend.add_task(
        &live,
        "Write a haiku into poem.md",
        "/home/ana/poems",
        Vec::new(),
    );
    let server = Server::start_on(backend.clone(), 4681).await;
    println!("{}/tasks/{id}", server.url);
    println!("{}/tasks/{live} (live from 10 s on)", server.url);
    tokio::time::sleep(Duration::from_secs(10)).await;
    for event in live_events() {
        tokio::time::sleep(Duration::from_millis(300)).await;
        backend.publish(&live, event);
    }
    tokio::time::sleep(Duration::from_secs(300)).await;
}
