//! `cowork schedule …`: schedules from the terminal. The store is the
//! truth: these commands write it directly whether or not the daemon
//! runs, and the daemon (the only process that runs schedules) picks a
//! change up within a second. Every input is checked before anything is
//! written; a bad one names the problem and the fix.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use console::style;

use cowork_protocol::config::{Config, Rule, RuleAction};
use cowork_protocol::{PermissionMode, ScheduleScope};
use cowork_scheduler::{CatchUp, Recurrence, ScheduleState, Timestamp};
use cowork_store::{NewSchedule, ScheduleError, Store};

use crate::cli::{ProviderArg, SandboxArg};
use crate::cli_schedules::{AddArgs, ListArgs, NameArgs, ScheduleCommand, ShowArgs, WhenArgs};
use crate::schedule_view as view;

/// The limit of `--catch-up all` without `:N`.
pub const DEFAULT_CATCH_UP_LIMIT: u32 = 10;

/// Words of the prompt a default name keeps.
const NAME_WORDS: usize = 5;
/// Characters a default name keeps, at most.
const NAME_CHARS: usize = 40;

pub fn schedule(command: ScheduleCommand, store: &Store, config: &Config) -> Result<ExitCode> {
    match command {
        ScheduleCommand::Add(args) => add(&args, store, config),
        ScheduleCommand::List(args) => list(&args, store),
        ScheduleCommand::Show(args) => show(&args, store),
        ScheduleCommand::Pause(args) => crate::schedule_edit::pause(&args, store),
        ScheduleCommand::Resume(args) => resume(&args, store),
        ScheduleCommand::RunNow(args) => run_now(&args, store),
        ScheduleCommand::Rm(args) => rm(&args, store),
        ScheduleCommand::Edit(args) => crate::schedule_edit::edit(&args, store),
    }
}

fn add(args: &AddArgs, store: &Store, config: &Config) -> Result<ExitCode> {
    if args.prompt.trim().is_empty() {
        bail!("the prompt is empty: say in plain words what each run should do");
    }
    let now = Timestamp::now();
    let zone = match &args.tz {
        Some(zone) => zone.clone(),
        None => cowork_scheduler::system_zone().name().to_owned(),
    };
    let recurrence = recurrence(&args.when, &zone, now)?;
    let catch_up = parse_catch_up(&args.catch_up)?;
    let project = match &args.project {
        Some(name) => Some(crate::project_cmd::for_run(store, name)?),
        None => None,
    };
    let mut scope = scope(args, config)?;
    if let Some(project) = &project {
        if args.mode.is_none() {
            scope.mode = project.mode.or(config.mode).unwrap_or_default();
        }
        if scope.model.is_none() {
            scope.model.clone_from(&project.model);
        }
    }
    let derived = default_name(&args.prompt);
    let name = match &args.name {
        Some(name) => {
            cowork_store::check_schedule_name(name)?;
            name.clone()
        }
        None => unique_name(store, &derived)?,
    };
    let mut new = NewSchedule {
        name,
        project: project.as_ref().map(|p| p.id.clone()),
        prompt: args.prompt.clone(),
        state: ScheduleState::new("", recurrence, catch_up, now),
        scope,
    };
    // Another command may take a derived name between the check and the
    // write; a name the person chose is theirs to change.
    let mut attempts = 0;
    let created = loop {
        attempts += 1;
        match store.create_schedule(&new) {
            Ok(created) => break created,
            Err(ScheduleError::NameTaken(_)) if args.name.is_none() && attempts < 5 => {
                new.name = unique_name(store, &derived)?;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let project_name = project.map(|p| p.name);
    if args.json {
        println!(
            "{}",
            view::schedule_json(&created, project_name.as_deref(), now)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{} created schedule {}\n",
        style("✓").green(),
        view::quoted(&created.name)
    );
    out.push_str(&view::details(&created, project_name.as_deref(), now));
    print!("{out}");
    if created.scope.mode == PermissionMode::Ask {
        eprintln!(
            "{} its runs ask before every change, and nobody may be there to answer: such a run \
             waits until you do. --mode auto lets runs act inside their folders; --allow TOOL \
             allows one tool",
            style("!").yellow()
        );
    }
    if !daemon_runs()? {
        eprintln!("{}", no_daemon_line());
    }
    Ok(ExitCode::SUCCESS)
}

fn list(args: &ListArgs, store: &Store) -> Result<ExitCode> {
    let project = match &args.project {
        Some(name) => Some(store.project(name)?.id),
        None => None,
    };
    let schedules = store.list_schedules(project.as_deref())?;
    let now = Timestamp::now();
    if args.json {
        let mut out = String::new();
        for schedule in &schedules {
            let name = view::project_name(store, schedule);
            let mut value = view::schedule_json(schedule, name.as_deref(), now);
            value["last_run"] = view::last_run_json(store, schedule)?;
            out.push_str(&format!("{value}\n"));
        }
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", view::table(store, &schedules, now)?);
    Ok(ExitCode::SUCCESS)
}

fn show(args: &ShowArgs, store: &Store) -> Result<ExitCode> {
    let schedule = store.schedule(&args.name)?;
    let runs = store.schedule_runs(&schedule.id, args.runs)?;
    let project = view::project_name(store, &schedule);
    let now = Timestamp::now();
    if args.json {
        let mut value = view::schedule_json(&schedule, project.as_deref(), now);
        value["runs"] = runs
            .iter()
            .map(|run| view::run_json(store, run))
            .collect::<Result<_>>()?;
        println!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "schedule {} ({})\n",
        view::quoted(&schedule.name),
        schedule.id
    );
    out.push_str(&view::details(&schedule, project.as_deref(), now));
    out.push_str(&view::history(store, &schedule, &runs, args.runs)?);
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn resume(args: &NameArgs, store: &Store) -> Result<ExitCode> {
    let found = store.schedule(&args.name)?;
    let now = Timestamp::now();
    let resumed = store.resume_schedule(&found.id, now)?;
    let schedule = &resumed.schedule;
    let missed: u64 = resumed.missed.iter().map(view::action_count).sum();
    if args.json {
        let project = view::project_name(store, schedule);
        let mut value = view::schedule_json(schedule, project.as_deref(), now);
        value["changed"] = resumed.was_paused.into();
        value["missed_while_paused"] = missed.into();
        println!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    if !resumed.was_paused {
        println!(
            "Schedule {} is not paused; nothing changed.",
            view::quoted(&schedule.name)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let missed = match missed {
        0 => String::new(),
        n => format!(
            "; {} passed while it was paused (recorded as missed, not run)",
            crate::render::plural(n, "due time")
        ),
    };
    println!(
        "{} resumed {}{missed}. Next run: {}",
        style("✓").green(),
        view::quoted(&schedule.name),
        view::next_run_words(schedule, now)
    );
    Ok(ExitCode::SUCCESS)
}

fn run_now(args: &NameArgs, store: &Store) -> Result<ExitCode> {
    let schedule = store.schedule(&args.name)?;
    let run = store.request_schedule_run(&schedule.id)?;
    let daemon = daemon_runs()?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"id": schedule.id, "name": schedule.name, "run": run.id,
                               "requested_at": run.due, "daemon_running": daemon})
        );
        return Ok(ExitCode::SUCCESS);
    }
    let when = if daemon {
        "the daemon starts it within a second"
    } else {
        "no daemon is running, so it starts when `cowork serve` starts"
    };
    println!(
        "{} asked for a run of {} now: {when}. `cowork schedule show {}` shows it.",
        style("✓").green(),
        view::quoted(&schedule.name),
        view::arg(&schedule.name)
    );
    Ok(ExitCode::SUCCESS)
}

fn rm(args: &NameArgs, store: &Store) -> Result<ExitCode> {
    let schedule = store.schedule(&args.name)?;
    let tasks = store
        .schedule_runs(&schedule.id, usize::MAX)?
        .iter()
        .filter(|run| run.task.is_some())
        .count();
    store.delete_schedule(&schedule.id)?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"id": schedule.id, "name": schedule.name, "removed": true,
                               "tasks_kept": tasks})
        );
        return Ok(ExitCode::SUCCESS);
    }
    let kept = match tasks {
        0 => String::new(),
        n => format!(
            "; the {} it ran stay (`cowork tasks`)",
            crate::render::plural(n as u64, "task")
        ),
    };
    println!(
        "{} removed schedule {} and its history{kept}.",
        style("✓").green(),
        view::quoted(&schedule.name)
    );
    Ok(ExitCode::SUCCESS)
}

/// The recurrence `when` names, read in `zone`; an error names the flag
/// at fault.
pub(crate) fn recurrence(when: &WhenArgs, zone: &str, now: Timestamp) -> Result<Recurrence> {
    let (flag, parsed) = match (&when.cron, &when.every, &when.at) {
        (Some(cron), _, _) => ("--cron", Recurrence::cron(cron, zone)),
        (None, Some(every), _) => ("--every", Recurrence::every(every, zone, now)),
        (None, None, Some(at)) => ("--at", Recurrence::at(at, zone, now)),
        (None, None, None) => bail!("say when it runs: --cron, --every or --at"),
    };
    parsed.map_err(|e| match e {
        cowork_scheduler::Error::UnknownZone { .. } => anyhow::anyhow!("--tz: {e}"),
        cowork_scheduler::Error::Cron { .. }
        | cowork_scheduler::Error::Phrase { .. }
        | cowork_scheduler::Error::At { .. }
        | cowork_scheduler::Error::StoredTime { .. }
        | cowork_scheduler::Error::UnknownSchedule { .. }
        | cowork_scheduler::Error::DuplicateSchedule { .. }
        | cowork_scheduler::Error::Interval { .. } => anyhow::anyhow!("{flag}: {e}"),
    })
}

/// `once`, `all`, `all:N` or `skip`.
pub fn parse_catch_up(text: &str) -> Result<CatchUp> {
    let bad = || {
        anyhow::anyhow!(
            "--catch-up {text}: write `once` (one catch-up run), `all` (each missed run, at most \
             {DEFAULT_CATCH_UP_LIMIT}), `all:N` (at most N, N ≥ 1) or `skip`"
        )
    };
    match text.trim().to_lowercase().as_str() {
        "once" => Ok(CatchUp::Once),
        "skip" => Ok(CatchUp::Skip),
        "all" => Ok(CatchUp::All {
            limit: DEFAULT_CATCH_UP_LIMIT,
        }),
        other => match other.strip_prefix("all:").map(str::parse::<u32>) {
            Some(Ok(limit)) if limit > 0 => Ok(CatchUp::All { limit }),
            Some(Ok(_) | Err(_)) | None => Err(bad()),
        },
    }
}

/// The scope every run gets, from the flags, each part checked.
pub fn scope(args: &AddArgs, config: &Config) -> Result<ScheduleScope> {
    let folders = args
        .folders
        .iter()
        .map(|f| crate::run::parse_folder(f))
        .collect::<Result<Vec<_>>>()?;
    let rules = rules(&args.allow, &args.deny)?;
    let connectors = if args.connectors.is_empty() {
        None
    } else {
        Some(known_connectors(&args.connectors)?)
    };
    let provider = match (args.provider, &args.script) {
        (Some(provider), _) => Some(provider),
        (None, Some(_)) => Some(ProviderArg::Script),
        (None, None) => None,
    };
    let script = match (&provider, &args.script) {
        (Some(ProviderArg::Script), None) => {
            bail!("--provider script needs --script FILE.json, the conversation each run replays")
        }
        (_, Some(path)) => {
            let absolute = std::path::absolute(path)
                .with_context(|| format!("--script {}: cannot use this path", path.display()))?;
            if !absolute.is_file() {
                bail!(
                    "--script {}: no such file; give the path of the conversation file",
                    path.display()
                );
            }
            Some(absolute)
        }
        (_, None) => None,
    };
    if let Some(url) = &args.base_url {
        let parsed = reqwest::Url::parse(url).with_context(|| {
            format!("--base-url {url}: not a URL; write e.g. http://localhost:11434/v1")
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!("--base-url {url}: only http:// and https:// URLs reach a model");
        }
    }
    let allow_net = match &args.allow_net {
        Some(spec) => {
            cowork_sandbox::egress::Allowlist::parse(spec)
                .map_err(|e| anyhow::anyhow!("--allow-net {spec}: {e}"))?;
            spec.split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect()
        }
        None => Vec::new(),
    };
    if args.max_turns == Some(0) {
        bail!("--max-turns 0 would stop every run before it starts; give 1 or more");
    }
    if args.timeout == Some(0) {
        bail!("--timeout 0 would stop every run at once; give a number of seconds, 1 or more");
    }
    Ok(ScheduleScope {
        mode: args
            .mode
            .map(PermissionMode::from)
            .or(config.mode)
            .unwrap_or_default(),
        rules,
        folders,
        connectors,
        provider: provider.map(|p| {
            match p {
                ProviderArg::Anthropic => "anthropic",
                ProviderArg::Openai => "openai",
                ProviderArg::Script => "script",
            }
            .to_owned()
        }),
        model: args.model.clone(),
        base_url: args.base_url.clone(),
        script,
        max_turns: args.max_turns,
        timeout_secs: args.timeout,
        unsandboxed: args.sandbox == SandboxArg::None,
        allow_net,
    })
}

/// `--allow` and `--deny` as rules on `tool`, each compiled as a task's
/// rule would be, so a bad pattern is refused now rather than at a run.
pub fn rules(allow: &[String], deny: &[String]) -> Result<Vec<Rule>> {
    let flagged = allow
        .iter()
        .map(|tool| ("--allow", RuleAction::Allow, tool))
        .chain(deny.iter().map(|tool| ("--deny", RuleAction::Deny, tool)));
    let mut rules = Vec::new();
    for (flag, action, tool) in flagged {
        let tool = tool.trim();
        if tool.is_empty() {
            bail!("{flag} needs a tool name, e.g. {flag} Write or {flag} 'mcp__slack__*'");
        }
        let rule = Rule {
            action,
            tool: Some(tool.to_owned()),
            server: None,
            trust_read_only_hint: false,
            effect: None,
            folder: None,
            path: None,
        };
        let policy = cowork_core::Policy::with_task_rules(
            PermissionMode::Ask,
            &[],
            std::slice::from_ref(&rule),
        )
        .map_err(|e| anyhow::anyhow!("{flag} {tool}: {}", e.message))?;
        check_names_a_tool(flag, tool, &policy)?;
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    Ok(rules)
}

/// Refuses a rule on a tool nobody has: a misspelt `--allow Wirte` would
/// match nothing and leave every run asking. A connector's tools
/// (`mcp__…`) are checked when its runs call them.
fn check_names_a_tool(flag: &str, pattern: &str, policy: &cowork_core::Policy) -> Result<()> {
    if pattern.to_lowercase().starts_with("mcp__") {
        return Ok(());
    }
    let names = cowork_core::builtin_tool_names();
    // The rule's own matching decides: one alone makes its tools allowed
    // or denied, and every other tool asked about.
    let matches = |name: &str| {
        policy.decide(name, cowork_protocol::Effect::External, &[], &[])
            != cowork_core::Verdict::Ask
    };
    if names.iter().any(|name| matches(name)) {
        return Ok(());
    }
    let close = cowork_core::close_matches(pattern, names.iter().map(String::as_str));
    let hint = match close.first() {
        Some(name) => format!(" (did you mean {name}?)"),
        None => String::new(),
    };
    bail!(
        "{flag} {pattern}: no tool is named so{hint}; cowork's tools are {}, and a connector's \
         are named mcp__<server>__<tool>",
        names.join(", ")
    )
}

/// The connectors named, each one a task could get today.
pub(crate) fn known_connectors(names: &[String]) -> Result<Vec<String>> {
    let paths = crate::plugin_paths::plugin_paths()?;
    let known: Vec<String> = cowork_plugins::host::Catalog::load(&paths)?
        .servers
        .into_iter()
        .map(|s| s.name)
        .collect();
    let mut wanted = Vec::new();
    for name in names {
        let name = name.trim();
        if !known.iter().any(|k| k == name) {
            let close = cowork_core::close_matches(name, known.iter().map(String::as_str));
            let hint = match (close.is_empty(), known.is_empty()) {
                (false, _) => format!("did you mean {}? ", close.join(", ")),
                (true, true) => "none is configured; ".to_owned(),
                (true, false) => String::new(),
            };
            bail!(
                "--connector {name}: no such connector; {hint}`cowork mcp list` shows them and \
                 `cowork mcp add` adds one"
            );
        }
        if !wanted.iter().any(|w| w == name) {
            wanted.push(name.to_owned());
        }
    }
    Ok(wanted)
}

/// A name from the prompt's first words: its first line, up to
/// [`NAME_WORDS`] words and [`NAME_CHARS`] characters, ending on a word.
pub fn default_name(prompt: &str) -> String {
    let line = prompt.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut name = String::new();
    for word in line.split_whitespace().take(NAME_WORDS) {
        let word: String = word.chars().filter(|c| !c.is_control()).collect();
        let next = if name.is_empty() {
            word
        } else {
            format!("{name} {word}")
        };
        if next.chars().count() > NAME_CHARS {
            if name.is_empty() {
                name = next.chars().take(NAME_CHARS).collect();
            }
            break;
        }
        name = next;
    }
    let name = name
        .trim_start_matches('-')
        .trim_end_matches(|c: char| c.is_ascii_punctuation() && c != ')')
        .trim();
    if name.is_empty() {
        "Schedule".to_owned()
    } else {
        name.to_owned()
    }
}

/// `base`, or `base 2`, `base 3`… : the first no schedule has.
fn unique_name(store: &Store, base: &str) -> Result<String> {
    for n in 1..10_000_u32 {
        let name = if n == 1 {
            base.to_owned()
        } else {
            format!("{base} {n}")
        };
        match store.schedule(&name) {
            Err(ScheduleError::NotFound(_)) => return Ok(name),
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
    }
    bail!("every name from {base:?} is taken; choose one with --name")
}

/// Whether a daemon of this data dir runs (as `cowork run` finds it).
pub(crate) fn daemon_runs() -> Result<bool> {
    let dir = crate::home::data_dir()?;
    Ok(crate::runtime()?
        .block_on(crate::client::Daemon::find(&dir))
        .is_some())
}

fn no_daemon_line() -> String {
    format!(
        "{} no daemon is running: schedules run only while `cowork serve` runs; \
         `cowork serve --install` starts it at login",
        style("!").yellow()
    )
}

#[cfg(test)]
#[path = "schedule_cmd_tests.rs"]
mod tests;
