//! Notifications in the web UI against the daemon's store: the header's
//! badge counts unread notices, the list shows them newest first and
//! marks them read, and an open page's badge follows new ones live.

use std::time::Duration;

use reqwest::Method;

use cowork_protocol::TaskId;
use cowork_server::hand_ins::HandIns;
use cowork_store::NoticeKind;
use cowork_test_support::browser::Browser;

use super::harness::TestServer;
use super::web_browser::wait_for_part;
use super::web_served::Served;

const WAIT: Duration = Duration::from_secs(20);

fn task(n: u8) -> TaskId {
    TaskId::from_raw(format!("{n:02}23456789abcdef0123456789abcdef"))
}

/// The badge's number in a page's HTML.
fn badge(html: &str) -> u64 {
    let start = html.find("id=\"notice-count\"").expect("a badge");
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find('<').unwrap();
    rest[open..close].trim().parse().unwrap()
}

#[tokio::test]
async fn the_badge_counts_two_notices_and_opening_the_list_reads_them() {
    let served = Served::start(HandIns::default()).await;
    let store = served.store();
    store
        .add_notice(
            NoticeKind::Finished,
            &task(1),
            "Sort the invoices: done",
            "3 files",
        )
        .unwrap();
    store
        .add_notice(
            NoticeKind::Waiting,
            &task(2),
            "Weekly report waits for you",
            "Write report.md?",
        )
        .unwrap();
    assert_eq!(badge(&served.page("/").await), 2);
    assert_eq!(badge(&served.page("/parts/notices/badge").await), 2);

    let list = served.page("/notices").await;
    let newest = list.find("Weekly report waits for you").unwrap();
    let older = list.find("Sort the invoices: done").unwrap();
    assert!(newest < older, "newest first");
    assert!(list.contains("waiting for you") && list.contains("Write report.md?"));
    assert!(
        list.contains(&format!("href=\"&#x2f;tasks&#x2f;{}\"", task(2))),
        "links its task: {list}"
    );
    assert_eq!(badge(&list), 0, "the list's own badge already says 0");
    assert_eq!(store.unread_notices().unwrap(), 0);
    assert_eq!(badge(&served.page("/").await), 0);

    store
        .add_notice(NoticeKind::Failed, &task(3), "Backup failed", "disk full")
        .unwrap();
    assert_eq!(badge(&served.page("/parts/notices/badge").await), 1);
}

#[tokio::test]
async fn notice_text_is_escaped() {
    let served = Served::start(HandIns::default()).await;
    served
        .store()
        .add_notice(
            NoticeKind::Failed,
            &task(1),
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(2)>",
        )
        .unwrap();
    let list = served.page("/notices").await;
    assert!(
        !list.contains("<script>alert") && !list.contains("<img src=x"),
        "{list}"
    );
    assert!(list.contains("&lt;script&gt;alert(1)"), "{list}");
}

#[tokio::test]
async fn without_the_daemons_store_there_is_no_badge_and_the_list_says_why() {
    let server = TestServer::start().await;
    let home = server
        .api(Method::GET, "/")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("notice-count"), "{home}");
    let list = server.api(Method::GET, "/notices").send().await.unwrap();
    assert_eq!(list.status(), 200);
    assert!(list.text().await.unwrap().contains("kept by the daemon"));
}

async fn badge_in_the_browser(width: u32) {
    let Some(browser) = Browser::start(width, 900).await else {
        return;
    };
    let served = Served::start(HandIns::default()).await;
    let store = served.store();
    store
        .add_notice(
            NoticeKind::Finished,
            &task(1),
            "Sort the invoices: done",
            "",
        )
        .unwrap();
    store
        .add_notice(
            NoticeKind::Waiting,
            &task(2),
            "Weekly report waits for you",
            "",
        )
        .unwrap();
    browser.goto(&served.server.login_url()).await.unwrap();
    browser.wait_for("#prompt", WAIT).await.unwrap();
    wait_for_part(&browser, "#notice-count", "2").await;
    browser
        .find("#notice-badge")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_part(&browser, "#notice-list", "Weekly report waits for you").await;
    wait_for_part(&browser, "#notice-count", "0").await;
    // A notice recorded while the page is open reaches its badge.
    store
        .add_notice(NoticeKind::Failed, &task(3), "Backup failed", "")
        .unwrap();
    wait_for_part(&browser, "#notice-count", "1").await;
    browser.close().await;
    served.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn in_the_browser_the_badge_shows_two_then_zero_after_the_list_then_follows_live_at_1280_px()
{
    badge_in_the_browser(1280).await;
}

#[tokio::test]
async fn in_the_browser_the_badge_shows_two_then_zero_after_the_list_then_follows_live_at_360_px() {
    badge_in_the_browser(360).await;
}
