//! Shared helpers for the sandbox tests.

mod egress;
mod egress_internal;
mod egress_sandbox;
mod escape;
mod functional;
mod limits;
mod nested;
mod protected;
mod staged;
mod unconfined;

use std::path::Path;
use std::time::Duration;

use cowork_sandbox::{Mount, Output, SandboxSpec};

/// A shell command in a spec with `dir` mounted writable as cwd.
pub fn sh(script: &str, dir: &Path) -> SandboxSpec {
    let mut spec = SandboxSpec::new(["/bin/sh", "-c", script], dir);
    spec.limits.wall = Duration::from_secs(60);
    spec
}

/// Runs `script` with `dir` writable; panics if it cannot run at all.
pub fn run_sh(script: &str, dir: &Path) -> Output {
    cowork_sandbox::run(&sh(script, dir)).expect("sandbox runs")
}

/// Stdout as text.
pub fn out(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr as text.
pub fn err(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A spec whose only mount is `dir`, read-only.
pub fn sh_read_only(script: &str, dir: &Path) -> SandboxSpec {
    let mut spec = sh(script, dir);
    spec.mounts = vec![Mount::read_only(dir)];
    spec
}
