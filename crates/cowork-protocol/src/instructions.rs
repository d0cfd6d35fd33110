//! Instructions a task was given besides its prompt: the person's global
//! `COWORK.md`, a project's, and the files at a connected folder's root.
//! A task records them once, at its start ([`Event::InstructionsLoaded`]),
//! text included, so a resumed task is sent exactly what the first run was.
//!
//! [`Event::InstructionsLoaded`]: crate::Event::InstructionsLoaded

use serde::{Deserialize, Serialize};

use crate::path::RawPath;

/// Where instructions came from. Layers reach the model in this order,
/// the more specific last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstructionLayer {
    /// The person's own, for every task (`COWORK.md` in cowork's
    /// configuration folder).
    Global,
    /// The project the task runs in.
    Project,
    /// A file at a connected folder's root (`COWORK.md`, `CLAUDE.md`,
    /// `AGENTS.md`), written by whoever made the folder.
    Folder,
}

impl InstructionLayer {
    pub fn as_str(self) -> &'static str {
        match self {
            InstructionLayer::Global => "global",
            InstructionLayer::Project => "project",
            InstructionLayer::Folder => "folder",
        }
    }
}

/// One source of instructions, as the model was given it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstructionSource {
    pub layer: InstructionLayer,
    /// The file read; absent for text that is not a file of the person's
    /// (a project's instructions kept by cowork).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<RawPath>,
    /// How the person and the model are told where it came from: the
    /// file's path, or the project's name.
    pub label: String,
    /// Whether the model was told to follow it. Text from a folder the
    /// person has not trusted is shown as quoted data instead.
    pub trusted: bool,
    /// The size of the source, in bytes, before any cut.
    pub bytes: u64,
    /// Whether the text was cut to the size cap.
    pub truncated: bool,
    /// The text the model was given (after the cap; bytes that are not
    /// UTF-8 replaced).
    pub text: String,
}

impl InstructionSource {
    /// One line for a transcript, in words that name no front's controls:
    /// `folder /w/AGENTS.md (untrusted: shown as data; 900 bytes)`.
    pub fn summary(&self) -> String {
        let trust = if self.trusted {
            ""
        } else {
            "untrusted: shown as data; "
        };
        let size = if self.truncated {
            format!("{} bytes, cut to {}", self.bytes, self.text.len())
        } else {
            format!("{} bytes", self.bytes)
        };
        // A name with a line break must not forge a line of its own.
        let label: String = self
            .label
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
        format!("{} {label} ({trust}{size})", self.layer.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;

    use super::*;
    use crate::Event;

    fn source(trusted: bool, truncated: bool) -> InstructionSource {
        InstructionSource {
            layer: InstructionLayer::Folder,
            path: Some(RawPath(PathBuf::from(OsStr::from_bytes(
                b"/w/caf\xe9/AGENTS.md",
            )))),
            label: "/w/caf\u{FFFD}/AGENTS.md".into(),
            trusted,
            bytes: 40_000,
            truncated,
            text: "use tabs".into(),
        }
    }

    #[test]
    fn instructions_loaded_round_trips_with_a_path_that_is_not_utf8() {
        let event = Event::InstructionsLoaded {
            sources: vec![source(false, true)],
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.kind());
        assert_eq!(json["sources"][0]["layer"], "folder");
        assert!(event.is_persistent());
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
    }

    #[test]
    fn the_summary_says_trust_and_cut_and_keeps_a_line_break_in_a_name_escaped() {
        assert_eq!(
            source(false, true).summary(),
            "folder /w/caf\u{FFFD}/AGENTS.md (untrusted: shown as data; 40000 bytes, cut to 8)"
        );
        let mut odd = source(true, false);
        odd.label = "/w/x\n## forged".into();
        assert_eq!(odd.summary(), "folder /w/x\\n## forged (40000 bytes)");
    }
}
