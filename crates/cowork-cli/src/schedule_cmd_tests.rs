use clap::Parser;

use cowork_protocol::config::RuleAction;

use super::*;
use crate::cli::{Cli, Command};
use crate::cli_schedules::ScheduleCommand;

fn add_args(args: &[&str]) -> AddArgs {
    let cli = Cli::try_parse_from(
        ["cowork", "schedule", "add"]
            .iter()
            .chain(args)
            .copied()
            .collect::<Vec<_>>(),
    )
    .unwrap();
    match cli.command {
        Command::Schedule(ScheduleCommand::Add(args)) => *args,
        other => panic!("not schedule add: {other:?}"),
    }
}

#[test]
fn a_default_name_is_the_prompts_first_words_ending_on_a_word() {
    assert_eq!(
        default_name("Summarise yesterday's notes into a digest for the team."),
        "Summarise yesterday's notes into a"
    );
    assert_eq!(default_name("Check the inbox."), "Check the inbox");
    assert_eq!(
        default_name("\n\n  Tidy Downloads\nthen more"),
        "Tidy Downloads"
    );
    // Too long a first word is cut; a leading dash would read as an option.
    assert_eq!(default_name(&"x".repeat(100)).chars().count(), NAME_CHARS);
    assert_eq!(default_name("--force the issue"), "force the issue");
    assert_eq!(default_name("…"), "…");
    assert_eq!(default_name("?!"), "Schedule");
    assert!(cowork_store::check_schedule_name(&default_name("a\u{1b}[2Jb c")).is_ok());
}

#[test]
fn a_derived_name_that_is_taken_gets_the_next_free_number() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(unique_name(&store, "Standup").unwrap(), "Standup");
    let now = Timestamp::now();
    let rule = Recurrence::every("daily at 9:00", "UTC", now).unwrap();
    for name in ["Standup", "standup 2"] {
        store
            .create_schedule(&NewSchedule {
                name: name.into(),
                project: None,
                prompt: "p".into(),
                state: ScheduleState::new("", rule.clone(), CatchUp::Once, now),
                scope: ScheduleScope::default(),
            })
            .unwrap();
    }
    assert_eq!(unique_name(&store, "Standup").unwrap(), "Standup 3");
    // A name ending in a number keeps it.
    assert_eq!(unique_name(&store, "Report 2026").unwrap(), "Report 2026");
}

#[test]
fn catch_up_policies_parse_and_a_bad_one_names_the_forms() {
    assert_eq!(parse_catch_up("once").unwrap(), CatchUp::Once);
    assert_eq!(parse_catch_up("SKIP").unwrap(), CatchUp::Skip);
    assert_eq!(
        parse_catch_up("all").unwrap(),
        CatchUp::All {
            limit: DEFAULT_CATCH_UP_LIMIT
        }
    );
    assert_eq!(parse_catch_up("all:3").unwrap(), CatchUp::All { limit: 3 });
    for bad in ["all:0", "all:x", "twice", ""] {
        let message = parse_catch_up(bad).unwrap_err().to_string();
        assert!(
            message.contains("`all:N`") && message.contains("`skip`"),
            "{message}"
        );
    }
}

#[test]
fn allow_and_deny_become_tool_rules_checked_like_a_tasks() {
    let made = rules(
        &["Write".into(), "mcp__slack__*".into(), "Write".into()],
        &["Delete".into()],
    )
    .unwrap();
    let shown: Vec<(RuleAction, Option<&str>)> =
        made.iter().map(|r| (r.action, r.tool.as_deref())).collect();
    assert_eq!(
        shown,
        [
            (RuleAction::Allow, Some("Write")),
            (RuleAction::Allow, Some("mcp__slack__*")),
            (RuleAction::Deny, Some("Delete")),
        ]
    );
    let bad = rules(&["Write[".into()], &[]).unwrap_err().to_string();
    assert!(bad.starts_with("--allow Write["), "{bad}");
    let empty = rules(&[], &[" ".into()]).unwrap_err().to_string();
    assert!(empty.contains("--deny needs a tool name"), "{empty}");
}

/// Regression: a misspelt tool was kept as a rule matching nothing, so
/// every run went on asking for the tool the person meant to allow.
#[test]
fn a_rule_on_a_tool_nobody_has_is_refused_with_the_close_name() {
    let misspelt = rules(&["Wirte".into()], &[]).unwrap_err().to_string();
    assert!(
        misspelt.starts_with("--allow Wirte: no tool is named so (did you mean Write?)"),
        "{misspelt}"
    );
    assert!(misspelt.contains("CreateSpreadsheet"), "{misspelt}");
    let denied = rules(&[], &["Bsh".into()]).unwrap_err().to_string();
    assert!(denied.starts_with("--deny Bsh: "), "{denied}");
    // Any case, globs over cowork's tools, and connectors' tools pass.
    for fine in [
        "write",
        "Create*",
        "*",
        "Memory",
        "ReadDocument",
        "mcp__notion__search",
    ] {
        rules(&[fine.into()], &[]).unwrap_or_else(|e| panic!("{fine}: {e}"));
    }
}

#[test]
fn the_scope_takes_folders_made_absolute_and_refuses_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().canonicalize().unwrap();
    let args = add_args(&[
        "--every",
        "daily at 9:00",
        "--folder",
        &format!("{}:ro", folder.display()),
        "--mode",
        "auto",
        "--deny",
        "Delete",
        "--max-turns",
        "5",
        "--allow-net",
        "pypi.org, example.com",
        "the prompt",
    ]);
    let made = scope(&args, &Config::default()).unwrap();
    assert_eq!(made.mode, PermissionMode::Auto);
    assert_eq!(made.folders.len(), 1);
    assert!(made.folders[0].read_only && made.folders[0].path == folder);
    assert_eq!(made.rules.len(), 1);
    assert_eq!(made.max_turns, Some(5));
    assert_eq!(made.allow_net, ["pypi.org", "example.com"]);
    assert_eq!(made.connectors, None);

    let missing = add_args(&[
        "--every",
        "daily",
        "--folder",
        &folder.join("gone").display().to_string(),
        "p",
    ]);
    let message = scope(&missing, &Config::default()).unwrap_err().to_string();
    assert!(message.starts_with("--folder"), "{message}");
}

#[test]
fn the_mode_defaults_to_the_configurations_then_ask() {
    let args = add_args(&["--cron", "0 9 * * *", "p"]);
    assert_eq!(
        scope(&args, &Config::default()).unwrap().mode,
        PermissionMode::Ask
    );
    let config = Config {
        mode: Some(PermissionMode::Plan),
        ..Config::default()
    };
    assert_eq!(scope(&args, &config).unwrap().mode, PermissionMode::Plan);
}

#[test]
fn a_script_run_needs_its_file() {
    let args = add_args(&["--cron", "0 9 * * *", "--provider", "script", "p"]);
    let message = scope(&args, &Config::default()).unwrap_err().to_string();
    assert!(message.contains("--script FILE.json"), "{message}");
    let args = add_args(&[
        "--cron",
        "0 9 * * *",
        "--script",
        "/nonexistent/s.json",
        "p",
    ]);
    let message = scope(&args, &Config::default()).unwrap_err().to_string();
    assert!(message.contains("no such file"), "{message}");
}

#[test]
fn exactly_one_recurrence_form_is_taken() {
    let none = Cli::try_parse_from(["cowork", "schedule", "add", "p"]);
    assert!(none.is_err());
    let two = Cli::try_parse_from([
        "cowork",
        "schedule",
        "add",
        "--cron",
        "0 9 * * *",
        "--every",
        "daily",
        "p",
    ]);
    assert!(two.is_err());
}

#[test]
fn a_bad_zone_is_blamed_on_tz() {
    let args = add_args(&["--cron", "0 9 * * *", "p"]);
    let message = format!(
        "{:#}",
        recurrence(&args.when, "Mars/Olympus", Timestamp::now()).unwrap_err()
    );
    assert!(message.starts_with("--tz"), "{message}");
    assert!(message.contains("Europe/Berlin"), "{message}");
}

#[test]
fn a_scheduled_run_names_its_schedule_due_time_and_kind() {
    use cowork_protocol::{ScheduleLink, ScheduledRunKind};
    let link = |run| ScheduleLink {
        id: "abc".into(),
        name: "Stand\u{1b}[2Jup".into(),
        due: 1_796_000_000_000,
        run,
    };
    let due = crate::tasks::local_time(1_796_000_000_000);
    let line = crate::schedule_view::schedule_line(&link(ScheduledRunKind::CatchUp));
    assert_eq!(
        line,
        format!("run of schedule “Stand\\x1B[2Jup” due {due} (catch-up)")
    );
    let line = crate::schedule_view::schedule_line(&link(ScheduledRunKind::OnTime));
    assert!(line.ends_with(&format!("due {due}")), "{line}");
    let line = crate::schedule_view::schedule_line(&link(ScheduledRunKind::Manual));
    assert!(
        line.contains("asked for") && line.ends_with("(run now)"),
        "{line}"
    );
}
