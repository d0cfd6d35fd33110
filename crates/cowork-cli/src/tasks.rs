//! `cowork tasks` and `cowork show`: read the store, print tasks and
//! transcripts. What the model, the person, files and tools said is
//! escaped to print ([`crate::safe`]); `--json` is left to JSON.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Result;
use console::style;

use cowork_protocol::{ApprovalDecision, ContentBlock, Event, TaskStatus};
use cowork_store::{Store, StoredEvent, TaskRow};

use crate::cli::{ShowArgs, TasksArgs};
use crate::render::{describe_change, first_line, human_count, plural, summarize_input};
use crate::safe;

pub fn list(args: &TasksArgs, store: &Store) -> Result<ExitCode> {
    let rows = store.list_tasks(args.limit)?;
    let mut out = String::new();
    if args.json {
        for row in &rows {
            let _ = writeln!(out, "{}", task_json(row));
        }
    } else if rows.is_empty() {
        out.push_str("No tasks yet. Start one with: cowork run --folder DIR \"what to do\"\n");
    } else {
        let _ = writeln!(
            out,
            "{:<8}  {:<11}  {:<16}  {:>5}  {:>7}  PROMPT",
            "ID", "STATUS", "STARTED", "TURNS", "TOKENS"
        );
        for row in &rows {
            let _ = writeln!(
                out,
                "{:<8}  {:<11}  {:<16}  {:>5}  {:>7}  {}",
                row.id.short(),
                row.status.as_str(),
                local_time(row.created_at),
                row.turns,
                human_count(row.input_tokens + row.output_tokens),
                first_line(&row.prompt, 60)
            );
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn task_json(row: &TaskRow) -> serde_json::Value {
    serde_json::json!({
        "id": row.id,
        "status": row.status,
        "status_reason": row.status_reason,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "prompt": row.prompt,
        "turns": row.turns,
        "input_tokens": row.input_tokens,
        "output_tokens": row.output_tokens,
        "spec": row.spec,
    })
}

pub fn show(args: &ShowArgs, store: &Store) -> Result<ExitCode> {
    let row = store.task(&args.id)?;
    let events = store.events(&row.id)?;
    if args.json {
        let mut out = String::new();
        let _ = writeln!(out, "{}", serde_json::json!({"task": task_json(&row)}));
        for e in &events {
            // The envelope every watcher receives, as `run --json` prints.
            let envelope = cowork_protocol::Envelope {
                task: row.id.clone(),
                seq: e.seq,
                at: e.at,
                event: e.event.clone(),
            };
            if let Ok(line) = serde_json::to_string(&envelope) {
                let _ = writeln!(out, "{line}");
            }
        }
        print!("{out}");
    } else {
        print!("{}", transcript_text(&row, &events));
    }
    Ok(ExitCode::SUCCESS)
}

/// A readable replay of a task: header, then what each side said and did.
pub fn transcript_text(row: &TaskRow, events: &[StoredEvent]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", style("task").bold(), row.id);
    let _ = writeln!(
        out,
        "status:  {}{}",
        row.status.as_str(),
        row.status_reason
            .as_deref()
            .map(|r| format!(" ({})", safe::text(r)))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "started: {}", local_time(row.created_at));
    if let Some(link) = &row.spec.schedule {
        let _ = writeln!(out, "{}", crate::schedule_view::schedule_line(link));
    }
    let model = &row.spec.model;
    let _ = writeln!(
        out,
        "model:   {} {}",
        model.provider.as_str(),
        safe::line(&model.model)
    );
    for folder in &row.spec.folders {
        let access = if folder.read_only { "ro" } else { "rw" };
        let _ = writeln!(out, "folder:  {} ({access})", safe::path(&folder.path));
    }
    let _ = writeln!(
        out,
        "usage:   {}, {} input + {} output tokens",
        plural(u64::from(row.turns), "turn"),
        human_count(row.input_tokens),
        human_count(row.output_tokens)
    );
    for stored in events {
        match &stored.event {
            Event::TaskCreated { spec } => {
                let _ = writeln!(
                    out,
                    "\n{}\n{}",
                    style("## user").cyan().bold(),
                    safe::text(&spec.prompt)
                );
            }
            Event::UserMessage { text } => {
                let _ = writeln!(
                    out,
                    "\n{}\n{}",
                    style("## user").cyan().bold(),
                    safe::text(text)
                );
            }
            Event::PromptExpanded { name, .. } => {
                let _ = writeln!(out, "  (ran /{})", safe::line(name));
            }
            Event::MemoryRecalled { entries } => {
                for line in crate::render::recalled_lines(entries) {
                    let _ = writeln!(out, "  {line}");
                }
            }
            Event::Connector { server, status } => {
                let _ = writeln!(out, "  {}", crate::render::connector_line(server, status));
            }
            Event::Warning { source, message } => {
                let _ = writeln!(out, "  ! {}: {}", safe::line(source), safe::text(message));
            }
            Event::InstructionsLoaded { sources } => {
                for source in sources {
                    let _ = writeln!(out, "  instructions: {}", safe::line(&source.summary()));
                }
            }
            Event::AssistantMessage { content, .. } => {
                let _ = writeln!(out, "\n{}", style("## assistant").green().bold());
                for block in content {
                    match block {
                        ContentBlock::Text { text } => {
                            let _ = writeln!(out, "{}", safe::text(text.trim_end()));
                        }
                        ContentBlock::ToolUse { name, input, .. } => {
                            let _ =
                                writeln!(out, "→ {} {}", safe::line(name), summarize_input(input));
                        }
                        ContentBlock::ToolResult { .. } => {}
                    }
                }
            }
            Event::ToolCallFinished {
                name,
                content,
                is_error,
                ..
            } => {
                let mark = if *is_error { "✗" } else { "●" };
                let lines = plural(content.lines().count() as u64, "line");
                let _ = writeln!(out, "  {mark} {} ({lines})", safe::line(name));
                let _ = writeln!(out, "{}", excerpt(content, 6));
            }
            Event::Compacted {
                summary,
                replaced_messages,
                ..
            } => {
                let _ = writeln!(
                    out,
                    "\n{} ({replaced_messages} messages summarised)\n{}",
                    style("## compacted").yellow().bold(),
                    safe::text(summary)
                );
            }
            Event::StatusChanged {
                status,
                reason,
                end,
            } => {
                let reason = &crate::render::end_reason(reason.as_deref(), end.as_ref());
                if *status != TaskStatus::Running || reason.is_some() {
                    let _ = writeln!(
                        out,
                        "\n[{}{}]",
                        status.as_str(),
                        reason
                            .as_deref()
                            .map(|r| format!(": {}", safe::text(r)))
                            .unwrap_or_default()
                    );
                }
            }
            Event::ApprovalRequested { summary, .. } => {
                let summary = summary
                    .split('\n')
                    .map(safe::text)
                    .collect::<Vec<_>>()
                    .join("\n      ");
                let _ = writeln!(out, "  ? approval asked: {summary}");
            }
            Event::ApprovalDecided { decision, by, .. } => {
                let what = match decision {
                    ApprovalDecision::AllowOnce => "allowed once".to_owned(),
                    ApprovalDecision::AllowForTask => "allowed for the task".to_owned(),
                    ApprovalDecision::AllowForSchedule => {
                        "allowed for every run of the schedule".to_owned()
                    }
                    ApprovalDecision::Deny { message } => match message {
                        Some(m) => format!("denied: {}", safe::line(m)),
                        None => "denied".to_owned(),
                    },
                };
                let by = crate::render::decider(by);
                let _ = writeln!(out, "  ? {what} (by {})", safe::line(&by));
            }
            Event::FileChanged { change, .. } => {
                let _ = writeln!(out, "    ~ {}", describe_change(change));
            }
            Event::Undone {
                restored,
                skipped,
                forced,
            } => {
                let _ = writeln!(
                    out,
                    "\n[undone: {restored} restored, {skipped} already as before, {forced} forced]"
                );
            }
            Event::TurnStarted { .. }
            | Event::TextDelta { .. }
            | Event::ToolCallStarted { .. }
            | Event::Notice { .. } => {}
        }
    }
    out
}

/// The first `lines` lines of a tool result, indented, with a count of
/// the rest.
fn excerpt(content: &str, lines: usize) -> String {
    let total = content.lines().count();
    let mut shown: Vec<String> = content
        .lines()
        .take(lines)
        .map(|l| first_line(l, 160))
        .collect();
    if total > lines {
        shown.push(format!("… {} more lines", total - lines));
    }
    shown
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Unix milliseconds as local `YYYY-MM-DD HH:MM`.
pub fn local_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| ms.to_string())
}
