//! The programs people open our files with, driven from tests.
//!
//! `.ci/run` installs them and sets `COWORK_REQUIRE_CONSUMERS=1`, so in CI
//! a missing one fails the test. Elsewhere a missing one skips the check
//! with a note on stderr, so `cargo test` works on a machine without
//! LibreOffice.

#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    reason = "test support: a failed consumer must stop the test loudly"
)]

use std::path::Path;
use std::process::Command;

/// Whether `program` is on `PATH` (an executable file); panics in CI when
/// it is not. (Looked up rather than run: poppler's tools exit 1 on
/// `--version`.)
pub fn available(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    });
    if !found {
        assert!(
            std::env::var_os("COWORK_REQUIRE_CONSUMERS").is_none(),
            "{program} is required (COWORK_REQUIRE_CONSUMERS is set) but is not on PATH"
        );
        eprintln!("note: {program} is not installed; skipping this check (.ci/run installs it)");
    }
    found
}

/// Whether python3 can import every module in `modules`.
pub fn python_has(modules: &[&str]) -> bool {
    let script = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    let found = Command::new("python3")
        .args(["-c", &script])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("COWORK_REQUIRE_CONSUMERS").is_none(),
            "python3 modules {modules:?} are required (COWORK_REQUIRE_CONSUMERS is set)"
        );
        eprintln!("note: python3 lacks {modules:?}; skipping this check (.ci/run installs them)");
    }
    found
}

/// Runs a Python script with `args`; returns stdout, panicking with stderr
/// on failure.
pub fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Converts `file` with LibreOffice headless (`soffice --convert-to
/// {target}`) into `out_dir`; panics when LibreOffice reports an error or
/// produces nothing (it does when a file needs repair). Returns the
/// converted file's path.
pub fn soffice_convert(file: &Path, target: &str, out_dir: &Path) -> std::path::PathBuf {
    let profile = out_dir.join("lo-profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
        ])
        .arg(out_dir)
        .arg(file)
        .output()
        .unwrap();
    let stem = file.file_stem().unwrap().to_string_lossy();
    let ext = target.split(':').next().unwrap();
    let converted = out_dir.join(format!("{stem}.{ext}"));
    assert!(
        out.status.success() && converted.is_file(),
        "LibreOffice could not convert {}: {}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    converted
}

/// The small stdio MCP server of this crate (`cowork-mock-mcp`), built
/// beside the other binaries when the workspace's tests are built.
/// `None` (with a note) when only another package's tests were built;
/// CI builds the whole workspace and requires it.
pub fn mock_mcp_server() -> Option<std::path::PathBuf> {
    let bin = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("cowork-mock-mcp")))
        .filter(|bin| bin.is_file());
    if bin.is_none() {
        assert!(
            std::env::var_os("COWORK_REQUIRE_CONSUMERS").is_none(),
            "cowork-mock-mcp is required (COWORK_REQUIRE_CONSUMERS is set) but was not built: \
             run the workspace's tests (`cargo test --workspace`)"
        );
        eprintln!(
            "note: cowork-mock-mcp is not built; skipping this check (`cargo test --workspace` builds it)"
        );
    }
    bin
}

/// The entry point (`bin`, else `main`) of the npm package `package` as
/// `.ci/run` installs it under `<workspace>/target/npm/node_modules`, for
/// tests that run real MCP servers with `node`. `None` (with a note on
/// stderr) when it or `node` is missing; panics instead in CI.
pub fn npm_package(package: &str) -> Option<std::path::PathBuf> {
    if !available("node") {
        return None;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .join("target/npm/node_modules")
        .join(package);
    let entry = std::fs::read_to_string(dir.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|pkg| match &pkg["bin"] {
            serde_json::Value::String(bin) => Some(bin.clone()),
            serde_json::Value::Object(bins) => bins.values().next()?.as_str().map(str::to_owned),
            _ => pkg["main"].as_str().map(str::to_owned),
        })
        .map(|entry| dir.join(entry))
        .filter(|entry| entry.is_file());
    if entry.is_none() {
        assert!(
            std::env::var_os("COWORK_REQUIRE_CONSUMERS").is_none(),
            "the npm package {package} is required (COWORK_REQUIRE_CONSUMERS is set) but {} has no entry point; .ci/run installs it",
            dir.display()
        );
        eprintln!(
            "note: the npm package {package} is not installed in target/npm; skipping this check (.ci/run installs it)"
        );
    }
    entry
}

/// The program `name` that an npm package installed under
/// `<workspace>/target/npm/node_modules/.bin` (`.ci/run`'s `node@22`, which
/// the MCP conformance suite needs). `None` with a note when missing;
/// panics instead in CI.
pub fn npm_bin(name: &str) -> Option<std::path::PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .join("target/npm/node_modules/.bin")
        .join(name);
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("COWORK_REQUIRE_CONSUMERS").is_none(),
        "{} is required (COWORK_REQUIRE_CONSUMERS is set); .ci/run installs it",
        bin.display()
    );
    eprintln!(
        "note: {} is not installed; skipping this check (.ci/run installs it)",
        bin.display()
    );
    None
}
