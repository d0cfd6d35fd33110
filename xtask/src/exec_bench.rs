//! `bench exec`: the cost of one sandboxed `true`, against a plain
//! fork/exec and against bubblewrap (`bwrap --ro-bind / / --unshare-all`):
//!
//! 1. the sandbox library alone (`cowork_sandbox::run`);
//! 2. end to end, as a person types it: the release `cowork exec -- true`
//!    as a whole process against `bwrap … --dev /dev --proc /proc true`,
//!    and `cowork exec --sandbox none -- true` against `cowork --help`;
//! 3. the `Bash` tool's cost per call inside a task: a scripted task of `N`
//!    Bash `true` calls against the same task with `N` `LS` calls.
//!
//! Each contender gets a warm-up, then the best of `RUNS` runs counts: the
//! best run is the machine's floor, free of scheduler noise on 2 cores. The
//! median is printed beside it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use cowork_sandbox::SandboxSpec;

const RUNS: usize = 200;
/// Runs of whole `cowork` processes (slower, so fewer).
const PROCESS_RUNS: usize = 60;
/// Tool calls per scripted task in the per-call measurement.
const CALLS: usize = 40;
const WARM_UP: usize = 10;
/// The goal: cowork's sandbox at most this many times bwrap's cost.
const GOAL: f64 = 1.5;

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    ensure!(args.is_empty(), "usage: bench exec");
    let bwrap = which("bwrap").context(
        "bubblewrap is not installed; install it with `sudo apt-get install -y bubblewrap` \
         (Debian/Ubuntu) or `sudo dnf install bubblewrap` (Fedora)",
    )?;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let plain = best(RUNS, || status_ok(&mut Command::new("true")))?;
    let bwrap_lib = best(RUNS, || {
        status_ok(Command::new(&bwrap).args(["--ro-bind", "/", "/", "--unshare-all", "true"]))
    })?;
    let dir = tempfile::tempdir()?;
    let spec = SandboxSpec::new(["true"], dir.path());
    let library = best(RUNS, || {
        let output = cowork_sandbox::run(&spec)?;
        ensure!(output.status.success(), "sandboxed true failed: {output:?}");
        Ok(())
    })?;
    println!(
        "library: plain {}, bwrap {}, cowork_sandbox::run {}; cowork/bwrap {:.2}x (goal <= {GOAL}x)",
        show(plain),
        show(bwrap_lib),
        show(library),
        library.best.as_secs_f64() / bwrap_lib.best.as_secs_f64(),
    );

    let cowork = cowork_binary()?;
    let home = tempfile::tempdir()?;
    let run = |args: &[&str]| {
        let mut command = Command::new(&cowork);
        command
            .args(args)
            .env("COWORK_HOME", home.path())
            .env("COWORK_CONFIG", home.path().join("config.toml"))
            .current_dir(dir.path());
        status_ok(&mut command)
    };
    let bwrap_full = best(PROCESS_RUNS, || {
        status_ok(Command::new(&bwrap).args([
            "--ro-bind",
            "/",
            "/",
            "--unshare-all",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "true",
        ]))
    })?;
    let exec = best(PROCESS_RUNS, || run(&["exec", "--", "true"]))?;
    let help = best(PROCESS_RUNS, || run(&["--help"]))?;
    let none = best(PROCESS_RUNS, || {
        run(&["exec", "--sandbox", "none", "--", "true"])
    })?;
    println!(
        "end to end: bwrap --dev --proc true {}, cowork exec -- true {}; cowork/bwrap {:.2}x \
         (goal <= {GOAL}x)",
        show(bwrap_full),
        show(exec),
        exec.best.as_secs_f64() / bwrap_full.best.as_secs_f64(),
    );
    println!(
        "end to end: cowork --help {}, cowork exec --sandbox none -- true {}; ratio {:.2}x",
        show(help),
        show(none),
        none.best.as_secs_f64() / help.best.as_secs_f64(),
    );

    let folder = tempfile::tempdir()?;
    std::fs::write(folder.path().join("note.txt"), "notes\n")?;
    let task = |tool: &str, input: serde_json::Value| {
        per_task(&cowork, home.path(), folder.path(), tool, &input)
    };
    let ls = task("LS", serde_json::json!({"path": "."}))?;
    let bash = task("Bash", serde_json::json!({"command": "true"}))?;
    let per_call = (bash.as_secs_f64() - ls.as_secs_f64()) * 1000.0 / CALLS as f64;
    println!(
        "Bash in a task: {CALLS} Bash `true` calls {:.1} ms, {CALLS} LS calls {:.1} ms; \
         Bash costs {per_call:.2} ms per call more than LS (a sandboxed `true` alone: {:.2} ms)",
        ms(bash),
        ms(ls),
        ms(library.best),
    );
    Ok(())
}

/// The best and the median of a series of runs.
#[derive(Debug, Clone, Copy)]
struct Timing {
    best: Duration,
    median: Duration,
}

fn show(t: Timing) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!("{:.2} ms (median {:.2})", ms(t.best), ms(t.median))
}

/// The release `cowork` beside this xtask binary.
pub(crate) fn cowork_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let cowork = exe.with_file_name("cowork");
    ensure!(
        cowork.is_file(),
        "{} is missing: build it with `cargo build --release -p cowork-cli -p xtask`",
        cowork.display()
    );
    Ok(cowork)
}

/// The wall time of a scripted `cowork run` making `CALLS` calls of `tool`
/// (best of a few), from start to exit.
fn per_task(
    cowork: &Path,
    home: &Path,
    folder: &Path,
    tool: &str,
    input: &serde_json::Value,
) -> anyhow::Result<Duration> {
    let mut turns: Vec<serde_json::Value> = (0..CALLS)
        .map(|_| serde_json::json!({"tool_calls": [{"name": tool, "input": input}]}))
        .collect();
    turns.push(serde_json::json!({"text": "done"}));
    let script = home.join(format!("{tool}.json"));
    std::fs::write(&script, serde_json::json!({"turns": turns}).to_string())?;
    let timing = best(5, || {
        let mut command = Command::new(cowork);
        command
            .args(["run", "--provider", "script", "--script"])
            .arg(&script)
            .arg("--folder")
            .arg(folder)
            .args(["--mode", "auto", "benchmark"])
            .env("COWORK_HOME", home)
            .env("COWORK_CONFIG", home.join("config.toml"));
        status_ok(&mut command)
    })?;
    Ok(timing.best)
}

/// The fastest and the median of `runs` timed runs after `WARM_UP`
/// untimed ones.
fn best(runs: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Timing> {
    for _ in 0..WARM_UP {
        f()?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    times.sort_unstable();
    Ok(Timing {
        best: times.first().copied().unwrap_or_default(),
        median: times.get(times.len() / 2).copied().unwrap_or_default(),
    })
}

fn status_ok(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
