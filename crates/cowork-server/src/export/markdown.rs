//! An export as Markdown: the same content as the HTML page, with
//! whatever came from the task in fenced blocks or quotes, so nothing in
//! it becomes a heading, a link or markup of the document around it.

use std::fmt::Write as _;

use super::doc::{Approval, Decision, Export, Step, ToolCall};
use super::files::{ExportedFile, PreviewKind};
use super::html::change_name;
use super::time::{duration_words, utc};
use crate::web::text::plural;

/// Text files up to this many characters are shown inline; longer ones
/// are named only (the HTML export shows them).
const INLINE_TEXT_CHARS: usize = 20_000;

pub(super) fn render(export: &Export) -> String {
    let task = &export.task;
    let mut out = String::new();
    let _ = writeln!(out, "# cowork task `{}`\n", task.id);
    let _ = writeln!(out, "{}\n", quote(&task.prompt));
    let status = match &task.status_reason {
        Some(reason) => format!("{} ({})", task.status, one_line(reason)),
        None => task.status.clone(),
    };
    let _ = writeln!(out, "- **Status:** {status}");
    let _ = writeln!(
        out,
        "- **Model:** {} ({})",
        one_line(&task.model),
        task.provider
    );
    let _ = writeln!(out, "- **Mode:** {}", task.mode);
    if let Some(project) = &task.project {
        let _ = writeln!(out, "- **Project:** {}", one_line(project));
    }
    for folder in &task.folders {
        let access = if folder.read_only {
            "read-only"
        } else {
            "read and write"
        };
        let _ = writeln!(out, "- **Folder:** {} ({access})", code_span(&folder.path));
    }
    let _ = writeln!(out, "- **Started:** {}", utc(task.created_at));
    let _ = writeln!(out, "- **Duration:** {}", duration_words(task.duration_ms));
    let _ = writeln!(
        out,
        "- **Usage:** {} turns, {} input + {} output tokens\n",
        task.turns, task.input_tokens, task.output_tokens
    );
    out.push_str("## Steps\n\n");
    for step in &export.steps {
        one_step(&mut out, step);
    }
    files(&mut out, &export.files);
    let _ = writeln!(
        out,
        "---\n\nExported by {} on {}. Secrets (API keys, connector credentials, tokens) are \
         replaced by [redacted].",
        export.generator,
        utc(export.exported_at)
    );
    out
}

fn one_step(out: &mut String, step: &Step) {
    match step {
        Step::User { text, .. } => {
            let _ = writeln!(out, "### Person\n\n{}\n", quote(text));
        }
        Step::Command { name, text, .. } => {
            let _ = writeln!(
                out,
                "### Ran /{}\n\nWhat the model was sent:\n\n{}",
                one_line(name),
                fenced("text", text)
            );
        }
        Step::Assistant { text, .. } => {
            let _ = writeln!(out, "### Model\n\n{}\n", quote(text));
        }
        Step::ToolCall(call) => tool_call(out, call),
        Step::Connector { server, status, .. } => {
            let _ = writeln!(
                out,
                "- Connector **{}**: {}\n",
                one_line(server),
                one_line(status)
            );
        }
        Step::Recalled { entries, .. } => {
            let _ = writeln!(out, "- **Memory recalled** (sent as data):");
            for entry in entries {
                let _ = writeln!(out, "  - {}", one_line(entry));
            }
            out.push('\n');
        }
        Step::Instructions { sources, .. } => {
            let _ = writeln!(out, "- **Instructions** used:");
            for source in sources {
                let _ = writeln!(out, "  - {}", one_line(source));
            }
            out.push('\n');
        }
        Step::Warning {
            source, message, ..
        } => {
            let _ = writeln!(
                out,
                "- **Warning** from {}: {}\n",
                one_line(source),
                one_line(message)
            );
        }
        Step::Compacted {
            summary,
            replaced_messages,
            ..
        } => {
            let _ = writeln!(
                out,
                "### Older turns summarised ({replaced_messages} messages)\n\n{}",
                fenced("text", summary)
            );
        }
        Step::Undone {
            restored,
            skipped,
            forced,
            ..
        } => {
            let _ = writeln!(
                out,
                "- The task's changes were undone: {restored} restored, {skipped} already as \
                 before, {forced} forced.\n"
            );
        }
        Step::Status { status, reason, .. } => {
            let reason = reason
                .as_deref()
                .map(|r| format!(": {}", one_line(r)))
                .unwrap_or_default();
            let _ = writeln!(out, "- Status: **{status}**{reason}\n");
        }
    }
}

fn tool_call(out: &mut String, call: &ToolCall) {
    let outcome = match (&call.output, call.is_error) {
        (None, _) => "did not finish",
        (Some(_), true) => "failed",
        (Some(_), false) => "done",
    };
    let duration = call
        .duration_ms
        .map(|ms| format!(", {}", duration_words(ms)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "### Tool call: {} {}\n\n_{outcome}{duration}_\n",
        one_line(&call.tool),
        code_span(&call.summary)
    );
    if let Some(approval) = &call.approval {
        out.push_str(&approval_md(approval));
    }
    if let Some(raw) = &call.invalid_input {
        let _ = writeln!(
            out,
            "Arguments (not valid JSON):\n\n{}",
            fenced("text", raw)
        );
    } else if call.input.as_object().is_some_and(|o| !o.is_empty()) {
        let input = serde_json::to_string_pretty(&call.input).unwrap_or_default();
        let _ = writeln!(out, "Input:\n\n{}", fenced("json", &input));
    }
    if let Some(output) = &call.output {
        let _ = writeln!(
            out,
            "Result ({}):\n\n{}",
            plural(output.lines().count() as u64, "line"),
            fenced("text", output)
        );
    }
    if !call.changes.is_empty() {
        out.push_str("Changes:\n\n");
        for change in &call.changes {
            let _ = writeln!(out, "- {}", code_span(change));
        }
        out.push('\n');
    }
}

fn approval_md(approval: &Approval) -> String {
    let answer = match (approval.decision, &approval.message) {
        (Some(Decision::AllowedOnce), _) => "allowed once".to_owned(),
        (Some(Decision::AllowedForTask), _) => "allowed for the rest of the task".to_owned(),
        (Some(Decision::AllowedForSchedule), _) => {
            "allowed for every run of the schedule".to_owned()
        }
        (Some(Decision::Denied), Some(message)) => format!("denied: {}", one_line(message)),
        (Some(Decision::Denied), None) => "denied".to_owned(),
        (None, _) => "not answered".to_owned(),
    };
    let by = approval
        .by_words
        .as_deref()
        .map(|by| format!(" — by {by}"))
        .unwrap_or_default();
    match &approval.summary {
        Some(summary) => format!(
            "**Approval asked** ({}):\n\n{}\n\n**{answer}**{by}\n\n",
            approval.effect.as_deref().unwrap_or(""),
            quote(summary)
        ),
        None => format!("**Approval:** {answer}{by}\n\n"),
    }
}

fn files(out: &mut String, files: &[ExportedFile]) {
    out.push_str("## Files\n\n");
    if files.is_empty() {
        out.push_str("The task created or changed no files.\n\n");
    }
    for file in files {
        let size = file
            .size
            .map(|s| format!(", {}", cowork_protocol::words::bytes(s)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "### {}\n\n{} ({}{size})\n\n{}\n",
            one_line(&file.name),
            code_span(&file.path),
            change_name(file.change),
            file.note
        );
        if let Some(sha) = &file.sha256 {
            let _ = writeln!(out, "SHA-256 `{sha}`\n");
        }
        match (file.preview_kind, &file.preview) {
            (PreviewKind::Text, Some(text)) if text.chars().count() <= INLINE_TEXT_CHARS => {
                let _ = writeln!(out, "{}", fenced("text", text));
            }
            (PreviewKind::Markdown, Some(text)) => {
                let _ = writeln!(out, "Read back:\n\n{}", fenced("markdown", text));
            }
            // Large text, pictures and binaries are named only; the HTML
            // export shows them.
            (PreviewKind::Text | PreviewKind::Markdown, _)
            | (PreviewKind::Image | PreviewKind::None, _) => {}
        }
    }
}

/// `text` as a fenced block whose fence no line of `text` can close.
fn fenced(lang: &str, text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let body = text.strip_suffix('\n').unwrap_or(text);
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

/// `text` as a block quote, each line escaped so none becomes a heading,
/// list, link or HTML of the export.
fn quote(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                ">".to_owned()
            } else {
                format!("> {}", escape_inline(line))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A code span that holds `text` whatever backticks it contains.
fn code_span(text: &str) -> String {
    // Backslashes are literal inside a code span: only the newlines go.
    let text = text.replace(['\n', '\r'], " ");
    if text.is_empty() {
        return String::new();
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    format!("{ticks} {text} {ticks}")
}

fn one_line(text: &str) -> String {
    escape_inline(&text.replace(['\n', '\r'], " "))
}

/// Markdown's punctuation escaped, so text stays text.
fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
