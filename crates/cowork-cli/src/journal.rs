//! `cowork undo`, `cowork trash` and `cowork gc`: the change journal and
//! the trash, from the terminal.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use console::style;

use cowork_core::factory::{UndoOutcome, UndoRequest, undo_task};
use cowork_files::{Expected, Folders, JournalStore, TrashEntry, TrashRecord};
use cowork_protocol::config::Config;
use cowork_protocol::{Change, Event, FolderGrant};
use cowork_store::Store;

use crate::cli::{GcArgs, TrashCommand, UndoArgs};
use crate::home;
use crate::render::{human_bytes, plural};
use crate::safe;
use crate::setup;
use crate::tasks::local_time;

/// How many steps of an undo plan are listed before "… and N more".
const LISTED_STEPS: usize = 30;

pub fn undo(args: &UndoArgs, store: &Arc<Store>) -> Result<ExitCode> {
    let journal = JournalStore::open(&home::data_dir()?)?;
    let request = UndoRequest {
        dry_run: args.dry_run,
        force: args.force,
    };
    let hub = cowork_core::Hub::new(Arc::clone(store));
    let report = undo_task(&hub, &journal, &args.id, request).map_err(setup::factory_error)?;
    let short = report.task.short();
    if report.outcome == UndoOutcome::NothingToUndo {
        println!("task {short} changed no files; there is nothing to undo");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let listed = if args.dry_run {
        usize::MAX
    } else {
        LISTED_STEPS
    };
    for step in report.steps.iter().take(listed) {
        let _ = writeln!(out, "  {}", safe::line(step));
    }
    if report.steps.len() > listed {
        let _ = writeln!(out, "  … and {} more", report.steps.len() - listed);
    }
    print!("{out}");
    if !report.conflicts.is_empty() {
        let what = match report.conflicts.len() {
            1 => "1 file was".to_owned(),
            n => format!("{n} files were"),
        };
        let mut msg = format!(
            "{} {what} changed after task {short}; undo would overwrite them:\n",
            style("!").yellow()
        );
        for conflict in &report.conflicts {
            let _ = writeln!(
                msg,
                "  {}: {}",
                safe::path(&conflict.path),
                safe::line(&conflict.reason)
            );
        }
        eprint!("{msg}");
    }
    match report.outcome {
        UndoOutcome::NothingToUndo => Ok(ExitCode::SUCCESS),
        UndoOutcome::DryRun => {
            println!("dry run: nothing was changed");
            Ok(ExitCode::SUCCESS)
        }
        UndoOutcome::RefusedForConflicts => {
            eprintln!(
                "nothing was changed. Run `cowork undo {short} --force` to restore them anyway \
                 (their current versions go to the trash)."
            );
            Ok(ExitCode::FAILURE)
        }
        UndoOutcome::Applied {
            restored,
            skipped,
            forced,
        } => {
            println!(
                "{} undid task {short}: {restored} restored, {skipped} already as before{}",
                style("✓").green(),
                if forced > 0 {
                    format!(", {forced} forced (previous versions in the trash)")
                } else {
                    String::new()
                }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn trash(command: TrashCommand, store: &Store) -> Result<ExitCode> {
    let journal = JournalStore::open(&home::data_dir()?)?;
    let trash = journal.trash();
    match command {
        TrashCommand::List { json } => {
            let entries = trash.list()?;
            let mut out = String::new();
            if json {
                for e in &entries {
                    let line = serde_json::json!({
                        "id": e.id,
                        "original": cowork_protocol::RawPath(e.original.clone()),
                        "trashed_at": e.trashed_at_ms,
                        "task": e.task,
                        "size": e.size,
                        "is_dir": e.is_dir,
                    });
                    let _ = writeln!(out, "{line}");
                }
            } else if entries.is_empty() {
                out.push_str("The trash is empty.\n");
            } else {
                for e in &entries {
                    let _ = writeln!(
                        out,
                        "{:<26}  {}  {:>9}  {}{}",
                        safe::line(&e.id),
                        local_time(e.trashed_at_ms),
                        human_bytes(e.size),
                        safe::path(&e.original),
                        if e.is_dir { "/" } else { "" }
                    );
                }
            }
            print!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        TrashCommand::Restore { id, to } => {
            let entries = trash.list()?;
            let matches: Vec<_> = entries.iter().filter(|e| e.id.starts_with(&id)).collect();
            let entry = match matches.as_slice() {
                [one] => *one,
                [] => bail!("no trash entry starts with {id:?}; see `cowork trash list`"),
                several => bail!(
                    "{id:?} names {} trash entries; give more of the id: {}",
                    several.len(),
                    several
                        .iter()
                        .map(|e| e.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let restored = restore(&journal, store, entry, to.as_deref())?;
            println!("{} restored {}", style("✓").green(), safe::path(&restored));
            Ok(ExitCode::SUCCESS)
        }
        TrashCommand::Empty { older_than } => {
            let cutoff = older_than.map(|days| now_ms() - i64::from(days) * DAY_MS);
            let doomed: Vec<_> = trash
                .list()?
                .into_iter()
                .filter(|e| cutoff.is_none_or(|c| e.trashed_at_ms < c))
                .collect();
            if doomed.is_empty() {
                println!("Nothing to empty.");
                return Ok(ExitCode::SUCCESS);
            }
            let bytes: u64 = doomed.iter().map(|e| e.size).sum();
            // The only permanent deletion cowork does: always confirmed by a
            // typed answer, whatever the mode or flags.
            eprint!(
                "Permanently delete {} ({}) from cowork's trash? This cannot be undone.\n\
                 Type yes to confirm: ",
                plural(doomed.len() as u64, "item"),
                human_bytes(bytes)
            );
            let _ = std::io::stderr().flush();
            let mut answer = String::new();
            let _ = std::io::stdin().lock().read_line(&mut answer);
            if answer.trim() != "yes" {
                eprintln!("Not emptied.");
                return Ok(ExitCode::FAILURE);
            }
            let (entries, freed) = trash.empty(cutoff)?;
            println!(
                "{} deleted {} permanently, freed {}",
                style("✓").green(),
                plural(entries, "item"),
                human_bytes(freed)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn gc(args: &GcArgs, store: &Store, config: &Config) -> Result<ExitCode> {
    let days = args
        .older_than
        .or(config.journal_max_age_days)
        .unwrap_or(30);
    let cutoff = now_ms() - i64::from(days) * DAY_MS;
    let mut keep = HashSet::new();
    let mut dropped_tasks = 0u64;
    for row in store.list_tasks(usize::MAX)? {
        let recent = row.updated_at >= cutoff || !row.status.is_terminal();
        let mut referenced = false;
        for stored in store.events(&row.id)? {
            if let Event::FileChanged {
                change: Change::Modified { before, .. },
                ..
            } = stored.event
            {
                referenced = true;
                if recent {
                    keep.insert(before);
                }
            }
        }
        if referenced && !recent {
            dropped_tasks += 1;
        }
    }
    let journal = JournalStore::open(&home::data_dir()?)?;
    let (files, bytes) = journal.gc_blobs(&keep)?;
    println!(
        "{} freed {} ({}) from the change journals of {} older than {} days",
        style("✓").green(),
        human_bytes(bytes),
        plural(files, "saved file version"),
        plural(dropped_tasks, "task"),
        days
    );
    if dropped_tasks > 0 {
        println!("  those tasks can no longer restore the file contents they replaced");
    }
    Ok(ExitCode::SUCCESS)
}

/// Puts a trash entry back. Its own metadata could be forged by anything
/// that writes cowork's data dir, so the destination comes from the change
/// journal: the task that trashed it (or wrote it, when an undo trashed
/// it), opened beneath that task's folders. An entry no journal accounts
/// for goes only where the person says (`--to`).
fn restore(
    journal: &JournalStore,
    store: &Store,
    entry: &TrashEntry,
    to: Option<&Path>,
) -> Result<PathBuf> {
    let found = find_record(journal, store, entry)?;
    if let Some(to) = to {
        let to = std::path::absolute(to)?;
        let (Some(parent), Some(_)) = (to.parent(), to.file_name()) else {
            bail!("--to {} must name a file or folder to create", to.display());
        };
        let folders = Folders::open(&[FolderGrant {
            path: parent.to_path_buf(),
            read_only: false,
        }])?;
        if found.is_none() {
            eprintln!(
                "{} no task's change journal records trash entry {}; its content could not be \
                 checked",
                style("!").yellow(),
                entry.id
            );
        }
        let record = found.as_ref().map(|(record, _)| record);
        return Ok(journal
            .trash()
            .restore(&entry.id, record, &folders, Some(&to))?);
    }
    let Some((record, grants)) = found else {
        // Refused by the library, which names the entry and the way out.
        return Ok(journal
            .trash()
            .restore(&entry.id, None, &Folders::open(&[])?, None)?);
    };
    let grants: Vec<FolderGrant> = grants
        .into_iter()
        .filter(|g| !g.read_only && record.path.starts_with(&g.path))
        .collect();
    if grants.is_empty() {
        bail!(
            "trash entry {} came from {}, which is not in a folder its task could change; \
             restore it with --to PATH",
            entry.id,
            record.path.display()
        );
    }
    let folders = Folders::open(&grants)?;
    journal
        .trash()
        .restore(&entry.id, Some(&record), &folders, None)
        .with_context(|| {
            format!(
                "nothing was restored: trash entry {} goes back to {}, beneath its task's folder",
                entry.id,
                record.path.display()
            )
        })
}

/// What the journal recorded about a trash entry, and the folders of the
/// task that recorded it: the task that trashed it, or else (an undo
/// trashed it) one that wrote exactly its content at the same path.
fn find_record(
    journal: &JournalStore,
    store: &Store,
    entry: &TrashEntry,
) -> Result<Option<(TrashRecord, Vec<FolderGrant>)>> {
    let content = journal.trash().item_hash(&entry.id);
    let mut wrote = None;
    for row in store.list_tasks(usize::MAX)? {
        for stored in store.events(&row.id)? {
            let Event::FileChanged { change, .. } = stored.event else {
                continue;
            };
            match change {
                Change::Trashed {
                    path,
                    trash_id,
                    stamp,
                } if trash_id == entry.id => {
                    let record = TrashRecord {
                        path: path.0,
                        expect: Expected::Stamp(stamp),
                    };
                    return Ok(Some((record, row.spec.folders.clone())));
                }
                Change::Created { path, hash }
                | Change::Modified {
                    path, after: hash, ..
                } if wrote.is_none()
                    && path.0 == entry.original
                    && content.as_ref() == Some(&hash) =>
                {
                    let record = TrashRecord {
                        path: path.0,
                        expect: Expected::Content(hash),
                    };
                    wrote = Some((record, row.spec.folders.clone()));
                }
                Change::Created { .. }
                | Change::Modified { .. }
                | Change::Moved { .. }
                | Change::DirCreated { .. }
                | Change::Trashed { .. } => {}
            }
        }
    }
    Ok(wrote)
}

const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
