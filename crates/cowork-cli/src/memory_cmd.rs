//! `cowork memory`: the person sees, adds, edits and deletes what tasks
//! remember. Deleting is permanent and leaves no copy in the database,
//! so it is confirmed unless `--yes` says so.

use std::fmt::Write as _;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use console::style;

use cowork_protocol::MemoryScope;
use cowork_store::{MemoryEntry, MemoryFilter, Removal, Store};

use crate::render::first_line;
use crate::safe;
use crate::tasks::local_time;

#[derive(Debug, Subcommand)]
pub enum MemoryCommand {
    /// List memory entries, most recently changed first.
    List(ListArgs),
    /// Print one entry in full.
    Show(ShowArgs),
    /// Remember something yourself, for every task (or one project's).
    Add(AddArgs),
    /// Change an entry's text: with --content, or in $VISUAL / $EDITOR.
    Edit(EditArgs),
    /// Delete an entry for good: no copy stays in cowork's database.
    Rm(RmArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this project's entries (with --global: and the global ones).
    #[arg(long, value_name = "P")]
    pub project: Option<String>,
    /// Only the global entries (with --project: and that project's).
    #[arg(long)]
    pub global: bool,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The entry's id, or a unique prefix of it.
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// What to remember: one fact or preference.
    pub text: String,
    /// For this project's tasks only (default: every task).
    #[arg(long, value_name = "P")]
    pub project: Option<String>,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The entry's id, or a unique prefix of it.
    pub id: String,
    /// The new text; without it the entry opens in $VISUAL or $EDITOR.
    #[arg(long, value_name = "TEXT")]
    pub content: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// The entry's id, or a unique prefix of it.
    pub id: String,
    /// Delete without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn memory(command: MemoryCommand, store: &Store) -> Result<ExitCode> {
    match command {
        MemoryCommand::List(args) => list(&args, store),
        MemoryCommand::Show(args) => show(&args, store),
        MemoryCommand::Add(args) => add(&args, store),
        MemoryCommand::Edit(args) => edit(&args, store),
        MemoryCommand::Rm(args) => rm(&args, store),
    }
}

/// The id memory keeps for the project a person names (by name or id).
fn project_key(store: &Store, name: &Option<String>) -> Result<Option<String>> {
    match name {
        Some(name) => Ok(Some(store.project(name)?.id)),
        None => Ok(None),
    }
}

fn list(args: &ListArgs, store: &Store) -> Result<ExitCode> {
    let filter = match (project_key(store, &args.project)?, args.global) {
        (None, false) => MemoryFilter::All,
        (None, true) => MemoryFilter::Global,
        (Some(project), false) => MemoryFilter::Project(project),
        (Some(project), true) => MemoryFilter::ProjectAndGlobal(project),
    };
    let entries = store.list_memory(&filter)?;
    let mut out = String::new();
    if args.json {
        for entry in &entries {
            let _ = writeln!(out, "{}", entry_json(store, entry));
        }
    } else if entries.is_empty() {
        out.push_str(
            "No memory entries. Tasks remember with their Memory tool; add one yourself with: \
             cowork memory add \"TEXT\"\n",
        );
    } else {
        let _ = writeln!(
            out,
            "{:<12}  {:<16}  {:<16}  CONTENT",
            "ID", "SCOPE", "UPDATED"
        );
        for entry in &entries {
            let _ = writeln!(
                out,
                "{:<12}  {:<16}  {:<16}  {}",
                entry.id,
                safe::line(&scope_words(store, &entry.scope)),
                local_time(entry.updated_at),
                first_line(&entry.content, 60)
            );
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn show(args: &ShowArgs, store: &Store) -> Result<ExitCode> {
    let entry = store.memory(&args.id)?;
    if args.json {
        println!("{}", entry_json(store, &entry));
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(out, "memory  {}", entry.id);
    let _ = writeln!(
        out,
        "scope:   {}",
        safe::line(&scope_words(store, &entry.scope))
    );
    let made_by = match &entry.task {
        Some(task) => format!("task {}", task.short()),
        None => "you".to_owned(),
    };
    let _ = writeln!(
        out,
        "made:    {} by {made_by}",
        local_time(entry.created_at)
    );
    if entry.updated_at != entry.created_at {
        let _ = writeln!(out, "edited:  {}", local_time(entry.updated_at));
    }
    let _ = writeln!(out, "\n{}", safe::text(&entry.content));
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn add(args: &AddArgs, store: &Store) -> Result<ExitCode> {
    let scope = match project_key(store, &args.project)? {
        Some(project) => MemoryScope::Project(project),
        None => MemoryScope::Global,
    };
    let entry = store.remember(&scope, &args.text, None)?;
    println!(
        "{} remembered {} ({})",
        style("✓").green(),
        entry.id,
        safe::line(&scope_words(store, &entry.scope))
    );
    Ok(ExitCode::SUCCESS)
}

fn edit(args: &EditArgs, store: &Store) -> Result<ExitCode> {
    let entry = store.memory(&args.id)?;
    let content = match &args.content {
        Some(content) => content.clone(),
        None => in_editor(&entry)?,
    };
    if content.trim() == entry.content {
        println!("{} unchanged; nothing written", entry.id);
        return Ok(ExitCode::SUCCESS);
    }
    if content.trim().is_empty() {
        bail!(
            "the new text of {} is empty; to delete the entry run: cowork memory rm {}",
            entry.id,
            entry.id
        );
    }
    let removal = store.edit_memory(&entry.id, &content)?;
    println!("{} edited {}", style("✓").green(), entry.id);
    warn_if_kept(&removal, "old text");
    Ok(ExitCode::SUCCESS)
}

fn rm(args: &RmArgs, store: &Store) -> Result<ExitCode> {
    let entry = store.memory(&args.id)?;
    if !args.yes {
        eprint!(
            "Delete memory entry {} ({}) for good? It cannot be undone.\n  {}\nType yes to \
             confirm: ",
            entry.id,
            safe::line(&scope_words(store, &entry.scope)),
            first_line(&entry.content, 70)
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if answer.trim() != "yes" {
            eprintln!("Not deleted.");
            return Ok(ExitCode::FAILURE);
        }
    }
    let removal = store.forget(&entry.id, &MemoryFilter::All)?;
    let logs = match removal.scrubbed_events {
        0 => String::new(),
        n => format!("; its text was removed from {n} task log events that quoted it"),
    };
    println!("{} deleted {}{logs}", style("✓").green(), entry.id);
    warn_if_kept(&removal, "text");
    Ok(ExitCode::SUCCESS)
}

/// Never a silent success: says so when the WAL could not be emptied.
fn warn_if_kept(removal: &Removal, what: &str) {
    if !removal.wal_cleared {
        eprintln!(
            "{} another cowork process is reading the database, so its {what} stays in the \
             database's write-ahead log (cowork.db-wal) until that process ends or the log is \
             next checkpointed",
            style("!").yellow()
        );
    }
}

/// "global", or "project NAME" (its id when it can no longer be read).
fn scope_words(store: &Store, scope: &MemoryScope) -> String {
    match scope {
        MemoryScope::Global => "global".to_owned(),
        MemoryScope::Project(id) => match store.project(id) {
            Ok(project) => format!("project {}", project.name),
            Err(_) => format!("project {id}"),
        },
    }
}

fn entry_json(store: &Store, entry: &MemoryEntry) -> serde_json::Value {
    let (scope, project) = match &entry.scope {
        MemoryScope::Global => ("global", None),
        MemoryScope::Project(id) => ("project", Some(id)),
    };
    let project_name = project
        .and_then(|id| store.project(id).ok())
        .map(|p| p.name);
    serde_json::json!({
        "id": entry.id,
        "scope": scope,
        "project": project,
        "project_name": project_name,
        "content": entry.content,
        "task": entry.task,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
    })
}

/// The entry's text after the person edited it in `$VISUAL` or `$EDITOR`
/// (run through the shell, so `code --wait` works), from a private temp
/// file that is removed afterwards.
fn in_editor(entry: &MemoryEntry) -> Result<String> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|e| !e.is_empty())
        .context("no editor: set EDITOR (or VISUAL), or give the text with --content TEXT")?;
    let file = TempText::create(&entry.id, &entry.content)?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("$COWORK_EDITOR \"$1\"")
        .arg("sh")
        .arg(file.path())
        .env("COWORK_EDITOR", &editor)
        .status()
        .with_context(|| format!("could not start the editor {}", editor.to_string_lossy()))?;
    if !status.success() {
        bail!("the editor exited with {status}; the entry was not changed");
    }
    std::fs::read_to_string(file.path())
        .with_context(|| format!("could not read back {}", file.path().display()))
}

/// A file only the user can read, removed when dropped: memory may be
/// private.
struct TempText(PathBuf);

impl TempText {
    fn create(id: &str, content: &str) -> Result<Self> {
        let path =
            std::env::temp_dir().join(format!("cowork-memory-{id}-{}.txt", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .with_context(|| format!("could not create {}", path.display()))?;
        let text = format!("{content}\n");
        file.write_all(text.as_bytes())
            .with_context(|| format!("could not write {}", path.display()))?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempText {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
