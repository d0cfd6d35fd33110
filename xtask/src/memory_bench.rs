//! `bench memory [--entries N] [--queries N] [--corpus varied|templates]`:
//! recall over N memory entries (100,000 by default) through the store's
//! API: p50 and p99 against the goal (5 ms p99), for two corpora (see
//! [`Corpus`]): notes drawn from a real word list with a Zipf
//! distribution, and the pessimistic 12 templates, where every word of a
//! prompt is common.
//!
//! The peer, measured in the same run: Python's `sqlite3` module running
//! the same plan through FTS5's own ranking (the store's words and match
//! expression, `ORDER BY rank`: what recall ran before it scored from its
//! own word counts, and what it still runs for a query those counts
//! cannot answer) on the same data. When Python's SQLite cannot read the store's index
//! (FTS5's secure-delete needs SQLite 3.42+), it indexes a copy of the same
//! rows with the same tokenizer itself, and says so. The run also measures
//! what dropping stopwords from the query saves, on the peer's side, and
//! how often the top entry differs with and without them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use cowork_protocol::MemoryScope;
use cowork_store::{RecallQuery, Stopwords, Store, match_expression, query_terms};

use crate::memory_corpus::Corpus;

const DEFAULT_ENTRIES: usize = 100_000;
const DEFAULT_QUERIES: usize = 2_000;
const GOAL_P99_MS: f64 = 5.0;
/// What a task starts with: the runner's defaults.
const LIMIT: usize = 8;
const BUDGET: usize = 800;
/// The peer's slow variants (every word ranked, stopwords kept) run on
/// this many prompts.
const SLOW_SAMPLE: usize = 64;

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let (entries, queries, corpora) = parse(args)?;
    for corpus in corpora {
        measure(corpus, entries, queries)?;
    }
    Ok(())
}

fn measure(corpus: Corpus, entries: usize, queries: usize) -> anyhow::Result<()> {
    println!("corpus: {}", corpus.name());
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("cowork.db");
    let store = Store::open(&db)?;
    let mut generator = corpus.generator(12);
    let filled = Instant::now();
    for _ in 0..entries {
        store.remember(&MemoryScope::Global, &generator.note(), None)?;
    }
    println!(
        "  {entries} entries stored in {:.1} s",
        filled.elapsed().as_secs_f64()
    );
    let prompts = generator.prompts(queries);
    // Warm the page cache and the statement cache first, as a running
    // daemon would be, with other prompts than those measured.
    for prompt in generator.prompts(16) {
        recall(&store, &prompt)?;
    }
    let mut ours = Vec::with_capacity(queries);
    let mut found = 0usize;
    for prompt in &prompts {
        let started = Instant::now();
        found += recall(&store, prompt)?;
        ours.push(started.elapsed());
    }
    ensure!(found > 0, "no prompt recalled anything: the data is wrong");
    let (p50, p99) = percentiles(&mut ours);
    let verdict = if ms(p99) <= GOAL_P99_MS {
        "ok"
    } else {
        "OVER GOAL"
    };
    println!(
        "  recall (store API, {LIMIT} entries / {BUDGET} tokens): p50 {:.3} ms, p99 {:.3} ms \
         (goal p99 <= {GOAL_P99_MS} ms: {verdict}); {:.1} entries per recall",
        ms(p50),
        ms(p99),
        found as f64 / queries as f64
    );
    let plans: Vec<serde_json::Value> = prompts
        .iter()
        .map(|p| {
            Ok(serde_json::json!({
                "terms": query_terms(p, Stopwords::Drop),
                "expression": store.recall_plan(p)?.expression(),
                "keep_stopwords": match_expression(p, Stopwords::Keep),
            }))
        })
        .collect::<anyhow::Result<_>>()?;
    drop(store);
    peer(&db, dir.path(), &plans, p50, p99)
}

const USAGE: &str = "usage: bench memory [--entries N] [--queries N] [--corpus varied|templates]";

fn parse(args: &[&str]) -> anyhow::Result<(usize, usize, Vec<Corpus>)> {
    let (mut entries, mut queries) = (DEFAULT_ENTRIES, DEFAULT_QUERIES);
    let mut corpora = vec![Corpus::Varied, Corpus::Templates];
    let mut rest = args;
    while let [flag, value, tail @ ..] = rest {
        match *flag {
            "--entries" => entries = value.parse().context("--entries takes a number")?,
            "--queries" => queries = value.parse().context("--queries takes a number")?,
            "--corpus" => {
                corpora = match *value {
                    "varied" => vec![Corpus::Varied],
                    "templates" => vec![Corpus::Templates],
                    _ => anyhow::bail!("--corpus is varied or templates; {USAGE}"),
                }
            }
            _ => anyhow::bail!("{USAGE}"),
        }
        rest = tail;
    }
    ensure!(rest.is_empty() && queries > 0, "{USAGE}");
    Ok((entries, queries, corpora))
}

fn recall(store: &Store, prompt: &str) -> anyhow::Result<usize> {
    Ok(store
        .recall(&RecallQuery {
            text: prompt,
            project: None,
            limit: LIMIT,
            token_budget: BUDGET,
        })?
        .len())
}

/// Python's `sqlite3` running the store's queries (a count per word,
/// then the ranking over the words kept), and, to measure what leaving
/// words out saves, the ranking over all the words, with and without
/// stopwords.
fn peer(
    db: &Path,
    dir: &Path,
    plans: &[serde_json::Value],
    p50: Duration,
    p99: Duration,
) -> anyhow::Result<()> {
    let fts5 = Command::new("python3")
        .args([
            "-c",
            "import sqlite3; sqlite3.connect(':memory:').execute('CREATE VIRTUAL TABLE t USING fts5(x)')",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !fts5 {
        println!("  peer skipped: python3 with FTS5 in its sqlite3 module is not available");
        return Ok(());
    }
    let file = dir.join("queries.json");
    std::fs::write(&file, serde_json::to_string(plans)?)?;
    let out = Command::new("python3")
        .arg("-c")
        .arg(PEER)
        .arg(db)
        .arg(&file)
        .arg(LIMIT.to_string())
        .arg(SLOW_SAMPLE.to_string())
        .output()
        .context("running python3")?;
    ensure!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("python said: {}", String::from_utf8_lossy(&out.stdout)))?;
    let num = |key: &str| report[key].as_f64().unwrap_or(f64::NAN);
    println!(
        "  peer: python3 sqlite3 {} on {}: same plans ranked by FTS5's bm25() p50 {:.3} ms, \
         p99 {:.3} ms; ours/peer: \
         p50 {:.2}x, p99 {:.2}x",
        report["sqlite"].as_str().unwrap_or("?"),
        report["source"].as_str().unwrap_or("?"),
        num("ours_p50"),
        num("ours_p99"),
        ms(p50) / num("ours_p50"),
        ms(p99) / num("ours_p99"),
    );
    println!(
        "  peer, ranking every word (no word left out): p50 {:.3} ms, p99 {:.3} ms; with \
         stopwords too: p50 {:.3} ms, p99 {:.3} ms",
        num("all_p50"),
        num("all_p99"),
        num("stop_p50"),
        num("stop_p99"),
    );
    println!(
        "  top entry's score under the full ranking: as high as the full ranking's top for {} of \
         {} prompts (ours vs every word ranked); {} of {} with stopwords vs without",
        report["pruned_same"], report["sampled"], report["stop_same"], report["sampled"]
    );
    Ok(())
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i.min(samples.len() - 1)]
    };
    (at(0.50), at(0.99))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs each plan's queries once, after a warm-up, and prints a JSON
/// report; the slow variants (every word ranked, stopwords kept) run on
/// the first `sample` plans only. Reads the store's index directly when its SQLite
/// can; otherwise indexes the same rows with the same tokenizer.
const PEER: &str = r#"
import json, sqlite3, sys, time
db, qfile, limit, sample = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
plans = json.load(open(qfile))
sampled = plans[:sample]
conn = sqlite3.connect(db)
SQL = ("SELECT m.id, m.scope, m.project, m.content, m.task_id, m.created_at, m.updated_at "
       "FROM memory_fts f JOIN memory m ON m.rowid = f.rowid "
       "WHERE memory_fts MATCH ?1 AND (m.project IS NULL OR m.project = ?2) "
       "ORDER BY f.rank, m.updated_at DESC, m.rowid DESC LIMIT ?3")
COUNT = "SELECT count(*) FROM memory_fts WHERE memory_fts MATCH ?1"
SCORE = "SELECT rank FROM memory_fts WHERE memory_fts MATCH ?1 AND rowid = (SELECT rowid FROM memory WHERE id = ?2)"
source = "the store's own file"
try:
    conn.execute(SQL, ('"berlin"', None, 1)).fetchall()
except sqlite3.DatabaseError as e:
    source = "its own index of the same rows: it cannot read the store's (%s)" % e
    conn.close()
    conn = sqlite3.connect(":memory:")
    conn.execute("ATTACH DATABASE ? AS src", (db,))
    conn.executescript("""
        CREATE TABLE memory AS SELECT rowid, * FROM src.memory;
        CREATE VIRTUAL TABLE memory_fts USING fts5(content, content='memory',
            content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
        INSERT INTO memory_fts (memory_fts) VALUES ('rebuild');
    """)
    conn.execute("DETACH DATABASE src")
q = lambda ts: " OR ".join('"%s"' % t for t in ts)
def ours(plan):
    if plan["expression"] is None: return []
    for t in plan["terms"]:
        conn.execute(COUNT, ('"%s"' % t,)).fetchone()
    return conn.execute(SQL, (plan["expression"], None, limit * 4)).fetchall()
def every(plan):
    if not plan["terms"]: return []
    return conn.execute(SQL, (q(plan["terms"]), None, limit * 4)).fetchall()
def stop(plan):
    if plan["keep_stopwords"] is None: return []
    return conn.execute(SQL, (plan["keep_stopwords"], None, limit * 4)).fetchall()
def timed(run, plans):
    for p in plans[:16]: run(p)
    times = []
    for p in plans:
        t = time.perf_counter()
        run(p)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    at = lambda x: times[min(len(times) - 1, round((len(times) - 1) * x))]
    return at(0.5), at(0.99)
def score(expr, rows):
    return conn.execute(SCORE, (expr, rows[0][0])).fetchone()[0] if rows else None
def same(run, p):
    if not p["terms"]: return True
    full = q(p["terms"])
    a, b = score(full, every(p)), score(full, run(p))
    return a is not None and b is not None and b <= a + 1e-9
o50, o99 = timed(ours, plans)
a50, a99 = timed(every, sampled)
s50, s99 = timed(stop, sampled)
print(json.dumps({"sqlite": sqlite3.sqlite_version, "source": source,
    "ours_p50": o50, "ours_p99": o99, "all_p50": a50, "all_p99": a99,
    "stop_p50": s50, "stop_p99": s99,
    "sampled": len(sampled),
    "pruned_same": sum(1 for p in sampled if same(ours, p)),
    "stop_same": sum(1 for p in sampled if same(stop, p))}))
"#;
