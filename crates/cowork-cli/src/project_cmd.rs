//! `cowork project …`: projects from the terminal. A project's settings
//! live in the store; its files in its own folder of the data dir, which
//! its tasks read like a read-only connected folder.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::json;

use cowork_protocol::FolderGrant;
use cowork_store::{NewProject, Project, Store};

use crate::cli_projects::{ArchiveArgs, CreateArgs, EditArgs, ListArgs, ProjectCommand, ShowArgs};

/// How many of a project's tasks `show` lists.
const SHOWN_TASKS: usize = 10;

pub fn project(command: ProjectCommand, store: &Store) -> Result<ExitCode> {
    match command {
        ProjectCommand::Create(args) => create(args, store),
        ProjectCommand::List(args) => list(&args, store),
        ProjectCommand::Show(args) => show(&args, store),
        ProjectCommand::Edit(args) => edit(args, store),
        ProjectCommand::Archive(args) => archive(&args, store),
    }
}

fn create(args: CreateArgs, store: &Store) -> Result<ExitCode> {
    let folders = args
        .folders
        .iter()
        .map(|f| crate::run::parse_folder(f))
        .collect::<Result<Vec<_>>>()?;
    let links = args
        .links
        .iter()
        .map(|l| check_link(l))
        .collect::<Result<Vec<_>>>()?;
    let instructions = instructions(args.instructions, args.instructions_file.as_deref())?;
    // Checked before anything is recorded: a project half made is worse
    // than none.
    for file in &args.files {
        source_file(file)?;
    }
    let project = store.create_project(&NewProject {
        name: args.name,
        instructions: instructions.unwrap_or_default(),
        folders,
        links,
        mode: args.mode.map(Into::into),
        model: args.model,
    })?;
    let dir = files_dir(&project)?;
    for file in &args.files {
        add_file(&dir, file)?;
    }
    println!(
        "Created project {} ({}). Start a task in it with: cowork run --project {:?} \"…\"",
        project.name, project.id, project.name
    );
    Ok(ExitCode::SUCCESS)
}

fn list(args: &ListArgs, store: &Store) -> Result<ExitCode> {
    let projects = store.list_projects(args.all)?;
    let mut out = String::new();
    if args.json {
        for project in &projects {
            let _ = writeln!(out, "{}", project_json(project, &files_of(project)?));
        }
    } else if projects.is_empty() {
        out.push_str(
            "No projects yet. Create one with: cowork project create NAME --folder DIR \
             --instructions \"…\"\n",
        );
    } else {
        let _ = writeln!(
            out,
            "{:<24}  {:>7}  {:>5}  FOLDERS",
            "NAME", "FOLDERS", "FILES"
        );
        for project in &projects {
            let archived = if project.archived_at.is_some() {
                "  (archived)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{:<24}  {:>7}  {:>5}  {}{archived}",
                project.name,
                project.folders.len(),
                files_of(project)?.len(),
                project
                    .folders
                    .iter()
                    .map(|f| f.path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn show(args: &ShowArgs, store: &Store) -> Result<ExitCode> {
    let project = store.project(&args.name)?;
    let files = files_of(&project)?;
    let tasks = store.project_tasks(&project.id, SHOWN_TASKS)?;
    if args.json {
        let mut value = project_json(&project, &files);
        value["tasks"] = tasks
            .iter()
            .map(|t| json!({"id": t.id.as_str(), "status": t.status.as_str(), "prompt": t.prompt}))
            .collect();
        println!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", project.name, project.id);
    if project.archived_at.is_some() {
        out.push_str("Archived: takes no new tasks.\n");
    }
    let _ = writeln!(
        out,
        "Mode: {}   Model: {}",
        project.mode.map_or("(the default)", |m| m.as_str()),
        project.model.as_deref().unwrap_or("(the default)")
    );
    out.push_str("Folders:\n");
    if project.folders.is_empty() {
        out.push_str("  (none)\n");
    }
    for folder in &project.folders {
        let access = if folder.read_only {
            "read-only"
        } else {
            "read-write"
        };
        let _ = writeln!(out, "  {} ({access})", folder.path.display());
    }
    if !project.links.is_empty() {
        out.push_str("Links:\n");
        for link in &project.links {
            let _ = writeln!(out, "  {link}");
        }
    }
    let _ = writeln!(out, "Files ({}):", files.len());
    for (name, size) in &files {
        let _ = writeln!(out, "  {name} ({size} bytes)");
    }
    out.push_str("Instructions:\n");
    if project.instructions.trim().is_empty() {
        out.push_str("  (none)\n");
    }
    for line in project.instructions.lines() {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "Tasks (latest {SHOWN_TASKS}):");
    if tasks.is_empty() {
        out.push_str("  (none)\n");
    }
    for task in &tasks {
        let _ = writeln!(
            out,
            "  {}  {:<10}  {}",
            task.id.short(),
            task.status.as_str(),
            task.prompt.lines().next().unwrap_or("")
        );
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn edit(args: EditArgs, store: &Store) -> Result<ExitCode> {
    let mut project = store.project(&args.name)?;
    // Every input is checked before anything changes.
    let added = args
        .add_folders
        .iter()
        .map(|f| crate::run::parse_folder(f))
        .collect::<Result<Vec<_>>>()?;
    let links = args
        .add_links
        .iter()
        .map(|l| check_link(l))
        .collect::<Result<Vec<_>>>()?;
    for file in &args.add_files {
        source_file(file)?;
    }
    let dir = files_dir(&project)?;
    let files = files_of(&project)?;
    for name in &args.remove_files {
        if !files.iter().any(|(n, _)| n == name) {
            bail!(
                "project {} has no file named {name:?}; `cowork project show {:?}` lists them",
                project.name,
                project.name
            );
        }
    }
    for path in &args.remove_folders {
        let wanted = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let before = project.folders.len();
        project
            .folders
            .retain(|f| f.path != wanted && f.path != *path);
        if project.folders.len() == before {
            bail!(
                "project {} does not connect {}",
                project.name,
                path.display()
            );
        }
    }
    for link in &args.remove_links {
        let before = project.links.len();
        project.links.retain(|l| l != link);
        if project.links.len() == before {
            bail!("project {} has no link {link}", project.name);
        }
    }
    for grant in added {
        project.folders.retain(|f| f.path != grant.path);
        project.folders.push(grant);
    }
    for link in links {
        if !project.links.contains(&link) {
            project.links.push(link);
        }
    }
    if let Some(text) = instructions(args.instructions, args.instructions_file.as_deref())? {
        project.instructions = text;
    }
    if let Some(name) = args.rename {
        project.name = name;
    }
    if args.no_mode {
        project.mode = None;
    } else if let Some(mode) = args.mode {
        project.mode = Some(mode.into());
    }
    if args.no_model {
        project.model = None;
    } else if let Some(model) = args.model {
        project.model = Some(model);
    }
    let project = store.update_project(&project)?;
    for file in &args.add_files {
        add_file(&dir, file)?;
    }
    for name in &args.remove_files {
        remove_file(&project, &dir, name)?;
    }
    println!("Updated project {}.", project.name);
    Ok(ExitCode::SUCCESS)
}

fn archive(args: &ArchiveArgs, store: &Store) -> Result<ExitCode> {
    let mut project = store.project(&args.name)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    project.archived_at = if args.undo { None } else { Some(now) };
    let project = store.update_project(&project)?;
    if args.undo {
        println!("Project {} is active again.", project.name);
    } else {
        println!(
            "Archived project {}: its tasks, files and memory are kept; `cowork project archive {:?} --undo` brings it back.",
            project.name, project.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The grants, mode and model a task in `project` starts with, for `cowork
/// run --project`: the project's folders after the ones given on the
/// command line (the first folder is where relative paths resolve).
pub fn for_run(store: &Store, name: &str) -> Result<Project> {
    let project = store.project(name)?;
    if project.archived_at.is_some() {
        bail!(cowork_store::ProjectError::Archived(project.name));
    }
    Ok(project)
}

/// Merges `project`'s folders into `grants` (those given on the command
/// line first; one given there wins over the project's grant of the same
/// folder).
pub fn merge_folders(grants: &mut Vec<FolderGrant>, project: &Project) {
    for folder in &project.folders {
        if !grants.iter().any(|g| g.path == folder.path) {
            grants.push(folder.clone());
        }
    }
}

fn instructions(text: Option<String>, file: Option<&Path>) -> Result<Option<String>> {
    match (text, file) {
        (Some(text), _) => Ok(Some(text)),
        (None, Some(file)) => std::fs::read_to_string(file)
            .map(Some)
            .with_context(|| format!("--instructions-file: cannot read {}", file.display())),
        (None, None) => Ok(None),
    }
}

fn check_link(link: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(link)
        .with_context(|| format!("--link {link}: not a URL (it needs http:// or https://)"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("--link {link}: only http and https links are kept");
    }
    Ok(parsed.to_string())
}

fn files_dir(project: &Project) -> Result<PathBuf> {
    Ok(crate::config::own_paths()?.project_files(&project.id))
}

/// A file to copy into a project: a regular file, by a name it can keep.
fn source_file(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("--file {}: cannot read it", path.display()))?;
    if !meta.is_file() {
        bail!(
            "--file {}: not a file (copy the files of a folder one by one, or connect the folder with --folder)",
            path.display()
        );
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        bail!(
            "--file {}: its name is not valid UTF-8; rename it first",
            path.display()
        );
    };
    Ok(name.to_owned())
}

/// Copies `source` into the project's files, atomically (a temporary
/// file renamed into place), refusing to replace a file of the same name.
fn add_file(dir: &Path, source: &Path) -> Result<()> {
    let name = source_file(source)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let target = dir.join(&name);
    if target.exists() {
        bail!(
            "the project has a file named {name:?} already; remove it first with --remove-file {name:?}"
        );
    }
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let mut input =
        std::fs::File::open(source).with_context(|| format!("cannot read {}", source.display()))?;
    std::io::copy(&mut input, &mut temp)
        .with_context(|| format!("cannot copy {}", source.display()))?;
    temp.as_file_mut().flush()?;
    temp.as_file().sync_all()?;
    temp.persist_noclobber(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot keep {name} in the project"))?;
    Ok(())
}

/// Moves a project file out of the tasks' sight into the project's
/// `removed` folder, from which the person can take it back.
fn remove_file(project: &Project, dir: &Path, name: &str) -> Result<()> {
    let removed = dir
        .parent()
        .map_or_else(|| dir.join("removed"), |p| p.join("removed"));
    std::fs::create_dir_all(&removed)
        .with_context(|| format!("cannot create {}", removed.display()))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let to = removed.join(format!("{stamp}-{name}"));
    std::fs::rename(dir.join(name), &to)
        .with_context(|| format!("cannot remove {name} from project {}", project.name))?;
    println!("Removed {name}; it was kept at {}.", to.display());
    Ok(())
}

/// The project's files by name, with their sizes.
fn files_of(project: &Project) -> Result<Vec<(String, u64)>> {
    let dir = files_dir(project)?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    let mut files: Vec<(String, u64)> = entries
        .flatten()
        .filter_map(|e| {
            let meta = e.metadata().ok().filter(std::fs::Metadata::is_file)?;
            // A copy still being written is not one of its files yet.
            let name = e.file_name().into_string().ok()?;
            (!name.starts_with(".tmp")).then_some((name, meta.len()))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn project_json(project: &Project, files: &[(String, u64)]) -> serde_json::Value {
    json!({
        "id": project.id,
        "name": project.name,
        "archived": project.archived_at.is_some(),
        "created_at": project.created_at,
        "updated_at": project.updated_at,
        "instructions": project.instructions,
        "folders": project.folders.iter().map(|f| json!({"path": f.path, "read_only": f.read_only})).collect::<Vec<_>>(),
        "links": project.links,
        "files": files.iter().map(|(name, size)| json!({"name": name, "size": size})).collect::<Vec<_>>(),
        "mode": project.mode.map(|m| m.as_str()),
        "model": project.model,
    })
}
