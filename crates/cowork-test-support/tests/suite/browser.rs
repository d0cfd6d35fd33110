//! The headless Chromium fixture, end to end against a tiny page served
//! here. Run alone with `cargo test -p cowork-test-support --test all browser`.
//! Skips with a note where Chromium is not installed (CI requires it).

use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use cowork_test_support::browser::Browser;
use cowork_test_support::webdriver::WebDriverError;

const WAIT: Duration = Duration::from_secs(10);

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Smoke</title></head>
<body>
<p id="status">Waiting</p>
<button id="go" type="button">Go</button>
<label>Note <input name="note" id="note"></label>
<script>
document.getElementById("go").addEventListener("click", () => {
  // Later, as a server answer would be: waiting must really wait.
  setTimeout(() => { document.getElementById("status").textContent = "Clicked"; }, 200);
});
</script>
</body>
</html>"#;

/// Serves `PAGE` at `/` on 127.0.0.1; returns its URL.
async fn serve_page() -> String {
    let app = Router::new().route("/", get(|| async { Html(PAGE) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/")
}

/// A PNG's width, from its IHDR chunk, after checking the signature.
fn png_width(png: &[u8]) -> u32 {
    assert_eq!(
        png.get(..8),
        Some(&b"\x89PNG\r\n\x1a\n"[..]),
        "not a PNG: {:?}",
        png.get(..16)
    );
    assert_eq!(&png[12..16], b"IHDR");
    u32::from_be_bytes(png[16..20].try_into().unwrap())
}

async fn viewport_width(browser: &Browser) -> u64 {
    browser
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// Clicks, types and reads back on the page, and checks a screenshot is a
/// PNG `width` pixels wide.
async fn exercise(browser: &Browser, width: u32) {
    assert_eq!(viewport_width(browser).await, u64::from(width));
    assert_eq!(browser.title().await.unwrap(), "Smoke");
    let status = browser.find("#status").await.unwrap();
    assert_eq!(status.text().await.unwrap(), "Waiting");

    browser
        .find("button#go")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text("#status", "Clicked", WAIT)
        .await
        .unwrap();

    let note = browser.find("#note").await.unwrap();
    note.send_keys("hello there").await.unwrap();
    assert_eq!(
        note.property("value").await.unwrap().as_deref(),
        Some("hello there")
    );
    assert_eq!(
        note.attribute("name").await.unwrap().as_deref(),
        Some("note")
    );
    assert_eq!(note.attribute("placeholder").await.unwrap(), None);
    assert!(note.is_displayed().await.unwrap());

    let png = browser.screenshot().await.unwrap();
    assert_eq!(png_width(&png), width);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_window_clicks_types_reads_and_screenshots_then_becomes_phone_sized() {
    let url = serve_page().await;
    let Some(browser) = Browser::start(1280, 800).await else {
        return;
    };
    browser.goto(&url).await.unwrap();
    exercise(&browser, 1280).await;

    browser.set_viewport(360, 800).await.unwrap();
    browser.goto(&url).await.unwrap();
    exercise(&browser, 360).await;
    browser.close().await;
}

// The default single-threaded runtime: the page's server and the client
// share one thread, as most tests will have it.
#[tokio::test]
async fn a_phone_sized_window_is_360_css_pixels_wide_from_the_start() {
    let url = serve_page().await;
    let Some(browser) = Browser::start(360, 800).await else {
        return;
    };
    browser.goto(&url).await.unwrap();
    exercise(&browser, 360).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_element_and_a_wait_that_times_out_name_the_selector() {
    let url = serve_page().await;
    let Some(browser) = Browser::start(800, 600).await else {
        return;
    };
    browser.goto(&url).await.unwrap();
    let err = browser.find("#nowhere").await.unwrap_err();
    assert!(
        matches!(&err, WebDriverError::NoSuchElement { selector } if selector == "#nowhere"),
        "{err:?}"
    );
    let err = browser
        .wait_for_text("#status", "Never", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "timed out after 300ms waiting for `#status` to read \"Never\""
    );
    browser.close().await;
}
