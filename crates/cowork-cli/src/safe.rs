//! Text from the model, a file or a command, made safe to print on a
//! terminal. Such text is data: an ESC could recolour, move the cursor or
//! erase what the person reads (`\r\x1b[2K` makes an approval prompt show
//! another command than the one that runs), and bidi or invisible format
//! characters make a name read differently from what it is. Every such
//! character is shown as a visible escape instead, one form everywhere:
//!
//! - `\r`, `\t`, `\n` (when a newline is not meant), and `\xNN` for the
//!   other ASCII controls and DEL (`\x1B[2K`), matching how paths show
//!   bytes that are not UTF-8;
//! - `\u{NNNN}` for C1 controls, bidi controls, line/paragraph separators
//!   and invisible format characters (`\u{202E}`), whose code points are
//!   not bytes and must not read as `\xNN`.
//!
//! Newlines are kept in prose ([`text`]), and tabs with them: a tab only
//! moves forward, so it cannot hide or overwrite what came before. Our own
//! styling (colours) is applied after escaping, so it is the only control
//! sequence that reaches the terminal. `--json` output is left to JSON's
//! own escaping: its readers are programs, not terminals.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

/// Escapes `text` to print as prose: newlines and tabs are kept, every
/// other control or invisible format character is shown escaped.
pub fn text(text: &str) -> Cow<'_, str> {
    escape(text, Keep::NewlinesAndTabs)
}

/// Escapes `text` to print on one line: newlines and tabs are escaped too.
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, Keep::Nothing)
}

/// A path on one line, its non-UTF-8 bytes as `\xNN` and its controls
/// escaped.
pub fn path(path: &Path) -> String {
    line(&cowork_files::show_path(path)).into_owned()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    NewlinesAndTabs,
    Nothing,
}

fn escape(text: &str, keep: Keep) -> Cow<'_, str> {
    if !text.chars().any(|c| needs_escape(c, keep)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !needs_escape(c, keep) {
            out.push(c);
            continue;
        }
        // Writing to a String cannot fail.
        let _ = match c {
            '\n' => write!(out, "\\n"),
            '\r' => write!(out, "\\r"),
            '\t' => write!(out, "\\t"),
            c if c.is_ascii() => write!(out, "\\x{:02X}", u32::from(c)),
            c => write!(out, "\\u{{{:04X}}}", u32::from(c)),
        };
    }
    Cow::Owned(out)
}

fn needs_escape(c: char, keep: Keep) -> bool {
    match c {
        '\n' | '\t' => keep == Keep::Nothing,
        // C0 controls, DEL and C1 controls.
        c if c.is_control() => true,
        c => is_invisible_format(c),
    }
}

/// Characters that change how text around them is ordered or joined
/// while showing nothing themselves: bidi controls (the "Trojan Source"
/// set), line and paragraph separators, zero-width and other invisible
/// format characters, and the tag characters that can smuggle hidden
/// text. Zero-width (non-)joiners are kept: scripts and emoji need them,
/// and they reorder nothing.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

#[cfg(test)]
#[path = "safe_tests.rs"]
mod tests;
