//! `bench undo [--files N]`: reorganise N files with batched `Move` calls
//! journaled into a real SQLite task log, then undo the task, and check
//! that the tree comes back byte for byte.
//!
//! The tree is generated in a temp dir: N small files spread over nested
//! folders. The task moves every file into `by_type/<ext>/<first
//! letter>/`, 100 moves per call, each call's changes appended to the log
//! in one transaction before they happen (as the runner does). Undo reads
//! the changes back from the log, plans and applies.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, ensure};
use cowork_files::{ChangeSink, FileTools, Folders, Journal, JournalStore, undo};
use cowork_protocol::{
    Budget, Change, Event, FolderGrant, ModelChoice, PermissionMode, Provider, TaskId, TaskSpec,
};
use cowork_store::{Owner, Store};

const DEFAULT_FILES: usize = 10_000;
const BATCH: usize = 100;
const GOAL_SECS: f64 = 2.0;
const WORDS: &[&str] = &[
    "invoice", "report", "budget", "notes", "draft", "agenda", "summary", "receipt", "memo",
    "plan", "quote", "letter", "minutes", "contract", "brief", "table",
];
const EXTS: &[&str] = &["pdf", "docx", "xlsx", "md", "txt", "csv", "png"];

/// Appends each recorded change to the task's log, one transaction per
/// tool call.
struct LogSink {
    store: Arc<Store>,
    task: TaskId,
}

impl ChangeSink for LogSink {
    fn record(&self, changes: &[Change]) -> Result<(), String> {
        let events: Vec<Event> = changes
            .iter()
            .map(|change| Event::FileChanged {
                call_id: "bench".to_owned(),
                change: change.clone(),
            })
            .collect();
        self.store
            .append_all(&self.task, &events)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let files = match args {
        [] => DEFAULT_FILES,
        ["--files", n] => n.parse().context("--files takes a number")?,
        _ => anyhow::bail!("usage: bench undo [--files N]"),
    };
    let temp = tempfile::tempdir()?;
    let base = temp.path().canonicalize()?;
    let root = base.join("folder");
    let data = base.join("data");
    let names = generate(&root, files)?;
    let before = manifest(&root)?;

    let grant = FolderGrant {
        path: root.clone(),
        read_only: false,
    };
    let store = Arc::new(Store::open(&data.join("cowork.db"))?);
    let task = TaskId::new();
    store.create_task(&task, &spec(&grant), &Owner::current()?)?;
    let journal_store = Arc::new(JournalStore::open(&data)?);
    let folders = Arc::new(Folders::open(std::slice::from_ref(&grant))?);
    let sink = Arc::new(LogSink {
        store: Arc::clone(&store),
        task: task.clone(),
    });
    let tools = FileTools::with_journal(
        Arc::clone(&folders),
        Journal {
            store: Arc::clone(&journal_store),
            sink,
            task: Some(task.to_string()),
        },
    );

    let started = Instant::now();
    for batch in names.chunks(BATCH) {
        let moves: Vec<serde_json::Value> = batch
            .iter()
            .map(|(rel, name, ext)| {
                let first = &name[..1];
                serde_json::json!({"from": rel, "to": format!("by_type/{ext}/{first}/")})
            })
            .collect();
        tools.call("Move", &serde_json::json!({ "moves": moves }))?;
    }
    let reorganise = started.elapsed().as_secs_f64();
    ensure!(
        manifest(&root)? != before,
        "the reorganisation changed nothing"
    );

    let started = Instant::now();
    let changes: Vec<Change> = store
        .events(&task)?
        .into_iter()
        .filter_map(|e| match e.event {
            Event::FileChanged { change, .. } => Some(change),
            _ => None,
        })
        .collect();
    let read_secs = started.elapsed().as_secs_f64();
    let plan = undo::plan(&changes, &folders, &journal_store);
    let plan_secs = started.elapsed().as_secs_f64() - read_secs;
    ensure!(
        plan.conflicts.is_empty(),
        "unexpected conflicts: {:?}",
        plan.conflicts
    );
    let report = undo::apply(&plan, &folders, &journal_store, false)?;
    let undo_secs = started.elapsed().as_secs_f64();
    let apply_secs = undo_secs - read_secs - plan_secs;

    let after = manifest(&root)?;
    ensure!(
        after == before,
        "undo did not restore the tree exactly ({} entries before, {} after)",
        before.len(),
        after.len()
    );
    let blobs = dir_size(&data.join("journal/blobs"))?;
    let trash = dir_size(&data.join("trash"))?;
    let log = ["cowork.db", "cowork.db-wal", "cowork.db-shm"]
        .iter()
        .map(|name| std::fs::metadata(data.join(name)).map_or(0, |m| m.len()))
        .sum::<u64>();
    println!(
        "reorganise {files} files: {reorganise:.2} s ({} changes in {} calls); undo: {undo_secs:.2} s \
         (goal <= {GOAL_SECS} s; {} restored, {} skipped); journal disk overhead: blobs {}, trash {}, log {}",
        changes.len(),
        names.len().div_ceil(BATCH),
        report.restored,
        report.skipped,
        human(blobs),
        human(trash),
        human(log)
    );
    println!(
        "  undo = read log {read_secs:.2} s + plan {plan_secs:.2} s + apply {apply_secs:.2} s"
    );
    println!("verified: {} entries restored byte for byte", before.len());
    Ok(())
}

fn spec(grant: &FolderGrant) -> TaskSpec {
    TaskSpec {
        prompt: "Reorganise the folder by file type".to_owned(),
        folders: vec![grant.clone()],
        model: ModelChoice {
            provider: Provider::Anthropic,
            model: "bench".to_owned(),
            base_url: None,
            script: None,
        },
        budget: Budget::default(),
        mode: PermissionMode::Auto,
        project: None,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    }
}

/// N files in nested folders (`area-A/project-B/…`); returns each file's
/// relative path, base name and extension.
fn generate(root: &Path, files: usize) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut out = Vec::with_capacity(files);
    for i in 0..files {
        let dir = format!("area-{}/project-{}", i % 10, (i / 10) % 25);
        let word = WORDS[rng.usize(..WORDS.len())];
        let ext = EXTS[rng.usize(..EXTS.len())];
        let name = format!("{word}-{i:06}");
        let rel = format!("{dir}/{name}.{ext}");
        let path = root.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let size = rng.usize(64..2048);
        let body: Vec<u8> = (0..size).map(|_| rng.alphanumeric() as u8).collect();
        std::fs::write(&path, body)?;
        out.push((rel, name, ext.to_owned()));
    }
    Ok(out)
}

/// Every entry under `root`: folders, and files with a hash of their bytes.
fn manifest(root: &Path) -> anyhow::Result<BTreeMap<Vec<u8>, String>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path: PathBuf = entry?.path();
            let rel = path.strip_prefix(root)?.as_os_str().as_bytes().to_vec();
            let meta = path.symlink_metadata()?;
            if meta.is_dir() {
                out.insert(rel, "dir".to_owned());
                stack.push(path);
            } else {
                let hash = blake3::hash(&std::fs::read(&path)?).to_hex().to_string();
                out.insert(rel, hash);
            }
        }
    }
    Ok(out)
}

fn dir_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.path().symlink_metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    Ok(total)
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1 << 20 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / f64::from(1u32 << 20)),
    }
}
