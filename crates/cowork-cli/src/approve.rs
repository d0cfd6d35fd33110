//! The approval prompt: shows exactly what a call will do and asks once,
//! for the task, or not at all.

use std::io::{BufRead, Write};

use console::style;

use cowork_protocol::ApprovalDecision;

/// Asks the person at the terminal about a call to `tool`. Reads on its
/// own thread, so a pending question never holds up the process's exit.
pub async fn ask(tool: &str, summary: &str) -> ApprovalDecision {
    let question = render(tool, summary);
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(prompt(&question));
    });
    rx.await.unwrap_or(ApprovalDecision::Deny {
        message: Some("no answer".to_owned()),
    })
}

fn render(tool: &str, summary: &str) -> String {
    let mut out = format!(
        "{} {}\n",
        style("?").yellow().bold(),
        style(format!("{tool} wants to:")).bold()
    );
    for line in summary.lines() {
        let line = if line.starts_with('+') && !line.starts_with("+++") {
            style(line).green().to_string()
        } else if line.starts_with('-') && !line.starts_with("---") {
            style(line).red().to_string()
        } else {
            line.to_owned()
        };
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn prompt(question: &str) -> ApprovalDecision {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question}");
    loop {
        let _ = write!(
            stderr,
            "  {} once   {} for the rest of this task   {} deny   › ",
            style("[y]").cyan(),
            style("[a]").cyan(),
            style("[n]").cyan()
        );
        let _ = stderr.flush();
        let Some(Ok(answer)) = lines.next() else {
            return deny(Some("no answer".to_owned()));
        };
        match answer.trim().to_lowercase().as_str() {
            "y" | "yes" => return ApprovalDecision::AllowOnce,
            "a" | "all" | "always" => return ApprovalDecision::AllowForTask,
            "n" | "no" | "" => {
                let _ = write!(stderr, "  why? (optional, told to the model) › ");
                let _ = stderr.flush();
                let message = match lines.next() {
                    Some(Ok(m)) if !m.trim().is_empty() => Some(m.trim().to_owned()),
                    Some(_) | None => None,
                };
                return deny(message);
            }
            _ => {}
        }
    }
}

fn deny(message: Option<String>) -> ApprovalDecision {
    ApprovalDecision::Deny { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_shows_the_whole_summary() {
        let text = render("Edit", "--- a.txt\n+++ a.txt\n-old\n+new");
        assert!(text.contains("Edit wants to:"));
        assert!(text.contains("old") && text.contains("new"));
    }
}
