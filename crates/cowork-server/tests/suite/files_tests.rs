//! Preview and download: only files a task touched, never as a page of ours.

use reqwest::Method;

use super::harness::{TestServer, error_message, header};

fn query(task: &cowork_protocol::TaskId, path: &str) -> String {
    let encoded: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("task", task.as_str())
        .append_pair("path", path)
        .finish();
    encoded
}

#[tokio::test]
async fn preview_of_a_file_the_task_touched_is_served_with_its_type() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    t.backend.touch(&id, "/work/notes.md", b"# Notes\n");
    t.backend
        .touch(&id, "/work/chart.png", b"\x89PNG\r\n\x1a\n");
    t.backend.touch(&id, "/work/report.pdf", b"%PDF-1.7");

    let text = t
        .api(
            Method::GET,
            &format!("/api/files/preview?{}", query(&id, "/work/notes.md")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 200);
    assert_eq!(
        header(text.headers(), "content-type"),
        "text/plain; charset=utf-8"
    );
    assert!(header(text.headers(), "content-disposition").starts_with("inline;"));
    assert_eq!(text.text().await.unwrap(), "# Notes\n");

    let image = t
        .api(
            Method::GET,
            &format!("/api/files/preview?{}", query(&id, "/work/chart.png")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(header(image.headers(), "content-type"), "image/png");
    assert_eq!(header(image.headers(), "x-frame-options"), "SAMEORIGIN");

    let pdf = t
        .api(
            Method::GET,
            &format!("/api/files/preview?{}", query(&id, "/work/report.pdf")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(header(pdf.headers(), "content-type"), "application/pdf");
}

#[tokio::test]
async fn html_and_svg_a_task_wrote_never_run_as_pages_of_ours() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    t.backend.touch(
        &id,
        "/work/page.html",
        b"<script>fetch('/api/tasks')</script>",
    );
    t.backend.touch(
        &id,
        "/work/logo.svg",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    );
    let html = t
        .api(
            Method::GET,
            &format!("/api/files/preview?{}", query(&id, "/work/page.html")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(html.headers(), "content-type"),
        "text/plain; charset=utf-8"
    );
    assert_eq!(header(html.headers(), "x-content-type-options"), "nosniff");
    let svg = t
        .api(
            Method::GET,
            &format!("/api/files/preview?{}", query(&id, "/work/logo.svg")),
        )
        .send()
        .await
        .unwrap();
    let policy = header(svg.headers(), "content-security-policy");
    assert!(
        policy.contains("sandbox") && policy.contains("default-src 'none'"),
        "{policy}"
    );
}

#[tokio::test]
async fn download_is_an_attachment_with_the_files_name() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    t.backend.touch(&id, "/work/Q3 résumé.xlsx", b"PK\x03\x04");
    let response = t
        .api(
            Method::GET,
            &format!("/api/files/download?{}", query(&id, "/work/Q3 résumé.xlsx")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(response.headers(), "content-type"),
        "application/octet-stream"
    );
    let disposition = header(response.headers(), "content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"Q3 r_sum_.xlsx\""),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''Q3%20r%C3%A9sum%C3%A9.xlsx"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"PK\x03\x04");
}

#[tokio::test]
async fn preview_and_download_refuse_paths_the_task_did_not_touch() {
    // The fake backend would read any path it holds: the refusal must come
    // from the HTTP layer's own check against the task's file list.
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    let other = t.new_task("other");
    t.backend.touch(&id, "/work/notes.md", b"ok");
    t.backend.touch(&other, "/work/other.md", b"not yours");
    t.backend.put_untouched("/etc/passwd", b"root:x:0:0");
    t.backend
        .put_untouched("/work/../etc/passwd", b"root:x:0:0");
    for route in ["preview", "download"] {
        for path in [
            "/etc/passwd",
            "/work/../etc/passwd",
            "/work/notes.md/../../etc/passwd",
            "/work/other.md",
            "notes.md",
        ] {
            let response = t
                .api(
                    Method::GET,
                    &format!("/api/files/{route}?{}", query(&id, path)),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 404, "{route} {path}");
            let message = error_message(response).await;
            assert!(
                message.contains("not a file this task created or changed"),
                "{message}"
            );
        }
    }
}

#[tokio::test]
async fn preview_needs_task_and_path_and_says_which_is_missing() {
    let t = TestServer::start().await;
    let response = t
        .api(Method::GET, "/api/files/preview?path=/x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(error_message(response).await.contains("`task`"));
    let id = t.new_task("hi");
    let response = t
        .api(Method::GET, &format!("/api/files/download?task={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(error_message(response).await.contains("`path`"));
}

#[tokio::test]
async fn binary_file_without_a_preview_is_a_415_pointing_to_download() {
    let t = TestServer::start().await;
    let id = t.new_task("hi");
    t.backend.touch(&id, "/work/data.bin", &[0, 1, 2, 255]);
    let response = t
        .api(
            Method::GET,
            &format!("/api/files/preview?{}", query(&id, "/work/data.bin")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert!(error_message(response).await.contains("download"));
}
