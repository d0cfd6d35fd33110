//! Telling the person what the daemon's tasks did while nobody watched: a
//! task finished, failed, or waits for an approval. A notice goes to the
//! desktop (freedesktop notifications: `notify-send`, else `gdbus` on the
//! session bus) and to the person's own program from `[notifications]
//! command`, which gets it as JSON on stdin. Neither may hold up a task:
//! each delivery runs with a time limit, and one that fails is logged.
//! The daemon also keeps every notice in the store (the web UI's list),
//! whether or not any of these is configured.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Serialize;
use tokio::io::AsyncWriteExt;

use cowork_protocol::config::NotificationsConfig;
use cowork_protocol::{Event, TaskId, TaskStatus};
pub use cowork_store::NoticeKind;

/// How long one delivery may take before it is given up.
const DELIVERY_LIMIT: Duration = Duration::from_secs(10);

/// The longest prompt excerpt a notice carries.
const EXCERPT_CHARS: usize = 80;

/// One notice, as the person's command receives it (JSON on stdin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub kind: NoticeKind,
    pub task: TaskId,
    /// The schedule's name, for a scheduled run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    pub title: String,
    pub body: String,
}

/// The task a notice is about: its prompt, and the schedule that started
/// it, if one did.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub task: &'a TaskId,
    pub prompt: &'a str,
    pub schedule: Option<&'a str>,
}

impl Notification {
    /// The notice `event` of the task calls for, if any: an approval
    /// asked, or the task's end. A scheduled run's title names its
    /// schedule: nobody started it by hand, so "a task" would say nothing.
    pub fn for_event(about: About<'_>, event: &Event) -> Option<Self> {
        let what = excerpt(about.prompt);
        let (kind, body) = match event {
            Event::ApprovalRequested { summary, .. } => {
                (NoticeKind::Waiting, format!("{what}\n{}", excerpt(summary)))
            }
            Event::StatusChanged { status, reason, .. } => match status {
                TaskStatus::Completed => (NoticeKind::Finished, what),
                TaskStatus::Failed => (
                    NoticeKind::Failed,
                    match reason {
                        Some(reason) => format!("{what}\n{}", excerpt(reason)),
                        None => what,
                    },
                ),
                TaskStatus::Cancelled | TaskStatus::Running | TaskStatus::Interrupted => {
                    return None;
                }
            },
            _ => return None,
        };
        Some(Self {
            kind,
            task: about.task.clone(),
            schedule: about.schedule.map(str::to_owned),
            title: title(kind, about.schedule),
            body,
        })
    }
}

fn title(kind: NoticeKind, schedule: Option<&str>) -> String {
    match (kind, schedule) {
        (NoticeKind::Waiting, None) => "cowork: a task waits for your approval".to_owned(),
        (NoticeKind::Finished, None) => "cowork: task finished".to_owned(),
        (NoticeKind::Failed, None) => "cowork: task failed".to_owned(),
        (NoticeKind::Waiting, Some(name)) => {
            format!("Scheduled task “{name}” waits for your approval")
        }
        (NoticeKind::Finished, Some(name)) => format!("Scheduled task “{name}” finished"),
        (NoticeKind::Failed, Some(name)) => format!("Scheduled task “{name}” failed"),
    }
}

/// The first line of `text`, at most [`EXCERPT_CHARS`] characters.
fn excerpt(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let line = line.trim();
    if line.chars().count() <= EXCERPT_CHARS {
        return line.to_owned();
    }
    let cut: String = line.chars().take(EXCERPT_CHARS - 1).collect();
    format!("{cut}…")
}

/// Where notices go.
#[derive(Debug, Clone)]
pub struct Notifier {
    desktop: Option<Desktop>,
    command: Option<Vec<String>>,
    limit: Duration,
}

/// The program that puts a notice on the desktop.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Desktop {
    NotifySend(PathBuf),
    Gdbus(PathBuf),
}

/// How one delivery went, for the log and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Desktop(Result<(), String>),
    Command(Result<(), String>),
}

impl Notifier {
    /// The notifier `config` asks for, finding the desktop programs on
    /// `path` (the daemon's `PATH`).
    pub fn from_config(config: &NotificationsConfig, path: Option<OsString>) -> Self {
        let desktop = if config.desktop {
            let find = |name: &str| find_program(path.as_ref()?, name);
            find("notify-send")
                .map(Desktop::NotifySend)
                .or_else(|| find("gdbus").map(Desktop::Gdbus))
        } else {
            None
        };
        let command = (!config.command.is_empty()).then(|| config.command.clone());
        Self {
            desktop,
            command,
            limit: DELIVERY_LIMIT,
        }
    }

    /// The same, giving each delivery `limit` instead of
    /// [`DELIVERY_LIMIT`].
    pub fn with_limit(mut self, limit: Duration) -> Self {
        self.limit = limit;
        self
    }

    /// Whether any notice would go anywhere.
    pub fn is_active(&self) -> bool {
        self.desktop.is_some() || self.command.is_some()
    }

    /// Delivers `notice` everywhere it goes, each within
    /// [`DELIVERY_LIMIT`]; failures are logged and returned.
    pub async fn send(&self, notice: &Notification) -> Vec<Delivery> {
        let mut deliveries = Vec::new();
        if let Some(desktop) = &self.desktop {
            let result = run(desktop_argv(desktop, notice), None, self.limit).await;
            if let Err(e) = &result {
                tracing::warn!(task = %notice.task, "the desktop notification failed: {e}");
            }
            deliveries.push(Delivery::Desktop(result));
        }
        if let Some(command) = &self.command {
            let json = serde_json::to_vec(notice).unwrap_or_default();
            let result = run(command.clone(), Some(json), self.limit).await;
            if let Err(e) = &result {
                tracing::warn!(task = %notice.task, "the notification command failed: {e}");
            }
            deliveries.push(Delivery::Command(result));
        }
        deliveries
    }
}

fn find_program(path: &OsString, name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn desktop_argv(desktop: &Desktop, notice: &Notification) -> Vec<String> {
    let urgency = match notice.kind {
        NoticeKind::Failed | NoticeKind::Waiting => "critical",
        NoticeKind::Finished => "normal",
    };
    match desktop {
        Desktop::NotifySend(program) => vec![
            program.to_string_lossy().into_owned(),
            "--app-name=cowork".to_owned(),
            format!("--urgency={urgency}"),
            // Not an option, whatever the title starts with.
            "--".to_owned(),
            notice.title.clone(),
            notice.body.clone(),
        ],
        Desktop::Gdbus(program) => vec![
            program.to_string_lossy().into_owned(),
            "call".to_owned(),
            "--session".to_owned(),
            "--dest".to_owned(),
            "org.freedesktop.Notifications".to_owned(),
            "--object-path".to_owned(),
            "/org/freedesktop/Notifications".to_owned(),
            "--method".to_owned(),
            "org.freedesktop.Notifications.Notify".to_owned(),
            gvariant_string("cowork"),
            "uint32 0".to_owned(),
            gvariant_string(""),
            gvariant_string(&notice.title),
            gvariant_string(&notice.body),
            "@as []".to_owned(),
            format!(
                "{{'urgency': <byte {}>}}",
                u8::from(urgency == "critical") + 1
            ),
            "int32 -1".to_owned(),
        ],
    }
}

/// `text` as a GVariant text-format string, which is how `gdbus call`
/// reads each argument: quoted, so text that looks like another type (or
/// holds quotes) stays the text it was.
fn gvariant_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Runs `argv` with `stdin` (or none) within `limit`.
async fn run(argv: Vec<String>, stdin: Option<Vec<u8>>, limit: Duration) -> Result<(), String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("no program to run".to_owned());
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("could not start `{program}`: {e}"))?;
    let work = async {
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A program that does not read its input is not an error.
            let _ = pipe.write_all(&bytes).await;
        }
        child.wait_with_output().await
    };
    let output = tokio::time::timeout(limit, work)
        .await
        .map_err(|_| {
            format!(
                "`{}` did not finish within {} s",
                short(program),
                limit.as_secs_f32()
            )
        })?
        .map_err(|e| format!("waiting for `{}` failed: {e}", short(program)))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(format!(
        "`{}` {}: {}",
        short(program),
        output.status,
        stderr.trim()
    ))
}

fn short(program: &str) -> &str {
    Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program)
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
