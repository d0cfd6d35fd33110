//! The `Bash` tool: a shell command in cowork's sandbox.
//!
//! Until the sandbox can hand its changes to the change journal, the
//! connected folders are mounted read-only for commands: a command can read
//! and compute (and write in its private /tmp), and results are saved with
//! the journaled writing tools — so nothing a command does escapes undo.

use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;

use cowork_protocol::{Effect, FolderGrant, ToolSpec};
use cowork_sandbox::{Limits, Mount, Network, SandboxSpec};

use crate::tool::{CallContext, Preview, Tool, ToolFailure, ToolRegistry};

const DEFAULT_TIMEOUT_SECS: u64 = 120;
const MAX_TIMEOUT_SECS: u64 = 600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    command: String,
    #[serde(default)]
    timeout: Option<u64>,
    #[serde(default)]
    description: Option<String>,
}

struct Bash {
    spec: ToolSpec,
    folders: Vec<FolderGrant>,
}

/// Registers `Bash` over `folders` (mounted read-only).
pub fn register_bash(registry: &mut ToolRegistry, folders: &[FolderGrant]) {
    registry.register(Arc::new(Bash {
        spec: ToolSpec {
            name: "Bash".into(),
            description: "Runs a shell command (sh -c) in an isolated sandbox: no network, the \
                connected folders at their own paths READ-ONLY, a private writable /tmp and \
                $HOME, python3 and the usual command-line tools. Use it to compute, convert, \
                analyse; write results with Write. Output is capped; the default timeout is \
                120 s (timeout in seconds, at most 600)."
                .into(),
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
        folders: folders.to_vec(),
    }));
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
        let folders = self.folders.clone();
        Box::pin(async move {
            let input = parse(&input)?;
            let timeout = input
                .timeout
                .unwrap_or(DEFAULT_TIMEOUT_SECS)
                .clamp(1, MAX_TIMEOUT_SECS);
            let cwd = folders
                .first()
                .map(|f| f.path.clone())
                .unwrap_or_else(|| "/tmp".into());
            let spec = SandboxSpec {
                command: vec![
                    "/bin/sh".into(),
                    "-c".into(),
                    OsString::from(&input.command),
                ],
                cwd,
                mounts: folders
                    .iter()
                    .map(|f| Mount {
                        path: f.path.clone(),
                        writable: false,
                    })
                    .collect(),
                env: Vec::new(),
                limits: Limits {
                    wall: Duration::from_secs(timeout),
                    ..Limits::default()
                },
                network: Network::None,
                stdin: None,
            };
            let cancel = ctx.cancel;
            let run = tokio::task::spawn_blocking(move || {
                cowork_sandbox::run_cancellable(&spec, &cancel)
            })
            .await;
            let output = match run {
                Ok(Ok(output)) => output,
                Ok(Err(e)) => {
                    return Err(ToolFailure::new(format!(
                        "the sandbox could not run the command: {e}"
                    )));
                }
                Err(e) => {
                    return Err(ToolFailure::new(format!(
                        "the command stopped unexpectedly: {e}"
                    )));
                }
            };
            Ok(render(&output, timeout))
        })
    }
}

fn render(output: &cowork_sandbox::Output, timeout: u64) -> String {
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
