//! `bench plugins-load`: the time to load every fixture plugin (Anthropic's
//! knowledge-work-plugins, anthropics/skills, Claude Code's hooks
//! plugins) with `cowork_plugins::format::load_plugin`, p50 and p99 over
//! `RUNS` runs (goal: at most 50 ms for all), and the whole `cowork
//! plugin validate` process on the knowledge-work-plugins marketplace.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};

const RUNS: usize = 20;
const WARM_UP: usize = 3;
/// The goal for loading every fixture plugin once.
const GOAL: Duration = Duration::from_millis(50);

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    ensure!(args.is_empty(), "usage: bench plugins-load");
    let fixtures = cowork_test_support::fixtures_dir().context(
        "the shared fixtures (`<repo>/../shared/fixtures`) are needed for this benchmark",
    )?;
    let dirs = plugin_dirs(&fixtures)?;

    let mut counts = Counts::default();
    for _ in 0..WARM_UP {
        counts = load_all(&dirs)?;
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let again = load_all(&dirs)?;
        times.push(start.elapsed());
        ensure!(again == counts, "two loads of the same plugins differ");
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (p50, p99) = (percentile(&times, 50), percentile(&times, 99));
    println!(
        "plugins-load: {} plugins ({} skills, {} commands, {} agents, {} MCP servers, {} hooks files; \
         {} diagnostics, {} errors)",
        counts.plugins,
        counts.skills,
        counts.commands,
        counts.agents,
        counts.servers,
        counts.hooks,
        counts.diagnostics,
        counts.errors,
    );
    println!(
        "plugins-load: all of them p50 {:.2} ms, p99 {:.2} ms over {RUNS} runs (goal <= {} ms)",
        ms(p50),
        ms(p99),
        GOAL.as_millis()
    );

    let cowork = crate::exec_bench::cowork_binary()?;
    let home = tempfile::tempdir()?;
    let marketplace = fixtures.join("knowledge-work-plugins");
    let mut process = Vec::with_capacity(RUNS);
    for round in 0..WARM_UP + RUNS {
        let start = Instant::now();
        let status = Command::new(&cowork)
            .args(["plugin", "validate"])
            .arg(&marketplace)
            .env("COWORK_HOME", home.path())
            .env("COWORK_CONFIG", home.path().join("config.toml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        let elapsed = start.elapsed();
        ensure!(
            status.success(),
            "`cowork plugin validate` failed on the fixtures"
        );
        if round >= WARM_UP {
            process.push(elapsed);
        }
    }
    process.sort();
    println!(
        "plugins-load: `cowork plugin validate` of the knowledge-work-plugins marketplace, whole \
         process: p50 {:.2} ms, p99 {:.2} ms over {RUNS} runs",
        ms(percentile(&process, 50)),
        ms(percentile(&process, 99)),
    );
    Ok(())
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    plugins: usize,
    skills: usize,
    commands: usize,
    agents: usize,
    servers: usize,
    hooks: usize,
    diagnostics: usize,
    errors: usize,
}

fn load_all(dirs: &[PathBuf]) -> anyhow::Result<Counts> {
    let mut counts = Counts::default();
    for dir in dirs {
        let (plugin, diagnostics) = cowork_plugins::format::load_plugin(dir)
            .with_context(|| format!("loading {}", dir.display()))?;
        counts.plugins += 1;
        counts.skills += plugin.skills.len();
        counts.commands += plugin.commands.len();
        counts.agents += plugin.agents.len();
        counts.servers += plugin.mcp.servers.len();
        counts.hooks += plugin.hooks.len();
        counts.diagnostics += diagnostics.len();
        counts.errors += diagnostics
            .iter()
            .filter(|d| d.severity == cowork_plugins::Severity::Error)
            .count();
    }
    Ok(counts)
}

/// Every fixture plugin folder.
fn plugin_dirs(fixtures: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let kwp = fixtures.join("knowledge-work-plugins");
    for parent in [kwp.clone(), kwp.join("partner-built")] {
        for entry in std::fs::read_dir(&parent)? {
            let path = entry?.path();
            if path.join(".claude-plugin/plugin.json").is_file() {
                dirs.push(path);
            }
        }
    }
    dirs.push(fixtures.join("anthropics-skills"));
    for hooks in ["hookify", "explanatory-output-style"] {
        dirs.push(fixtures.join("claude-code/plugins").join(hooks));
    }
    dirs.sort();
    Ok(dirs)
}

/// The `p`-th percentile of sorted `times` (nearest rank).
fn percentile(times: &[Duration], p: usize) -> Duration {
    let rank = (times.len() * p).div_ceil(100).max(1);
    times[rank.min(times.len()) - 1]
}
