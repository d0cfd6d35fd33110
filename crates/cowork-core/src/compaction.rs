//! Context compaction: when the conversation nears the model's context
//! window, the model summarises the older turns and the task goes on from
//! the summary plus the latest exchange.

use cowork_protocol::{ContentBlock, Event, Message, Role};

use crate::error::CoreError;
use crate::runner::Runner;

const SUMMARY_REQUEST: &str = "The conversation is about to be compacted to fit the context window. \
Do not call any tool. Write a summary that lets you continue the task without the earlier turns: \
the goal, what has been done and found so far (files read, key facts and numbers, decisions), \
what remains to do, and anything the user asked for along the way. Be specific and complete, \
but concise.";

/// Whether the next call's prompt would pass the compaction threshold.
pub(crate) fn due(runner: &Runner) -> bool {
    let window = runner.deps().model.info().context_window;
    let estimate = runner
        .transcript
        .estimated_prompt_tokens(runner.fixed_chars());
    estimate as f64 > window as f64 * runner.deps().options.compact_threshold
}

impl Runner {
    /// Summarises every message before the last assistant message.
    /// Returns `Some(())` once compacted (or when there is nothing to
    /// compact and `force` is off), `None` if cancelled meanwhile.
    pub(crate) async fn compact(&mut self, force: bool) -> Result<Option<()>, CoreError> {
        let window = self.deps().model.info().context_window;
        // Keep the last assistant message and its tool results: they are
        // the state the next turn builds on, and cutting between a tool call
        // and its result would leave a dangling reference.
        let cut = self.last_assistant_index().unwrap_or(0);
        let has_history = self.transcript.messages[..cut]
            .iter()
            .any(|m| m.role == Role::Assistant);
        if !has_history {
            if force {
                return Err(CoreError::ContextFull { window });
            }
            self.emit(Event::Notice {
                message: format!(
                    "the conversation is near the context window ({window} tokens) but too short to compact"
                ),
            })?;
            return Ok(Some(()));
        }
        self.emit(Event::Notice {
            message: format!(
                "compacting the conversation to fit the context window ({window} tokens)"
            ),
        })?;
        let mut messages = self.transcript.messages[..cut].to_vec();
        let ask = ContentBlock::Text {
            text: SUMMARY_REQUEST.to_owned(),
        };
        match messages.last_mut() {
            Some(last) if last.role == Role::User => last.content.push(ask),
            Some(_) | None => messages.push(Message {
                role: Role::User,
                content: vec![ask],
            }),
        }
        let request = self.request(messages);
        let Some(response) = self.call_model(request, false).await? else {
            return Ok(None);
        };
        let summary: String = response
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.as_str()),
                ContentBlock::ToolUse { .. } | ContentBlock::ToolResult { .. } => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        if summary.trim().is_empty() {
            return Err(CoreError::ContextFull { window });
        }
        self.emit(Event::Compacted {
            summary,
            replaced_messages: u32::try_from(cut).unwrap_or(u32::MAX),
            usage: response.usage,
        })?;
        Ok(Some(()))
    }
}
