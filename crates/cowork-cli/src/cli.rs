//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// cowork: an open, local-first agent for knowledge work on your folders.
#[derive(Debug, Parser)]
#[command(name = "cowork", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a task: the model works on the connected folders until done.
    Run(RunArgs),
    /// List tasks, newest first.
    Tasks(TasksArgs),
    /// Replay a task's transcript.
    Show(ShowArgs),
    /// Write a task to one file to share it: a self-contained HTML page
    /// (default), Markdown or JSON, with its files and secrets redacted.
    Export(ExportArgs),
    /// Continue a task that was interrupted, failed or cancelled.
    Resume(ResumeArgs),
    /// Follow a task the daemon runs (`cowork serve`) until it ends.
    Attach(AttachArgs),
    /// Continue a finished task with another message, in the same
    /// transcript, and follow it.
    Reply(ReplyArgs),
    /// Run one command in cowork's sandbox, with the command's exit code.
    Exec(ExecArgs),
    /// Restore every file a task touched to its state before the task.
    Undo(UndoArgs),
    /// What cowork moved to its trash: list, restore, or empty it.
    #[command(subcommand)]
    Trash(TrashCommand),
    /// Drop change journals older than the configured age.
    Gc(GcArgs),
    /// Check the setup and explain what is missing.
    Doctor(DoctorArgs),
    /// Produce documents from specs (XLSX, CSV, DOCX, PPTX, PDF, PNG, SVG)
    /// and read documents as Markdown, without a task.
    #[command(subcommand)]
    Docs(DocsCommand),
    /// Run the daemon: tasks in the background, the web UI and the API on
    /// 127.0.0.1, behind a token.
    Serve(ServeArgs),
    /// Plugins (skills, commands, agents, hooks, connectors) and the
    /// marketplaces they come from.
    #[command(subcommand)]
    Plugin(crate::cli_plugins::PluginCommand),
    /// Connectors: MCP servers tasks can use.
    #[command(subcommand)]
    Mcp(crate::cli_plugins::McpCommand),
    /// Projects: folders, links, files, instructions and defaults that
    /// every task started in the project gets.
    #[command(subcommand)]
    Project(crate::cli_projects::ProjectCommand),
    /// Trust a connected folder, so tasks follow its own instructions
    /// (COWORK.md, CLAUDE.md, AGENTS.md) and use its skills
    /// (.claude/skills), or stop that with `--revoke`. At a terminal,
    /// `cowork run` asks once per folder.
    Trust(crate::cli_plugins::TrustFolderArgs),
    /// What tasks remember: list, show, add, edit or delete entries.
    #[command(subcommand)]
    Memory(crate::memory_cmd::MemoryCommand),
    /// Scheduled tasks: a prompt the daemon runs on a recurrence (cron,
    /// plain words or once), with its own permissions, folders and
    /// connectors; missed runs are never silent.
    #[command(subcommand)]
    Schedule(crate::cli_schedules::ScheduleCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = cowork_server::DEFAULT_PORT, value_name = "N")]
    pub port: u16,
    /// Listen on this address instead of 127.0.0.1. Anyone on that network
    /// who gets the token can act as you.
    #[arg(long, value_name = "ADDRESS")]
    pub host: Option<std::net::IpAddr>,
    /// Open the web UI in the browser once the daemon listens.
    #[arg(long, conflicts_with_all = ["install", "uninstall", "link"])]
    pub open: bool,
    /// Run at most this many tasks at once (one waiting for your answer
    /// does not count); more wait in a queue.
    #[arg(long, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub max_tasks: u32,
    /// Print the running daemon's sign-in link and exit.
    #[arg(long, conflicts_with_all = ["install", "uninstall"])]
    pub link: bool,
    /// Install the daemon as a systemd user service (started at login,
    /// restarted on failure) with these options, and start it.
    #[arg(long, conflicts_with = "uninstall")]
    pub install: bool,
    /// Stop the systemd user service and remove it.
    #[arg(long)]
    pub uninstall: bool,
    /// Where the unit file goes (default: ~/.config/systemd/user).
    /// COWORK_SYSTEMCTL names the systemctl to run (default: systemctl).
    #[arg(long, value_name = "DIR")]
    pub unit_dir: Option<PathBuf>,
    /// With --install or --uninstall: print what would be written and run,
    /// and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum DocsCommand {
    /// Render a JSON spec, or Markdown notes (to .docx, .pdf or .pptx), to
    /// the format of OUT's extension.
    Render(RenderArgs),
    /// Print a document (.xlsx .xls .ods .csv .docx .pptx .pdf) as Markdown.
    Read(ReadDocArgs),
    /// Print the JSON schema of a spec: xlsx, docx, pptx, pdf or chart.
    Schema(SchemaArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// SPEC.json, or NOTES.md for a .docx, .pdf or .pptx.
    pub input: std::path::PathBuf,
    /// The file to write; its extension picks the format.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: std::path::PathBuf,
    /// Title (Markdown input only; default: the first `#` heading).
    #[arg(long)]
    pub title: Option<String>,
    /// Start with a title page (Markdown input only).
    #[arg(long)]
    pub title_page: bool,
    /// Add a table of contents (Markdown input only).
    #[arg(long)]
    pub toc: bool,
}

#[derive(Debug, Args)]
pub struct ReadDocArgs {
    /// The document.
    pub file: std::path::PathBuf,
    /// Rows shown per sheet.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub max_rows: usize,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// xlsx, docx, pptx, pdf or chart.
    #[arg(value_enum)]
    pub kind: SchemaKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Xlsx,
    Docx,
    Pptx,
    Pdf,
    Chart,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// A folder the command may use: PATH (read-write) or PATH:ro.
    #[arg(long = "folder", short = 'f', value_name = "PATH[:ro]")]
    pub folders: Vec<String>,
    /// Stop the command (and everything it started) after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// The largest file the command (and everything it starts) may write,
    /// in MiB; a write beyond it fails ("File too large").
    #[arg(long, value_name = "MB", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_file_size: u64,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The task's id, a unique prefix of it, or `last`.
    pub id: String,
    /// Show what would be restored, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Restore even files changed after the task; their current versions
    /// go to the trash first.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum TrashCommand {
    /// List what is in the trash, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Put an entry back where it was (or at --to).
    Restore {
        /// The entry's id (or a unique prefix), from `cowork trash list`.
        id: String,
        #[arg(long, value_name = "PATH")]
        to: Option<std::path::PathBuf>,
    },
    /// Delete the trash's entries permanently, after you confirm.
    Empty {
        /// Only entries trashed more than this many days ago.
        #[arg(long, value_name = "DAYS")]
        older_than: Option<u32>,
    },
}

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Drop journals of tasks older than this many days (default: the
    /// configuration's journal_max_age_days, else 30).
    #[arg(long, value_name = "DAYS")]
    pub older_than: Option<u32>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// What to do, in plain words.
    pub prompt: String,
    /// A folder the task may use: PATH (read-write) or PATH:ro (read-only).
    /// Repeat for several; relative paths in the task resolve against the
    /// first.
    #[arg(long = "folder", short = 'f', value_name = "PATH[:ro]")]
    pub folders: Vec<String>,
    /// Start the task in this project: its folders, files, instructions
    /// and default mode and model come with it.
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// How much the task may do without asking: `ask` (the default) asks
    /// before every change, `auto` acts inside the connected folders, `plan`
    /// only reads and proposes.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Allow everything that would ask (deny rules still apply).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Stop after this many model turns.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_turns: u32,
    /// Stop once the task has used this many tokens (input + output).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub front: FrontArgs,
    /// Submit the task to the daemon, print its id and return; it runs
    /// on (follow it with `cowork attach ID`).
    #[arg(long, conflicts_with = "local")]
    pub detach: bool,
}

/// Where a task runs.
#[derive(Debug, Args)]
pub struct FrontArgs {
    /// Run the task in this process even when a daemon (`cowork serve`)
    /// runs: it then stops when this command does.
    #[arg(long)]
    pub local: bool,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The task's id, a unique prefix of it, or `last`.
    pub id: String,
    /// Show only the events after this one (its seq); default: all.
    #[arg(long, value_name = "SEQ")]
    pub after: Option<u64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ReplyArgs {
    /// The task's id, a unique prefix of it, or `last`.
    pub id: String,
    /// The message, in plain words.
    pub text: String,
    /// Allow everything that would ask (deny rules still apply). Only
    /// without a daemon: the daemon's task keeps the approvals it had.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub front: FrontArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// The model provider. Default: script when --script is given, else
    /// anthropic when ANTHROPIC_API_KEY is set, else openai when
    /// --base-url, OPENAI_BASE_URL or OPENAI_API_KEY is set.
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// The model's name (e.g. claude-sonnet-4-6, gpt-4.1, qwen2.5:7b).
    #[arg(long, short = 'm')]
    pub model: Option<String>,
    /// The provider's base URL, e.g. http://localhost:11434/v1 for Ollama.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The script to replay with the script provider.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    Anthropic,
    Openai,
    Script,
}

/// How commands (`Bash`, `cowork exec`) run.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// `auto` (the default) runs commands in cowork's sandbox and refuses to
    /// run them where it is unavailable; `none` runs them WITHOUT isolation,
    /// with your user's full access and no undo for what they change.
    #[arg(long, value_enum, default_value_t = SandboxArg::Auto)]
    pub sandbox: SandboxArg,
    /// Let commands reach these domains over HTTP and HTTPS (ports 80 and
    /// 443), through cowork's proxy: e.g. `pypi.org,*.pythonhosted.org`.
    /// Everything else stays unreachable, and so do names that resolve to
    /// this machine or to private and other special-purpose addresses.
    /// Add a CIDR range (`intranet.example,10.0.0.0/8`) to let the listed
    /// domains lead into that private network; a range allows no IP
    /// address by itself.
    #[arg(long = "allow-net", value_name = "DOMAINS")]
    pub allow_net: Option<String>,
}

impl SandboxArgs {
    /// The network commands get: none, or the parsed allowlist.
    pub fn network(&self) -> anyhow::Result<cowork_sandbox::Network> {
        match &self.allow_net {
            None => Ok(cowork_sandbox::Network::None),
            Some(spec) => {
                let allowlist = cowork_sandbox::egress::Allowlist::parse(spec)
                    .map_err(|e| crate::setup::SetupError(format!("--allow-net: {e}")))?;
                Ok(cowork_sandbox::Network::Allow(cowork_sandbox::Egress::new(
                    allowlist,
                )))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SandboxArg {
    Auto,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Ask,
    Auto,
    Plan,
}

impl From<ModeArg> for cowork_protocol::PermissionMode {
    fn from(mode: ModeArg) -> Self {
        match mode {
            ModeArg::Ask => Self::Ask,
            ModeArg::Auto => Self::Auto,
            ModeArg::Plan => Self::Plan,
        }
    }
}

#[derive(Debug, Clone, Copy, Args)]
pub struct OutputArgs {
    /// Print events as JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TasksArgs {
    /// How many tasks to list.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The task's id, a unique prefix of it, or `last`.
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The task's id, a unique prefix of it, or `last`.
    pub id: String,
    /// The file to write, or `-` for standard output. An existing file is
    /// replaced only with --force.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// The format; by default the file's extension (.html, .md, .json)
    /// decides, and anything else is HTML.
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Html,
    Md,
    Json,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The task's id, a unique prefix of it, or `last`.
    pub id: String,
    /// Allow everything that would ask (deny rules still apply).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[arg(long)]
    pub json: bool,
}
