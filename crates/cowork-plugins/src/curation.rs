//! The administrator's policy file, which the person cannot override.
//!
//! It lives at [`SYSTEM_POLICY`](crate::SYSTEM_POLICY)
//! (`/etc/cowork/policy.toml`); a missing file means no policy. Nothing
//! the person sets loosens it: there is no user-level counterpart, and a
//! release build of the CLI reads no variable that moves it.
//!
//! ```toml
//! [marketplaces]
//! # Names, or source patterns (anything with `/` or `:` is matched against
//! # the marketplace's git URL or folder). Absent: any marketplace.
//! allowed = ["knowledge-work-plugins", "https://github.com/acme/*"]
//!
//! [plugins]
//! # NAME@MARKETPLACE (either side may use `*`) = available |
//! # installed_by_default | required | blocked
//! "productivity@knowledge-work-plugins" = "required"
//! "*@untrusted-market" = "blocked"
//! # What unlisted plugins are; "blocked" turns the list into an allowlist.
//! default = "available"
//!
//! [mcp]
//! # Server names, or URL patterns (anything with `/` or `:`). Absent: any.
//! allowed = ["slack", "https://mcp.notion.com/*"]
//! blocked = ["*.evil.example/*"]
//! ```
//!
//! Rules:
//! - An exact `NAME@MARKETPLACE` key decides for that plugin. Otherwise,
//!   when several patterns match, the strictest state wins (`blocked`,
//!   then `required`, then `installed_by_default`, then `available`);
//!   when none does, `default` (itself `available` when absent).
//! - `blocked` plugins cannot be installed or enabled, and are never given
//!   to a task even if they were installed before the policy said so.
//!   `required` ones cannot be disabled or uninstalled, and are on
//!   whatever the person's state says. `required` and
//!   `installed_by_default` plugins are installed when their marketplace
//!   is added or updated (an `installed_by_default` plugin the person
//!   uninstalls stays uninstalled).
//! - A pattern with neither `/` nor `:` is a name; one starting with `/` a
//!   folder; anything else a URL, `[scheme://]host[:port][/path]`, matched
//!   part by part: the host glob only ever sees the URL's host (lower case,
//!   trailing dot and user info dropped), so `*.notion.com/*` cannot be
//!   met by `https://evil.example/x.notion.com/`; no scheme, port or path
//!   in the pattern means any. A git address `git@host:path` is
//!   `ssh://host/path`. A name in `[marketplaces] allowed` or
//!   `[mcp] allowed` trusts anything that calls itself that name; write a
//!   source or URL pattern to pin where it comes from. Names and hosts
//!   compare case-insensitively. `[mcp] blocked` wins over `allowed`.
//! - A policy file that cannot be read or parsed, an unknown key, or an
//!   unknown state is an error naming the file and line: an
//!   administrator's typo must never silently allow everything.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use pattern::Pattern;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What the administrator says about one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginState {
    /// The person may install, enable and disable it.
    Available,
    /// Installed when its marketplace is known; the person may disable or
    /// uninstall it.
    InstalledByDefault,
    /// Installed when its marketplace is known, always on.
    Required,
    /// Cannot be installed, enabled or used.
    Blocked,
}

impl PluginState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::InstalledByDefault => "installed_by_default",
            Self::Required => "required",
            Self::Blocked => "blocked",
        }
    }
}

impl fmt::Display for PluginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The policy file is invalid. Callers stop: an invalid policy allows
/// nothing.
#[derive(Debug, Error)]
#[error("{}{}: {message} (the administrator's policy: fix the file; until then nothing is allowed)", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

/// Something the policy forbids; `by` names the rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what} is blocked by the administrator's policy {}: {by}", file.display())]
pub struct Blocked {
    /// What was refused (`plugin \`x@m\``, `connector \`slack\``…).
    pub what: String,
    /// The rule that refused it, as written in the file.
    pub by: String,
    pub file: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    marketplaces: Option<AllowSection>,
    #[serde(default)]
    plugins: BTreeMap<toml::Spanned<String>, PluginState>,
    #[serde(default)]
    mcp: Option<McpSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowSection {
    allowed: Option<Vec<toml::Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct McpSection {
    allowed: Option<Vec<toml::Spanned<String>>>,
    #[serde(default)]
    blocked: Vec<toml::Spanned<String>>,
}

/// The administrator's policy, read once per operation.
#[derive(Debug, Clone)]
pub struct Policy {
    file: PathBuf,
    marketplaces: Option<Vec<Pattern>>,
    /// Exact `name@marketplace` keys, in lower case.
    exact: BTreeMap<String, PluginState>,
    /// `NAME@MARKETPLACE` keys with globs: the text, its matcher, the
    /// state.
    patterns: Vec<(String, GlobMatcher, PluginState)>,
    default: PluginState,
    mcp_allowed: Option<Vec<Pattern>>,
    mcp_blocked: Vec<Pattern>,
}

impl Policy {
    /// No policy: everything available.
    pub fn none(file: impl Into<PathBuf>) -> Self {
        Self {
            file: file.into(),
            marketplaces: None,
            exact: BTreeMap::new(),
            patterns: Vec::new(),
            default: PluginState::Available,
            mcp_allowed: None,
            mcp_blocked: Vec::new(),
        }
    }

    /// Reads the policy at `file`; a missing file is no policy.
    pub fn load(file: &Path) -> Result<Self, PolicyError> {
        match std::fs::read_to_string(file) {
            Ok(text) => Self::parse(&text, file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::none(file)),
            Err(e) => Err(PolicyError {
                file: file.to_path_buf(),
                line: None,
                message: format!("cannot be read: {e}"),
            }),
        }
    }

    /// Parses a policy's text; `file` names it in errors and refusals.
    pub fn parse(text: &str, file: &Path) -> Result<Self, PolicyError> {
        let error = |span: Option<std::ops::Range<usize>>, message: String| PolicyError {
            file: file.to_path_buf(),
            line: span.map(|s| line_at(text, s.start)),
            message,
        };
        let parsed: PolicyFile = toml::from_str(text)
            .map_err(|e| error(e.span(), e.message().trim().replace('\n', " ")))?;
        let patterns = |list: Vec<toml::Spanned<String>>| {
            list.into_iter()
                .map(|item| {
                    let span = item.span();
                    Pattern::new(item.get_ref()).map_err(|m| error(Some(span), m))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let mut policy = Self::none(file);
        if let Some(section) = parsed.marketplaces {
            policy.marketplaces = section.allowed.map(patterns).transpose()?;
        }
        if let Some(section) = parsed.mcp {
            policy.mcp_allowed = section.allowed.map(patterns).transpose()?;
            policy.mcp_blocked = patterns(section.blocked)?;
        }
        for (key, state) in parsed.plugins {
            let span = key.span();
            let key = key.into_inner();
            if key == "default" {
                policy.default = state;
                continue;
            }
            let Some((name, market)) = key.split_once('@') else {
                return Err(error(
                    Some(span),
                    format!("`{key}` must be NAME@MARKETPLACE (or `default`)"),
                ));
            };
            if name.is_empty() || market.is_empty() || market.contains('@') {
                return Err(error(
                    Some(span),
                    format!("`{key}` must be NAME@MARKETPLACE (or `default`)"),
                ));
            }
            if key.contains(['*', '?', '[', '{']) {
                let matcher = GlobBuilder::new(&key)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| {
                        error(
                            Some(span.clone()),
                            format!("`{key}` is not a valid pattern: {e}"),
                        )
                    })?
                    .compile_matcher();
                policy.patterns.push((key, matcher, state));
            } else {
                policy.exact.insert(key.to_lowercase(), state);
            }
        }
        Ok(policy)
    }

    /// The policy file this was read from (named in every refusal).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// What the policy says about `name@marketplace`.
    pub fn plugin_state(&self, name: &str, marketplace: &str) -> PluginState {
        self.plugin_rule(name, marketplace).0
    }

    /// The state and the rule that decided it.
    fn plugin_rule(&self, name: &str, marketplace: &str) -> (PluginState, String) {
        let id = format!("{name}@{marketplace}");
        if let Some(state) = self.exact.get(&id.to_lowercase()) {
            return (*state, format!("\"{id}\" = \"{state}\""));
        }
        self.patterns
            .iter()
            .filter(|(_, matcher, _)| matcher.is_match(&id))
            .max_by_key(|(_, _, state)| *state)
            .map(|(text, _, state)| (*state, format!("\"{text}\" = \"{state}\"")))
            .unwrap_or_else(|| (self.default, format!("default = \"{}\"", self.default)))
    }

    /// Refuses a blocked plugin, naming the rule.
    pub fn plugin_allowed(&self, name: &str, marketplace: &str) -> Result<(), Blocked> {
        match self.plugin_rule(name, marketplace) {
            (PluginState::Blocked, by) => {
                Err(self.blocked(format!("plugin `{name}@{marketplace}`"), by))
            }
            (
                PluginState::Available | PluginState::InstalledByDefault | PluginState::Required,
                _,
            ) => Ok(()),
        }
    }

    /// Whether a marketplace called `name`, fetched from `source` (its git
    /// URL or its folder), may be used.
    pub fn marketplace_allowed(&self, name: &str, source: &str) -> Result<(), Blocked> {
        let Some(allowed) = &self.marketplaces else {
            return Ok(());
        };
        if allowed.iter().any(|p| p.matches(name, Some(source))) {
            return Ok(());
        }
        Err(self.blocked(
            format!("marketplace `{name}` ({source})"),
            "it is not in [marketplaces] allowed".to_owned(),
        ))
    }

    /// Whether the MCP server `name` (at `url`, for a remote one) may be
    /// started or reached.
    pub fn mcp_allowed(&self, name: &str, url: Option<&str>) -> Result<(), Blocked> {
        let what = || match url {
            Some(url) => format!("connector `{name}` ({url})"),
            None => format!("connector `{name}`"),
        };
        if let Some(rule) = self.mcp_blocked.iter().find(|p| p.matches(name, url)) {
            return Err(self.blocked(what(), format!("[mcp] blocked has \"{}\"", rule.text)));
        }
        match &self.mcp_allowed {
            Some(allowed) if !allowed.iter().any(|p| p.matches(name, url)) => {
                Err(self.blocked(what(), "it is not in [mcp] allowed".to_owned()))
            }
            Some(_) | None => Ok(()),
        }
    }

    fn blocked(&self, what: String, by: String) -> Blocked {
        Blocked {
            what,
            by,
            file: self.file.clone(),
        }
    }
}

fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

#[path = "curation_pattern.rs"]
mod pattern;

#[cfg(test)]
#[path = "curation_tests.rs"]
mod tests;
