//! The approval prompt: shows exactly what a call will do and asks once,
//! for the task, or not at all. "Exactly" includes the characters a
//! terminal would act on instead of showing: the summary is split on
//! newlines only and every other control character is shown escaped, so
//! a `\r` or an escape sequence cannot make the prompt show another
//! command than the one that runs.

use std::io::{BufRead, Write};

use console::style;

use cowork_protocol::ApprovalDecision;

use crate::safe;

/// Asks the person at the terminal about a call to `tool`. Reads on its
/// own thread, so a pending question never holds up the process's exit.
/// Only a scheduled run (`scheduled`) is offered "for every run of this
/// schedule".
pub async fn ask(tool: &str, summary: &str, scheduled: bool) -> ApprovalDecision {
    let question = render(tool, summary);
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(prompt(&question, scheduled));
    });
    rx.await.unwrap_or(ApprovalDecision::Deny {
        message: Some("no answer".to_owned()),
    })
}

fn render(tool: &str, summary: &str) -> String {
    let mut out = format!(
        "{} {}\n",
        style("?").yellow().bold(),
        style(format!("{} wants to:", safe::line(tool))).bold()
    );
    // `str::lines` would also end a line at "\r\n", hiding that CR.
    let summary = summary.strip_suffix('\n').unwrap_or(summary);
    for line in summary.split('\n') {
        let line = safe::text(line);
        let line = if line.starts_with('+') && !line.starts_with("+++") {
            style(&line).green().to_string()
        } else if line.starts_with('-') && !line.starts_with("---") {
            style(&line).red().to_string()
        } else {
            line.into_owned()
        };
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn prompt(question: &str, scheduled: bool) -> ApprovalDecision {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let _ = write!(std::io::stderr(), "{question}");
    loop {
        show_choices(scheduled);
        let Some(Ok(answer)) = lines.next() else {
            return deny(Some("no answer".to_owned()));
        };
        match choice(&answer, scheduled) {
            Some(Choice::Decided(decision)) => return decision,
            Some(Choice::Deny) => {
                ask_why();
                return deny(reason(lines.next().and_then(Result::ok)));
            }
            None => {}
        }
    }
}

/// Lines typed at the terminal, read on one thread for the whole run: a
/// question answered in another front leaves no reader behind that would
/// swallow the answer to the next one.
pub struct TerminalLines {
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
}

impl TerminalLines {
    pub fn spawn() -> Self {
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { lines }
    }

    /// Asks about a call to `tool`. Dropping the future (the question was
    /// answered elsewhere) leaves the reader ready for the next question;
    /// lines typed before a question is shown are not taken as its answer.
    pub async fn ask(&mut self, tool: &str, summary: &str, scheduled: bool) -> ApprovalDecision {
        while self.lines.try_recv().is_ok() {}
        let _ = write!(std::io::stderr(), "{}", render(tool, summary));
        loop {
            show_choices(scheduled);
            let Some(answer) = self.lines.recv().await else {
                return deny(Some("no answer".to_owned()));
            };
            match choice(&answer, scheduled) {
                Some(Choice::Decided(decision)) => return decision,
                Some(Choice::Deny) => {
                    ask_why();
                    return deny(reason(self.lines.recv().await));
                }
                None => {}
            }
        }
    }
}

enum Choice {
    Decided(ApprovalDecision),
    /// Denied; the reason for the model comes next.
    Deny,
}

/// What an answer means; `None` asks again. "For every run of this
/// schedule" is an answer only in a scheduled run: elsewhere it is not
/// offered, and typing it asks again rather than guessing.
fn choice(answer: &str, scheduled: bool) -> Option<Choice> {
    match answer.trim().to_lowercase().as_str() {
        "y" | "yes" => Some(Choice::Decided(ApprovalDecision::AllowOnce)),
        "a" | "all" | "always" => Some(Choice::Decided(ApprovalDecision::AllowForTask)),
        "s" | "schedule" if scheduled => Some(Choice::Decided(ApprovalDecision::AllowForSchedule)),
        "n" | "no" | "" => Some(Choice::Deny),
        _ => None,
    }
}

fn show_choices(scheduled: bool) {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{}", choices(scheduled));
    let _ = stderr.flush();
}

/// The answers offered, on one line.
fn choices(scheduled: bool) -> String {
    let schedule = if scheduled {
        format!("{} for every run of this schedule   ", style("[s]").cyan())
    } else {
        String::new()
    };
    format!(
        "  {} once   {} for the rest of this task   {schedule}{} deny   › ",
        style("[y]").cyan(),
        style("[a]").cyan(),
        style("[n]").cyan()
    )
}

fn ask_why() {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "  why? (optional, told to the model) › ");
    let _ = stderr.flush();
}

fn reason(line: Option<String>) -> Option<String> {
    line.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty())
}

fn deny(message: Option<String>) -> ApprovalDecision {
    ApprovalDecision::Deny { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_erases_its_own_line_is_shown_escaped() {
        // Regression: `\r\e[2K` moved the cursor back and erased the line,
        // so the prompt showed "ls -la" while `rm -rf ~` would run.
        let text = render(
            "Bash",
            "$ rm -rf ~ #\r\x1b[2K$ ls -la\r\nin the folder\u{202E}txt.exe",
        );
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_diff_of_a_file_with_escapes_keeps_its_colours_off_the_content() {
        let text = render(
            "Edit",
            "--- notes\x1b]0;owned\x07.txt\n+++ notes.txt\n-old \x1b[8mhidden\n+new\tline\u{9b}2J\n",
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn only_a_scheduled_run_is_offered_every_run_of_its_schedule() {
        let plain = console::strip_ansi_codes(&choices(false)).into_owned();
        assert!(!plain.contains("schedule"), "{plain}");
        assert!(choice("s", false).is_none());
        assert!(choice("schedule", false).is_none());
        let scheduled = console::strip_ansi_codes(&choices(true)).into_owned();
        insta::assert_snapshot!(scheduled);
        for answer in ["s", " Schedule "] {
            assert!(matches!(
                choice(answer, true),
                Some(Choice::Decided(ApprovalDecision::AllowForSchedule))
            ));
        }
        // The other answers mean what they meant.
        assert!(matches!(
            choice("a", true),
            Some(Choice::Decided(ApprovalDecision::AllowForTask))
        ));
        assert!(matches!(
            choice("y", true),
            Some(Choice::Decided(ApprovalDecision::AllowOnce))
        ));
        assert!(matches!(choice("", true), Some(Choice::Deny)));
    }

    #[test]
    fn the_question_shows_the_whole_summary() {
        let text = render("Edit", "--- a.txt\n+++ a.txt\n-old\n+new");
        assert!(text.contains("Edit wants to:"));
        assert!(text.contains("old") && text.contains("new"));
    }
}
