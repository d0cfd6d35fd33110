//! `bench schedule [--schedules N]`: next-run computation for N schedules
//! (default 10,000; goal ≤ 10 ms for the batch), a realistic mix of forms
//! (cron, plain-language, intervals, one-shots) across zones with and
//! without DST, including Lord Howe's half-hour shift. Timed at an ordinary
//! instant and on a DST transition day, p50 and p99 over many runs.
//!
//! The peer is Python's `croniter` computing the same cron next-runs (the
//! schedules that are cron rules), parse excluded on both sides; skipped
//! with a note when `python3 -c "import croniter"` fails. The next runs are
//! compared, so the ratio is between two answers that agree.

use std::hint::black_box;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use cowork_scheduler::{Recurrence, Rule, Timestamp};
use serde_json::json;

const RUNS: usize = 200;
const PEER_RUNS: usize = 5;

const ZONES: [&str; 12] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Tokyo",
    "UTC",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Europe/London",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "Asia/Kathmandu",
];

const CRONS: [&str; 10] = [
    "0 9 * * 1-5",
    "*/15 * * * *",
    "30 2 * * *",
    "0 0 1 * *",
    "15 8,12,17 * * *",
    "0 */6 * * *",
    "45 23 * * 0",
    "0 9 15 * *",
    "5 4 * * sun",
    "0 12 * jan,jul *",
];

const PHRASES: [&str; 9] = [
    "weekdays at 9:00",
    "every monday and thursday at 8",
    "daily at 6:30pm",
    "the 1st of each month at 9:00",
    "weekends at 10am",
    "every 15 minutes",
    "every 2 hours",
    "hourly",
    "every friday at 5pm",
];

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let count = match args {
        [] => 10_000,
        ["--schedules", n] => n.parse().context("--schedules takes a number")?,
        _ => anyhow::bail!("usage: bench schedule [--schedules N]"),
    };
    let created: Timestamp = "2026-06-01T00:00:00Z".parse()?;
    let schedules = mix(count, created)?;
    let ordinary: Timestamp = "2026-06-15T10:17:23Z".parse()?;
    // 2026-10-25 01:30 UTC: Berlin and London are in their repeated hour.
    let dst_day: Timestamp = "2026-10-25T01:30:00Z".parse()?;

    for (label, now) in [
        ("an ordinary instant", ordinary),
        ("a DST transition", dst_day),
    ] {
        let times = time_batch(&schedules, now, RUNS);
        let (p50, p99) = (percentile(&times, 50), percentile(&times, 99));
        let per = p50.as_secs_f64() * 1e9 / count as f64;
        println!(
            "next run of {count} schedules at {label}: p50 {} p99 {} ({per:.0} ns each; goal p99 <= 10 ms)",
            ms(p50),
            ms(p99),
        );
    }

    let crons: Vec<&Recurrence> = schedules
        .iter()
        .filter(|s| matches!(s.rule(), Rule::Cron(_)))
        .collect();
    let ours: Vec<Option<Timestamp>> = crons.iter().map(|s| s.next_after(ordinary)).collect();
    let cron_times = time_batch_refs(&crons, ordinary, RUNS);
    let ours_p50 = percentile(&cron_times, 50);
    println!(
        "the {} cron rules among them: p50 {}",
        crons.len(),
        ms(ours_p50)
    );
    let has_croniter = Command::new("python3")
        .args(["-c", "import croniter"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_croniter {
        println!("croniter: skipped (python3 cannot import croniter; pip install croniter)");
        return Ok(());
    }
    let items: Vec<_> = crons
        .iter()
        .filter_map(|s| Some(json!([s.cron_text()?, s.zone_name()])))
        .collect();
    let (peer_p50, peer_next) = croniter(&items, ordinary)?;
    let differ = ours
        .iter()
        .zip(&peer_next)
        .filter(|(ours, peer)| ours.map(|t| t.as_second()) != Some(**peer))
        .count();
    println!(
        "croniter, same {} cron next-runs: p50 {} = cowork {:.0}x faster; {differ} of {} next runs differ",
        items.len(),
        ms(peer_p50),
        peer_p50.as_secs_f64() / ours_p50.as_secs_f64(),
        items.len(),
    );
    // On a transition the two differ by design: croniter's rule for a
    // repeated or skipped wall time is not ours (see cowork_scheduler::dst).
    let ours: Vec<Option<Timestamp>> = crons.iter().map(|s| s.next_after(dst_day)).collect();
    let (_, peer_next) = croniter(&items, dst_day)?;
    let differ: Vec<String> = ours
        .iter()
        .zip(&peer_next)
        .zip(&crons)
        .filter(|((ours, peer), _)| ours.map(|t| t.as_second()) != Some(**peer))
        .map(|((ours, peer), rule)| {
            let peer =
                Timestamp::from_second(*peer).map_or_else(|_| peer.to_string(), |t| t.to_string());
            let ours = ours.map_or_else(|| "none".to_owned(), |t| t.to_string());
            format!("{rule}: cowork {ours}, croniter {peer}")
        })
        .collect();
    println!(
        "at a DST transition {} of {} next runs differ{}",
        differ.len(),
        items.len(),
        differ
            .first()
            .map_or_else(String::new, |d| format!(", e.g. {d}")),
    );
    Ok(())
}

/// `count` schedules: half cron, a third plain-language, the rest
/// one-shots, spread over the zones.
fn mix(count: usize, created: Timestamp) -> anyhow::Result<Vec<Recurrence>> {
    (0..count)
        .map(|i| {
            let zone = ZONES[i % ZONES.len()];
            let recurrence = match i % 12 {
                0..=5 => Recurrence::cron(CRONS[i / 12 % CRONS.len()], zone)?,
                6..=9 => Recurrence::every(PHRASES[i / 12 % PHRASES.len()], zone, created)?,
                _ => {
                    let day = 2 + i % 27;
                    let when = format!("2026-12-{day:02} {:02}:{:02}", i % 24, i % 60);
                    Recurrence::at(&when, zone, created)?
                }
            };
            Ok(recurrence)
        })
        .collect()
}

fn time_batch(schedules: &[Recurrence], now: Timestamp, runs: usize) -> Vec<Duration> {
    let refs: Vec<&Recurrence> = schedules.iter().collect();
    time_batch_refs(&refs, now, runs)
}

fn time_batch_refs(schedules: &[&Recurrence], now: Timestamp, runs: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        for schedule in schedules {
            black_box(schedule.next_after(black_box(now)));
        }
        times.push(start.elapsed());
    }
    times.sort_unstable();
    times
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let index = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
    sorted.get(index).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Runs croniter on `[cron, zone]` items; its p50 and its next runs.
fn croniter(items: &[serde_json::Value], now: Timestamp) -> anyhow::Result<(Duration, Vec<i64>)> {
    let input = json!({"now": now.as_second(), "items": items, "runs": PEER_RUNS});
    let mut child = Command::new("python3")
        .args(["-c", CRONITER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running python3")?;
    child
        .stdin
        .take()
        .context("python3 stdin")?
        .write_all(input.to_string().as_bytes())?;
    let out = child.wait_with_output()?;
    ensure!(
        out.status.success(),
        "croniter failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let p50 = result["p50"].as_f64().context("croniter p50")?;
    let next = result["next"]
        .as_array()
        .context("croniter next runs")?
        .iter()
        .map(|v| v.as_i64().unwrap_or_default())
        .collect();
    Ok((Duration::from_secs_f64(p50), next))
}

/// Parses outside the timed loop, as our side does.
const CRONITER: &str = r#"
import json, sys, time
from datetime import datetime
from zoneinfo import ZoneInfo
from croniter import croniter
data = json.load(sys.stdin)
zones = {z: ZoneInfo(z) for _, z in data["items"]}
starts = [datetime.fromtimestamp(data["now"], zones[z]) for _, z in data["items"]]
iters = [croniter(expr, start) for (expr, _), start in zip(data["items"], starts)]
times, out = [], []
for _ in range(data["runs"]):
    t0 = time.perf_counter()
    out = [int(it.get_next(float, start)) for it, start in zip(iters, starts)]
    times.append(time.perf_counter() - t0)
times.sort()
print(json.dumps({"p50": times[len(times) // 2], "next": out}))
"#;
