//! An export as one self-contained HTML page: inline CSS, no script, and
//! a Content-Security-Policy that lets it load nothing but its own
//! `data:` images, so it opens offline and never calls anywhere.
//!
//! Everything from the task is escaped text. The model's Markdown is
//! rendered by the web UI's renderer (raw HTML dropped) with every link
//! turned into text: a shared file should not lead anyone anywhere.

use std::fmt::Write as _;

use cowork_docs::markdown::{Block, Inline, ListItem, Markdown};

use super::doc::{Approval, Decision, Export, Step, ToolCall};
use super::files::{ExportedFile, PreviewKind};
use super::time::{duration_words, utc};
use crate::backend::FileChangeKind;
use crate::web::markdown::blocks_to_html;
use crate::web::text::{escape_html as esc, first_line, plural};

/// Nothing but inline styles and `data:` images; no script, no fetch.
pub const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/// Results longer than this many lines (or characters) are collapsed.
const COLLAPSE_LINES: usize = 12;
const COLLAPSE_CHARS: usize = 1500;

const STYLE: &str = "
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:960px;margin:0 auto;padding:24px;color:#1d1d1f;background:#fff}
h1{font-size:1.5em;margin:0 0 8px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.prompt{background:#f4f6fb;border-left:4px solid #5b6ee1;padding:8px 12px;white-space:pre-wrap;margin:8px 0 16px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dl.meta dt{color:#666}dl.meta dd{margin:0}
ol.steps{list-style:none;padding:0}ol.steps>li{margin:10px 0;padding:8px 12px;border-radius:6px;background:#fafafa;border:1px solid #eee}
.who{font-weight:600;font-size:.85em;color:#555;text-transform:uppercase;letter-spacing:.04em}
.user{background:#f4f6fb!important}.assistant{background:#f6fbf4!important}
.plain{white-space:pre-wrap}
.tool .head{font-family:ui-monospace,Menlo,monospace}.tool .name{font-weight:600}
.ok{color:#1a7f37}.error{color:#c62828}.muted{color:#777;font-size:.9em}
.approval{margin:6px 0;padding:6px 10px;border-left:3px solid #d29922;background:#fff8e6}
.warning{background:#fff4f4!important;border-color:#f2c4c4!important}
pre{background:#f3f3f3;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-word;max-height:480px;margin:6px 0}
dl.input{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}dl.input dt{color:#666;font-family:ui-monospace,monospace}dl.input dd{margin:0;white-space:pre-wrap;word-break:break-word}
details>summary{cursor:pointer;color:#444}
ul.changes{margin:4px 0;padding-left:20px;font-family:ui-monospace,monospace;font-size:.9em}
article.file{border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:12px 0}article.file h3{margin:0 0 4px}
.doc table{border-collapse:collapse}.doc td,.doc th{border:1px solid #ccc;padding:2px 6px}
img.preview{max-width:100%;border:1px solid #eee}
footer{margin-top:32px;color:#777;font-size:.85em}
";

/// The whole page.
pub(super) fn render(export: &Export) -> String {
    let task = &export.task;
    let mut out = String::with_capacity(64 * 1024);
    let short: String = task.id.chars().take(8).collect();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>cowork task {} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&short),
        esc(&first_line(&task.prompt, 80)),
    );
    header(&mut out, export);
    out.push_str("<section id=\"steps\">\n<h2>Steps</h2>\n<ol class=\"steps\">\n");
    for step in &export.steps {
        one_step(&mut out, step);
    }
    out.push_str("</ol>\n</section>\n");
    files(&mut out, &export.files);
    let _ = write!(
        out,
        "<footer>Exported by {} on {}. Secrets (API keys, connector credentials, tokens) are \
         replaced by [redacted].</footer>\n</body>\n</html>\n",
        esc(&export.generator),
        esc(&utc(export.exported_at)),
    );
    out
}

fn header(out: &mut String, export: &Export) {
    let task = &export.task;
    let _ = write!(
        out,
        "<header>\n<h1>Task {}</h1>\n<div class=\"prompt\" id=\"prompt\">{}</div>\n<dl class=\"meta\">\n",
        esc(&task.id),
        esc(&task.prompt)
    );
    let mut row = |name: &str, value: String| {
        let _ = writeln!(out, "<dt>{name}</dt><dd>{value}</dd>");
    };
    let status = match &task.status_reason {
        Some(reason) => format!("{} ({})", esc(&task.status), esc(reason)),
        None => esc(&task.status),
    };
    row("Status", format!("<span id=\"status\">{status}</span>"));
    row(
        "Model",
        format!("{} ({})", esc(&task.model), esc(&task.provider)),
    );
    row("Mode", esc(&task.mode));
    if let Some(project) = &task.project {
        row("Project", esc(project));
    }
    for folder in &task.folders {
        let access = if folder.read_only {
            "read-only"
        } else {
            "read and write"
        };
        row("Folder", format!("{} ({access})", esc(&folder.path)));
    }
    row("Started", esc(&utc(task.created_at)));
    row("Duration", esc(&duration_words(task.duration_ms)));
    row(
        "Usage",
        format!(
            "{} turns, {} input + {} output tokens",
            task.turns, task.input_tokens, task.output_tokens
        ),
    );
    out.push_str("</dl>\n</header>\n");
}

fn one_step(out: &mut String, step: &Step) {
    match step {
        Step::User { text, .. } => {
            let _ = writeln!(
                out,
                "<li class=\"user\"><div class=\"who\">Person</div><div class=\"plain\">{}</div></li>",
                esc(text)
            );
        }
        Step::Command { name, text, .. } => {
            let _ = writeln!(
                out,
                "<li class=\"command\"><div class=\"who\">Ran /{}</div><details><summary>What the \
                 model was sent</summary><pre>{}</pre></details></li>",
                esc(name),
                esc(text)
            );
        }
        Step::Assistant { text, .. } => {
            let _ = writeln!(
                out,
                "<li class=\"assistant\"><div class=\"who\">Model</div><div class=\"md\">{}</div></li>",
                markdown_offline(text)
            );
        }
        Step::ToolCall(call) => tool_call(out, call),
        Step::Connector { server, status, .. } => {
            let _ = writeln!(
                out,
                "<li class=\"connector\">Connector <b>{}</b>: {}</li>",
                esc(server),
                esc(status)
            );
        }
        Step::Recalled { entries, .. } => {
            let _ = writeln!(
                out,
                "<li class=\"warning\"><b>Memory recalled</b> (sent as data): <span class=\"plain\">{}</span></li>",
                esc(&entries.join("; "))
            );
        }
        Step::Instructions { sources, .. } => {
            let _ = writeln!(
                out,
                "<li class=\"warning\"><b>Instructions</b> used: <span class=\"plain\">{}</span></li>",
                esc(&sources.join("; "))
            );
        }
        Step::Warning {
            source, message, ..
        } => {
            let _ = writeln!(
                out,
                "<li class=\"warning\"><b>Warning</b> from {}: <span class=\"plain\">{}</span></li>",
                esc(source),
                esc(message)
            );
        }
        Step::Compacted {
            summary,
            replaced_messages,
            ..
        } => {
            let _ = writeln!(
                out,
                "<li class=\"compacted\">Older turns ({replaced_messages} messages) were summarised \
                 to stay within the model's context.<details><summary>Summary</summary><pre>{}</pre>\
                 </details></li>",
                esc(summary)
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
                "<li class=\"undone\">The task's changes were undone: {restored} restored, \
                 {skipped} already as before, {forced} forced.</li>"
            );
        }
        Step::Status { status, reason, .. } => {
            let reason = reason
                .as_deref()
                .map(|r| format!(": {}", esc(r)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<li class=\"status\">Status: <b>{}</b>{reason}</li>",
                esc(status)
            );
        }
    }
}

fn tool_call(out: &mut String, call: &ToolCall) {
    let (mark, class) = match (&call.output, call.is_error) {
        (None, _) => ("did not finish", "muted"),
        (Some(_), true) => ("failed", "error"),
        (Some(_), false) => ("done", "ok"),
    };
    let duration = call
        .duration_ms
        .map(|ms| format!(" <span class=\"muted\">{}</span>", esc(&duration_words(ms))))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<li class=\"tool\"><div class=\"head\"><span class=\"name\">{}</span> {} \
         <span class=\"{class}\">{mark}</span>{duration}</div>",
        esc(&call.tool),
        esc(&call.summary)
    );
    if let Some(approval) = &call.approval {
        out.push_str(&approval_html(approval));
    }
    input(out, call);
    if let Some(output) = &call.output {
        collapsible(out, "Result", output, call.is_error);
    }
    if !call.changes.is_empty() {
        out.push_str("<ul class=\"changes\">");
        for change in &call.changes {
            let _ = write!(out, "<li>{}</li>", esc(change));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</li>\n");
}

fn approval_html(approval: &Approval) -> String {
    let answer = match (approval.decision, &approval.message) {
        (Some(Decision::AllowedOnce), _) => "allowed once".to_owned(),
        (Some(Decision::AllowedForTask), _) => "allowed for the rest of the task".to_owned(),
        (Some(Decision::AllowedForSchedule), _) => {
            "allowed for every run of the schedule".to_owned()
        }
        (Some(Decision::Denied), Some(message)) => format!("denied: {message}"),
        (Some(Decision::Denied), None) => "denied".to_owned(),
        (None, _) => "not answered".to_owned(),
    };
    let by = approval
        .by_words
        .as_deref()
        .map(|by| format!(" — by {}", esc(by)))
        .unwrap_or_default();
    match (&approval.summary, &approval.effect) {
        (Some(summary), effect) => format!(
            "<div class=\"approval\">Approval asked ({}): <span class=\"plain\">{}</span><br>\
             <b>{}</b>{by}</div>\n",
            esc(effect.as_deref().unwrap_or("")),
            esc(summary),
            esc(&answer)
        ),
        (None, _) => format!(
            "<div class=\"approval\">Approval: <b>{}</b>{by}</div>\n",
            esc(&answer)
        ),
    }
}

/// The call's arguments, readably: a command as `$ command`, short values
/// as a list, long ones collapsed.
fn input(out: &mut String, call: &ToolCall) {
    if let Some(raw) = &call.invalid_input {
        collapsible(out, "Arguments (not valid JSON)", raw, true);
        return;
    }
    let Some(object) = call.input.as_object() else {
        return;
    };
    if object.is_empty() {
        return;
    }
    if let Some(command) = object.get("command").and_then(|c| c.as_str()) {
        let _ = writeln!(out, "<pre class=\"command\">$ {}</pre>", esc(command));
    }
    let mut short = String::new();
    let mut long = String::new();
    for (key, value) in object {
        if key == "command" && value.is_string() {
            continue;
        }
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            other => serde_json::to_string_pretty(other).unwrap_or_default(),
        };
        if text.contains('\n') || text.chars().count() > 160 {
            let _ = writeln!(
                long,
                "<details><summary>{} ({})</summary><pre>{}</pre></details>",
                esc(key),
                plural(text.lines().count() as u64, "line"),
                esc(&text)
            );
        } else {
            let _ = write!(short, "<dt>{}</dt><dd>{}</dd>", esc(key), esc(&text));
        }
    }
    if !short.is_empty() {
        let _ = writeln!(out, "<dl class=\"input\">{short}</dl>");
    }
    out.push_str(&long);
}

fn collapsible(out: &mut String, label: &str, text: &str, error: bool) {
    let lines = text.lines().count();
    let class = if error { " class=\"error\"" } else { "" };
    if lines > COLLAPSE_LINES || text.chars().count() > COLLAPSE_CHARS {
        let _ = writeln!(
            out,
            "<details><summary>{label} ({lines} lines)</summary><pre{class}>{}</pre></details>",
            esc(text)
        );
    } else {
        let _ = writeln!(out, "<pre{class}>{}</pre>", esc(text));
    }
}

fn files(out: &mut String, files: &[ExportedFile]) {
    out.push_str("<section id=\"files\">\n<h2>Files</h2>\n");
    if files.is_empty() {
        out.push_str("<p class=\"muted\">The task created or changed no files.</p>\n");
    }
    for (n, file) in files.iter().enumerate() {
        let size = file
            .size
            .map(|s| format!(" · {}", cowork_protocol::words::bytes(s)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<article class=\"file\" id=\"file-{n}\">\n<h3>{}</h3>\n<p class=\"muted\">{} · {}{size}</p>\n\
             <p class=\"note\">{}</p>",
            esc(&file.name),
            esc(&file.path),
            change_name(file.change),
            esc(&file.note)
        );
        match (file.preview_kind, &file.preview, &file.original_base64) {
            (PreviewKind::Text, Some(text), _) => {
                let _ = writeln!(out, "<pre class=\"file-text\">{}</pre>", esc(text));
            }
            (PreviewKind::Markdown, Some(text), _) => {
                let _ = writeln!(out, "<div class=\"doc\">{}</div>", markdown_offline(text));
            }
            (PreviewKind::Image, _, Some(data)) => {
                let _ = writeln!(
                    out,
                    "<img class=\"preview\" alt=\"{}\" src=\"data:{};base64,{data}\">",
                    esc(&file.name),
                    esc(&file.media_type)
                );
            }
            // Nothing to show beyond the note: no preview, or a picture
            // whose original is not embedded.
            (PreviewKind::Text | PreviewKind::Markdown, None, _)
            | (PreviewKind::Image, _, None)
            | (PreviewKind::None, _, _) => {}
        }
        if let Some(data) = &file.original_base64 {
            let _ = writeln!(
                out,
                "<p><a download=\"{}\" href=\"data:{};base64,{data}\">Download {}</a></p>",
                esc(&file.name),
                esc(&file.media_type),
                esc(&file.name)
            );
        }
        if let Some(why) = &file.not_embedded {
            let _ = writeln!(
                out,
                "<p class=\"muted\">The original is not embedded: {}.</p>",
                esc(why)
            );
        }
        if let Some(sha) = &file.sha256 {
            let _ = writeln!(out, "<p class=\"muted\">SHA-256 {}</p>", esc(sha));
        }
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");
}

/// Markdown as HTML with every link turned into its text and target, and
/// images into their alt text (the renderer never loads one).
fn markdown_offline(source: &str) -> String {
    let mut doc = Markdown::parse(source);
    unlink_blocks(&mut doc.blocks);
    blocks_to_html(&doc.blocks)
}

fn unlink_blocks(blocks: &mut [Block]) {
    for block in blocks {
        match block {
            Block::Heading { content, .. } | Block::Paragraph(content) => unlink(content),
            Block::List { items, .. } => {
                for ListItem { blocks, .. } in items {
                    unlink_blocks(blocks);
                }
            }
            Block::Table { header, rows, .. } => {
                header.iter_mut().for_each(unlink);
                for row in rows {
                    row.iter_mut().for_each(unlink);
                }
            }
            Block::Quote(inner) => unlink_blocks(inner),
            Block::Code { .. } | Block::Image { .. } | Block::PageBreak | Block::Rule => {}
        }
    }
}

fn unlink(inlines: &mut Vec<Inline>) {
    let mut out = Vec::with_capacity(inlines.len());
    for inline in inlines.drain(..) {
        match inline {
            Inline::Link { url, mut content } => {
                unlink(&mut content);
                let shown = Inline::plain(&content);
                out.extend(content);
                if shown.trim() != url.trim() {
                    out.push(Inline::Text(format!(" ({url})")));
                }
            }
            Inline::Strong(mut inner) => {
                unlink(&mut inner);
                out.push(Inline::Strong(inner));
            }
            Inline::Emphasis(mut inner) => {
                unlink(&mut inner);
                out.push(Inline::Emphasis(inner));
            }
            Inline::Strike(mut inner) => {
                unlink(&mut inner);
                out.push(Inline::Strike(inner));
            }
            other @ (Inline::Text(_)
            | Inline::Code(_)
            | Inline::Image { .. }
            | Inline::LineBreak) => out.push(other),
        }
    }
    *inlines = out;
}

pub(super) fn change_name(change: FileChangeKind) -> &'static str {
    match change {
        FileChangeKind::Created => "created",
        FileChangeKind::Modified => "modified",
        FileChangeKind::Moved => "moved",
        FileChangeKind::Deleted => "deleted",
    }
}
