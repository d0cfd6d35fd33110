//! The schedule pages over HTTP against the real daemon: a schedule's
//! history (runs, their tasks and outcomes, missed due times and why),
//! its buttons, and the form that makes one.

use cowork_protocol::PermissionMode;
use cowork_scheduler::{Action, ActionKind, CatchUp, MissReason, RunKind};
use cowork_server::Backend as _;
use cowork_store::RunEntry;

use super::daemon_support::wait_for;
use super::web_projects::{Site, ago, location};

/// A schedule that missed two due times while the daemon was down: one
/// catch-up run (its task finished) stands in for the earlier one.
#[tokio::test]
async fn a_schedule_page_lists_its_runs_with_their_tasks_and_a_missed_due_time_with_why() {
    let site = Site::start("Report sent.").await;
    // Settled now (the daemon has nothing to do); the history is written
    // as the daemon writes it.
    let schedule = site.schedule("Weekly <report>", "Send the report");
    let first = ago(30);
    let second = ago(15);
    let actions = [
        Action {
            schedule: schedule.id.clone(),
            due: first,
            kind: ActionKind::Missed {
                reason: MissReason::CoveredByRun { run_due: second },
            },
        },
        Action {
            schedule: schedule.id.clone(),
            due: second,
            kind: ActionKind::Run {
                run: RunKind::CatchUp,
            },
        },
    ];
    let runs = site
        .store
        .record_schedule_actions(&[&schedule.state], &actions)
        .unwrap();
    let script = site.place.script(
        "report",
        serde_json::json!({"turns": [{"text": "Report sent."}]}),
    );
    let request = site
        .place
        .request("Send the report", &script, PermissionMode::Ask);
    let task = site.manager.create_task(request).unwrap();
    site.store.attach_schedule_run(runs[0].id, &task).unwrap();
    wait_for(&site.manager, &task, 20, "completed", |t| {
        t.summary.status.as_str() == "completed"
    })
    .await;

    let (status, html) = site.page(&format!("/schedules/{}", schedule.id)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Weekly &lt;report&gt;"), "{html}");
    assert!(html.contains("catch-up"), "{html}");
    assert!(
        html.contains(&format!("href=\"&#x2f;tasks&#x2f;{task}\"")),
        "{html}"
    );
    assert!(html.contains("completed"), "{html}");
    assert!(html.contains("missed: the catch-up run for"), "{html}");
    assert!(html.contains("Europe&#x2f;Berlin"), "{html}");
    let start = html.find("<ol class=\"history\"").unwrap();
    let end = start + html[start..].find("</ol>").unwrap() + "</ol>".len();
    insta::with_settings!({filters => vec![
        (r"\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]+", "[time]"),
        (r"[0-9a-f]{32}", "[task id]"),
        (r"task [0-9a-f]{8}", "task [short id]"),
    ]}, {
        insta::assert_snapshot!(&html[start..end]);
    });

    let (status, list) = site.page("/schedules").await;
    assert_eq!(status, 200);
    assert!(list.contains("next run:"), "{list}");
    assert!(list.contains("mode <strong>auto</strong>"), "{list}");
    assert!(list.contains("last run"), "{list}");
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn pause_resume_and_run_now_change_the_store_and_resume_records_the_paused_due_times() {
    let site = Site::start("ok").await;
    let schedule = site.schedule("Standup", "Post the standup");
    let href = format!("/schedules/{}", schedule.id);
    let paused = site.post(&format!("{href}/pause"), &[]).await;
    assert_eq!(location(&paused), href);
    assert!(site.store.schedule(&schedule.id).unwrap().state.paused);
    let (_, html) = site.page(&href).await;
    assert!(html.contains("id=\"resume\""), "{html}");

    // Paused an hour ago: four due times passed meanwhile.
    let schedule = site.schedule_checked("Digest", "Send the digest", ago(61), true);
    let href = format!("/schedules/{}", schedule.id);
    let resumed = site.post(&format!("{href}/resume"), &[]).await;
    assert_eq!(location(&resumed), href);
    let after = site.store.schedule(&schedule.id).unwrap();
    assert!(!after.state.paused);
    assert!(after.state.last_checked > ago(1), "{after:?}");
    let history = site.store.schedule_runs(&schedule.id, 50).unwrap();
    let missed: u64 = history
        .iter()
        .map(|r| match r.entry {
            RunEntry::Missed {
                reason: MissReason::Paused,
                count,
                ..
            } => count,
            RunEntry::Missed { .. } | RunEntry::Run(_) => 0,
        })
        .sum();
    assert!((4..=5).contains(&missed), "{history:?}");
    assert!(history.iter().all(|r| !matches!(r.entry, RunEntry::Run(_))));

    let asked = site.post(&format!("{href}/run"), &[]).await;
    assert_eq!(location(&asked), href);
    let history = site.store.schedule_runs(&schedule.id, 50).unwrap();
    assert!(
        history
            .iter()
            .any(|r| r.entry == RunEntry::Run(cowork_protocol::ScheduledRunKind::Manual)),
        "{history:?}"
    );
    let (_, html) = site.page(&href).await;
    assert!(html.contains("run now"), "{html}");
    assert!(html.contains("the schedule was paused"), "{html}");

    let asked = site.post(&format!("{href}/delete"), &[]).await;
    assert_eq!(asked.status(), 200);
    assert!(site.store.schedule(&schedule.id).is_ok());
    let deleted = site
        .post(&format!("{href}/delete"), &[("confirm", "yes")])
        .await;
    assert_eq!(location(&deleted), "/schedules");
    assert!(site.store.schedule(&schedule.id).is_err());
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_schedule_made_in_the_web_carries_its_project_and_mode_and_a_bad_rule_is_explained() {
    let site = Site::start("ok").await;
    let project = site.project("Ops");
    let bad = site
        .post(
            "/schedules",
            &[
                ("name", "Nightly"),
                ("prompt", "Back up"),
                ("kind", "every"),
                ("when", "sometimes"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 400);
    let html = bad.text().await.unwrap();
    assert!(html.contains("sometimes"), "{html}");
    assert!(html.contains("Back up"), "the form lost its input: {html}");

    let made = site
        .post(
            "/schedules",
            &[
                ("name", "Nightly"),
                ("prompt", "Back up"),
                ("project", &project.id),
                ("kind", "cron"),
                ("when", "0 2 * * *"),
                ("zone", "America/New_York"),
                ("catch_up", "skip"),
                ("mode", "plan"),
            ],
        )
        .await;
    let href = location(&made);
    let schedule = site.store.schedule("Nightly").unwrap();
    assert_eq!(href, format!("/schedules/{}", schedule.id));
    assert_eq!(schedule.project.as_deref(), Some(project.id.as_str()));
    assert_eq!(schedule.scope.mode, PermissionMode::Plan);
    assert_eq!(schedule.state.catch_up, CatchUp::Skip);
    assert_eq!(schedule.state.recurrence.zone_name(), "America/New_York");
    // The project's page lists it.
    let (_, html) = site.page(&format!("/projects/{}", project.id)).await;
    assert!(html.contains("Nightly"), "{html}");
    assert!(html.contains("0 2 * * *"), "{html}");
    site.server.shutdown().await.unwrap();
}

/// Nobody was there to approve: the run's line says it waits, on the
/// schedule's page and as the last run in the list.
#[tokio::test]
async fn a_run_waiting_for_an_approval_says_so_in_the_history_and_the_list() {
    let site = Site::start("ok").await;
    let schedule = site.schedule("Filing", "File the invoices");
    let run = site.store.request_schedule_run(&schedule.id).unwrap();
    let script = site.place.script(
        "filing",
        serde_json::json!({"turns": [
            {"text": "Filing.", "tool_calls": [{
                "name": "Write",
                "input": {"file_path": "index.md", "content": "- invoice 1\n"}
            }]},
            {"text": "Filed."}
        ]}),
    );
    let request = site
        .place
        .request("File the invoices", &script, PermissionMode::Ask);
    let task = site.manager.create_task(request).unwrap();
    site.store.attach_schedule_run(run.id, &task).unwrap();
    wait_for(&site.manager, &task, 20, "an approval", |t| {
        !t.pending.is_empty()
    })
    .await;

    let (_, html) = site.page(&format!("/schedules/{}", schedule.id)).await;
    assert!(
        html.contains("status-waiting\">waiting for approval"),
        "{html}"
    );
    assert!(html.contains("run now"), "{html}");
    let (_, list) = site.page("/schedules").await;
    assert!(list.contains("waiting for approval"), "{list}");
    site.manager.cancel(&task).unwrap();
    site.server.shutdown().await.unwrap();
}
