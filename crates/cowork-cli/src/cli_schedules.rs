//! Arguments of `cowork schedule …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::{ModeArg, ProviderArg, SandboxArg};

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Create a schedule: a prompt the daemon (`cowork serve`) runs on a
    /// recurrence, with the permissions, folders and connectors every run
    /// gets. Missed runs follow --catch-up and are always recorded.
    Add(Box<AddArgs>),
    /// List schedules with their next run, scope and last run.
    List(ListArgs),
    /// A schedule's settings and its history: every run and every missed
    /// due time.
    Show(ShowArgs),
    /// Pause a schedule: nothing runs; due times passing meanwhile are
    /// recorded as missed.
    Pause(NameArgs),
    /// Resume a paused schedule from its next due time; the ones that
    /// passed while paused stay recorded as missed, never run.
    Resume(NameArgs),
    /// Ask for one run now, outside the recurrence (also when paused).
    RunNow(NameArgs),
    /// Remove a schedule and its history; the tasks it ran stay.
    Rm(NameArgs),
    /// Change a schedule: prompt, recurrence, zone, catch-up, mode, rules,
    /// folders, connectors or model. Its history stays.
    Edit(Box<EditArgs>),
}

/// When a schedule runs: exactly one of the three forms.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct WhenArgs {
    /// A cron expression: minute hour day-of-month month day-of-week,
    /// e.g. "0 9 * * 1-5" (weekdays at 9:00).
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// Plain words: "every 15 minutes", "daily at 9:00", "weekdays at
    /// 9am", "every monday at 8:30", "the 1st of each month at 9:00".
    #[arg(long, value_name = "PHRASE")]
    pub every: Option<String>,
    /// Once, at this wall-clock time: "2026-12-24 08:00".
    #[arg(long, value_name = "YYYY-MM-DD HH:MM")]
    pub at: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// What each run does, in plain words.
    pub prompt: String,
    /// The schedule's name (default: the prompt's first words).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Run in this project: its folders, instructions, files and memory
    /// come with every run; its mode and model are the defaults.
    #[arg(long, value_name = "P")]
    pub project: Option<String>,
    #[command(flatten)]
    pub when: WhenArgs,
    /// The IANA time zone the times are read in, e.g. Europe/Berlin
    /// (default: this machine's).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// What to do about runs missed while the daemon was down or the
    /// machine asleep: `once` (one catch-up run), `all` (each, at most 10;
    /// `all:N` for another limit) or `skip`. Every missed due time is
    /// recorded either way.
    #[arg(long, value_name = "POLICY", default_value = "once")]
    pub catch_up: String,
    /// A folder every run may use: PATH (read-write) or PATH:ro; again for
    /// more.
    #[arg(long = "folder", short = 'f', value_name = "PATH[:ro]")]
    pub folders: Vec<String>,
    /// How much a run may do without asking (nobody may be there to
    /// answer): `ask`, `auto` (acts inside its folders) or `plan`.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// A tool every run may use without asking, e.g. Write or mcp__slack__*;
    /// again for more. Deny rules (yours and the configuration's) win.
    #[arg(long = "allow", value_name = "TOOL")]
    pub allow: Vec<String>,
    /// A tool no run may use; again for more.
    #[arg(long = "deny", value_name = "TOOL")]
    pub deny: Vec<String>,
    /// A connector (as `cowork mcp list` names it) the runs get; again
    /// for more. Default: every connector.
    #[arg(long = "connector", value_name = "NAME")]
    pub connectors: Vec<String>,
    /// The model provider (default: the daemon's).
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// The model (default: the project's, else the daemon's).
    #[arg(long, short = 'm')]
    pub model: Option<String>,
    /// The provider's base URL.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The script the script provider replays.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Stop each run after this many model turns.
    #[arg(long, value_name = "N")]
    pub max_turns: Option<u32>,
    /// Stop each run after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// `auto` runs commands in cowork's sandbox; `none` runs them without
    /// isolation.
    #[arg(long, value_enum, default_value_t = SandboxArg::Auto)]
    pub sandbox: SandboxArg,
    /// Domains commands may reach over HTTP(S), as `cowork run --allow-net`.
    #[arg(long = "allow-net", value_name = "DOMAINS")]
    pub allow_net: Option<String>,
    /// Print the schedule as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this project's schedules.
    #[arg(long, value_name = "P")]
    pub project: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The schedule's name (any case) or id.
    pub name: String,
    /// How many history entries to show, newest first.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub runs: usize,
    /// As one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NameArgs {
    /// The schedule's name (any case) or id.
    pub name: String,
    /// Say what happened as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// A new recurrence for `edit`: at most one of the three forms.
#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
pub struct NewWhenArgs {
    /// A new cron expression.
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// A new recurrence in plain words.
    #[arg(long, value_name = "PHRASE")]
    pub every: Option<String>,
    /// A new one-shot time.
    #[arg(long, value_name = "YYYY-MM-DD HH:MM")]
    pub at: Option<String>,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The schedule's name (any case) or id.
    pub name: String,
    /// A new name.
    #[arg(long, value_name = "NAME")]
    pub rename: Option<String>,
    /// A new prompt.
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,
    #[command(flatten)]
    pub when: NewWhenArgs,
    /// A new time zone; alone, the same recurrence is read on that clock.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// A new catch-up policy: once, all, all:N or skip.
    #[arg(long, value_name = "POLICY")]
    pub catch_up: Option<String>,
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Also allow this tool without asking; again for more.
    #[arg(long = "allow", value_name = "TOOL")]
    pub allow: Vec<String>,
    /// Also deny this tool; again for more.
    #[arg(long = "deny", value_name = "TOOL")]
    pub deny: Vec<String>,
    /// Drop the schedule's rules on this tool (as `show` lists it),
    /// including an "allow for every run" answer; again for more.
    #[arg(long = "remove-rule", value_name = "TOOL")]
    pub remove_rules: Vec<String>,
    #[arg(long = "add-folder", value_name = "PATH[:ro]")]
    pub add_folders: Vec<String>,
    /// A folder to stop connecting (as `show` lists it).
    #[arg(long = "remove-folder", value_name = "PATH")]
    pub remove_folders: Vec<PathBuf>,
    /// The connectors runs get from now on (replacing the list); again
    /// for more.
    #[arg(
        long = "connector",
        value_name = "NAME",
        conflicts_with = "all_connectors"
    )]
    pub connectors: Vec<String>,
    /// Give runs every connector again.
    #[arg(long)]
    pub all_connectors: bool,
    #[arg(long, short = 'm', conflicts_with = "no_model")]
    pub model: Option<String>,
    /// Forget the model: runs use the project's, else the daemon's.
    #[arg(long)]
    pub no_model: bool,
    /// Print the schedule as one JSON object.
    #[arg(long)]
    pub json: bool,
}
