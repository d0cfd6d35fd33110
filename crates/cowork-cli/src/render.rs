//! Rendering a running task's events: streamed text on stdout, one line
//! per tool call and the outcome on stderr (a spinner while waiting when
//! stderr is a terminal), or JSON lines with `--json`. Everything the
//! model, a file or a tool said is escaped ([`crate::safe`]) before it
//! reaches the terminal.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use console::style;
use indicatif::{ProgressBar, ProgressStyle};

use cowork_core::Decider;
use cowork_protocol::{
    BudgetExceeded, ConnectorStatus, EndReason, Envelope, Event, InstructionSource, TaskId,
    TaskStatus, Usage,
};

use crate::safe;

/// Renders events as they come.
pub struct Renderer {
    json: bool,
    task: TaskId,
    /// Whether to show a spinner at all (stderr is a terminal, not JSON).
    animate: bool,
    /// The spinner while one is shown. It is dropped, not hidden, before
    /// text streams, so it never redraws over the model's words.
    spinner: Option<ProgressBar>,
    /// Whether stdout's last byte was a newline (or nothing was written).
    at_line_start: bool,
    started: Instant,
    usage: Usage,
    turns: u32,
    /// What each running call was asked, by call id, for its result line.
    calls: HashMap<String, String>,
    /// Whether the current answer's text came as deltas.
    streamed: bool,
}

impl Renderer {
    pub fn new(task: TaskId, json: bool) -> Self {
        Self {
            json,
            task,
            animate: !json && console::Term::stderr().is_term(),
            spinner: None,
            at_line_start: true,
            started: Instant::now(),
            usage: Usage::default(),
            turns: 0,
            calls: HashMap::new(),
            streamed: false,
        }
    }

    /// The first thing a run prints: which task this is.
    pub fn start(&mut self, resumed: bool) {
        if self.json {
            let line = serde_json::json!({"type": "task", "id": self.task, "resumed": resumed});
            out_line(&line.to_string());
        } else {
            let verb = if resumed { "resuming" } else { "task" };
            self.err_line(
                &style(format!("{verb} {}", self.task.short()))
                    .dim()
                    .to_string(),
            );
        }
    }

    pub fn event(&mut self, envelope: &Envelope) {
        if self.json {
            // The one JSON shape of `run --json`, `show --json` and the
            // daemon's event stream.
            if let Ok(line) = serde_json::to_string(envelope) {
                out_line(&line);
            }
            return;
        }
        match &envelope.event {
            Event::TurnStarted { turn } => {
                self.turns = *turn;
                self.status("thinking");
            }
            Event::TextDelta { text } => {
                self.streamed = true;
                self.clear_spinner();
                // Each delta holds whole characters, so escaping one at a
                // time never splits a character; Markdown is left as is.
                let shown = safe::text(text);
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(shown.as_bytes());
                let _ = stdout.flush();
                if !text.is_empty() {
                    self.at_line_start = text.ends_with('\n');
                }
            }
            Event::AssistantMessage { content, usage, .. } => {
                self.usage.add(usage);
                // Replayed from the log (`cowork attach`), an answer comes
                // without the deltas that streamed it: show it whole.
                if !std::mem::take(&mut self.streamed) {
                    self.text(content);
                }
                self.end_text_line();
            }
            Event::ToolCallStarted {
                id, name, input, ..
            } => {
                self.end_text_line();
                let summary = summarize_input(input);
                let name = safe::line(name);
                self.status(&format!("{name} {summary}"));
                self.calls.insert(id.clone(), summary);
            }
            Event::ToolCallFinished {
                id,
                name,
                content,
                is_error,
                duration_ms,
            } => {
                let asked = match self.calls.remove(id) {
                    Some(summary) if !summary.is_empty() => format!(" {summary}"),
                    Some(_) | None => String::new(),
                };
                let name = safe::line(name);
                let line = if *is_error {
                    format!(
                        "{} {name}{asked} {}",
                        style("✗").red(),
                        style(format!("· {}", first_line(content, 400))).red()
                    )
                } else {
                    format!(
                        "{} {name}{asked} {}",
                        style("●").green(),
                        style(format!("· {} · {duration_ms} ms", describe_output(content))).dim()
                    )
                };
                self.err_line(&line);
            }
            Event::Compacted { usage, .. } => {
                self.usage.add(usage);
                self.err_line(&style("conversation compacted").dim().to_string());
            }
            Event::Notice { message } => {
                self.err_line(&style(safe::text(message)).yellow().to_string());
            }
            Event::PromptExpanded { name, .. } => {
                self.err_line(
                    &style(format!("running /{}", safe::line(name)))
                        .dim()
                        .to_string(),
                );
            }
            Event::MemoryRecalled { entries } => {
                for line in recalled_lines(entries) {
                    self.err_line(&style(line).dim().to_string());
                }
            }
            Event::Connector { server, status } => {
                let line = connector_line(server, status);
                let styled = match status {
                    ConnectorStatus::Connected { .. } => style(line).dim(),
                    ConnectorStatus::NeedsLogin
                    | ConnectorStatus::Unreachable { .. }
                    | ConnectorStatus::Blocked { .. }
                    | ConnectorStatus::Restarting { .. } => style(line).yellow(),
                };
                self.err_line(&styled.to_string());
            }
            Event::Warning { source, message } => {
                self.err_line(
                    &style(format!("{}: {}", safe::line(source), safe::text(message)))
                        .yellow()
                        .to_string(),
                );
            }
            Event::InstructionsLoaded { sources } => {
                self.err_line(&style(instructions_line(sources)).dim().to_string());
            }
            Event::StatusChanged {
                status,
                reason,
                end,
            } => {
                let reason = end_reason(reason.as_deref(), end.as_ref());
                self.finish(*status, reason.as_deref());
            }
            Event::Undone {
                restored,
                skipped,
                forced,
            } => self.err_line(&format!(
                "undone: {restored} restored, {skipped} already as before, {forced} forced"
            )),
            Event::ApprovalDecided { by, .. } if Decider::parse(by) == Some(Decider::Nobody) => {
                // Core names no flag; this front says which of its own
                // would have let the call run.
                self.err_line(
                    &style(
                        "nobody could answer that approval here (no terminal): run again with \
                         --yes or --mode auto, or add an allow rule in config.toml",
                    )
                    .yellow()
                    .to_string(),
                );
            }
            Event::TaskCreated { spec } => {
                if let Some(link) = &spec.schedule {
                    self.err_line(
                        &style(crate::schedule_view::schedule_line(link))
                            .dim()
                            .to_string(),
                    );
                }
            }
            Event::UserMessage { .. }
            | Event::ApprovalRequested { .. }
            | Event::ApprovalDecided { .. }
            | Event::FileChanged { .. } => {}
        }
    }

    fn text(&mut self, content: &[cowork_protocol::ContentBlock]) {
        for block in content {
            if let cowork_protocol::ContentBlock::Text { text } = block {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(safe::text(text).as_bytes());
                let _ = stdout.flush();
                if !text.is_empty() {
                    self.at_line_start = text.ends_with('\n');
                }
            }
        }
    }

    fn finish(&mut self, status: TaskStatus, reason: Option<&str>) {
        self.end_text_line();
        self.clear_spinner();
        let stats = format!(
            "{:.1} s · {} · {} tokens · task {}",
            self.started.elapsed().as_secs_f64(),
            plural(u64::from(self.turns), "turn"),
            human_count(self.usage.total()),
            self.task.short()
        );
        let line = match status {
            TaskStatus::Completed => {
                format!("{} done · {}", style("✓").green(), style(stats).dim())
            }
            TaskStatus::Running => return,
            // Seen only when following a task's log (attach, a replay):
            // the process running it died there, and whoever resumed it
            // goes on below — a hint to resume it would be wrong.
            TaskStatus::Interrupted => format!(
                "{} {}: {} · {}",
                style("!").yellow(),
                status.as_str(),
                safe::text(reason.unwrap_or("no reason recorded")),
                style(stats).dim(),
            ),
            TaskStatus::Failed | TaskStatus::Cancelled => format!(
                "{} {}: {} · {}\n  `cowork resume {}` continues it; `cowork show {}` replays it",
                style("✗").red(),
                status.as_str(),
                safe::text(reason.unwrap_or("no reason recorded")),
                style(stats).dim(),
                self.task.short(),
                self.task.short()
            ),
        };
        eprintln_plain(&line);
    }

    pub fn notice(&mut self, message: &str) {
        if self.json {
            out_line(&serde_json::json!({"type": "notice", "message": message}).to_string());
        } else {
            self.err_line(&style(safe::text(message)).yellow().to_string());
        }
    }

    /// Shows `message` beside a spinner, starting one if none is shown.
    fn status(&mut self, message: &str) {
        if !self.animate {
            return;
        }
        let pb = self.spinner.get_or_insert_with(|| {
            let pb = ProgressBar::new_spinner();
            pb.set_style(
                ProgressStyle::with_template("{spinner:.cyan} {msg} {elapsed:.dim}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb.enable_steady_tick(Duration::from_millis(100));
            pb
        });
        pb.set_message(message.to_owned());
    }

    /// Clears the spinner and ends the text line, before something else
    /// (a question) takes the terminal.
    pub fn pause(&mut self) {
        self.end_text_line();
        self.clear_spinner();
    }

    fn clear_spinner(&mut self) {
        if let Some(pb) = self.spinner.take() {
            pb.finish_and_clear();
        }
    }

    fn end_text_line(&mut self) {
        if !self.at_line_start {
            out_line("");
            self.at_line_start = true;
        }
    }

    fn err_line(&mut self, line: &str) {
        self.end_text_line();
        match &self.spinner {
            Some(pb) => pb.suspend(|| eprintln_plain(line)),
            None => eprintln_plain(line),
        }
    }
}

fn out_line(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn eprintln_plain(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The argument a person cares about: a path or a pattern, escaped.
/// Why a task stopped, in the CLI's words: core's reasons name no flag,
/// the CLI says which of its flags would have helped.
pub fn end_reason(reason: Option<&str>, end: Option<&EndReason>) -> Option<String> {
    match end {
        Some(EndReason::Budget {
            budget: budget @ BudgetExceeded::Turns { .. },
        }) => Some(format!("stopped: {budget} (raise it with --max-turns)")),
        Some(EndReason::Budget {
            budget: budget @ BudgetExceeded::Tokens { .. },
        }) => Some(format!("stopped: {budget} (raise it with --max-tokens)")),
        Some(EndReason::Budget {
            budget: budget @ BudgetExceeded::Wall { .. },
        }) => Some(format!("stopped: {budget} (raise it with --timeout)")),
        Some(EndReason::Cancelled | EndReason::Panicked { .. } | EndReason::Error) | None => {
            reason.map(str::to_owned)
        }
    }
}

/// Who decided an approval, in the CLI's words.
pub fn decider(by: &str) -> String {
    match Decider::parse(by) {
        Some(Decider::AssumeYes) => "--yes".to_owned(),
        Some(Decider::Nobody) => "nobody could answer: no terminal, no --yes".to_owned(),
        Some(Decider::Front(front)) => front,
        None => by.to_owned(),
    }
}

pub fn summarize_input(input: &serde_json::Value) -> String {
    const KEYS: [&str; 5] = ["file_path", "pattern", "command", "query", "path"];
    let Some(object) = input.as_object() else {
        return String::new();
    };
    if let Some(moves) = object.get("moves").and_then(|m| m.as_array()) {
        return plural(moves.len() as u64, "move");
    }
    let mut parts = Vec::new();
    for key in KEYS {
        if let Some(value) = object.get(key).and_then(|v| v.as_str()) {
            parts.push(value.to_owned());
        }
    }
    if parts.is_empty()
        && let Some(value) = object.values().find_map(|v| v.as_str())
    {
        parts.push(value.to_owned());
    }
    first_line(&parts.join(" in "), 100)
}

fn describe_output(content: &str) -> String {
    let lines = content.lines().count();
    match lines {
        0 => "(empty)".to_owned(),
        1 => first_line(content, 60),
        n => format!("{n} lines"),
    }
}

/// The first line of `text`, cut to `max` characters and escaped to
/// print (a CR or ESC inside it shows as `\r`, `\x1B`; a tab stays).
/// An ellipsis says when there is more, so `ls` cannot stand for
/// `ls\nrm -rf ~`.
pub fn first_line(text: &str, max: usize) -> String {
    let mut lines = text.lines();
    let line = lines.next().unwrap_or("");
    if line.chars().count() > max {
        let cut: String = line.chars().take(max).collect();
        format!("{}…", safe::text(&cut))
    } else if lines.next().is_some() {
        format!("{} …", safe::text(line))
    } else {
        safe::text(line).into_owned()
    }
}

/// A change in words: "moved a.txt → b/a.txt", its paths escaped.
pub fn describe_change(change: &cowork_protocol::Change) -> String {
    use cowork_protocol::Change;
    match change {
        Change::Created { path, .. } => format!("created {}", safe::path(&path.0)),
        Change::Modified { path, .. } => format!("modified {}", safe::path(&path.0)),
        Change::Moved { from, to, .. } => {
            format!("moved {} → {}", safe::path(&from.0), safe::path(&to.0))
        }
        Change::DirCreated { path } => format!("created folder {}", safe::path(&path.0)),
        Change::Trashed { path, .. } => format!("moved to trash {}", safe::path(&path.0)),
    }
}

/// `1 turn`, `2 turns`.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub use cowork_protocol::words::bytes as human_bytes;

/// 12345 → "12.3k".
pub fn human_count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The instructions a task was given, in one line; when a folder's were
/// shown only as data, how to trust it (told once, at the task's start).
pub fn instructions_line(sources: &[InstructionSource]) -> String {
    let listed: Vec<String> = sources
        .iter()
        .map(|s| safe::line(&s.summary()).into_owned())
        .collect();
    let mut line = format!("instructions: {}", listed.join(" · "));
    if sources.iter().any(|s| !s.trusted) {
        line.push_str(
            " — to have tasks follow a folder's instructions, trust it: cowork trust FOLDER",
        );
    }
    line
}

/// The memory a task was sent at its start: a heading, then one line per
/// entry (its id, scope and the start of its text, escaped).
pub(crate) fn recalled_lines(entries: &[cowork_protocol::RecalledMemory]) -> Vec<String> {
    let noun = if entries.len() == 1 {
        "entry"
    } else {
        "entries"
    };
    let mut lines = vec![format!("recalled {} memory {noun}:", entries.len())];
    lines.extend(entries.iter().map(|entry| {
        format!(
            "  {} ({}) {}",
            safe::line(&entry.id),
            safe::line(&entry.scope.to_string()),
            first_line(&entry.excerpt, 80)
        )
    }));
    lines
}

/// A connector's status in the CLI's words: what is wrong, and the command
/// that fixes it.
pub(crate) fn connector_line(server: &str, status: &ConnectorStatus) -> String {
    let server = safe::line(server);
    match status {
        ConnectorStatus::NeedsLogin => {
            format!("{server}: needs login — run `cowork mcp login {server}`")
        }
        ConnectorStatus::Connected { .. }
        | ConnectorStatus::Unreachable { .. }
        | ConnectorStatus::Blocked { .. }
        | ConnectorStatus::Restarting { .. } => {
            format!("{server}: {}", safe::text(&status.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instructions_line_lists_each_source_and_says_how_to_trust_only_when_needed() {
        let source = |label: &str, trusted| InstructionSource {
            layer: cowork_protocol::InstructionLayer::Folder,
            path: None,
            label: label.to_owned(),
            trusted,
            bytes: 9,
            truncated: false,
            text: "x".to_owned(),
        };
        assert_eq!(
            instructions_line(&[source("/w/COWORK.md", true)]),
            "instructions: folder /w/COWORK.md (9 bytes)"
        );
        assert_eq!(
            instructions_line(&[source("/w/COWORK.md", true), source("/v/AGENTS.md", false)]),
            "instructions: folder /w/COWORK.md (9 bytes) · folder /v/AGENTS.md (untrusted: shown \
             as data; 9 bytes) — to have tasks follow a folder's instructions, trust it: cowork \
             trust FOLDER"
        );
    }

    /// Core's reasons name no flag since other fronts have none; the CLI
    /// still tells its user which flag to raise.
    #[test]
    fn the_cli_words_a_budget_end_with_its_own_flag() {
        let cases = [
            (BudgetExceeded::Turns { max: 3 }, "--max-turns"),
            (BudgetExceeded::Tokens { used: 9, max: 8 }, "--max-tokens"),
            (BudgetExceeded::Wall { secs: 5 }, "--timeout"),
        ];
        for (budget, flag) in cases {
            let core = format!("stopped: {budget}");
            let end = EndReason::Budget { budget };
            let worded = end_reason(Some(&core), Some(&end)).unwrap();
            assert!(
                worded.starts_with(&core) && worded.contains(flag),
                "{worded}"
            );
        }
        assert_eq!(
            end_reason(Some("cancelled by the user"), Some(&EndReason::Cancelled)).as_deref(),
            Some("cancelled by the user")
        );
        assert_eq!(
            end_reason(Some("old log"), None).as_deref(),
            Some("old log")
        );
    }

    #[test]
    fn who_decided_is_worded_for_the_terminal_including_old_logs() {
        assert_eq!(decider("assume_yes"), "--yes");
        assert_eq!(decider("--yes"), "--yes");
        assert!(decider("nobody").contains("no terminal"));
        assert_eq!(decider("web"), "web");
        assert_eq!(decider("rule 2 in config.toml"), "rule 2 in config.toml");
    }

    #[test]
    fn inputs_are_summarized_by_their_path_or_pattern() {
        let input = serde_json::json!({"pattern": "TODO", "path": "src", "-i": true});
        assert_eq!(summarize_input(&input), "TODO in src");
        assert_eq!(
            summarize_input(&serde_json::json!({"file_path": "a.txt"})),
            "a.txt"
        );
        assert_eq!(summarize_input(&serde_json::json!({"x": "y"})), "y");
        assert_eq!(summarize_input(&serde_json::json!(null)), "");
        let batch =
            serde_json::json!({"moves": [{"from": "a", "to": "b"}, {"from": "c", "to": "d"}]});
        assert_eq!(summarize_input(&batch), "2 moves");
    }

    #[test]
    fn a_summary_shows_control_characters_and_hidden_lines() {
        let input = serde_json::json!({"command": "ls\r\x1b[2Kecho ok\nrm -rf ~"});
        assert_eq!(summarize_input(&input), "ls\\r\\x1B[2Kecho ok …");
        assert_eq!(first_line("one\ntwo", 100), "one …");
        assert_eq!(first_line("only", 100), "only");
        assert_eq!(first_line("abcdef", 3), "abc…");
    }

    #[test]
    fn sizes_are_human_sized() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn counts_are_human_sized() {
        assert_eq!(human_count(999), "999");
        assert_eq!(human_count(12_345), "12.3k");
        assert_eq!(human_count(2_500_000), "2.5M");
    }
}
