//! `Grep`: ripgrep's search, with every file opened beneath its folder.

use std::fmt::Write as _;
use std::fs::File;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, SearcherBuilder};
use ignore::WalkState;
use ignore::overrides::{Override, OverrideBuilder};
use ignore::types::{Types, TypesBuilder};
use rustix::fs::{FileType, OFlags};
use serde::Deserialize;

use super::grep_sink::{Collect, Line, OutputMode};
use super::walk::{Base, Batch, rel_to_root, walker};
use crate::error::FileError;
use crate::folders::Folders;

/// The search stops once this many matches (files, in the
/// `files_with_matches` and `count` modes) are found.
const MAX_MATCHES: u64 = 10_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrepInput {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default, rename = "type")]
    file_type: Option<String>,
    #[serde(default)]
    output_mode: Option<OutputMode>,
    #[serde(default, rename = "-i")]
    case_insensitive: Option<bool>,
    #[serde(default, rename = "-n")]
    line_numbers: Option<bool>,
    #[serde(default, rename = "-A")]
    after: Option<usize>,
    #[serde(default, rename = "-B")]
    before: Option<usize>,
    #[serde(default, rename = "-C")]
    context: Option<usize>,
    #[serde(default)]
    multiline: Option<bool>,
    #[serde(default)]
    head_limit: Option<usize>,
}

/// One file's findings.
struct Hits {
    display: String,
    count: u64,
    lines: Vec<Line>,
}

/// Everything one search needs, shared by the walker threads.
struct Search<'a> {
    folders: &'a Folders,
    root: usize,
    matcher: RegexMatcher,
    searcher: SearcherBuilder,
    mode: OutputMode,
    /// Matches (or files) after which the search stops.
    cap: u64,
}

pub(crate) fn run(folders: &Folders, input: GrepInput) -> Result<String, FileError> {
    let mode = input.output_mode.unwrap_or_default();
    let multiline = input.multiline.unwrap_or(false);
    let matcher = matcher(
        &input.pattern,
        input.case_insensitive.unwrap_or(false),
        multiline,
    )?;
    let types = input.file_type.as_deref().map(file_types).transpose()?;
    let base = Base::locate(folders, input.path.as_deref())?;

    let (before, after) = match mode {
        OutputMode::Content => (
            input.before.or(input.context).unwrap_or(0),
            input.after.or(input.context).unwrap_or(0),
        ),
        OutputMode::FilesWithMatches | OutputMode::Count => (0, 0),
    };
    let mut searcher = SearcherBuilder::new();
    searcher
        .binary_detection(BinaryDetection::quit(b'\x00'))
        .line_number(true)
        .multi_line(multiline)
        .before_context(before)
        .after_context(after);
    let head_limit = input.head_limit.filter(|&n| n > 0);
    let cap = head_limit.map_or(MAX_MATCHES, |n| (n as u64).min(MAX_MATCHES));
    let search = Search {
        folders,
        root: base.root,
        matcher,
        searcher,
        mode,
        cap,
    };

    let (mut hits, stopped) = if base.kind == FileType::Directory {
        let overrides = input
            .glob
            .as_deref()
            .map(|glob| glob_filter(&base.path, glob))
            .transpose()?;
        search.tree(&base.path, overrides, types)
    } else {
        (search.one(&base.path).into_iter().collect(), false)
    };
    hits.sort_by(|a, b| a.display.cmp(&b.display));

    if hits.is_empty() {
        return Ok(format!(
            "No matches for `{}` in `{}`.",
            input.pattern, base.input
        ));
    }
    let numbers = input.line_numbers.unwrap_or(true);
    let lines = render(&hits, mode, numbers, before + after > 0);
    Ok(finish(lines, head_limit, stopped))
}

fn matcher(
    pattern: &str,
    case_insensitive: bool,
    multiline: bool,
) -> Result<RegexMatcher, FileError> {
    let mut builder = RegexMatcherBuilder::new();
    builder
        .case_insensitive(case_insensitive)
        .multi_line(multiline)
        .dot_matches_new_line(multiline);
    if !multiline {
        // Lets the matcher search line by line, and rejects `\n` in the
        // pattern with an error that says so.
        builder.line_terminator(Some(b'\n'));
    }
    builder.build(pattern).map_err(|err| {
        let hint = if multiline {
            ""
        } else {
            " (to match across lines, set `multiline: true`)"
        };
        FileError::invalid(
            "Grep",
            format!("field `pattern` is not a valid regular expression: {err}{hint}"),
        )
    })
}

fn file_types(name: &str) -> Result<Types, FileError> {
    let mut builder = TypesBuilder::new();
    builder.add_defaults();
    builder.select(name);
    builder.build().map_err(|_| {
        FileError::invalid(
            "Grep",
            format!(
                "field `type`: `{name}` is not a known file type; known types include md, txt, \
                 csv, json, yaml, toml, html, css, js, ts, py, rust, go, java, c, cpp, sh and sql \
                 (ripgrep's names); use `glob` (for example `*.ext`) for anything else"
            ),
        )
    })
}

fn glob_filter(dir: &Path, glob: &str) -> Result<Override, FileError> {
    let mut builder = OverrideBuilder::new(dir);
    builder
        .add(glob)
        .and_then(|b| b.build())
        .map_err(|err| FileError::invalid("Grep", format!("field `glob`: {err}")))
}

impl Search<'_> {
    /// Searches every file under `dir`, in parallel. Returns the files with
    /// matches and whether the search stopped at the cap.
    fn tree(
        &self,
        dir: &Path,
        overrides: Option<Override>,
        types: Option<Types>,
    ) -> (Vec<Hits>, bool) {
        let mut builder = walker(dir, false, self.folders.concealed());
        if let Some(overrides) = overrides {
            builder.overrides(overrides);
        }
        if let Some(types) = types {
            builder.types(types);
        }
        let found = Mutex::new(Vec::new());
        let used = AtomicU64::new(0);
        let stopped = AtomicBool::new(false);
        builder.build_parallel().run(|| {
            let mut batch = Batch::new(&found);
            let matcher = self.matcher.clone();
            let mut searcher = self.searcher.build();
            let (used, stopped) = (&used, &stopped);
            Box::new(move |entry| {
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                // Symlinks are not followed: only regular files are searched.
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return WalkState::Continue;
                }
                let spent = used.load(Ordering::Relaxed);
                if spent >= self.cap {
                    stopped.store(true, Ordering::Relaxed);
                    return WalkState::Quit;
                }
                let Some(file) = self.open(entry.path()) else {
                    return WalkState::Continue;
                };
                let mut sink = Collect::new(self.mode, self.cap - spent);
                if searcher.search_file(&matcher, &file, &mut sink).is_err() || sink.count == 0 {
                    return WalkState::Continue;
                }
                let weight = self.weight(&sink);
                batch.items.push(self.hits(entry.path(), sink));
                if used.fetch_add(weight, Ordering::Relaxed) + weight >= self.cap {
                    stopped.store(true, Ordering::Relaxed);
                    return WalkState::Quit;
                }
                WalkState::Continue
            })
        });
        let found = found
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (found, stopped.into_inner())
    }

    /// Searches the single file at `path`.
    fn one(&self, path: &Path) -> Option<Hits> {
        let file = self.open(path)?;
        let mut sink = Collect::new(self.mode, self.cap);
        let mut searcher = self.searcher.build();
        searcher.search_file(&self.matcher, &file, &mut sink).ok()?;
        (sink.count > 0).then(|| self.hits(path, sink))
    }

    /// Opens a file found by the walk through the capability layer, never
    /// by its path: whatever the walk saw, the kernel only opens files
    /// beneath the folder's root. Files that cannot be opened are skipped,
    /// as ripgrep skips unreadable files.
    fn open(&self, path: &Path) -> Option<File> {
        let rel = rel_to_root(self.folders, self.root, path)?;
        let fd = self
            .folders
            // NONBLOCK: a fifo swapped in after the walk saw a regular file
            // must not hang the search.
            .open_at(
                self.root,
                rel,
                OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK,
            )
            .ok()?;
        Some(File::from(fd))
    }

    /// How much of the cap a file's findings use.
    fn weight(&self, sink: &Collect) -> u64 {
        match self.mode {
            OutputMode::Content => sink.count,
            OutputMode::FilesWithMatches | OutputMode::Count => 1,
        }
    }

    fn hits(&self, path: &Path, sink: Collect) -> Hits {
        Hits {
            display: self.folders.display(path),
            count: sink.count,
            lines: sink.lines,
        }
    }
}

fn render(hits: &[Hits], mode: OutputMode, numbers: bool, context: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (index, file) in hits.iter().enumerate() {
        let path = &file.display;
        match mode {
            OutputMode::FilesWithMatches => out.push(path.clone()),
            OutputMode::Count => out.push(format!("{path}:{}", file.count)),
            OutputMode::Content => {
                if context && index > 0 {
                    out.push("--".to_owned());
                }
                for line in &file.lines {
                    out.push(match (line, numbers) {
                        (Line::Match { number, text }, true) => format!("{path}:{number}:{text}"),
                        (Line::Match { text, .. }, false) => format!("{path}:{text}"),
                        (Line::Context { number, text }, true) => format!("{path}-{number}-{text}"),
                        (Line::Context { text, .. }, false) => format!("{path}-{text}"),
                        (Line::Break, _) => "--".to_owned(),
                    });
                }
            }
        }
    }
    out
}

/// Joins the output lines, applying `head_limit` and saying when anything
/// was left out.
fn finish(mut lines: Vec<String>, head_limit: Option<usize>, stopped: bool) -> String {
    let mut note = None;
    if let Some(limit) = head_limit
        && (lines.len() > limit || stopped)
    {
        lines.truncate(limit);
        note = Some(format!(
            "(output limited to the first {limit} lines by head_limit; more results exist)"
        ));
    } else if stopped {
        note = Some(format!(
            "(the search stopped after {MAX_MATCHES} matches; narrow the pattern, path, glob or type to see the rest)"
        ));
    }
    let mut out = lines.join("\n");
    if let Some(note) = note {
        // Writing to a String cannot fail.
        let _ = write!(out, "\n{note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_limit_cuts_lines_and_says_so() {
        let lines = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let out = finish(lines, Some(2), false);
        assert!(
            out.starts_with("a\nb\n(output limited to the first 2"),
            "{out}"
        );
    }

    #[test]
    fn an_unknown_file_type_names_valid_ones() {
        let err = file_types("markdownish").unwrap_err().to_string();
        assert!(
            err.contains("`markdownish`") && err.contains("md, txt"),
            "{err}"
        );
    }

    #[test]
    fn a_newline_in_a_single_line_pattern_points_to_multiline() {
        let err = matcher("a\\nb", false, false).unwrap_err().to_string();
        assert!(err.contains("multiline"), "{err}");
        assert!(matcher("a\\nb", false, true).is_ok());
    }
}
