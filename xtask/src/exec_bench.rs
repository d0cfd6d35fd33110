//! `bench exec`: the cost of one sandboxed `true`, against a plain
//! fork/exec and against bubblewrap (`bwrap --ro-bind / / --unshare-all`).
//!
//! Each contender gets a warm-up, then the best of `RUNS` runs counts: the
//! best run is the machine's floor, free of scheduler noise on 2 cores.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use cowork_sandbox::SandboxSpec;

const RUNS: usize = 200;
const WARM_UP: usize = 10;
/// The goal: cowork's sandbox at most this many times bwrap's cost.
const GOAL: f64 = 1.5;

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    ensure!(args.is_empty(), "usage: bench exec");
    let bwrap = which("bwrap").context(
        "bubblewrap is not installed; install it with `sudo apt-get install -y bubblewrap` \
         (Debian/Ubuntu) or `sudo dnf install bubblewrap` (Fedora)",
    )?;

    let plain = best(|| status_ok(&mut Command::new("true")))?;
    let bwrap = best(|| {
        status_ok(Command::new(&bwrap).args(["--ro-bind", "/", "/", "--unshare-all", "true"]))
    })?;
    let dir = tempfile::tempdir()?;
    let spec = SandboxSpec::new(["true"], dir.path());
    let cowork = best(|| {
        let output = cowork_sandbox::run(&spec)?;
        ensure!(output.status.success(), "sandboxed true failed: {output:?}");
        Ok(())
    })?;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ratio = cowork.as_secs_f64() / bwrap.as_secs_f64();
    println!(
        "exec true: plain {:.1} ms, bwrap {:.1} ms, cowork {:.1} ms; cowork/bwrap {ratio:.2}x (goal <= {GOAL}x)",
        ms(plain),
        ms(bwrap),
        ms(cowork),
    );
    Ok(())
}

/// The fastest of `RUNS` timed runs after `WARM_UP` untimed ones.
fn best(mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    for _ in 0..WARM_UP {
        f()?;
    }
    let mut best = Duration::MAX;
    for _ in 0..RUNS {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed());
    }
    Ok(best)
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
