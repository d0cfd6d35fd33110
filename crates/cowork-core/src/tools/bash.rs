//! The `Bash` tool: a shell command in cowork's sandbox.
//!
//! Writable folders are staged: the command sees them writable, but its
//! changes land in an overlay upper directory, and only after it ends are
//! they applied to the folder through the task's journal — so `cowork
//! undo` covers what commands did, exactly like the file tools' changes.
//! Without a journal every folder is read-only for commands.
//!
//! What steers every later task in a folder — its instruction files and
//! skills ([`steering_paths`]) — is protected in the sandbox: commands
//! read it but cannot change, create or delete it (an existing one is
//! mounted read-only; one a command creates is dropped from the stage and
//! never applied). The permission engine asks before a tool changes them;
//! a command gets no such question, so it gets no such power. The result
//! says why a write there failed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;

use cowork_files::staged::{self, Applied, Stage, StageLimits};
use cowork_files::{FileError, Folders};
use cowork_protocol::config::SandboxConfig;
use cowork_protocol::{Effect, ToolSpec};
use cowork_sandbox::egress::{AllowEntry, EgressEvent};
use cowork_sandbox::{
    DEFAULT_FILE_BYTES, Limits, MemoryScope, Mount, Network, SandboxError, SandboxSpec,
};

use super::files::TaskJournal;
use crate::permission::steering_paths;
use crate::tool::{CallContext, Preview, Tool, ToolFailure, ToolRegistry};

/// The tool's name, as rules and the model name it.
pub(crate) const BASH: &str = "Bash";

const DEFAULT_TIMEOUT_SECS: u64 = 120;
const MAX_TIMEOUT_SECS: u64 = 600;
/// Changed paths listed in a result; the rest are counted.
const LISTED_CHANGES: usize = 40;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    command: String,
    #[serde(default)]
    timeout: Option<u64>,
    #[serde(default)]
    description: Option<String>,
}

/// What `Bash` runs with.
pub struct BashSetup {
    /// The task's folders: mounted at their own paths, and where staged
    /// changes are applied.
    pub folders: Arc<Folders>,
    /// The task's journal. With it, writable folders are writable for
    /// commands (changes staged, then journaled); without it, read-only.
    pub journal: Option<TaskJournal>,
    /// Whether commands are isolated.
    pub isolation: Isolation,
    /// What sandboxed commands may reach.
    pub network: Network,
    /// Size limits from the configuration's `[sandbox]` section.
    pub limits: SandboxConfig,
    /// cowork's own data and configuration folders: commands must neither
    /// see nor change them, even inside a connected folder (`--folder ~`).
    pub hidden: Vec<PathBuf>,
}

/// How commands run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// In cowork's sandbox (the default; refuse when it is unavailable).
    Sandboxed,
    /// Directly on the machine, because a person chose `--sandbox none`:
    /// no isolation, no journal for what commands change.
    Unsandboxed,
}

struct Bash {
    spec: ToolSpec,
    setup: Arc<BashSetup>,
}

/// Registers `Bash`.
pub fn register_bash(registry: &mut ToolRegistry, setup: BashSetup) {
    let writable = setup.journal.is_some() && setup.folders.grants().iter().any(|g| !g.read_only);
    let network = match &setup.network {
        Network::None => "no network".to_owned(),
        Network::Allow(egress) => {
            let (ranges, domains): (Vec<_>, Vec<_>) = egress
                .allowlist
                .entries()
                .iter()
                .partition(|e| matches!(e, AllowEntry::Range(_)));
            let join = |entries: &[&AllowEntry]| {
                entries
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let reach = if ranges.is_empty() {
                String::new()
            } else {
                format!(
                    " (these names may lead into {}; no address there is reachable directly)",
                    join(&ranges)
                )
            };
            format!(
                "network only over HTTP(S) to {}{reach} through a proxy already set in the \
                 environment (HTTPS_PROXY; other hosts and IP addresses are refused)",
                join(&domains)
            )
        }
    };
    let description = match (setup.isolation, writable) {
        (Isolation::Unsandboxed, _) => "Runs a shell command (sh -c) directly on the user's \
            machine, WITHOUT a sandbox (the user chose so): it can read and change anything the \
            user can, and what it changes is not journaled, so it cannot be undone. Prefer the \
            file tools for changing files. The working directory is the first folder. Output is \
            capped; the default timeout is 120 s (timeout in seconds, at most 600)."
            .to_owned(),
        (Isolation::Sandboxed, true) => sandboxed_description(
            &network,
            "the connected folders at their own paths (writable ones writable: what a command \
             changes there is journaled, and undoing the task reverts it; symlinks it creates there \
             are not kept; each folder's COWORK.md, CLAUDE.md, AGENTS.md and .claude/skills are \
             read-only for commands: change them with Write or Edit)",
        ),
        (Isolation::Sandboxed, false) => sandboxed_description(
            &network,
            "the connected folders at their own paths READ-ONLY (write results with Write)",
        ),
    };
    registry.register(Arc::new(Bash {
        spec: ToolSpec {
            name: BASH.into(),
            description,
            input_schema: serde_json::json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "The command line, run with sh -c."},
                    "timeout": {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_SECS},
                    "description": {"type": "string", "description": "What the command does, in five to ten words."}
                },
                "required": ["command"],
                "additionalProperties": false
            }),
            effect: Effect::Execute,
        },
        setup: Arc::new(setup),
    }));
}

fn sandboxed_description(network: &str, folders: &str) -> String {
    format!(
        "Runs a shell command (sh -c) in an isolated sandbox: {network}, {folders}, a private \
         writable /tmp and $HOME, python3 and the usual command-line tools. The working \
         directory is the first folder. Output is capped; the default timeout is 120 s (timeout \
         in seconds, at most 600)."
    )
}

fn parse(input: &serde_json::Value) -> Result<Input, ToolFailure> {
    serde_json::from_value(input.clone())
        .map_err(|e| ToolFailure::new(format!("Bash: invalid arguments: {e}")))
}

impl Tool for Bash {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn preview(
        &self,
        input: &serde_json::Value,
    ) -> BoxFuture<'static, Result<Preview, ToolFailure>> {
        let result = parse(input).map(|input| Preview {
            paths: Vec::new(),
            summary: match &input.description {
                Some(d) => format!("run ({d}):\n$ {}", input.command),
                None => format!("run:\n$ {}", input.command),
            },
        });
        Box::pin(async move { result })
    }

    fn call(
        &self,
        input: serde_json::Value,
        ctx: CallContext,
    ) -> BoxFuture<'static, Result<String, ToolFailure>> {
        let setup = Arc::clone(&self.setup);
        Box::pin(async move {
            let input = parse(&input)?;
            let timeout = input
                .timeout
                .unwrap_or(DEFAULT_TIMEOUT_SECS)
                .clamp(1, MAX_TIMEOUT_SECS);
            let run = tokio::task::spawn_blocking(move || {
                execute(&setup, &input.command, timeout, &ctx.call_id, &ctx.cancel)
            })
            .await;
            match run {
                Ok(result) => result,
                Err(e) => Err(ToolFailure::new(format!(
                    "the command stopped unexpectedly: {e}"
                ))),
            }
        })
    }
}

/// Runs the command with writable folders staged, then applies what it
/// changed through the journal.
fn execute(
    setup: &BashSetup,
    command: &str,
    timeout: u64,
    call_id: &str,
    cancel: &AtomicBool,
) -> Result<String, ToolFailure> {
    let grants = setup.folders.grants();
    let cwd = grants
        .first()
        .map(|g| g.path.clone())
        .unwrap_or_else(|| "/tmp".into());
    let limits = Limits {
        wall: Duration::from_secs(timeout),
        file_bytes: Some(max_file_bytes(&setup.limits)),
        ..Limits::default()
    };
    let argv: Vec<OsString> = vec!["/bin/sh".into(), "-c".into(), OsString::from(command)];
    if setup.isolation == Isolation::Unsandboxed {
        let mut spec = SandboxSpec::new(argv, cwd);
        spec.limits = limits;
        let output = cowork_sandbox::run_unsandboxed(&spec, cancel)
            .map_err(|e| ToolFailure::new(format!("the command could not be run: {e}")))?;
        return Ok(render(&output, timeout, &setup.limits));
    }
    let mut notes = Vec::new();
    let mut stages: Vec<(PathBuf, Stage)> = Vec::new();
    let mut mounts = Vec::with_capacity(grants.len());
    for grant in grants {
        let stage = match &setup.journal {
            Some(journal) if !grant.read_only => stage_for(journal, &grant.path)
                .map_err(|why| notes.push(why))
                .ok(),
            Some(_) | None => None,
        };
        mounts.push(match stage {
            Some(stage) => {
                let mount = Mount::staged(
                    &grant.path,
                    cowork_sandbox::Stage {
                        upper: stage.upper().to_path_buf(),
                        work: stage.work().to_path_buf(),
                    },
                );
                stages.push((grant.path.clone(), stage));
                mount
            }
            None => Mount::read_only(&grant.path),
        });
    }
    let protected: Vec<PathBuf> = grants
        .iter()
        .filter(|g| !g.read_only)
        .flat_map(|g| steering_paths(&g.path))
        .collect();
    let mut spec = SandboxSpec {
        command: argv,
        cwd,
        mounts,
        env: Vec::new(),
        limits,
        network: setup.network.clone(),
        stdin: None,
        hidden: setup.hidden.clone(),
        protected,
    };
    let output = match cowork_sandbox::run_cancellable(&spec, cancel) {
        Err(SandboxError::Staging { folder, message }) => {
            // Nothing ran; run it again with every folder read-only.
            notes.push(format!(
                "the folders were read-only for this command: changes to {} could not be \
                 staged ({message})",
                folder.display()
            ));
            stages.clear();
            for mount in &mut spec.mounts {
                *mount = Mount::read_only(&mount.path);
            }
            cowork_sandbox::run_cancellable(&spec, cancel)
        }
        other => other,
    }
    .map_err(|e| ToolFailure::new(format!("the sandbox could not run the command: {e}")))?;
    let mut text = render(&output, timeout, &setup.limits);
    if let Some(refusal) = protected_refusal(&setup.folders, &spec.protected, &output) {
        text.push_str(&refusal);
    }
    if !output.egress.is_empty() {
        text.push_str(&network_summary(&output.egress));
    }
    if let Some(journal) = &setup.journal
        && !stages.is_empty()
    {
        let journal = journal.for_call(call_id);
        let applied = apply_stages(setup, journal, &stages, &mut notes);
        if !applied.is_empty() {
            text.push_str(&applied.summary(LISTED_CHANGES));
            text.push('\n');
        }
    }
    for note in notes {
        text.push_str(&format!("Note: {note}\n"));
    }
    Ok(text)
}

/// Applies every folder's stage, after checking them together against the
/// `[sandbox]` limits: a command that left too much has none of its changes
/// applied (its stages are discarded when dropped).
fn apply_stages(
    setup: &BashSetup,
    journal: &cowork_files::Journal,
    stages: &[(PathBuf, Stage)],
    notes: &mut Vec<String>,
) -> Applied {
    let limits = StageLimits::from_config(&setup.limits);
    let mut applied = Applied::default();
    let all: Vec<&Stage> = stages.iter().map(|(_, stage)| stage).collect();
    match staged::check(&all, &limits) {
        Ok(()) => {}
        Err(e @ FileError::StagedTooLarge { .. }) => {
            notes.push(e.to_string());
            return applied;
        }
        Err(e) => {
            notes.push(format!(
                "none of the command's changes to the connected folders were applied: {e}"
            ));
            return applied;
        }
    }
    for (folder, stage) in stages {
        match staged::apply(&setup.folders, journal, folder, stage, &limits) {
            Ok(one) => applied.extend(one),
            Err(e) => notes.push(format!(
                "not all of the command's changes to {} were applied: {e}",
                folder.display()
            )),
        }
    }
    applied
}

/// Why a command's write to a folder's instructions or skills failed, when
/// it tried: what was dropped from its stage, or an error it printed about
/// one of them (the kernel's `EROFS` or `EBUSY` on the read-only mounts).
fn protected_refusal(
    folders: &Folders,
    protected: &[PathBuf],
    output: &cowork_sandbox::Output,
) -> Option<String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let failed_there = ["Read-only file system", "Device or resource busy"]
        .iter()
        .any(|e| stderr.contains(e))
        && protected.iter().any(|p| {
            p.file_name()
                .is_some_and(|name| stderr.contains(&*name.to_string_lossy()))
        });
    if output.refused.is_empty() && !failed_there {
        return None;
    }
    let mut text = String::new();
    if !output.refused.is_empty() {
        let shown: Vec<String> = output.refused.iter().map(|p| folders.display(p)).collect();
        text.push_str(&format!(
            "Refused: the command's changes to {} were not applied.\n",
            shown.join(", ")
        ));
    }
    text.push_str(
        "Commands cannot change, create or delete a folder's instructions (COWORK.md, CLAUDE.md, \
         AGENTS.md at its root) or its skills (.claude/skills): they steer every later task in \
         the folder, so only the person may change them. Use Write or Edit, which ask them \
         first.\n",
    );
    Some(text)
}

/// One line per distinct request outcome: "Network: allowed pypi.org:443
/// (3×)".
fn network_summary(events: &[EgressEvent]) -> String {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for event in events {
        let line = event.to_string();
        match seen.iter_mut().find(|(l, _)| *l == line) {
            Some((_, n)) => *n += 1,
            None => seen.push((line, 1)),
        }
    }
    seen.iter()
        .map(|(line, n)| match n {
            1 => format!("Network: {line}\n"),
            n => format!("Network: {line} ({n}×)\n"),
        })
        .collect()
}

/// A stage for `folder` under cowork's data dir, unless the data dir is
/// inside the folder (an overlay cannot keep its changes inside itself).
fn stage_for(journal: &TaskJournal, folder: &Path) -> Result<Stage, String> {
    let store = journal.store();
    let stages = std::fs::canonicalize(store.stages()).unwrap_or_else(|_| store.stages().into());
    if stages.starts_with(folder) {
        return Err(format!(
            "{} holds cowork's data folder, so commands see it read-only",
            folder.display()
        ));
    }
    Stage::create(store).map_err(|e| format!("{} is read-only for commands: {e}", folder.display()))
}

/// `[sandbox] max_file_mb` in bytes, or the sandbox's default.
fn max_file_bytes(config: &SandboxConfig) -> u64 {
    config
        .max_file_mb
        .map_or(DEFAULT_FILE_BYTES, |mb| mb.saturating_mul(1 << 20))
}

/// What the command left behind, and which limit stopped it when one did.
fn render(output: &cowork_sandbox::Output, timeout: u64, config: &SandboxConfig) -> String {
    let mut text = String::new();
    if output.timed_out {
        text.push_str(&format!(
            "timed out after {timeout} s; the command and everything it started were stopped\n"
        ));
    }
    text.push_str(&format!("exit status: {}\n", describe(&output.status)));
    for (name, bytes, cut) in [
        ("stdout", &output.stdout, output.stdout_truncated),
        ("stderr", &output.stderr, output.stderr_truncated),
    ] {
        if bytes.is_empty() {
            continue;
        }
        text.push_str(&format!(
            "--- {name}{} ---\n",
            if cut { " (truncated)" } else { "" }
        ));
        text.push_str(&String::from_utf8_lossy(bytes));
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    if output.file_size_limit_hit() {
        text.push_str(&format!(
            "file-size limit hit: no file may grow beyond {} MiB (the user can raise it with \
             max_file_mb in the [sandbox] section of config.toml)\n",
            max_file_bytes(config) >> 20
        ));
    }
    // Only worth a line when the command failed: then memory may be why.
    if !output.status.success()
        && let (MemoryScope::PerProcess, Some(bytes)) =
            (output.memory_scope, Limits::default().memory_bytes)
    {
        text.push_str(&format!(
            "memory limit: {} MiB per process (no cgroup: the run as a whole is not capped)\n",
            bytes >> 20
        ));
    }
    text
}

fn describe(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code.to_string(),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "unknown".to_owned(),
    }
}
