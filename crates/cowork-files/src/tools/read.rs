//! `Read`: a text file with line numbers, a window at a time.

use std::fmt::Write as _;
use std::io::{BufReader, Read as _, Seek, SeekFrom};

use serde::Deserialize;

use super::sniff::{SNIFF_LEN, binary_kind};
use super::text::{DecodedLines, TextEncoding};
use super::{clip_line, thousands};
use crate::error::FileError;
use crate::folders::{Folders, Resolved};

/// Lines shown when the call gives no `limit`.
const DEFAULT_LIMIT: usize = 2000;

/// Files up to this size are checked whole for UTF-8 and have their lines
/// counted; bigger ones are streamed and only the window is decoded.
const WHOLE_FILE_LIMIT: u64 = 10 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadInput {
    file_path: String,
    #[serde(default)]
    offset: Option<usize>,
    #[serde(default)]
    limit: Option<usize>,
}

/// The whole content of a regular file, for converters; refuses files
/// over `max_bytes` with the size and the limit.
pub(crate) fn read_bytes(
    folders: &Folders,
    path: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, FileError> {
    let resolved = folders.resolve(path)?;
    let mut file = resolved.open_file()?;
    let io = |source| FileError::Io {
        path: resolved.input().to_owned(),
        source,
    };
    let size = file.metadata().map_err(io)?.len();
    if size > max_bytes {
        return Err(FileError::Io {
            path: resolved.input().to_owned(),
            source: std::io::Error::other(format!(
                "it is {} bytes; documents over {} bytes are not read",
                thousands(size),
                thousands(max_bytes)
            )),
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

pub(crate) fn run(folders: &Folders, input: ReadInput) -> Result<String, FileError> {
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 {
        return Err(FileError::invalid(
            "Read",
            "field `limit` must be at least 1",
        ));
    }
    // Models send 0 meaning "from the start".
    let first = input.offset.unwrap_or(1).max(1);
    let resolved = folders.resolve(&input.file_path)?;
    let mut file = resolved.open_file()?;
    let io = |source| FileError::Io {
        path: resolved.input().to_owned(),
        source,
    };
    let size = file.metadata().map_err(io)?.len();

    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut file)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    if head.is_empty() {
        return Ok(format!("`{}` is empty (0 bytes).", resolved.input()));
    }
    // UTF-16 text is full of NUL bytes; a byte-order mark says it is text.
    let has_bom = encoding_rs::Encoding::for_bom(&head).is_some();
    if !has_bom && let Some(kind) = binary_kind(&head) {
        return Ok(format!(
            "`{}` is a binary file ({kind}, {} bytes); it cannot be shown as text.",
            resolved.input(),
            thousands(size)
        ));
    }

    let whole = size <= WHOLE_FILE_LIMIT;
    let (encoding, lines) = if whole {
        let mut bytes = head;
        file.read_to_end(&mut bytes).map_err(io)?;
        let encoding = TextEncoding::detect(&bytes, true);
        let body = bytes.split_off(encoding.bom_len.min(bytes.len()));
        (
            encoding,
            Window::show(&body[..], encoding, first, limit, true),
        )
    } else {
        let encoding = TextEncoding::detect(&head, false);
        let skip = encoding.bom_len as u64;
        file.seek(SeekFrom::Start(skip)).map_err(io)?;
        let reader = BufReader::new(file);
        (
            encoding,
            Window::show(reader, encoding, first, limit, false),
        )
    };
    let window = lines.map_err(io)?;
    window.render(&resolved, encoding, first, limit)
}

/// The lines shown, and what is known about the rest.
struct Window {
    lines: Vec<String>,
    /// The file's line count, when it was counted.
    total: Option<usize>,
    /// Whether lines follow the window.
    more: bool,
}

impl Window {
    fn show(
        reader: impl std::io::Read,
        encoding: TextEncoding,
        first: usize,
        limit: usize,
        count_all: bool,
    ) -> std::io::Result<Window> {
        let mut lines = DecodedLines::new(reader, encoding.encoding);
        let mut seen = 0;
        while seen + 1 < first {
            if !lines.skip_line()? {
                return Ok(Window {
                    lines: Vec::new(),
                    total: Some(seen),
                    more: false,
                });
            }
            seen += 1;
        }
        let mut shown = Vec::new();
        while shown.len() < limit {
            match lines.next_line()? {
                Some(line) => shown.push(clip_line(&line).into_owned()),
                None => break,
            }
        }
        seen += shown.len();
        let mut more = false;
        let mut total = None;
        if shown.len() == limit {
            if count_all {
                let mut rest = 0;
                while lines.skip_line()? {
                    rest += 1;
                }
                more = rest > 0;
                total = Some(seen + rest);
            } else {
                more = lines.skip_line()?;
            }
        } else {
            total = Some(seen);
        }
        Ok(Window {
            lines: shown,
            total,
            more,
        })
    }

    fn render(
        self,
        resolved: &Resolved<'_>,
        encoding: TextEncoding,
        first: usize,
        limit: usize,
    ) -> Result<String, FileError> {
        if self.lines.is_empty() {
            let total = self.total.unwrap_or(0);
            return Err(FileError::invalid(
                "Read",
                format!(
                    "offset {first} is past the end of `{}`, which has {total} lines; \
                     use an offset between 1 and {total}",
                    resolved.input()
                ),
            ));
        }
        let mut out = String::new();
        if let Some(note) = encoding.note() {
            out.push_str(&note);
            out.push('\n');
        }
        let mut number = first;
        for line in &self.lines {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{number:>6}\t{line}");
            number += 1;
        }
        let last = number - 1;
        if self.more {
            let next = last + 1;
            match self.total {
                Some(total) => {
                    let _ = write!(
                        out,
                        "(showing lines {first}-{last} of {total}; call Read with offset={next} to continue)"
                    );
                }
                None => {
                    let _ = write!(
                        out,
                        "(showing lines {first}-{last}; more lines follow; call Read with offset={next} \
                         to continue, limit={limit} at a time)"
                    );
                }
            }
        } else if out.ends_with('\n') {
            out.pop();
        }
        Ok(out)
    }
}
