//! The hook events Claude Code plugins name, and which of them cowork fires.

/// A hook event, as Claude Code names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventName {
    PreToolUse,
    PostToolUse,
    UserPromptSubmit,
    Stop,
    SessionStart,
    SubagentStop,
    SessionEnd,
    PreCompact,
    Notification,
}

/// What an event's `matcher` is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatcherSubject {
    /// The tool's name (`PreToolUse`, `PostToolUse`).
    ToolName,
    /// How the session started: `startup` or `resume` (`SessionStart`).
    Source,
    /// Nothing: the event ignores its matcher.
    Ignored,
}

impl EventName {
    pub const ALL: [Self; 9] = [
        Self::PreToolUse,
        Self::PostToolUse,
        Self::UserPromptSubmit,
        Self::Stop,
        Self::SessionStart,
        Self::SubagentStop,
        Self::SessionEnd,
        Self::PreCompact,
        Self::Notification,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreToolUse => "PreToolUse",
            Self::PostToolUse => "PostToolUse",
            Self::UserPromptSubmit => "UserPromptSubmit",
            Self::Stop => "Stop",
            Self::SessionStart => "SessionStart",
            Self::SubagentStop => "SubagentStop",
            Self::SessionEnd => "SessionEnd",
            Self::PreCompact => "PreCompact",
            Self::Notification => "Notification",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// Whether cowork fires this event. The others are kept, so a plugin
    /// loads as is, but never run.
    pub fn fired(self) -> bool {
        match self {
            Self::PreToolUse
            | Self::PostToolUse
            | Self::UserPromptSubmit
            | Self::Stop
            | Self::SessionStart => true,
            Self::SubagentStop | Self::SessionEnd | Self::PreCompact | Self::Notification => false,
        }
    }

    pub fn matcher_subject(self) -> MatcherSubject {
        match self {
            Self::PreToolUse | Self::PostToolUse => MatcherSubject::ToolName,
            Self::SessionStart => MatcherSubject::Source,
            Self::UserPromptSubmit
            | Self::Stop
            | Self::SubagentStop
            | Self::SessionEnd
            | Self::PreCompact
            | Self::Notification => MatcherSubject::Ignored,
        }
    }
}

impl std::fmt::Display for EventName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
