//! Running a turn's tool calls: consecutive read-only calls together,
//! the others one at a time, each result recorded in call order (after
//! `PostToolUse` hooks had their say), and a cancel answered without
//! leaving a call unanswered.

use std::sync::atomic::Ordering;

use cowork_protocol::{ContentBlock, Effect, Event};

use super::Runner;
use crate::error::CoreError;
use crate::output::truncate_tool_output;

impl Runner {
    /// Runs tool calls: consecutive read-only calls together, others one at
    /// a time, recording results in call order. Returns `true` if the task
    /// was cancelled; calls not yet run are then answered as cancelled so
    /// the conversation stays well-formed.
    pub(super) async fn run_tools(&mut self, calls: Vec<ContentBlock>) -> Result<bool, CoreError> {
        let mut rest = calls.as_slice();
        while let Some(first) = rest.first() {
            if self.take_ops() {
                self.answer_cancelled(rest)?;
                return Ok(true);
            }
            if let Some(message) = self.take_refusal(first) {
                self.refuse(first, message)?;
                rest = &rest[1..];
                continue;
            }
            let batch_len = if self.effect_of(first).is_read_only() {
                rest.iter()
                    .take_while(|c| self.effect_of(c).is_read_only() && !self.is_refused(c))
                    .count()
            } else {
                1
            };
            let (batch, tail) = rest.split_at(batch_len);
            rest = tail;
            let mut runs = Vec::with_capacity(batch.len());
            for (i, call) in batch.iter().enumerate() {
                match self.start_call(call).await? {
                    Some(run) => runs.push(run),
                    None => {
                        // Cancelled while asking: calls already started
                        // finish, the rest are answered as cancelled.
                        let results = futures::future::join_all(runs).await;
                        for (done, (result, millis, _)) in batch.iter().zip(results) {
                            self.finish_call(done, result, millis)?;
                        }
                        self.answer_cancelled(batch[i..].iter().chain(tail))?;
                        return Ok(true);
                    }
                }
            }
            // Watch for a cancel while the calls run: tools see it through
            // their context (a command's process tree is killed at once)
            // and the calls still end with what they produced.
            let mut joined = std::pin::pin!(futures::future::join_all(runs));
            let mut cancelled = false;
            let results = loop {
                tokio::select! {
                    results = &mut joined => break results,
                    op = self.next_op() => {
                        if self.handle_op(op) {
                            cancelled = true;
                            self.cancel.store(true, Ordering::SeqCst);
                        }
                    }
                }
            };
            for (call, (mut result, millis, ran)) in batch.iter().zip(results) {
                if ran && !cancelled && !self.after_call(call, &mut result).await? {
                    cancelled = true;
                }
                self.finish_call(call, result, millis)?;
            }
            if cancelled {
                self.answer_cancelled(rest)?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Answers calls that never ran because the task was cancelled, so
    /// every tool call in the conversation keeps a result.
    pub(super) fn answer_cancelled<'c>(
        &mut self,
        calls: impl IntoIterator<Item = &'c ContentBlock>,
    ) -> Result<(), CoreError> {
        for call in calls {
            self.finish_call(
                call,
                Err("cancelled by the user before this call ran".into()),
                0,
            )?;
        }
        Ok(())
    }

    pub(super) fn effect_of(&self, call: &ContentBlock) -> Effect {
        match call {
            ContentBlock::ToolUse { name, input, .. } => self
                .deps
                .tools
                .get(name)
                .map_or(Effect::Read, |t| t.effect(input)),
            ContentBlock::Text { .. } | ContentBlock::ToolResult { .. } => Effect::Read,
        }
    }

    pub(super) fn finish_call(
        &mut self,
        call: &ContentBlock,
        result: Result<String, String>,
        duration_ms: u64,
    ) -> Result<(), CoreError> {
        let ContentBlock::ToolUse { id, name, .. } = call else {
            return Ok(());
        };
        let (content, is_error) = match result {
            Ok(text) => (text, false),
            Err(message) => (message, true),
        };
        let content = truncate_tool_output(&content, self.deps.options.max_tool_output_chars);
        self.emit(Event::ToolCallFinished {
            id: id.clone(),
            name: name.clone(),
            content,
            is_error,
            duration_ms,
        })
    }
}
