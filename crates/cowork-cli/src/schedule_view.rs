//! How `cowork schedule` shows schedules and their history, as text and
//! as JSON. Times are shown on the schedule's own wall clock (its zone),
//! since that is how the person wrote them; JSON gives unix milliseconds.
//! Names and prompts are the person's, but still escaped: a name could
//! hold anything a terminal acts on.

use std::fmt::Write as _;

use anyhow::Result;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{ScheduleLink, ScheduledRunKind, TaskStatus};
use cowork_scheduler::{Action, ActionKind, CatchUp, MissReason, Rule as When, Timestamp};
use cowork_store::{RunEntry, Schedule, ScheduleRun, Store};

use crate::render::{first_line, plural};
use crate::safe;

/// Which schedule started a scheduled run, and for which due time:
/// `run of schedule “Standup” due 2026-03-05 09:00 (catch-up)`.
pub fn schedule_line(link: &ScheduleLink) -> String {
    let due = crate::tasks::local_time(link.due);
    let (verb, kind) = match link.run {
        ScheduledRunKind::OnTime => ("due", ""),
        ScheduledRunKind::CatchUp => ("due", " (catch-up)"),
        ScheduledRunKind::Manual => ("asked for", " (run now)"),
    };
    format!(
        "run of schedule “{}” {verb} {due}{kind}",
        safe::line(&link.name)
    )
}

/// How many next runs `add` and `show` list.
pub const NEXT_RUNS: usize = 3;
/// How far back `list` looks for a schedule's last run.
const LAST_RUN_LOOKBACK: usize = 200;

/// `“Standup”`, escaped.
pub fn quoted(name: &str) -> String {
    format!("“{}”", safe::line(name))
}

/// The name as it can be typed back in a shell.
pub fn arg(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        name.to_owned()
    } else {
        safe::line(&format!("{name:?}")).into_owned()
    }
}

/// The name of the schedule's project, if it has one (its id when the
/// project is gone).
pub fn project_name(store: &Store, schedule: &Schedule) -> Option<String> {
    schedule.project.as_ref().map(|id| match store.project(id) {
        Ok(project) => project.name,
        Err(_) => id.clone(),
    })
}

fn zone(schedule: &Schedule) -> TimeZone {
    cowork_scheduler::zone(schedule.state.recurrence.zone_name()).unwrap_or(TimeZone::UTC)
}

/// `2026-12-07 09:00 CET` on the schedule's clock.
fn at(schedule: &Schedule, when: Timestamp) -> String {
    when.to_zoned(zone(schedule))
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

fn at_ms(schedule: &Schedule, ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| at(schedule, t))
}

/// The next `n` due times, none when paused or done. The first may lie
/// before `now`: it was missed, and the daemon catches it up.
pub fn next_runs(schedule: &Schedule, n: usize) -> Vec<Timestamp> {
    let state = &schedule.state;
    if state.paused || state.done {
        return Vec::new();
    }
    let mut runs = Vec::with_capacity(n);
    let mut after = state.last_checked;
    while runs.len() < n {
        let Some(next) = state.recurrence.next_after(after) else {
            break;
        };
        runs.push(next);
        after = next;
    }
    runs
}

/// The next run in words: a time, or why there is none.
pub fn next_run_words(schedule: &Schedule, now: Timestamp) -> String {
    if schedule.state.paused {
        return "none while paused".to_owned();
    }
    match next_runs(schedule, 1).first() {
        None => "none: it has run".to_owned(),
        Some(next) if *next <= now => format!(
            "{} (missed: the daemon catches it up when it runs)",
            at(schedule, *next)
        ),
        Some(next) => at(schedule, *next),
    }
}

/// When it runs, as the person wrote it.
fn when_words(schedule: &Schedule) -> String {
    let recurrence = &schedule.state.recurrence;
    match (recurrence.rule(), recurrence.phrase()) {
        (_, Some(phrase)) => phrase.to_owned(),
        (When::Cron(cron), None) => cron.as_str().to_owned(),
        (When::Interval { minutes, .. }, None) => format!("every {minutes} minutes"),
        (When::Once { at: once }, None) => format!("once at {}", at(schedule, *once)),
    }
}

/// The cron it became, or why it has none.
fn cron_words(schedule: &Schedule) -> String {
    let recurrence = &schedule.state.recurrence;
    match (recurrence.cron_text(), recurrence.rule()) {
        (Some(cron), _) => cron,
        (None, When::Once { .. }) => "none (runs once)".to_owned(),
        (None, When::Interval { minutes, .. }) => {
            format!("none (every {minutes} minutes of elapsed time, through DST changes)")
        }
        (None, When::Cron(cron)) => cron.as_str().to_owned(),
    }
}

fn catch_up_words(catch_up: CatchUp) -> String {
    match catch_up {
        CatchUp::Once => "once (missed runs run once, marked as a catch-up)".to_owned(),
        CatchUp::All { limit } => {
            format!("all (each missed run, at most {limit}, marked as catch-ups)")
        }
        CatchUp::Skip => "skip (missed runs do not run)".to_owned(),
    }
}

fn catch_up_json(catch_up: CatchUp) -> Value {
    match catch_up {
        CatchUp::Once => json!({"policy": "once"}),
        CatchUp::All { limit } => json!({"policy": "all", "limit": limit}),
        CatchUp::Skip => json!({"policy": "skip"}),
    }
}

fn rule_words(rule: &Rule) -> String {
    let action = match rule.action {
        RuleAction::Allow => "allow",
        RuleAction::Ask => "ask",
        RuleAction::Deny => "deny",
    };
    let mut words = vec![action.to_owned()];
    words.extend(rule.tool.iter().map(|t| safe::line(t).into_owned()));
    words.extend(
        rule.server
            .iter()
            .map(|s| format!("connector {}", safe::line(s))),
    );
    words.extend(rule.folder.iter().map(|f| format!("in {}", safe::path(f))));
    words.extend(rule.path.iter().map(|p| format!("on {}", safe::line(p))));
    words.join(" ")
}

/// The mode and rules, as `list` shows them.
fn scope_words(schedule: &Schedule) -> String {
    let scope = &schedule.scope;
    let mut words = scope.mode.as_str().to_owned();
    for rule in &scope.rules {
        let _ = write!(words, "; {}", rule_words(rule));
    }
    words
}

/// The settings block of `add` and `show`.
pub fn details(schedule: &Schedule, project: Option<&str>, now: Timestamp) -> String {
    let scope = &schedule.scope;
    let mut out = String::new();
    let mut line = |key: &str, value: &str| {
        let _ = writeln!(out, "  {key:<11} {value}");
    };
    line("when:", &safe::line(&when_words(schedule)));
    line("cron:", &cron_words(schedule));
    line("zone:", schedule.state.recurrence.zone_name());
    let next = next_runs(schedule, NEXT_RUNS);
    let next_words = if schedule.state.paused {
        "none while paused (`cowork schedule resume` resumes it)".to_owned()
    } else if next.is_empty() {
        "none: it has run".to_owned()
    } else {
        next.iter()
            .map(|t| {
                let missed = if *t <= now { " (missed)" } else { "" };
                format!("{}{missed}", at(schedule, *t))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    line("next runs:", &next_words);
    line("catch-up:", &catch_up_words(schedule.state.catch_up));
    if schedule.state.paused {
        line("paused:", "yes");
    }
    if let Some(project) = project {
        line(
            "project:",
            &format!(
                "{} (its folders, instructions, files and memory come with each run)",
                safe::line(project)
            ),
        );
    }
    line("mode:", scope.mode.as_str());
    let rules = if scope.rules.is_empty() {
        "none of its own (the configuration's apply)".to_owned()
    } else {
        scope
            .rules
            .iter()
            .map(rule_words)
            .collect::<Vec<_>>()
            .join("; ")
    };
    line("rules:", &rules);
    if scope.folders.is_empty() {
        line("folders:", "none");
    }
    for folder in &scope.folders {
        let access = if folder.read_only {
            "read-only"
        } else {
            "read-write"
        };
        line(
            "folders:",
            &format!("{} ({access})", safe::path(&folder.path)),
        );
    }
    let connectors = match &scope.connectors {
        None => "all".to_owned(),
        Some(names) => names
            .iter()
            .map(|n| safe::line(n).into_owned())
            .collect::<Vec<_>>()
            .join(", "),
    };
    line("connectors:", &connectors);
    let model = match (&scope.provider, &scope.model) {
        (None, None) => "the daemon's default".to_owned(),
        (provider, model) => [provider.as_deref(), model.as_deref()]
            .into_iter()
            .flatten()
            .map(|s| safe::line(s).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
    };
    line("model:", &model);
    if scope.unsandboxed {
        line("sandbox:", "none: commands run WITHOUT isolation");
    }
    if !scope.allow_net.is_empty() {
        line("network:", &safe::line(&scope.allow_net.join(",")));
    }
    line("prompt:", &first_line(&schedule.prompt, 70));
    out
}

/// `list`'s table.
pub fn table(store: &Store, schedules: &[Schedule], now: Timestamp) -> Result<String> {
    let mut out = String::new();
    if schedules.is_empty() {
        out.push_str(
            "No schedules yet. Add one with: cowork schedule add --every \"weekdays at 9:00\" \
             \"what to do\"\n",
        );
        return Ok(out);
    }
    for schedule in schedules {
        let paused = if schedule.state.paused {
            "  (paused)"
        } else {
            ""
        };
        let _ = writeln!(out, "{}{paused}", quoted(&schedule.name));
        let _ = writeln!(
            out,
            "  when:      {}",
            safe::line(&schedule.state.recurrence.to_string())
        );
        let _ = writeln!(out, "  next run:  {}", next_run_words(schedule, now));
        let _ = writeln!(out, "  scope:     {}", scope_words(schedule));
        let _ = writeln!(
            out,
            "  catch-up:  {}",
            catch_up_words(schedule.state.catch_up)
        );
        let last = match last_run(store, schedule)? {
            Some(run) => format!(
                "{} {}",
                at_ms(schedule, run.due),
                outcome(store, &run)?.words()
            ),
            None => "none yet".to_owned(),
        };
        let _ = writeln!(out, "  last run:  {last}");
    }
    Ok(out)
}

fn last_run(store: &Store, schedule: &Schedule) -> Result<Option<ScheduleRun>> {
    Ok(store
        .schedule_runs(&schedule.id, LAST_RUN_LOOKBACK)?
        .into_iter()
        .find(|run| matches!(run.entry, RunEntry::Run(_))))
}

/// The history block of `show`.
pub fn history(
    store: &Store,
    schedule: &Schedule,
    runs: &[ScheduleRun],
    limit: usize,
) -> Result<String> {
    let mut out = format!("history (newest first, at most {limit}):\n");
    if runs.is_empty() {
        out.push_str("  (nothing has been due yet)\n");
    }
    for run in runs {
        let _ = writeln!(out, "  {}", history_line(store, schedule, run)?);
    }
    Ok(out)
}

fn history_line(store: &Store, schedule: &Schedule, run: &ScheduleRun) -> Result<String> {
    Ok(match run.entry {
        RunEntry::Run(kind) => {
            let task = run.task.as_ref().map_or_else(
                || "task -       ".to_owned(),
                |t| format!("task {}", t.short()),
            );
            format!(
                "{}  {:<9} {task}  {}",
                at_ms(schedule, run.due),
                run_kind_words(kind),
                outcome(store, run)?.words()
            )
        }
        RunEntry::Missed {
            reason,
            count,
            last_due,
        } => {
            let due = match (count, last_due) {
                (1, _) | (_, None) => at_ms(schedule, run.due),
                (_, Some(last)) => format!(
                    "{} – {} ({count} due times)",
                    at_ms(schedule, run.due),
                    at_ms(schedule, last)
                ),
            };
            format!("{due}  missed    {}", miss_words(schedule, reason))
        }
    })
}

fn run_kind_words(kind: ScheduledRunKind) -> &'static str {
    match kind {
        ScheduledRunKind::OnTime => "on time",
        ScheduledRunKind::CatchUp => "catch-up",
        ScheduledRunKind::Manual => "manual",
    }
}

fn miss_words(schedule: &Schedule, reason: MissReason) -> String {
    match reason {
        MissReason::CoveredByRun { run_due } => {
            format!("covered by the catch-up run due {}", at(schedule, run_due))
        }
        MissReason::SkippedByPolicy => "skipped by the catch-up policy (skip)".to_owned(),
        MissReason::OverCatchUpLimit => "over the catch-up limit".to_owned(),
        MissReason::Paused => "the schedule was paused".to_owned(),
    }
}

fn miss_json(reason: MissReason) -> Value {
    match reason {
        MissReason::CoveredByRun { run_due } => {
            json!({"why": "covered_by_run", "run_due": run_due.as_millisecond()})
        }
        MissReason::SkippedByPolicy => json!({"why": "skipped_by_policy"}),
        MissReason::OverCatchUpLimit => json!({"why": "over_catch_up_limit"}),
        MissReason::Paused => json!({"why": "paused"}),
    }
}

/// What became of a run.
enum Outcome {
    /// Recorded; the daemon has not started its task yet.
    NotStarted,
    CouldNotStart(String),
    Running,
    /// Running, and waiting for this many approvals.
    Waiting(usize),
    Completed,
    Failed(Option<String>),
    Cancelled,
    Interrupted,
    /// Its task is no longer in the store.
    TaskGone,
}

impl Outcome {
    fn key(&self) -> &'static str {
        match self {
            Outcome::NotStarted => "not_started",
            Outcome::CouldNotStart(_) => "could_not_start",
            Outcome::Running => "running",
            Outcome::Waiting(_) => "waiting_for_approval",
            Outcome::Completed => "completed",
            Outcome::Failed(_) => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Interrupted => "interrupted",
            Outcome::TaskGone => "task_gone",
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Outcome::CouldNotStart(why) | Outcome::Failed(Some(why)) => Some(why),
            Outcome::NotStarted
            | Outcome::Running
            | Outcome::Waiting(_)
            | Outcome::Completed
            | Outcome::Failed(None)
            | Outcome::Cancelled
            | Outcome::Interrupted
            | Outcome::TaskGone => None,
        }
    }

    fn words(&self) -> String {
        match self {
            Outcome::NotStarted => "not started yet (the daemon starts it)".to_owned(),
            Outcome::CouldNotStart(why) => format!("could not start: {}", safe::line(why)),
            Outcome::Running => "running".to_owned(),
            Outcome::Waiting(n) => format!(
                "waiting for approval ({}; answer with `cowork attach` or in the web UI)",
                plural(*n as u64, "question")
            ),
            Outcome::Completed => "completed".to_owned(),
            Outcome::Failed(Some(why)) => format!("failed: {}", safe::line(why)),
            Outcome::Failed(None) => "failed".to_owned(),
            Outcome::Cancelled => "cancelled".to_owned(),
            Outcome::Interrupted => "interrupted (the daemon resumes it when it starts)".to_owned(),
            Outcome::TaskGone => "its task is no longer recorded".to_owned(),
        }
    }
}

fn outcome(store: &Store, run: &ScheduleRun) -> Result<Outcome> {
    let (task, status) = match (&run.task, &run.task_status, &run.error) {
        (None, _, Some(error)) => return Ok(Outcome::CouldNotStart(error.clone())),
        (None, _, None) => return Ok(Outcome::NotStarted),
        (Some(_), None, _) => return Ok(Outcome::TaskGone),
        (Some(task), Some(status), _) => (task, status),
    };
    Ok(match status {
        (TaskStatus::Running, _) => match store.pending_approvals(task)?.len() {
            0 => Outcome::Running,
            n => Outcome::Waiting(n),
        },
        (TaskStatus::Completed, _) => Outcome::Completed,
        (TaskStatus::Failed, reason) => Outcome::Failed(reason.clone()),
        (TaskStatus::Cancelled, _) => Outcome::Cancelled,
        (TaskStatus::Interrupted, _) => Outcome::Interrupted,
    })
}

/// How many due times an action stands for.
pub fn action_count(action: &Action) -> u64 {
    match action.kind {
        ActionKind::Run { .. } | ActionKind::Missed { .. } => 1,
        ActionKind::MissedMany { count, .. } => count,
    }
}

/// One schedule as JSON: `list --json` lines, `show --json`, `add --json`.
pub fn schedule_json(schedule: &Schedule, project: Option<&str>, now: Timestamp) -> Value {
    let recurrence = &schedule.state.recurrence;
    let kind = match recurrence.rule() {
        When::Cron(_) => "cron",
        When::Interval { .. } => "interval",
        When::Once { .. } => "once",
    };
    let next: Vec<i64> = next_runs(schedule, NEXT_RUNS)
        .iter()
        .map(|t| t.as_millisecond())
        .collect();
    json!({
        "id": schedule.id,
        "name": schedule.name,
        "project": schedule.project,
        "project_name": project,
        "prompt": schedule.prompt,
        "when": {
            "kind": kind,
            "text": when_words(schedule),
            "phrase": recurrence.phrase(),
            "cron": recurrence.cron_text(),
            "zone": recurrence.zone_name(),
        },
        "catch_up": catch_up_json(schedule.state.catch_up),
        "paused": schedule.state.paused,
        "done": schedule.state.done,
        "next_run": next.first(),
        "next_runs": next,
        "overdue": next.first().is_some_and(|n| *n <= now.as_millisecond()),
        "scope": schedule.scope,
        "created_at": schedule.created_at,
        "updated_at": schedule.updated_at,
    })
}

/// The latest run as JSON, or null.
pub fn last_run_json(store: &Store, schedule: &Schedule) -> Result<Value> {
    match last_run(store, schedule)? {
        Some(run) => run_json(store, &run),
        None => Ok(Value::Null),
    }
}

/// One history entry as JSON.
pub fn run_json(store: &Store, run: &ScheduleRun) -> Result<Value> {
    Ok(match run.entry {
        RunEntry::Run(kind) => {
            let outcome = outcome(store, run)?;
            let pending = match outcome {
                Outcome::Waiting(n) => n,
                Outcome::NotStarted
                | Outcome::CouldNotStart(_)
                | Outcome::Running
                | Outcome::Completed
                | Outcome::Failed(_)
                | Outcome::Cancelled
                | Outcome::Interrupted
                | Outcome::TaskGone => 0,
            };
            json!({
                "id": run.id,
                "due": run.due,
                "kind": kind.as_str(),
                "catch_up": kind == ScheduledRunKind::CatchUp,
                "manual": kind == ScheduledRunKind::Manual,
                "task": run.task,
                "outcome": outcome.key(),
                "reason": outcome.reason(),
                "pending_approvals": pending,
                "recorded_at": run.recorded_at,
            })
        }
        RunEntry::Missed {
            reason,
            count,
            last_due,
        } => json!({
            "id": run.id,
            "due": run.due,
            "kind": "missed",
            "count": count,
            "last_due": last_due,
            "missed": miss_json(reason),
            "recorded_at": run.recorded_at,
        }),
    })
}
