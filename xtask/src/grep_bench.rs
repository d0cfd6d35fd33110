//! `bench grep`: cowork's Grep tool against `rg -l` over a generated tree.
//!
//! The tree (N small text files, ~100 per directory, ~1% holding a rare
//! needle word) is generated once from a fixed seed and cached under
//! `target/bench-data/grep-tree-N/`. Both searchers get a warm-up run, so
//! the page cache is warm for both, then the best of five runs counts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use cowork_files::{FileTools, Folders};
use cowork_protocol::FolderGrant;

const DEFAULT_FILES: usize = 100_000;
const NEEDLE: &str = "quuxinvoicezebra";
const FILES_PER_DIR: usize = 100;
const DIRS_PER_GROUP: usize = 32;
const RUNS: usize = 5;
const SEED: u64 = 0x00c0_ffee;
/// Marks a completely generated tree; holds the number of needle files.
const DONE_MARKER: &str = ".complete";

const VOCABULARY: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "report",
    "quarter",
    "revenue",
    "customer",
    "meeting",
    "project",
    "budget",
    "team",
    "invoice",
    "payment",
    "schedule",
    "review",
    "draft",
    "final",
    "summary",
    "analysis",
    "market",
    "growth",
    "sales",
    "cost",
    "plan",
    "strategy",
    "update",
    "notes",
    "action",
    "item",
    "owner",
    "deadline",
    "risk",
    "issue",
    "decision",
    "approval",
    "contract",
    "vendor",
    "supplier",
    "order",
    "delivery",
    "shipment",
    "product",
    "service",
    "support",
    "ticket",
    "request",
    "response",
    "policy",
    "process",
    "quality",
    "audit",
    "compliance",
    "training",
    "hiring",
    "office",
    "travel",
    "expense",
    "receipt",
    "total",
    "amount",
    "tax",
    "net",
    "gross",
    "margin",
    "forecast",
    "target",
    "actual",
    "variance",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "north",
    "south",
    "east",
    "west",
    "region",
    "country",
    "city",
    "client",
    "partner",
    "board",
    "minutes",
    "agenda",
    "follow",
    "up",
    "next",
    "steps",
    "was",
    "is",
    "will",
    "be",
    "with",
    "for",
    "on",
    "at",
    "by",
    "from",
    "this",
    "that",
    "we",
    "they",
    "our",
    "their",
    "new",
    "old",
    "first",
    "second",
    "third",
    "last",
    "more",
    "less",
    "high",
    "low",
    "good",
];

/// Runs the benchmark with the arguments after `bench grep`.
pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let files = parse_files(args)?;
    check_rg()?;
    let dir = tree_dir(files)?;
    let needles = ensure_tree(&dir, files)?;

    let folders = Folders::open(&[FolderGrant {
        path: dir.clone(),
        read_only: true,
    }])?;
    let tools = FileTools::new(Arc::new(folders));
    let input = serde_json::json!({ "pattern": NEEDLE, "path": dir });
    let cowork = || -> anyhow::Result<usize> {
        let text = tools.call("Grep", &input)?;
        Ok(text.lines().count())
    };
    let rg = || rg_files(&dir);

    // Warm-up: fills the page cache and checks both agree.
    let (ours, theirs) = (cowork()?, rg()?);
    ensure!(
        ours == theirs && ours == needles,
        "results differ: cowork found {ours} files, rg {theirs}, the tree has {needles}"
    );
    let mut best_cowork = Duration::MAX;
    let mut best_rg = Duration::MAX;
    for _ in 0..RUNS {
        let (time, count) = timed(cowork)?;
        ensure!(
            count == needles,
            "cowork found {count} files, expected {needles}"
        );
        best_cowork = best_cowork.min(time);
        let (time, count) = timed(rg)?;
        ensure!(
            count == needles,
            "rg found {count} files, expected {needles}"
        );
        best_rg = best_rg.min(time);
    }
    let ratio = best_cowork.as_secs_f64() / best_rg.as_secs_f64();
    println!(
        "grep {files} files: cowork {:.3} s, rg {:.3} s, ratio {ratio:.2}x (goal <= 1.5x)",
        best_cowork.as_secs_f64(),
        best_rg.as_secs_f64(),
    );
    Ok(())
}

fn parse_files(args: &[&str]) -> anyhow::Result<usize> {
    match args {
        [] => Ok(DEFAULT_FILES),
        ["--files", n] => {
            let n: usize = n
                .parse()
                .with_context(|| format!("--files expects a number, got `{n}`"))?;
            ensure!(n > 0, "--files must be at least 1");
            Ok(n)
        }
        other => bail!("unexpected arguments {other:?}; usage: bench grep [--files N]"),
    }
}

fn check_rg() -> anyhow::Result<()> {
    match Command::new("rg").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => bail!("`rg --version` failed with {}", out.status),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => bail!(
            "the benchmark compares against ripgrep, but `rg` is not installed; install it \
             with `sudo apt-get install ripgrep` (Debian/Ubuntu) or `cargo install ripgrep`"
        ),
        Err(err) => Err(err).context("could not run `rg`"),
    }
}

/// `target/bench-data/grep-tree-N`, honouring `CARGO_TARGET_DIR`.
fn tree_dir(files: usize) -> anyhow::Result<PathBuf> {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask has no parent directory")?
            .join("target"),
    };
    let dir = target.join("bench-data").join(format!("grep-tree-{files}"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    dir.canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))
}

/// Generates the tree unless a complete one is cached; returns how many
/// files hold the needle.
fn ensure_tree(dir: &Path, files: usize) -> anyhow::Result<usize> {
    let marker = dir.join(DONE_MARKER);
    if let Ok(text) = std::fs::read_to_string(&marker)
        && let Ok(needles) = text.trim().parse()
    {
        return Ok(needles);
    }
    println!("generating {files} files under {} (once)…", dir.display());
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut needles = 0;
    let mut text = String::with_capacity(4096);
    for i in 0..files {
        let leaf = i / FILES_PER_DIR;
        let sub = dir
            .join(format!("g{:03}", leaf / DIRS_PER_GROUP))
            .join(format!("d{leaf:05}"));
        if i % FILES_PER_DIR == 0 {
            std::fs::create_dir_all(&sub).with_context(|| format!("creating {}", sub.display()))?;
        }
        let needle = rng.usize(..100) == 0;
        needles += usize::from(needle);
        fill(&mut rng, &mut text, needle);
        let path = sub.join(format!("f{i:06}.txt"));
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    std::fs::write(&marker, needles.to_string())?;
    Ok(needles)
}

/// 1–4 KB of lines of vocabulary words; with the needle once if `needle`.
fn fill(rng: &mut fastrand::Rng, text: &mut String, needle: bool) {
    text.clear();
    let size = rng.usize(1024..4096);
    let mut needle_at = needle.then(|| rng.usize(..size));
    let mut line_words = 0;
    while text.len() < size {
        if needle_at.is_some_and(|at| text.len() >= at) {
            text.push_str(NEEDLE);
            needle_at = None;
        } else {
            text.push_str(VOCABULARY[rng.usize(..VOCABULARY.len())]);
        }
        line_words += 1;
        if line_words >= rng.usize(8..16) {
            text.push('\n');
            line_words = 0;
        } else {
            text.push(' ');
        }
    }
    if needle_at.is_some() {
        // The loop ended before reaching the chosen spot.
        text.push_str(NEEDLE);
    }
    text.push('\n');
}

/// `rg -l NEEDLE DIR`: the number of files it lists.
fn rg_files(dir: &Path) -> anyhow::Result<usize> {
    let out = Command::new("rg")
        .args(["--no-config", "-l", NEEDLE])
        .arg(dir)
        .output()
        .context("running rg")?;
    // Exit code 1 means "no match", which is a valid (if wrong) result.
    ensure!(
        out.status.code().is_some_and(|c| c <= 1),
        "rg failed: {}",
        out.status
    );
    Ok(out.stdout.iter().filter(|&&b| b == b'\n').count())
}

fn timed(f: impl Fn() -> anyhow::Result<usize>) -> anyhow::Result<(Duration, usize)> {
    let start = Instant::now();
    let count = f()?;
    Ok((start.elapsed(), count))
}
