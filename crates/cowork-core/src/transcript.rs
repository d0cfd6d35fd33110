//! The conversation a task carries, and how it is rebuilt from the task's
//! stored events — the same fold runs live and on resume, so a resumed
//! task sees exactly what the interrupted one saw.

use cowork_protocol::{
    ContentBlock, Event, InstructionSource, Message, RecalledMemory, Role, TaskSpec, TaskStatus,
    Usage,
};

use crate::tools::recalled_block;

/// A task's conversation and counters.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub prompt: String,
    pub messages: Vec<Message>,
    /// Model turns started over the task's life.
    pub turns: u32,
    /// Model calls whose answer was recorded (answers and compaction
    /// summaries). A scripted model resumes from here.
    pub model_calls: usize,
    pub usage: Usage,
    /// The last call's prompt size, the base of the context estimate.
    pub last_prompt_tokens: u64,
    /// Characters added since the last call, estimated at 4 per token.
    pub chars_since_last_call: usize,
    pub status: Option<TaskStatus>,
    /// The instructions the log records the task was given, which every
    /// later run reuses; `None` when it records none.
    pub instructions: Option<Vec<InstructionSource>>,
}

impl Transcript {
    pub fn new(prompt: &str) -> Self {
        Self {
            prompt: prompt.to_owned(),
            messages: vec![Message::user_text(prompt)],
            turns: 0,
            model_calls: 0,
            usage: Usage::default(),
            last_prompt_tokens: 0,
            chars_since_last_call: prompt.len(),
            status: None,
            instructions: None,
        }
    }

    /// Folds a task's stored events, in order, into its transcript.
    /// Returns `None` when the log does not start with `TaskCreated`.
    pub fn rebuild<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<(TaskSpec, Self)> {
        let mut events = events.into_iter();
        let spec = match events.next()? {
            Event::TaskCreated { spec } => spec.clone(),
            _ => return None,
        };
        let mut transcript = Self::new(&spec.prompt);
        for event in events {
            transcript.apply(event);
        }
        Some((spec, transcript))
    }

    /// Applies one event. Transient events change nothing.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::TaskCreated { .. } => {}
            Event::PromptExpanded { text, .. } => self.expand_prompt(text),
            Event::MemoryRecalled { entries } => self.recall(entries),
            Event::UserMessage { text } => self.push_user_text(text),
            Event::TurnStarted { turn } => self.turns = *turn,
            Event::AssistantMessage { content, usage, .. } => {
                self.messages.push(Message {
                    role: Role::Assistant,
                    content: content.clone(),
                });
                self.record_call(usage);
                self.chars_since_last_call = 0;
                self.last_prompt_tokens = usage.prompt_tokens() + usage.output_tokens;
            }
            Event::ToolCallFinished {
                id,
                content,
                is_error,
                ..
            } => self.push_tool_result(id, content, *is_error),
            Event::Compacted {
                summary,
                replaced_messages,
                usage,
            } => {
                self.compact(summary, *replaced_messages as usize);
                self.record_call(usage);
            }
            Event::StatusChanged { status, .. } => self.status = Some(*status),
            Event::InstructionsLoaded { sources } => self.instructions = Some(sources.clone()),
            Event::ApprovalRequested { .. }
            | Event::ApprovalDecided { .. }
            | Event::FileChanged { .. }
            | Event::Undone { .. }
            | Event::TextDelta { .. }
            | Event::ToolCallStarted { .. }
            | Event::Connector { .. }
            | Event::Warning { .. }
            | Event::Notice { .. } => {}
        }
    }

    /// The prompt, or the message just sent, was a `/command`: the model
    /// is sent its expansion in place of the text as typed (and compaction
    /// keeps the expansion).
    fn expand_prompt(&mut self, text: &str) {
        let first = self.messages.len() == 1;
        let Some(last) = self.messages.last_mut() else {
            return;
        };
        if last.role != Role::User {
            return;
        }
        let Some(ContentBlock::Text { text: typed }) = last.content.last_mut() else {
            return;
        };
        self.chars_since_last_call =
            self.chars_since_last_call.saturating_sub(typed.len()) + text.len();
        text.clone_into(typed);
        if first && last.content.len() == 1 {
            text.clone_into(&mut self.prompt);
        }
    }

    /// Memory recalled at the start goes before the prompt, in the first
    /// user message, as its own labelled block: the system prompt stays
    /// the same for every task (and every turn), for the prompt cache.
    fn recall(&mut self, entries: &[RecalledMemory]) {
        if entries.is_empty() {
            return;
        }
        let text = recalled_block(entries);
        self.chars_since_last_call += text.len();
        let block = ContentBlock::Text { text };
        match self.messages.as_mut_slice() {
            [only] if only.role == Role::User => only.content.insert(0, block),
            // Not where the runner records it; kept rather than lost.
            _ => self.messages.push(Message {
                role: Role::User,
                content: vec![block],
            }),
        }
    }

    fn record_call(&mut self, usage: &Usage) {
        self.model_calls += 1;
        self.usage.add(usage);
    }

    fn push_user_text(&mut self, text: &str) {
        self.chars_since_last_call += text.len();
        let block = ContentBlock::Text {
            text: text.to_owned(),
        };
        match self.messages.last_mut() {
            Some(last) if last.role == Role::User => last.content.push(block),
            Some(_) | None => self.messages.push(Message {
                role: Role::User,
                content: vec![block],
            }),
        }
    }

    fn push_tool_result(&mut self, id: &str, content: &str, is_error: bool) {
        self.chars_since_last_call += content.len();
        let block = ContentBlock::ToolResult {
            tool_use_id: id.to_owned(),
            content: content.to_owned(),
            is_error,
        };
        match self.messages.last_mut() {
            Some(last) if last.role == Role::User => last.content.push(block),
            Some(_) | None => self.messages.push(Message {
                role: Role::User,
                content: vec![block],
            }),
        }
    }

    /// Replaces the first `replaced` messages with one user message that
    /// carries the original request and the summary.
    fn compact(&mut self, summary: &str, replaced: usize) {
        let replaced = replaced.min(self.messages.len());
        let tail = self.messages.split_off(replaced);
        let head = Message::user_text(compacted_preamble(&self.prompt, summary));
        self.messages = std::iter::once(head).chain(tail).collect();
        self.chars_since_last_call = self.messages.iter().map(message_chars).sum();
        self.last_prompt_tokens = 0;
    }

    /// Tool calls of the last assistant message that have no result yet:
    /// what a crash interrupted, to be run again on resume.
    pub fn unanswered_tool_calls(&self) -> Vec<ContentBlock> {
        let Some(pos) = self
            .messages
            .iter()
            .rposition(|m| m.role == Role::Assistant)
        else {
            return Vec::new();
        };
        let answered: Vec<&str> = self.messages[pos + 1..]
            .iter()
            .flat_map(|m| &m.content)
            .filter_map(|b| match b {
                ContentBlock::ToolResult { tool_use_id, .. } => Some(tool_use_id.as_str()),
                ContentBlock::Text { .. } | ContentBlock::ToolUse { .. } => None,
            })
            .collect();
        self.messages[pos]
            .tool_uses()
            .filter(|b| match b {
                ContentBlock::ToolUse { id, .. } => !answered.contains(&id.as_str()),
                ContentBlock::Text { .. } | ContentBlock::ToolResult { .. } => false,
            })
            .cloned()
            .collect()
    }

    /// Whether the conversation waits for the model: the last message is
    /// the person's or carries tool results.
    pub fn awaits_model(&self) -> bool {
        self.messages.last().is_some_and(|m| m.role == Role::User)
    }

    /// Estimated prompt tokens of the next call: the last call's measured
    /// size plus what was added since, at about 4 characters per token.
    pub fn estimated_prompt_tokens(&self, fixed_chars: usize) -> u64 {
        if self.last_prompt_tokens == 0 {
            ((fixed_chars + self.chars_since_last_call) / 4) as u64
        } else {
            self.last_prompt_tokens + (self.chars_since_last_call / 4) as u64
        }
    }
}

/// The message that stands in for compacted turns.
pub fn compacted_preamble(prompt: &str, summary: &str) -> String {
    format!(
        "This task's earlier conversation was compacted to fit the context window.\n\n\
         The original request:\n{prompt}\n\n\
         Summary of the work so far:\n{summary}\n\n\
         Continue the task from here."
    )
}

/// Approximate size of a message, for context estimates.
pub fn message_chars(message: &Message) -> usize {
    message
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::Text { text } => text.len(),
            ContentBlock::ToolUse { name, input, .. } => name.len() + input.to_string().len(),
            ContentBlock::ToolResult { content, .. } => content.len(),
        })
        .sum()
}

#[cfg(test)]
#[path = "transcript_tests.rs"]
mod tests;
