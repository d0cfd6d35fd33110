//! A schedule and its history as the pages show them: when it runs, in
//! which zone, when next, with what scope, and what became of each due
//! time (a run and its task's outcome, or why it did not run).

use serde::Serialize;

use cowork_protocol::config::{Rule, RuleAction};
use cowork_protocol::{ScheduleScope, ScheduledRunKind, TaskStatus};
use cowork_scheduler::{CatchUp, MissReason};
use cowork_store::{Project, RunEntry, Schedule, ScheduleRun};

use super::stored::when;
use super::text::{first_line, path_segment};
use crate::backend::Backend;

/// One schedule in a list, or at the top of its page.
#[derive(Debug, Serialize)]
pub(crate) struct ScheduleRow {
    pub id: String,
    pub name: String,
    pub href: String,
    pub prompt: String,
    pub project: Option<ProjectLink>,
    /// The rule and its zone: `0 9 * * 1-5 (weekdays at 9:00), Europe/Berlin`.
    pub when: String,
    pub next: String,
    pub mode: &'static str,
    pub rules: Vec<String>,
    pub catch_up: String,
    pub paused: bool,
    pub last: Option<RunRow>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ProjectLink {
    pub name: String,
    pub href: String,
}

/// One line of a schedule's history.
#[derive(Debug, Serialize)]
pub(crate) struct RunRow {
    pub due: String,
    /// `run` or `missed`: how the line is styled.
    pub kind: &'static str,
    /// "catch-up", "run now", or none for a run on time.
    pub mark: Option<&'static str>,
    pub task: Option<TaskLink>,
    /// What became of it, worded for the person.
    pub outcome: String,
    /// A class for the outcome's badge (a task status, `waiting`, …).
    pub state: &'static str,
}

#[derive(Debug, Serialize)]
pub(crate) struct TaskLink {
    pub short: String,
    pub href: String,
}

/// The schedule and due time that started a task.
#[derive(Debug, Serialize)]
pub(crate) struct RunOf {
    pub name: String,
    pub href: String,
    /// The due time, in the daemon's zone.
    pub due: String,
    /// "catch-up" or "run now"; none for a run on time.
    pub mark: Option<&'static str>,
}

impl RunOf {
    pub(crate) fn of(link: &cowork_protocol::ScheduleLink) -> Self {
        Self {
            name: link.name.clone(),
            href: schedule_href(&link.id),
            due: when(link.due, cowork_scheduler::system_zone().name()),
            mark: match link.run {
                cowork_protocol::ScheduledRunKind::OnTime => None,
                cowork_protocol::ScheduledRunKind::CatchUp => Some("catch-up"),
                cowork_protocol::ScheduledRunKind::Manual => Some("run now"),
            },
        }
    }
}

pub(crate) fn schedule_href(id: &str) -> String {
    format!("/schedules/{}", path_segment(id))
}

pub(crate) fn project_href(id: &str) -> String {
    format!("/projects/{}", path_segment(id))
}

/// `schedule` as a row; `projects` names its project, `recent` is its
/// history (newest first) for the last outcome.
pub(crate) fn schedule_row(
    backend: &dyn Backend,
    schedule: &Schedule,
    projects: &[Project],
    recent: &[ScheduleRun],
    now_ms: i64,
) -> ScheduleRow {
    let zone = schedule.state.recurrence.zone_name();
    let project = schedule.project.as_ref().map(|id| ProjectLink {
        name: projects
            .iter()
            .find(|p| &p.id == id)
            .map_or_else(|| id.clone(), |p| p.name.clone()),
        href: project_href(id),
    });
    ScheduleRow {
        id: schedule.id.clone(),
        name: schedule.name.clone(),
        href: schedule_href(&schedule.id),
        prompt: first_line(&schedule.prompt, 140),
        project,
        when: schedule.state.recurrence.to_string(),
        next: next_words(schedule, now_ms),
        mode: schedule.scope.mode.as_str(),
        rules: schedule.scope.rules.iter().map(rule_words).collect(),
        catch_up: catch_up_words(schedule.state.catch_up),
        paused: schedule.state.paused,
        last: recent
            .iter()
            .find(|run| matches!(run.entry, RunEntry::Run(_)))
            .map(|run| run_row(backend, run, zone)),
    }
}

/// When it runs next, as the daemon will see it: the first due time
/// after what the daemon last settled.
fn next_words(schedule: &Schedule, now_ms: i64) -> String {
    let state = &schedule.state;
    if state.done {
        return "done (its one run is over)".to_owned();
    }
    if state.paused {
        return "paused: nothing runs until it is resumed".to_owned();
    }
    let zone = state.recurrence.zone_name();
    match state.recurrence.next_after(state.last_checked) {
        None => "no further run".to_owned(),
        Some(next) if next.as_millisecond() < now_ms => format!(
            "overdue since {}: the daemon runs or records it as soon as it is running",
            when(next.as_millisecond(), zone)
        ),
        Some(next) => when(next.as_millisecond(), zone),
    }
}

fn catch_up_words(catch_up: CatchUp) -> String {
    match catch_up {
        CatchUp::Once => "missed runs: one catch-up run".to_owned(),
        CatchUp::All { limit } => format!("missed runs: each one, up to {limit}"),
        CatchUp::Skip => "missed runs: recorded, not run".to_owned(),
    }
}

/// A rule in a line: "allow Write in /data/reports".
pub(crate) fn rule_words(rule: &Rule) -> String {
    let action = match rule.action {
        RuleAction::Allow => "allow",
        RuleAction::Ask => "ask for",
        RuleAction::Deny => "deny",
    };
    let mut out = action.to_owned();
    match (&rule.tool, &rule.server) {
        (Some(tool), Some(server)) => out.push_str(&format!(" {tool} of connector {server}")),
        (Some(tool), None) => out.push_str(&format!(" {tool}")),
        (None, Some(server)) => out.push_str(&format!(" the tools of connector {server}")),
        (None, None) => out.push_str(" every tool"),
    }
    if let Some(effect) = rule.effect
        && let Ok(serde_json::Value::String(effect)) = serde_json::to_value(effect)
    {
        out.push_str(&format!(" that would {effect}"));
    }
    if let Some(folder) = &rule.folder {
        out.push_str(&format!(" in {}", folder.display()));
    }
    if let Some(path) = &rule.path {
        out.push_str(&format!(" on {path}"));
    }
    if rule.trust_read_only_hint {
        out.push_str(" (trusting a tool's read-only claim)");
    }
    out
}

/// The scope's folders and connectors, for the schedule's page.
pub(crate) fn scope_lines(scope: &ScheduleScope) -> Vec<String> {
    let mut lines: Vec<String> = scope
        .folders
        .iter()
        .map(|f| {
            let access = if f.read_only {
                "read only"
            } else {
                "read and write"
            };
            format!("folder {} ({access})", f.path.display())
        })
        .collect();
    lines.push(match &scope.connectors {
        None => "every connector the daemon has".to_owned(),
        Some(names) if names.is_empty() => "no connectors".to_owned(),
        Some(names) => format!("connectors: {}", names.join(", ")),
    });
    if let Some(model) = &scope.model {
        lines.push(format!("model {model}"));
    }
    if scope.unsandboxed {
        lines.push("commands run without the sandbox".to_owned());
    }
    lines
}

/// One history line. A running task with a question open is "waiting
/// for approval": nobody was there to answer it.
pub(crate) fn run_row(backend: &dyn Backend, run: &ScheduleRun, zone: &str) -> RunRow {
    let due = when(run.due, zone);
    match run.entry {
        RunEntry::Run(kind) => {
            let mark = match kind {
                ScheduledRunKind::OnTime => None,
                ScheduledRunKind::CatchUp => Some("catch-up"),
                ScheduledRunKind::Manual => Some("run now"),
            };
            let task = run.task.as_ref().map(|id| TaskLink {
                short: id.short().to_owned(),
                href: format!("/tasks/{}", path_segment(id.as_str())),
            });
            let (outcome, state) = run_outcome(backend, run);
            RunRow {
                due,
                kind: "run",
                mark,
                task,
                outcome,
                state,
            }
        }
        RunEntry::Missed {
            reason,
            count,
            last_due,
        } => {
            let why = miss_words(reason, zone);
            let outcome = match (count, last_due) {
                (2.., Some(last)) => {
                    format!(
                        "{count} due times through {} missed: {why}",
                        when(last, zone)
                    )
                }
                _ => format!("missed: {why}"),
            };
            RunRow {
                due,
                kind: "missed",
                mark: None,
                task: None,
                outcome,
                state: "missed",
            }
        }
    }
}

fn run_outcome(backend: &dyn Backend, run: &ScheduleRun) -> (String, &'static str) {
    if let Some(error) = &run.error {
        return (format!("could not start: {error}"), "failed");
    }
    let (Some(task), Some((status, reason))) = (&run.task, &run.task_status) else {
        return ("starting".to_owned(), "queued");
    };
    let words = |label: &str| match reason {
        Some(reason) => format!("{label}: {reason}"),
        None => label.to_owned(),
    };
    match status {
        TaskStatus::Running => {
            // A page still renders when the task cannot be read now.
            let waiting = backend
                .task(task.as_str())
                .map(|detail| detail.pending.len())
                .unwrap_or(0);
            match waiting {
                0 => ("running".to_owned(), "running"),
                1 => ("waiting for approval".to_owned(), "waiting"),
                n => (format!("waiting for {n} approvals"), "waiting"),
            }
        }
        TaskStatus::Completed => (words("completed"), "completed"),
        TaskStatus::Failed => (words("failed"), "failed"),
        TaskStatus::Cancelled => (words("cancelled"), "cancelled"),
        TaskStatus::Interrupted => (words("interrupted"), "interrupted"),
    }
}

fn miss_words(reason: MissReason, zone: &str) -> String {
    match reason {
        MissReason::CoveredByRun { run_due } => format!(
            "the catch-up run for {} stood in for it",
            when(run_due.as_millisecond(), zone)
        ),
        MissReason::SkippedByPolicy => {
            "the daemon was not running then, and the schedule skips missed runs".to_owned()
        }
        MissReason::OverCatchUpLimit => {
            "the daemon was not running then, and more were missed than it catches up".to_owned()
        }
        MissReason::Paused => "the schedule was paused".to_owned(),
    }
}

#[cfg(test)]
#[path = "schedule_rows_tests.rs"]
mod tests;
