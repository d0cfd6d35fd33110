//! The web UI behind the daemon's real HTTP layer (token, session cookie,
//! CSRF, security headers) in headless Chromium, with the fake backend for
//! tasks: signing in with the token link, then each kind of form passes
//! the CSRF check and nothing the page loads is blocked by its CSP.

use std::sync::Arc;
use std::time::Duration;

use cowork_protocol::TaskId;
use cowork_server::{Backend, DaemonLock, ServeOptions, serve};
use cowork_test_support::browser::Browser;

use super::web_fake::{FakeBackend, live_events};

const WAIT: Duration = Duration::from_secs(10);

async fn wait_for_call(browser: &Browser, backend: &FakeBackend, prefix: &str) {
    let what = format!("the backend to be asked {prefix:?}…");
    let result = browser
        .wait_until(&what, WAIT, || async {
            Ok(backend
                .calls()
                .iter()
                .any(|c| c.starts_with(prefix))
                .then_some(()))
        })
        .await;
    if let Err(e) = result {
        panic!("{e}; it was asked {:?}", backend.calls());
    }
}

#[tokio::test]
async fn a_person_signs_in_with_the_token_link_and_every_form_passes_the_csrf_check() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let backend = FakeBackend::new();
    let id = TaskId::from_raw("fedcba9876543210fedcba9876543210");
    backend.add_task(&id, "Write a haiku into poem.md", "/data/poems", Vec::new());
    let lock = DaemonLock::acquire(dir.path()).unwrap();
    let options = ServeOptions {
        port: 0,
        ..ServeOptions::default()
    };
    let server = serve(Arc::new(backend.clone()) as Arc<dyn Backend>, lock, options)
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());

    // Without the token: no page of ours.
    browser.goto(&format!("{base}/")).await.unwrap();
    assert!(
        browser.find("#prompt").await.is_err(),
        "the home page showed without a token"
    );

    // The link signs in and leaves the token out of the address.
    browser.goto(&server.login_url()).await.unwrap();
    browser.wait_for("#prompt", WAIT).await.unwrap();
    let url = browser.current_url().await.unwrap();
    assert!(!url.contains("token"), "{url}");

    // A plain form (the new task) carries the token in its field.
    // Regression: the pages' `Referrer-Policy: no-referrer` made the
    // browser send `Origin: null`, and the origin check refused every
    // form and htmx post.
    browser
        .find("#prompt")
        .await
        .unwrap()
        .send_keys("Sort the invoices")
        .await
        .unwrap();
    browser
        .find("button.primary")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_call(&browser, &backend, "create \"Sort the invoices\"").await;

    // htmx's requests carry it in their header.
    browser.goto(&format!("{base}/tasks/{id}")).await.unwrap();
    browser.wait_for("[data-stream=open]", WAIT).await.unwrap();
    for event in live_events() {
        backend.publish(&id, event);
    }
    let allow = browser
        .wait_for(".approval.open button[value=allow_task]", WAIT)
        .await
        .unwrap();
    allow.click().await.unwrap();
    wait_for_call(&browser, &backend, "decide w1 AllowForTask by web").await;
    browser
        .find("#message")
        .await
        .unwrap()
        .send_keys("and a title")
        .await
        .unwrap();
    browser
        .find("#send-message")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_call(&browser, &backend, "message \"and a title\"").await;
    // Nothing came back as the auth layer's refusal.
    let flash = browser.find("#flash").await.unwrap().text().await.unwrap();
    assert!(flash.trim().is_empty(), "{flash}");

    // The page's scripts and styles ran under its CSP: htmx, its SSE
    // extension and our glue (which marked the stream open) all loaded,
    // and the stylesheet applied.
    let loaded = browser
        .execute(
            "return [typeof htmx, getComputedStyle(document.querySelector('.top')).display];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(loaded, serde_json::json!(["object", "flex"]));

    // Signing out ends the session.
    browser
        .find(".sign-out button")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The sign-out answer lands on the sign-in page; going on before it
    // arrived raced the cookie's removal.
    browser
        .wait_for("input#token", Duration::from_secs(10))
        .await
        .unwrap();
    browser.goto(&format!("{base}/tasks/{id}")).await.unwrap();
    assert!(
        browser.find("#transcript").await.is_err(),
        "the task showed after signing out"
    );

    browser.close().await;
    server.shutdown().await.unwrap();
}
