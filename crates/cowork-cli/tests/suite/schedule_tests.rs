//! `cowork schedule …` through the binary, with no daemon running: the
//! CLI writes the store, and what a daemon would later do is played by
//! the test through the store.

use serde_json::Value;

use cowork_protocol::{
    Budget, Effect, Event, ModelChoice, PermissionMode, Provider, ScheduleLink, ScheduleScope,
    ScheduledRunKind, TaskId, TaskSpec, TaskStatus,
};
use cowork_scheduler::{CatchUp, Recurrence, ScheduleState, Timestamp};
use cowork_store::{NewSchedule, Owner, Store};

use super::harness::*;

pub(super) fn store(env: &Env) -> Store {
    Store::open(&env.home.path().join("cowork.db")).unwrap()
}

/// `cowork schedule ARGS…`, expected to succeed; its stdout.
pub(super) fn schedule(env: &Env, args: &[&str]) -> String {
    let out = env.cowork().arg("schedule").args(args).output().unwrap();
    assert!(out.status.success(), "schedule {args:?}: {}", stderr(&out));
    stdout(&out)
}

/// `cowork schedule ARGS… --json`, parsed.
pub(super) fn schedule_json(env: &Env, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    serde_json::from_str(schedule(env, &args).trim()).unwrap()
}

/// `cowork schedule ARGS…`, expected to fail; its stderr.
pub(super) fn refused(env: &Env, args: &[&str]) -> String {
    let out = env.cowork().arg("schedule").args(args).output().unwrap();
    assert!(!out.status.success(), "schedule {args:?} succeeded");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    stderr(&out)
}

pub(super) fn zoned(ms: &Value, zone: &str) -> jiff::Zoned {
    jiff::Timestamp::from_millisecond(ms.as_i64().unwrap())
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
}

#[test]
fn a_one_shot_shows_its_time_zone_scope_and_the_missing_daemon() {
    let env = Env::new();
    let out = env
        .cowork()
        .args([
            "schedule",
            "add",
            "--at",
            "2099-12-24 08:00",
            "--tz",
            "Europe/Berlin",
            "--mode",
            "auto",
            "--allow",
            "Write",
            "--deny",
            "Delete",
            "--catch-up",
            "skip",
            "--folder",
        ])
        .arg(format!("{}:ro", env.folder().display()))
        .arg("Send the season's greetings.\nKeep it short.")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = format!("{}---\n{}", stdout(&out), stderr(&out));
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        &regex_escape(&env.folder().display().to_string()),
        "[FOLDER]",
    );
    settings.bind(|| insta::assert_snapshot!(shown));
}

#[test]
fn a_cron_schedule_shows_the_cron_and_its_next_three_runs() {
    let env = Env::new();
    let out = env
        .cowork()
        .args([
            "schedule",
            "add",
            "--cron",
            "30 9 * * 1-5",
            "--tz",
            "UTC",
            "--name",
            "Standup",
            "Summarise yesterday's notes",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = format!("{}---\n{}", stdout(&out), stderr(&out));
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{4}-\d\d-\d\d", "[DATE]");
    settings.bind(|| insta::assert_snapshot!(shown));

    let listed = schedule_json(&env, &["show", "standup"]);
    let next = listed["next_runs"].as_array().unwrap();
    assert_eq!(next.len(), 3);
    let now = jiff::Timestamp::now().as_millisecond();
    let mut previous = now;
    for due in next {
        let local = zoned(due, "UTC");
        assert_eq!((local.hour(), local.minute()), (9, 30), "{local}");
        assert!(!matches!(
            local.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ));
        assert!(due.as_i64().unwrap() > previous);
        previous = due.as_i64().unwrap();
    }
}

#[test]
fn a_phrase_becomes_a_cron_in_its_zone_and_every_form_lists_and_shows() {
    let env = Env::new();
    let added = schedule_json(
        &env,
        &[
            "add",
            "--every",
            "weekdays at 9:00",
            "--tz",
            "Europe/Berlin",
            "Check the inbox and sort it.",
        ],
    );
    assert_eq!(added["name"], "Check the inbox and sort");
    assert_eq!(added["when"]["phrase"], "weekdays at 9:00");
    assert_eq!(added["when"]["cron"], "0 9 * * 1-5");
    assert_eq!(added["when"]["zone"], "Europe/Berlin");
    for due in added["next_runs"].as_array().unwrap() {
        let local = zoned(due, "Europe/Berlin");
        assert_eq!((local.hour(), local.minute()), (9, 0), "{local}");
    }
    // The same prompt again gets the next free name.
    let again = schedule_json(
        &env,
        &[
            "add",
            "--every",
            "every 15 minutes",
            "--tz",
            "UTC",
            "Check the inbox and sort it.",
        ],
    );
    assert_eq!(again["name"], "Check the inbox and sort 2");
    assert_eq!(again["when"]["cron"], "*/15 * * * *");

    let lines: Vec<Value> = schedule(&env, &["list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["last_run"], Value::Null);

    let text = schedule(&env, &["list"]);
    assert!(
        text.contains("0 9 * * 1-5 (weekdays at 9:00), Europe/Berlin"),
        "{text}"
    );
    assert!(text.contains("last run:  none yet"), "{text}");
    let shown = schedule(&env, &["show", "check the inbox and sort"]);
    assert!(shown.contains("cron:       0 9 * * 1-5"), "{shown}");
    assert!(shown.contains("(nothing has been due yet)"), "{shown}");
}

/// A schedule recorded through the store, paused, created `hours_ago`.
fn paused_hourly(env: &Env, hours_ago: i64) -> String {
    let then = Timestamp::now() - jiff::SignedDuration::from_hours(hours_ago);
    let rule = Recurrence::cron("0 * * * *", "UTC").unwrap();
    let mut state = ScheduleState::new("", rule, CatchUp::Once, then);
    state.paused = true;
    store(env)
        .create_schedule(&NewSchedule {
            name: "Hourly".into(),
            project: None,
            prompt: "Look at the queue".into(),
            state,
            scope: ScheduleScope::default(),
        })
        .unwrap()
        .id
}

#[test]
fn resuming_records_the_due_times_passed_while_paused_as_missed() {
    let env = Env::new();
    paused_hourly(&env, 5);
    let listed = schedule(&env, &["list"]);
    assert!(listed.contains("next run:  none while paused"), "{listed}");

    let out = schedule(&env, &["resume", "hourly"]);
    assert!(
        out.contains("5 due times passed while it was paused (recorded as missed, not run)"),
        "{out}"
    );
    let shown = schedule_json(&env, &["show", "Hourly"]);
    assert_eq!(shown["paused"], false);
    let runs = shown["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5);
    assert!(
        runs.iter()
            .all(|r| r["kind"] == "missed" && r["missed"]["why"] == "paused"),
        "{runs:?}"
    );
    // None of them runs: nothing waits for the daemon to start.
    assert!(store(&env).unstarted_schedule_runs().unwrap().is_empty());
    let text = schedule(&env, &["show", "Hourly"]);
    assert_eq!(text.matches("missed    the schedule was paused").count(), 5);

    // Resuming again changes nothing; pausing is recorded for the daemon.
    let again = schedule(&env, &["resume", "Hourly"]);
    assert!(again.contains("is not paused; nothing changed"), "{again}");
    let rev = store(&env).schedule_rev().unwrap();
    let paused = schedule_json(&env, &["pause", "Hourly"]);
    assert_eq!(paused["changed"], true);
    assert!(store(&env).schedule("Hourly").unwrap().state.paused);
    assert_eq!(store(&env).schedule_rev().unwrap(), rev + 1);
}

#[test]
fn run_now_records_an_unstarted_manual_run_and_says_when_it_starts() {
    let env = Env::new();
    schedule(
        &env,
        &[
            "add",
            "--every",
            "daily at 7:00",
            "--name",
            "Digest",
            "Digest",
        ],
    );
    let out = schedule(&env, &["run-now", "digest"]);
    assert!(
        out.contains("no daemon is running, so it starts when `cowork serve` starts"),
        "{out}"
    );
    let unstarted = store(&env).unstarted_schedule_runs().unwrap();
    assert_eq!(unstarted.len(), 1);
    assert_eq!(
        unstarted[0].entry,
        cowork_store::RunEntry::Run(ScheduledRunKind::Manual)
    );
    let shown = schedule_json(&env, &["show", "Digest"]);
    assert_eq!(shown["runs"][0]["kind"], "manual");
    assert_eq!(shown["runs"][0]["manual"], true);
    assert_eq!(shown["runs"][0]["outcome"], "not_started");

    let stub = super::stub_daemon::StubDaemon::start(env.home.path(), vec![], vec![]);
    let asked = schedule_json(&env, &["run-now", "Digest"]);
    assert_eq!(asked["daemon_running"], true);
    let out = schedule(&env, &["run-now", "Digest"]);
    assert!(
        out.contains("the daemon starts it within a second"),
        "{out}"
    );
    drop(stub);
    assert_eq!(store(&env).unstarted_schedule_runs().unwrap().len(), 3);
}

fn task_spec(link: ScheduleLink) -> TaskSpec {
    TaskSpec {
        prompt: "Digest".into(),
        folders: vec![],
        model: ModelChoice {
            provider: Provider::Script,
            model: "script".into(),
            base_url: None,
            script: None,
        },
        budget: Budget::default(),
        mode: PermissionMode::Auto,
        project: None,
        rules: vec![],
        connectors: None,
        schedule: Some(link),
    }
}

#[test]
fn show_tells_each_runs_outcome_and_the_task_names_its_schedule() {
    let env = Env::new();
    schedule(
        &env,
        &[
            "add",
            "--every",
            "daily at 7:00",
            "--name",
            "Digest",
            "Digest",
        ],
    );
    let db = store(&env);
    let schedule_id = db.schedule("Digest").unwrap().id;
    let link = |run| ScheduleLink {
        id: schedule_id.clone(),
        name: "Digest".into(),
        due: 1_796_000_000_000,
        run,
    };
    // One run waits for an approval, one failed, one could not start.
    let waiting = db.request_schedule_run(&schedule_id).unwrap();
    let task = TaskId::new();
    db.create_task(
        &task,
        &task_spec(link(ScheduledRunKind::CatchUp)),
        &Owner::current().unwrap(),
    )
    .unwrap();
    db.append(
        &task,
        &Event::ApprovalRequested {
            call_id: "call-1".into(),
            tool: "Delete".into(),
            effect: Effect::Delete,
            summary: "Delete old.txt".into(),
        },
    )
    .unwrap();
    db.attach_schedule_run(waiting.id, &task).unwrap();
    let failed = db.request_schedule_run(&schedule_id).unwrap();
    let failed_task = TaskId::new();
    db.create_task(
        &failed_task,
        &task_spec(link(ScheduledRunKind::Manual)),
        &Owner::current().unwrap(),
    )
    .unwrap();
    db.append(
        &failed_task,
        &Event::StatusChanged {
            status: TaskStatus::Failed,
            reason: Some("the model is unreachable".into()),
            end: None,
        },
    )
    .unwrap();
    db.attach_schedule_run(failed.id, &failed_task).unwrap();
    let broken = db.request_schedule_run(&schedule_id).unwrap();
    db.fail_schedule_run(broken.id, "the folder /data is gone")
        .unwrap();

    let shown = schedule_json(&env, &["show", "Digest"]);
    let outcomes: Vec<(&str, &Value)> = shown["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["outcome"].as_str().unwrap(), &r["reason"]))
        .collect();
    assert!(outcomes.contains(&("waiting_for_approval", &Value::Null)));
    assert!(outcomes.contains(&("failed", &"the model is unreachable".into())));
    assert!(outcomes.contains(&("could_not_start", &"the folder /data is gone".into())));
    let text = schedule(&env, &["show", "Digest"]);
    assert!(text.contains("waiting for approval (1 question"), "{text}");
    assert!(text.contains("failed: the model is unreachable"), "{text}");
    assert!(
        text.contains("could not start: the folder /data is gone"),
        "{text}"
    );
    assert!(text.contains(&format!("task {}", task.short())), "{text}");

    let out = env.cowork().args(["show", task.as_str()]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let transcript = stdout(&out);
    assert!(
        transcript.contains("run of schedule “Digest” due ") && transcript.contains("(catch-up)"),
        "{transcript}"
    );

    // Removing the schedule takes its history, not its tasks.
    let removed = schedule(&env, &["rm", "Digest"]);
    assert!(removed.contains("the 2 tasks it ran stay"), "{removed}");
    assert!(db.schedule_runs(&schedule_id, 10).unwrap().is_empty());
    assert!(db.task(task.as_str()).is_ok());
    let gone = refused(&env, &["show", "Digest"]);
    assert!(gone.contains("no schedule is named `Digest`"), "{gone}");
}

#[test]
fn a_project_schedule_takes_the_projects_mode_and_model_and_lists_with_it() {
    let env = Env::new();
    let out = env
        .cowork()
        .args([
            "project",
            "create",
            "Q4 Report",
            "--mode",
            "plan",
            "--model",
            "claude-x",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let added = schedule_json(
        &env,
        &[
            "add",
            "--project",
            "q4 report",
            "--every",
            "hourly",
            "Check the numbers",
        ],
    );
    let project = store(&env).project("Q4 Report").unwrap();
    assert_eq!(added["project"], project.id.as_str());
    assert_eq!(added["project_name"], "Q4 Report");
    assert_eq!(added["scope"]["mode"], "plan");
    assert_eq!(added["scope"]["model"], "claude-x");
    // A flag wins over the project's default.
    let own = schedule_json(
        &env,
        &[
            "add",
            "--project",
            "Q4 Report",
            "--every",
            "hourly",
            "--mode",
            "auto",
            "--name",
            "Own",
            "x",
        ],
    );
    assert_eq!(own["scope"]["mode"], "auto");
    schedule(
        &env,
        &["add", "--every", "hourly", "--name", "Elsewhere", "x"],
    );
    let listed = schedule(&env, &["list", "--project", "Q4 Report", "--json"]);
    assert_eq!(listed.lines().count(), 2, "{listed}");

    let out = env
        .cowork()
        .args(["project", "archive", "Q4 Report"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let archived = refused(
        &env,
        &["add", "--project", "Q4 Report", "--every", "hourly", "x"],
    );
    assert!(archived.contains("archived"), "{archived}");
    let unknown = refused(
        &env,
        &["add", "--project", "Nope", "--every", "hourly", "x"],
    );
    assert!(unknown.contains("Nope"), "{unknown}");
}

#[test]
fn bad_input_names_the_problem_and_the_fix_and_records_nothing() {
    let env = Env::new();
    let folder = env.folder().join("missing").display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--cron", "0 9 * * 8"], "day of week (0-7"),
        (vec!["--cron", "0 9 * *"], "write 5 (minute hour"),
        (vec!["--every", "fortnightly"], "accepted forms:"),
        (vec!["--every", "daily at 25:00"], "write 9:00"),
        (
            vec!["--at", "2001-01-01 08:00"],
            "pick a time in the future",
        ),
        (vec!["--at", "next tuesday"], "YYYY-MM-DD HH:MM"),
        (
            vec!["--every", "hourly", "--tz", "Mars/Olympus"],
            "--tz: unknown time zone `Mars/Olympus`: use an IANA name",
        ),
        (
            vec!["--every", "hourly", "--catch-up", "twice"],
            "`all:N` (at most N, N ≥ 1) or `skip`",
        ),
        (vec!["--every", "hourly", "--folder", &folder], "--folder"),
        (
            vec!["--every", "hourly", "--base-url", "localhost:11434"],
            "--base-url localhost:11434",
        ),
        (
            vec!["--every", "hourly", "--allow", "Write["],
            "--allow Write[:",
        ),
        (
            vec!["--every", "hourly", "--connector", "slack"],
            "`cowork mcp list` shows them",
        ),
        (
            vec!["--every", "hourly", "--name=-x"],
            "which reads as an option",
        ),
        (
            vec!["--every", "hourly", "--allow-net", "http://"],
            "--allow-net",
        ),
    ];
    for (flags, fix) in cases {
        let mut args = vec!["add"];
        args.extend(flags.iter().copied());
        args.push("Do the thing");
        let message = refused(&env, &args);
        assert!(message.contains(fix), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{message}");
    }
    let empty = refused(&env, &["add", "--every", "hourly", "  "]);
    assert!(empty.contains("the prompt is empty"), "{empty}");
    assert!(store(&env).list_schedules(None).unwrap().is_empty());

    schedule(&env, &["add", "--every", "hourly", "--name", "Taken", "x"]);
    let taken = refused(&env, &["add", "--every", "hourly", "--name", "TAKEN", "x"]);
    assert!(taken.contains("pick another name with --name"), "{taken}");
    for command in ["show", "pause", "resume", "run-now", "rm"] {
        let missing = refused(&env, &[command, "Nope"]);
        assert!(
            missing.contains("`cowork schedule list` shows them"),
            "{missing}"
        );
    }
}

#[test]
fn a_prompt_that_drives_the_terminal_is_shown_escaped() {
    let env = Env::new();
    schedule(
        &env,
        &[
            "add",
            "--every",
            "hourly",
            "--name",
            "Quiet",
            "tidy\x1b]0;owned\x07 up\x1b[2J now",
        ],
    );
    for args in [&["show", "Quiet"][..], &["list"][..]] {
        let out = schedule(&env, args);
        assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    }
    let added = refused(
        &env,
        &["add", "--every", "hourly", "--name", "a\x1b[2Jb", "x"],
    );
    assert!(added.contains("control character"), "{added:?}");
}
