use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{Effect, Event, ScheduleLink, ScheduledRunKind};

use super::*;
use crate::web::fixtures::{created, envelopes, task_id};
use crate::web::render;
use crate::web::stream::Renderer;
use crate::web::transcript::View;

fn scheduled(prompt: &str, run: ScheduledRunKind) -> Event {
    let mut event = created(prompt);
    if let Event::TaskCreated { spec } = &mut event {
        spec.schedule = Some(ScheduleLink {
            id: "a1b2c3d4e5f6".into(),
            name: "Weekly <report>".into(),
            // 2026-03-02 08:00 UTC.
            due: 1_772_438_400_000,
            run,
        });
    }
    event
}

fn asked() -> Event {
    Event::ApprovalRequested {
        call_id: "call_1".into(),
        tool: "Write".into(),
        effect: Effect::Write,
        summary: "create /data/reports/week.md".into(),
    }
}

/// The approval card as the live stream sends it.
fn card(first: Event) -> String {
    let mut renderer = Renderer::new(&task_id(), "csrf-token".into(), 0);
    envelopes(vec![first, asked()])
        .iter()
        .flat_map(|e| renderer.fragments(e))
        .map(|f| f.data)
        .find(|data| data.contains("class=\"approval"))
        .unwrap()
}

#[test]
fn a_scheduled_runs_approval_offers_to_allow_for_every_run_of_the_schedule() {
    let html = card(scheduled(
        "Write the weekly report",
        ScheduledRunKind::OnTime,
    ));
    insta::assert_snapshot!(html);
    assert!(html.contains("value=\"allow_schedule\""), "{html}");
}

#[test]
fn a_task_that_no_schedule_started_is_not_offered_allow_for_the_schedule() {
    let html = card(created("Write the report"));
    assert!(!html.contains("allow_schedule"), "{html}");
    assert!(html.contains("value=\"allow_task\""), "{html}");
}

#[test]
fn the_task_page_names_the_schedule_and_due_time_of_a_catch_up_run() {
    let mut view = View::default();
    for envelope in envelopes(vec![scheduled("Write it", ScheduledRunKind::CatchUp)]) {
        view.apply(&envelope);
    }
    let run = view.schedule.as_ref().unwrap();
    assert_eq!(run.href, "/schedules/a1b2c3d4e5f6");
    assert_eq!(run.mark, Some("catch-up"));
    let html = render::render(
        "task.html",
        serde_json::json!({
            "title": "Write it",
            "heading": "Write it",
            "queued": false,
            "task": crate::web::pages::TaskLinks::new(&task_id(), "mock".into()),
            "view": view,
            "files": [],
            "first_preview": null,
            "oob": false,
            "csrf": "t",
            "hx_headers": "{}",
        }),
    )
    .unwrap();
    let start = html.find("<p class=\"meta run-of\"").unwrap();
    let end = start + html[start..].find("</p>").unwrap() + "</p>".len();
    let line = &html[start..end];
    // The due time is in the daemon's zone, which differs from machine
    // to machine: only its place in the line is pinned.
    let due = &run.due;
    assert_eq!(
        line,
        format!(
            "<p class=\"meta run-of\">Run of schedule <a href=\"&#x2f;schedules&#x2f;a1b2c3d4e5f6\">Weekly &lt;report&gt;</a>, due {due} (catch-up)</p>"
        )
    );
}

#[test]
fn rules_read_as_a_sentence_each() {
    let rule = |action, tool: Option<&str>, server: Option<&str>, folder: Option<&str>| Rule {
        action,
        tool: tool.map(str::to_owned),
        server: server.map(str::to_owned),
        trust_read_only_hint: false,
        effect: None,
        folder: folder.map(Into::into),
        path: None,
    };
    let words: Vec<String> = [
        rule(
            RuleAction::Allow,
            Some("Write"),
            None,
            Some("/data/reports"),
        ),
        rule(RuleAction::Deny, None, Some("slack"), None),
        rule(RuleAction::Ask, None, None, None),
    ]
    .iter()
    .map(rule_words)
    .collect();
    insta::assert_snapshot!(words.join("\n"), @r"
    allow Write in /data/reports
    deny the tools of connector slack
    ask for every tool
    ");
}

#[test]
fn times_are_shown_in_the_schedules_zone() {
    assert_eq!(
        crate::web::stored::when(1_772_438_400_000, "Europe/Berlin"),
        "2026-03-02 09:00 CET"
    );
    assert_eq!(
        crate::web::stored::when(1_772_438_400_000, "Nowhere/Atlantis"),
        "2026-03-02 08:00 UTC"
    );
}
