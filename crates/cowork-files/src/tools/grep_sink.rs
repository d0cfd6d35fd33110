//! What Grep keeps from searching one file.

use grep_searcher::{Searcher, Sink, SinkContext, SinkMatch};
use serde::Deserialize;

use super::clip_line;

/// What Grep reports (`output_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OutputMode {
    /// The paths of files with at least one match.
    #[default]
    FilesWithMatches,
    /// The matching lines, with context if asked.
    Content,
    /// The number of matching lines per file.
    Count,
}

/// One line of `content` output.
pub(crate) enum Line {
    Match {
        number: u64,
        text: String,
    },
    Context {
        number: u64,
        text: String,
    },
    /// A gap between groups of lines (`--`).
    Break,
}

/// Collects one file's matches, stopping once `budget` matches are kept
/// (one is enough to list a file).
pub(crate) struct Collect {
    mode: OutputMode,
    budget: u64,
    pub count: u64,
    pub lines: Vec<Line>,
}

impl Collect {
    pub fn new(mode: OutputMode, budget: u64) -> Self {
        Self {
            mode,
            budget,
            count: 0,
            lines: Vec::new(),
        }
    }
}

fn text(bytes: &[u8]) -> String {
    let line = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    clip_line(&String::from_utf8_lossy(line)).into_owned()
}

impl Sink for Collect {
    type Error = std::io::Error;

    fn matched(&mut self, _: &Searcher, found: &SinkMatch<'_>) -> Result<bool, Self::Error> {
        self.count += 1;
        match self.mode {
            OutputMode::FilesWithMatches => return Ok(false),
            OutputMode::Count => {}
            OutputMode::Content => {
                let first = found.line_number().unwrap_or(0);
                // A multiline match spans several lines; show each.
                for (number, line) in (first..).zip(found.lines()) {
                    self.lines.push(Line::Match {
                        number,
                        text: text(line),
                    });
                }
            }
        }
        Ok(self.count < self.budget)
    }

    fn context(&mut self, _: &Searcher, context: &SinkContext<'_>) -> Result<bool, Self::Error> {
        self.lines.push(Line::Context {
            number: context.line_number().unwrap_or(0),
            text: text(context.bytes()),
        });
        Ok(true)
    }

    fn context_break(&mut self, _: &Searcher) -> Result<bool, Self::Error> {
        self.lines.push(Line::Break);
        Ok(true)
    }
}
