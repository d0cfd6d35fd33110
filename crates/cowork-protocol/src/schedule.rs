//! What a scheduled task carries from its schedule: the scope every run
//! gets (nobody is there to approve), and the link from a run back to the
//! schedule and due time that started it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::Rule;
use crate::{FolderGrant, PermissionMode};

/// Everything a schedule's runs get, fixed when it is created (and
/// widened only by the person: an "allow for every run of this schedule"
/// answer adds an allow rule). Stored with the schedule as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleScope {
    #[serde(default)]
    pub mode: PermissionMode,
    /// The schedule's own rules, after the configuration's: the
    /// configuration's deny rules still win.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<FolderGrant>,
    /// The connectors (MCP servers) its runs get, by name; `None`: every
    /// one the daemon has. A named one that is gone is a notice in the
    /// run, not a failed run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connectors: Option<Vec<String>>,
    /// `anthropic`, `openai` or `script`; the daemon's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The conversation file of the `script` provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Commands run without the sandbox.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsandboxed: bool,
    /// Hosts commands may reach, as `--allow-net` takes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_net: Vec<String>,
}

/// Why a scheduled run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledRunKind {
    /// Its due time just came.
    OnTime,
    /// Its due time passed while the daemon was down or the machine
    /// asleep; the catch-up policy runs it now.
    CatchUp,
    /// The person asked for a run now (`run-now`).
    Manual,
}

impl ScheduledRunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduledRunKind::OnTime => "on_time",
            ScheduledRunKind::CatchUp => "catch_up",
            ScheduledRunKind::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "on_time" => ScheduledRunKind::OnTime,
            "catch_up" => ScheduledRunKind::CatchUp,
            "manual" => ScheduledRunKind::Manual,
            _ => return None,
        })
    }
}

/// A task started by a schedule: which one, for which due time, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleLink {
    /// The schedule's id (stable across renames).
    pub id: String,
    /// Its name when the run started.
    pub name: String,
    /// The due time this run is for, unix milliseconds (for a manual run:
    /// when it was asked for).
    pub due: i64,
    pub run: ScheduledRunKind,
}
