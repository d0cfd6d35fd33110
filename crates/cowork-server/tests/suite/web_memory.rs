//! The memory page against the daemon's store: search and scopes, an
//! edit and a delete that leave no copy of the old text in the database
//! file, CSRF on every new form, and the same in headless Chromium.

use std::time::Duration;

use reqwest::Method;

use cowork_protocol::MemoryScope;
use cowork_server::hand_ins::HandIns;
use cowork_store::{MemoryFilter, NewProject};
use cowork_test_support::browser::Browser;

use super::harness::TestServer;
use super::web_browser::wait_for_part;
use super::web_served::{Served, files_holding};

const WAIT: Duration = Duration::from_secs(20);
/// Letters no other word here starts with and digits: the FTS index
/// stores it whole, so a leftover copy would show in the file's bytes.
const OLD: &str = "qzvold4711";
const NEW: &str = "qzvnew5822";

fn project(served: &Served, name: &str) -> String {
    served
        .store()
        .create_project(&NewProject {
            name: name.into(),
            instructions: String::new(),
            folders: vec![],
            links: vec![],
            mode: None,
            model: None,
        })
        .unwrap()
        .id
}

#[tokio::test]
async fn a_person_edits_then_deletes_an_entry_and_no_copy_of_either_text_is_left() {
    let served = Served::start(HandIns::default()).await;
    let store = served.store();
    let db = served.place.data_dir().join("cowork.db");
    for n in 0..50 {
        store
            .remember(&MemoryScope::Global, &format!("neighbour note {n}"), None)
            .unwrap();
    }
    let entry = store
        .remember(
            &MemoryScope::Global,
            &format!("the door code is {OLD}"),
            None,
        )
        .unwrap();
    let session = served.sign_in().await;
    let list = served.page("/memory").await;
    assert!(list.contains(OLD), "the list shows the entry");
    let edit = served.page(&format!("/memory/{}", entry.id)).await;
    assert!(edit.contains("<textarea"), "{edit}");

    let saved = served
        .post_form(
            &session,
            &format!("/memory/{}", entry.id),
            &[
                ("csrf", &session.csrf),
                ("content", &format!("the door code is {NEW}")),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(
        store.memory(&entry.id).unwrap().content,
        format!("the door code is {NEW}")
    );
    assert!(
        files_holding(&db, OLD).is_empty(),
        "the edited-away text is gone"
    );

    // The first press only asks.
    let asked = served
        .post_form(
            &session,
            &format!("/memory/{}/delete", entry.id),
            &[("csrf", &session.csrf)],
        )
        .await;
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("Delete for good"));
    assert!(store.memory(&entry.id).is_ok(), "asking deleted nothing");

    let deleted = served
        .post_form(
            &session,
            &format!("/memory/{}/delete", entry.id),
            &[("csrf", &session.csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(deleted.status(), 303);
    assert!(store.memory(&entry.id).is_err());
    assert_eq!(
        files_holding(&db, NEW),
        Vec::<std::path::PathBuf>::new(),
        "the deleted text is in no database file"
    );
    let after = served.page("/memory?done=deleted").await;
    assert!(after.contains("Deleted for good"), "{after}");
}

#[tokio::test]
async fn an_empty_or_too_long_edit_comes_back_with_what_to_fix_and_changes_nothing() {
    let served = Served::start(HandIns::default()).await;
    let store = served.store();
    let entry = store
        .remember(&MemoryScope::Global, "keep me", None)
        .unwrap();
    let session = served.sign_in().await;
    for content in ["   ".to_owned(), "x".repeat(2001)] {
        let response = served
            .post_form(
                &session,
                &format!("/memory/{}", entry.id),
                &[("csrf", &session.csrf), ("content", &content)],
            )
            .await;
        assert_eq!(response.status(), 400);
        let body = response.text().await.unwrap();
        assert!(body.contains("nothing was stored"), "{body}");
        assert_eq!(store.memory(&entry.id).unwrap().content, "keep me");
    }
}

/// CSRF: every form this page family added is refused without the
/// session's token, and nothing changes.
#[tokio::test]
async fn each_new_form_is_refused_without_the_csrf_token() {
    let served = Served::start(HandIns::default()).await;
    let store = served.store();
    let entry = store
        .remember(&MemoryScope::Global, "keep me", None)
        .unwrap();
    let session = served.sign_in().await;
    let forms: [(String, Vec<(&str, &str)>); 3] = [
        (
            format!("/memory/{}", entry.id),
            vec![("content", "changed")],
        ),
        (
            format!("/memory/{}/delete", entry.id),
            vec![("confirm", "yes")],
        ),
        (
            "/tasks/0123456789abcdef0123456789abcdef/trust".to_owned(),
            vec![("folder", "/"), ("trust", "yes")],
        ),
    ];
    for (path, fields) in &forms {
        let response = served.post_form(&session, path, fields).await;
        assert_eq!(response.status(), 403, "{path}");
        let mut wrong = fields.clone();
        wrong.push(("csrf", "not-the-token"));
        let response = served.post_form(&session, path, &wrong).await;
        assert_eq!(response.status(), 403, "{path} with a wrong token");
    }
    assert_eq!(store.memory(&entry.id).unwrap().content, "keep me");
}

#[tokio::test]
async fn search_ranks_by_words_and_a_scope_keeps_to_its_entries() {
    let served = Served::start(HandIns::default()).await;
    let store = served.store();
    let taxes = project(&served, "Taxes");
    let garden = project(&served, "Garden");
    store
        .remember(
            &MemoryScope::Global,
            "prefers green tea in the morning",
            None,
        )
        .unwrap();
    store
        .remember(
            &MemoryScope::Project(taxes.clone()),
            "tea receipts go in box 3",
            None,
        )
        .unwrap();
    store
        .remember(
            &MemoryScope::Project(garden.clone()),
            "tea roses need water",
            None,
        )
        .unwrap();
    store
        .remember(&MemoryScope::Global, "the car is blue", None)
        .unwrap();

    let all = served.page("/memory?q=tea").await;
    for text in ["green tea", "tea receipts", "tea roses"] {
        assert!(all.contains(text), "{text} in {all}");
    }
    assert!(
        !all.contains("the car is blue"),
        "a search shows matches only"
    );
    assert!(all.contains("project Taxes"), "scopes are named");

    let in_taxes = served.page(&format!("/memory?project={taxes}&q=tea")).await;
    assert!(in_taxes.contains("tea receipts"));
    assert!(!in_taxes.contains("tea roses"), "another project's entry");
    assert!(!in_taxes.contains("green tea"), "a global entry");

    let global = served.page("/memory?scope=global").await;
    assert!(global.contains("green tea") && global.contains("the car is blue"));
    assert!(!global.contains("tea receipts"));

    let none = served.page("/memory?q=coffee").await;
    assert!(none.contains("No entry matches"), "{none}");
    assert_eq!(store.list_memory(&MemoryFilter::All).unwrap().len(), 4);
}

#[tokio::test]
async fn without_the_daemons_store_the_memory_page_says_where_memory_lives() {
    let server = TestServer::start().await;
    let response = server.api(Method::GET, "/memory").send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(body.contains("cowork memory list"), "{body}");
}

async fn edit_and_delete_in_the_browser(width: u32) {
    let Some(browser) = Browser::start(width, 900).await else {
        return;
    };
    let served = Served::start(HandIns::default()).await;
    let store = served.store();
    let db = served.place.data_dir().join("cowork.db");
    let entry = store
        .remember(
            &MemoryScope::Global,
            &format!("the door code is {OLD}"),
            None,
        )
        .unwrap();
    browser.goto(&served.server.login_url()).await.unwrap();
    browser.wait_for("#prompt", WAIT).await.unwrap();
    browser.goto(&served.url("/memory")).await.unwrap();
    wait_for_part(&browser, "#memory-list", OLD).await;
    browser
        .find(".edit-memory")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = browser.wait_for("#memory-content", WAIT).await.unwrap();
    text.clear().await.unwrap();
    text.send_keys(&format!("the door code is {NEW}"))
        .await
        .unwrap();
    browser
        .find("#save-memory")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(&browser, "main", "Saved.").await;
    wait_for_part(&browser, "#memory-list", NEW).await;
    assert_eq!(
        store.memory(&entry.id).unwrap().content,
        format!("the door code is {NEW}")
    );
    assert!(files_holding(&db, OLD).is_empty());

    browser
        .find(".edit-memory")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for("#delete-memory", WAIT)
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(&browser, "main", "Delete this memory entry?").await;
    assert!(store.memory(&entry.id).is_ok(), "asking deleted nothing");
    browser
        .find("#confirm-delete")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(&browser, "main", "Deleted for good").await;
    assert!(store.memory(&entry.id).is_err());
    assert!(
        files_holding(&db, NEW).is_empty(),
        "no copy in the database"
    );
    browser.close().await;
    served.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn in_the_browser_a_person_edits_then_deletes_a_memory_entry_at_1280_px() {
    edit_and_delete_in_the_browser(1280).await;
}

#[tokio::test]
async fn in_the_browser_a_person_edits_then_deletes_a_memory_entry_at_360_px() {
    edit_and_delete_in_the_browser(360).await;
}
