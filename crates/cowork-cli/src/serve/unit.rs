//! `cowork serve --install` / `--uninstall`: the daemon as a systemd user
//! service, started at login and restarted on failure.
//!
//! The unit pins the data dir and the configuration the installing shell
//! uses (a service does not see the shell's variables), and reads model
//! keys from an optional `env` file beside the configuration.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::ServeArgs;
use crate::{config, home, safe};

pub const UNIT_NAME: &str = "cowork.service";

pub fn install(args: &ServeArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot tell where this cowork binary is")?;
    let data_dir = absolute(home::data_dir()?)?;
    let config_path = config::config_path()
        .map(absolute)
        .transpose()?
        .context("cannot tell where the configuration is: set COWORK_CONFIG (or HOME)")?;
    let env_file = config_path
        .parent()
        .map_or_else(|| PathBuf::from("env"), |dir| dir.join("env"));
    let contents = render(&Unit {
        exe: &exe,
        serve_args: &serve_args(args),
        data_dir: &data_dir,
        config: &config_path,
        env_file: &env_file,
    })?;
    let path = unit_dir(args)?.join(UNIT_NAME);
    let shown = safe::path(&path);

    if args.dry_run {
        println!("Would write {shown}:\n\n{contents}");
        println!("Would run: systemctl --user daemon-reload");
        println!("Would run: systemctl --user enable --now {UNIT_NAME}");
        return Ok(ExitCode::SUCCESS);
    }
    write_unit(&path, &contents)?;
    println!("Wrote {shown}.");
    let steps = [
        vec!["--user", "daemon-reload"],
        vec!["--user", "enable", "--now", UNIT_NAME],
    ];
    let started = run_systemctl(&steps)?;
    if started {
        println!("cowork now runs in the background and starts when you log in.");
        println!("Its sign-in link: cowork serve --link");
    }
    println!(
        "The service does not see your shell's variables: put model keys (e.g. \
ANTHROPIC_API_KEY=…) in {}, readable only by you (chmod 600).",
        safe::path(&env_file)
    );
    println!(
        "To keep tasks running after you log out, and to start cowork at boot \
rather than at login: loginctl enable-linger $USER"
    );
    Ok(ExitCode::SUCCESS)
}

pub fn uninstall(args: &ServeArgs) -> Result<ExitCode> {
    let path = unit_dir(args)?.join(UNIT_NAME);
    let shown = safe::path(&path);
    if args.dry_run {
        println!("Would run: systemctl --user disable --now {UNIT_NAME}");
        println!("Would remove {shown}");
        println!("Would run: systemctl --user daemon-reload");
        return Ok(ExitCode::SUCCESS);
    }
    if !path.exists() {
        println!("No cowork service at {shown}: nothing to remove.");
        return Ok(ExitCode::SUCCESS);
    }
    run_systemctl(&[vec!["--user", "disable", "--now", UNIT_NAME]])?;
    std::fs::remove_file(&path).with_context(|| format!("cannot remove {shown}"))?;
    println!("Removed {shown}.");
    run_systemctl(&[vec!["--user", "daemon-reload"]])?;
    Ok(ExitCode::SUCCESS)
}

/// What goes into the unit file.
pub struct Unit<'a> {
    pub exe: &'a Path,
    pub serve_args: &'a [String],
    pub data_dir: &'a Path,
    pub config: &'a Path,
    pub env_file: &'a Path,
}

/// The unit file's text. Fails on a path systemd cannot be told (one
/// with a line break).
pub fn render(unit: &Unit<'_>) -> Result<String> {
    let exe = path_text(unit.exe)?;
    let mut exec = vec![quote_exec(&exe), "serve".to_owned()];
    exec.extend(unit.serve_args.iter().map(|a| quote_exec(a)));
    let data_dir = path_text(unit.data_dir)?;
    let config = path_text(unit.config)?;
    let env_file = path_text(unit.env_file)?;
    Ok(format!(
        "# Written by `cowork serve --install`; `cowork serve --uninstall` removes it.\n\
[Unit]\n\
Description=cowork: runs tasks in the background and serves the web UI\n\
\n\
[Service]\n\
Type=simple\n\
ExecStart={}\n\
Restart=on-failure\n\
RestartSec=2\n\
Environment={}\n\
Environment={}\n\
EnvironmentFile=-{}\n\
\n\
[Install]\n\
WantedBy=default.target\n",
        exec.join(" "),
        quote_value(&format!("COWORK_HOME={data_dir}")),
        quote_value(&format!("COWORK_CONFIG={config}")),
        escape_specifiers(&env_file),
    ))
}

/// The flags the service runs with: the ones given, when not the default.
fn serve_args(args: &ServeArgs) -> Vec<String> {
    let mut out = Vec::new();
    if args.port != cowork_server::DEFAULT_PORT {
        out.extend(["--port".to_owned(), args.port.to_string()]);
    }
    if let Some(host) = args.host {
        out.extend(["--host".to_owned(), host.to_string()]);
    }
    if args.max_tasks != 4 {
        out.extend(["--max-tasks".to_owned(), args.max_tasks.to_string()]);
    }
    out
}

/// `--unit-dir`, else `$XDG_CONFIG_HOME/systemd/user`, else
/// `~/.config/systemd/user`.
fn unit_dir(args: &ServeArgs) -> Result<PathBuf> {
    if let Some(dir) = &args.unit_dir {
        return Ok(dir.clone());
    }
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(xdg) = var("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(xdg).join("systemd/user"));
    }
    match var("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".config/systemd/user")),
        None => bail!("cannot tell where user services go: set HOME, or give --unit-dir"),
    }
}

fn write_unit(path: &Path, contents: &str) -> Result<()> {
    let shown = safe::path(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}", safe::path(dir)))?;
    }
    let temp = path.with_extension("service.tmp");
    std::fs::write(&temp, contents).with_context(|| format!("cannot write {shown}"))?;
    std::fs::rename(&temp, path).with_context(|| format!("cannot write {shown}"))?;
    Ok(())
}

/// Runs each `systemctl` step in order. Without systemctl, prints the
/// steps to run by hand and returns `false`.
fn run_systemctl(steps: &[Vec<&str>]) -> Result<bool> {
    let program = std::env::var_os("COWORK_SYSTEMCTL")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| super::find_program("systemctl"))
        .filter(|p| p.is_file());
    let Some(program) = program else {
        println!("No systemctl here; run these yourself where systemd runs:");
        for step in steps {
            println!("  systemctl {}", step.join(" "));
        }
        return Ok(false);
    };
    for step in steps {
        let output = std::process::Command::new(&program)
            .args(step)
            .output()
            .with_context(|| format!("cannot run systemctl {}", step.join(" ")))?;
        if !output.status.success() {
            bail!(
                "`systemctl {}` failed: {}",
                step.join(" "),
                safe::text(String::from_utf8_lossy(&output.stderr).trim())
            );
        }
    }
    Ok(true)
}

fn absolute(path: PathBuf) -> Result<PathBuf> {
    std::path::absolute(&path)
        .with_context(|| format!("cannot make {} absolute", safe::path(&path)))
}

fn path_text(path: &Path) -> Result<String> {
    let text = path.to_str().with_context(|| {
        format!(
            "{} is not UTF-8; a unit file cannot name it",
            safe::path(path)
        )
    })?;
    if text.contains(['\n', '\r']) {
        bail!(
            "{} has a line break; a unit file cannot name it",
            safe::path(path)
        );
    }
    Ok(text.to_owned())
}

/// One word of `ExecStart=`: quoted when it has spaces or quotes; `%`
/// (specifiers) and `$` (variables) escaped.
fn quote_exec(word: &str) -> String {
    let escaped = escape_specifiers(word).replace('$', "$$");
    if escaped.contains([' ', '\t', '"', '\'', '\\', ';']) || escaped.is_empty() {
        format!("\"{}\"", escaped.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        escaped
    }
}

/// An `Environment=` assignment, always quoted.
fn quote_value(assignment: &str) -> String {
    format!(
        "\"{}\"",
        escape_specifiers(assignment)
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    )
}

fn escape_specifiers(text: &str) -> String {
    text.replace('%', "%%")
}

#[cfg(test)]
#[path = "unit_tests.rs"]
mod tests;
