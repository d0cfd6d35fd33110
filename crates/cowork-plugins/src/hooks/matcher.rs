//! Which tool calls (or session starts) a group of hooks listens to.
//!
//! Claude Code's rule, followed as is so plugins behave the same here:
//! - absent, `""` or `"*"`: everything;
//! - only letters, digits, `_`, `-`, spaces and `|`: exact names, `|`
//!   separating alternatives — `Write|Edit` matches `Write` and `Edit`,
//!   not `WriteFile`, and `mcp__slack` matches no tool;
//! - anything else: a regular expression searched in the name, NOT
//!   anchored (JavaScript's `RegExp.test`) — `mcp__slack__.*` matches every
//!   Slack tool, and `^Write$` is the way to pin a regex to one name.

use regex::Regex;

/// A parsed `matcher`.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// No matcher, `""` or `"*"`.
    Any,
    /// Exact names (`Write|Edit`).
    Names(Vec<String>),
    /// A regular expression searched in the name.
    Pattern(Regex),
}

impl Matcher {
    /// Parses a matcher as Claude Code reads it; an invalid regular
    /// expression is an error with the regex crate's explanation.
    pub fn parse(source: Option<&str>) -> Result<Self, Box<regex::Error>> {
        let source = source.map(str::trim).unwrap_or_default();
        if source.is_empty() || source == "*" {
            return Ok(Self::Any);
        }
        let plain = source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | '|'));
        if plain {
            return Ok(Self::Names(
                source
                    .split('|')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ));
        }
        Regex::new(source).map(Self::Pattern).map_err(Box::new)
    }

    /// Whether `subject` (a tool name, a session start's source) matches.
    pub fn matches(&self, subject: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Names(names) => names.iter().any(|name| name == subject),
            Self::Pattern(regex) => regex.is_match(subject),
        }
    }

    /// Whether it matches everything.
    pub fn is_any(&self) -> bool {
        match self {
            Self::Any => true,
            Self::Names(_) | Self::Pattern(_) => false,
        }
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Any, Self::Any) => true,
            (Self::Names(a), Self::Names(b)) => a == b,
            (Self::Pattern(a), Self::Pattern(b)) => a.as_str() == b.as_str(),
            (Self::Any | Self::Names(_) | Self::Pattern(_), _) => false,
        }
    }
}
