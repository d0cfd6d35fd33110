//! `cowork schedule edit` and `pause`, which change a schedule's state:
//! before a change to when or whether it runs, what already fell due
//! under the old state is settled, so no due time is lost to the change.

use std::process::ExitCode;

use anyhow::{Result, bail};
use console::style;

use cowork_protocol::PermissionMode;
use cowork_scheduler::{Config, Recurrence, Rule as When, Scheduler, Timestamp};
use cowork_store::{Schedule, Store};

use crate::cli_schedules::{EditArgs, NameArgs, WhenArgs};
use crate::schedule_cmd::{daemon_runs, known_connectors, parse_catch_up, recurrence, rules};
use crate::schedule_view as view;

pub fn pause(args: &NameArgs, store: &Store) -> Result<ExitCode> {
    let found = store.schedule(&args.name)?;
    let was_paused = found.state.paused;
    let schedule = if was_paused {
        found
    } else {
        let mut schedule = settle_without_daemon(store, found, Timestamp::now())?;
        schedule.state.paused = true;
        store.update_schedule(&schedule)?
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({"id": schedule.id, "name": schedule.name, "paused": true,
                               "changed": !was_paused})
        );
    } else if was_paused {
        println!(
            "Schedule {} is paused already; `cowork schedule resume {}` resumes it.",
            view::quoted(&schedule.name),
            view::arg(&schedule.name)
        );
    } else {
        println!(
            "{} paused {}: nothing runs until `cowork schedule resume {}`; due times that pass \
             meanwhile are recorded as missed.",
            style("✓").green(),
            view::quoted(&schedule.name),
            view::arg(&schedule.name)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn edit(args: &EditArgs, store: &Store) -> Result<ExitCode> {
    let found = store.schedule(&args.name)?;
    let now = Timestamp::now();
    // Every input is checked before anything is written.
    let new_when = new_recurrence(args, &found, now)?;
    let catch_up = args.catch_up.as_deref().map(parse_catch_up).transpose()?;
    let added_rules = rules(&args.allow, &args.deny)?;
    let added_folders = args
        .add_folders
        .iter()
        .map(|f| crate::run::parse_folder(f))
        .collect::<Result<Vec<_>>>()?;
    let connectors = if args.connectors.is_empty() {
        None
    } else {
        Some(known_connectors(&args.connectors)?)
    };
    if let Some(name) = &args.rename {
        cowork_store::check_schedule_name(name)?;
    }
    if args.prompt.as_deref().is_some_and(|p| p.trim().is_empty()) {
        bail!("--prompt is empty: say in plain words what each run should do");
    }
    if new_when.is_some() && found.state.done {
        bail!(
            "schedule {} has made its one run; for another time add a new schedule with \
             `cowork schedule add`",
            view::quoted(&found.name)
        );
    }
    let mut schedule = match new_when {
        Some(_) => settle_without_daemon(store, found, now)?,
        None => found,
    };
    let scope = &mut schedule.scope;
    for tool in &args.remove_rules {
        let before = scope.rules.len();
        scope.rules.retain(|r| {
            r.tool
                .as_deref()
                .is_none_or(|t| !t.eq_ignore_ascii_case(tool))
        });
        if scope.rules.len() == before {
            bail!(
                "schedule {} has no rule on {}; `cowork schedule show {}` lists its rules",
                view::quoted(&schedule.name),
                crate::safe::line(tool),
                view::arg(&schedule.name)
            );
        }
    }
    for rule in added_rules {
        // The newer word on a tool replaces the older one.
        scope.rules.retain(|r| r.tool != rule.tool);
        scope.rules.push(rule);
    }
    for path in &args.remove_folders {
        let wanted = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let before = scope.folders.len();
        scope
            .folders
            .retain(|f| f.path != wanted && f.path != *path);
        if scope.folders.len() == before {
            bail!(
                "schedule {} does not connect {}",
                view::quoted(&schedule.name),
                crate::safe::path(path)
            );
        }
    }
    for grant in added_folders {
        scope.folders.retain(|f| f.path != grant.path);
        scope.folders.push(grant);
    }
    if args.all_connectors {
        scope.connectors = None;
    } else if connectors.is_some() {
        scope.connectors = connectors;
    }
    if let Some(mode) = args.mode {
        scope.mode = PermissionMode::from(mode);
    }
    if args.no_model {
        scope.model = None;
    } else if let Some(model) = &args.model {
        scope.model = Some(model.clone());
    }
    if let Some(prompt) = &args.prompt {
        schedule.prompt.clone_from(prompt);
    }
    if let Some(name) = &args.rename {
        schedule.name.clone_from(name);
    }
    if let Some(catch_up) = catch_up {
        schedule.state.catch_up = catch_up;
    }
    if let Some(when) = new_when {
        // The new rule counts from now: what fell due before was settled
        // under the old one.
        schedule.state.recurrence = when;
        schedule.state.last_checked = now;
    }
    let schedule = store.update_schedule(&schedule)?;
    let project = view::project_name(store, &schedule);
    if args.json {
        println!(
            "{}",
            view::schedule_json(&schedule, project.as_deref(), now)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{} updated schedule {}\n",
        style("✓").green(),
        view::quoted(&schedule.name)
    );
    out.push_str(&view::details(&schedule, project.as_deref(), now));
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// The recurrence `args` asks for: a new one, or with `--tz` alone the
/// same one read on the new zone's clock.
fn new_recurrence(
    args: &EditArgs,
    schedule: &Schedule,
    now: Timestamp,
) -> Result<Option<Recurrence>> {
    let old = &schedule.state.recurrence;
    let zone = args.tz.as_deref().unwrap_or(old.zone_name());
    let when = WhenArgs {
        cron: args.when.cron.clone(),
        every: args.when.every.clone(),
        at: args.when.at.clone(),
    };
    if when.cron.is_some() || when.every.is_some() || when.at.is_some() {
        return recurrence(&when, zone, now).map(Some);
    }
    if args.tz.is_none() {
        return Ok(None);
    }
    let same = match (old.phrase(), old.rule()) {
        (Some(phrase), _) => WhenArgs {
            cron: None,
            every: Some(phrase.to_owned()),
            at: None,
        },
        (None, When::Cron(cron)) => WhenArgs {
            cron: Some(cron.as_str().to_owned()),
            every: None,
            at: None,
        },
        (None, When::Once { at }) => {
            let old_zone = cowork_scheduler::zone(old.zone_name())?;
            WhenArgs {
                cron: None,
                every: None,
                at: Some(at.to_zoned(old_zone).strftime("%Y-%m-%d %H:%M").to_string()),
            }
        }
        (None, When::Interval { minutes, .. }) => WhenArgs {
            cron: None,
            every: Some(format!("every {minutes} minutes")),
            at: None,
        },
    };
    recurrence(&same, zone, now).map(Some)
}

/// When no daemon runs, settles what fell due under `schedule`'s stored
/// state up to `now` as the daemon would when it starts (catch-up runs
/// recorded for it to start, the rest recorded as missed), so that a
/// change made now — a pause, a new recurrence — does not erase them. A
/// running daemon has settled them itself. Returns the schedule as stored
/// after.
fn settle_without_daemon(store: &Store, schedule: Schedule, now: Timestamp) -> Result<Schedule> {
    if daemon_runs()? {
        return Ok(schedule);
    }
    let mut scheduler = Scheduler::new(Config::default());
    scheduler.add(schedule.state.clone())?;
    let actions = scheduler.due(now);
    let Some(state) = scheduler.get(&schedule.id).filter(|_| !actions.is_empty()) else {
        return Ok(schedule);
    };
    store.record_schedule_actions(&[state], &actions)?;
    Ok(store.schedule(&schedule.id)?)
}
