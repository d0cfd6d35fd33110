use std::collections::HashMap;

use cowork_protocol::{MemoryScope, TaskId};
use cowork_store::MemoryEntry;

use super::*;

fn hostile() -> MemoryEntry {
    MemoryEntry {
        id: "a1b2c3d4e5f6".into(),
        scope: MemoryScope::Project("p1".into()),
        content: "<script>alert(1)</script> [click](javascript:alert(2)) **bold**\n<img src=x onerror=alert(3)>"
            .into(),
        task: Some(TaskId::from_raw("0123456789abcdef0123456789abcdef")),
        created_at: 0,
        updated_at: 120_000,
    }
}

fn list_part(html: &str) -> &str {
    let start = html.find("<ol id=\"memory-list\"").unwrap();
    let end = start + html[start..].find("</ol>").unwrap() + "</ol>".len();
    &html[start..end]
}

/// Memory text is data: a task could have remembered markup or a
/// Markdown link to `javascript:`; the page shows it as text.
#[test]
fn memory_text_is_escaped_and_never_rendered_as_markdown() {
    let names = HashMap::from([("p1".to_owned(), "Tax <2026>".to_owned())]);
    let row = entry_row(&hostile(), &names, 180_000);
    let html = render::render(
        "memory.html",
        serde_json::json!({
            "entries": [row], "scopes": [], "q": "", "project": null, "global": false,
            "searched": false, "done": null, "back_query": "", "csrf": "t", "hx_headers": "{}",
        }),
    )
    .unwrap();
    let part = list_part(&html);
    assert!(!part.contains("<script>"), "{part}");
    assert!(!part.contains("<img"), "{part}");
    assert!(!part.contains("href=\"javascript"), "{part}");
    assert!(!part.contains("<strong>"), "{part}");
    insta::assert_snapshot!(part);
}

#[test]
fn the_edit_and_delete_pages_escape_the_text_too() {
    let row = entry_row(&hostile(), &HashMap::new(), 180_000);
    for (template, context) in [
        (
            "memory_edit.html",
            serde_json::json!({"entry": row, "content": hostile().content, "max_chars": 2000,
                "error": null, "csrf": "t", "hx_headers": "{}"}),
        ),
        (
            "memory_delete.html",
            serde_json::json!({"entry": row, "csrf": "t", "hx_headers": "{}"}),
        ),
    ] {
        let html = render::render(template, context).unwrap();
        assert!(!html.contains("<script>alert"), "{template}: {html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)"),
            "{template}: {html}"
        );
    }
}

#[test]
fn an_entry_names_its_scope_its_task_and_when_it_changed() {
    let names = HashMap::from([("p1".to_owned(), "Taxes".to_owned())]);
    let row = entry_row(&hostile(), &names, 180_000);
    assert_eq!(row.scope, "project Taxes");
    assert_eq!(row.scope_href, "/memory?project=p1");
    assert_eq!(
        row.task_href.as_deref(),
        Some("/tasks/0123456789abcdef0123456789abcdef")
    );
    assert_eq!(row.href, "/memory/a1b2c3d4e5f6");
    assert!(row.updated.is_some());
    let mut global = hostile();
    global.scope = MemoryScope::Global;
    global.task = None;
    global.updated_at = global.created_at;
    let row = entry_row(&global, &names, 180_000);
    assert_eq!(row.scope, "global");
    assert!(row.task_href.is_none());
    assert!(row.updated.is_none(), "never edited");
}
