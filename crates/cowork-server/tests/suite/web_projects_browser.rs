//! The project and schedule pages in headless Chromium against the real
//! daemon: a person makes a project, adds a file to it, starts a task in
//! it and finds the task on the project's page; on a schedule's page the
//! pause, resume and run-now buttons change the store. At 1280 and 360 px.
//! Skips where Chromium is not installed (CI requires it).

use std::time::Duration;

use cowork_server::Backend as _;
use cowork_store::RunEntry;
use cowork_test_support::browser::Browser;

use super::web_browser::wait_for_part;
use super::web_projects::Site;

const WAIT: Duration = Duration::from_secs(20);

async fn click(browser: &Browser, selector: &str) {
    browser.find(selector).await.unwrap().click().await.unwrap();
}

async fn type_into(browser: &Browser, selector: &str, text: &str) {
    browser
        .find(selector)
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn project_walk(browser: &Browser, site: &Site) {
    browser.goto(&site.url("/projects")).await.unwrap();
    type_into(browser, "#project-name", "Acme <launch>").await;
    type_into(browser, "#project-instructions", "Be brief.").await;
    click(browser, "#create-project").await;
    wait_for_part(browser, "h1", "Acme <launch>").await;
    let project = site.store.project("Acme <launch>").unwrap();

    // A file from the person's disk, sent as the file input sends it.
    let file = site.place.dir.path().join("brief.txt");
    std::fs::write(&file, "Launch on Monday.").unwrap();
    type_into(browser, "#upload", &file.display().to_string()).await;
    click(browser, "#upload-file").await;
    wait_for_part(browser, "#project-files", "brief.txt").await;
    let kept = site
        .manager
        .project_files(&project.id)
        .unwrap()
        .join("brief.txt");
    assert_eq!(std::fs::read_to_string(kept).unwrap(), "Launch on Monday.");

    type_into(browser, "#prompt", "Summarise the brief").await;
    click(browser, "#start-task").await;
    wait_for_part(browser, "#task-status", "completed").await;
    browser
        .goto(&site.url(&format!("/projects/{}", project.id)))
        .await
        .unwrap();
    wait_for_part(browser, "#project-tasks", "Summarise the brief").await;
    wait_for_part(browser, "#project-tasks", "completed").await;
}

async fn schedule_buttons(browser: &Browser, site: &Site) {
    let schedule = site.schedule("Digest", "Send the digest");
    browser
        .goto(&site.url(&format!("/schedules/{}", schedule.id)))
        .await
        .unwrap();
    click(browser, "#pause").await;
    browser.wait_for("#resume", WAIT).await.unwrap();
    assert!(site.store.schedule(&schedule.id).unwrap().state.paused);
    click(browser, "#resume").await;
    browser.wait_for("#pause", WAIT).await.unwrap();
    assert!(!site.store.schedule(&schedule.id).unwrap().state.paused);
    click(browser, "#run-now").await;
    wait_for_part(browser, "#history", "run now").await;
    let runs = site.store.schedule_runs(&schedule.id, 10).unwrap();
    assert!(
        runs.iter().any(|r| matches!(r.entry, RunEntry::Run(_))),
        "{runs:?}"
    );
}

async fn walk(width: u32) {
    let Some(browser) = Browser::start(width, 900).await else {
        return;
    };
    let site = Site::start("The brief says: launch on Monday.").await;
    browser.goto(&site.server.login_url()).await.unwrap();
    browser.wait_for("#prompt", WAIT).await.unwrap();
    project_walk(&browser, &site).await;
    schedule_buttons(&browser, &site).await;
    browser.close().await;
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn in_chromium_a_person_makes_a_project_adds_a_file_runs_a_task_and_works_a_schedule_at_1280_px()
 {
    walk(1280).await;
}

#[tokio::test]
async fn in_chromium_a_person_makes_a_project_adds_a_file_runs_a_task_and_works_a_schedule_at_360_px()
 {
    walk(360).await;
}
