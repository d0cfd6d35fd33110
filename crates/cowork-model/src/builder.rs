//! Folding a stream of [`ModelEvent`]s into a [`ModelResponse`].

use std::collections::HashMap;

use cowork_protocol::{ContentBlock, InvalidInput, StopReason, Usage};

use crate::{ModelError, ModelEvent, ModelResponse};

/// The most bytes of text, tool names, ids and arguments one answer may
/// hold. A model writes at most its output-token limit per turn (a few
/// hundred KiB at the largest limits), so 32 MiB is never reached by a
/// real answer; it bounds what a broken or hostile server can make the
/// client hold (a 500 MB tool input streamed in).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Assembles a [`ModelResponse`] from streamed events.
///
/// Consecutive text deltas become one text block; tool calls are collected
/// by their `index`, their argument fragments joined and parsed at the end.
/// Arguments that are not a JSON object do not fail the call: the block
/// carries `invalid_input` so the runner can tell the model, which usually
/// corrects itself.
///
/// ```
/// use cowork_model::{ModelEvent, ResponseBuilder};
/// use cowork_protocol::StopReason;
/// let mut b = ResponseBuilder::default();
/// b.push(ModelEvent::TextDelta("Hel".into()));
/// b.push(ModelEvent::TextDelta("lo".into()));
/// b.push(ModelEvent::Stop(StopReason::EndTurn));
/// let response = b.finish()?;
/// assert_eq!(response.content.len(), 1);
/// # Ok::<(), cowork_model::ModelError>(())
/// ```
#[derive(Debug, Default)]
pub struct ResponseBuilder {
    provider: &'static str,
    blocks: Vec<Block>,
    /// Tool-call index → position in `blocks`.
    tools: HashMap<usize, usize>,
    usage: Usage,
    stop: Option<StopReason>,
    /// Deltas for a tool call that never started: reported at `finish`.
    orphan: Option<usize>,
    /// Bytes of content held so far, against [`MAX_RESPONSE_BYTES`].
    bytes: usize,
    /// The answer grew past the cap; what came after was dropped.
    too_large: bool,
}

#[derive(Debug)]
enum Block {
    Text(String),
    Tool {
        id: String,
        name: String,
        arguments: String,
    },
}

impl ResponseBuilder {
    /// A builder whose errors name `provider` (`anthropic`, `openai`, …).
    pub fn for_provider(provider: &'static str) -> Self {
        Self {
            provider,
            ..Self::default()
        }
    }

    /// Adds the next event. Past [`MAX_RESPONSE_BYTES`] content is
    /// dropped and [`check`](Self::check) and [`finish`](Self::finish)
    /// report the answer as too large.
    pub fn push(&mut self, event: ModelEvent) {
        let size = match &event {
            ModelEvent::TextDelta(text) => text.len(),
            ModelEvent::ToolCallStart { id, name, .. } => id.len() + name.len(),
            ModelEvent::ToolCallDelta { partial_json, .. } => partial_json.len(),
            ModelEvent::Usage(_) | ModelEvent::Stop(_) | ModelEvent::Retrying { .. } => 0,
        };
        self.bytes = self.bytes.saturating_add(size);
        if self.too_large || self.bytes > MAX_RESPONSE_BYTES {
            self.too_large = true;
            return;
        }
        match event {
            ModelEvent::TextDelta(text) => {
                if text.is_empty() {
                    return;
                }
                match self.blocks.last_mut() {
                    Some(Block::Text(existing)) => existing.push_str(&text),
                    Some(Block::Tool { .. }) | None => self.blocks.push(Block::Text(text)),
                }
            }
            ModelEvent::ToolCallStart { index, id, name } => {
                if let Some(&at) = self.tools.get(&index) {
                    // A repeated start (some servers resend it) fills in
                    // what the first one lacked and changes nothing else.
                    if let Some(Block::Tool {
                        id: old_id,
                        name: old_name,
                        ..
                    }) = self.blocks.get_mut(at)
                    {
                        if old_id.is_empty() {
                            *old_id = id;
                        }
                        if old_name.is_empty() {
                            *old_name = name;
                        }
                    }
                    return;
                }
                self.tools.insert(index, self.blocks.len());
                self.blocks.push(Block::Tool {
                    id,
                    name,
                    arguments: String::new(),
                });
            }
            ModelEvent::ToolCallDelta {
                index,
                partial_json,
            } => match self
                .tools
                .get(&index)
                .and_then(|&at| self.blocks.get_mut(at))
            {
                Some(Block::Tool { arguments, .. }) => arguments.push_str(&partial_json),
                Some(Block::Text(_)) | None => {
                    self.orphan.get_or_insert(index);
                }
            },
            ModelEvent::Usage(usage) => merge_usage(&mut self.usage, &usage),
            ModelEvent::Stop(reason) => self.stop = Some(reason),
            ModelEvent::Retrying { .. } => {}
        }
    }

    /// Fails with [`ModelError::ResponseTooLarge`] once the answer has
    /// grown past [`MAX_RESPONSE_BYTES`], so a caller can stop reading.
    pub fn check(&self) -> Result<(), ModelError> {
        if self.too_large {
            return Err(ModelError::ResponseTooLarge {
                provider: self.provider_name(),
                limit: MAX_RESPONSE_BYTES,
            });
        }
        Ok(())
    }

    fn provider_name(&self) -> &'static str {
        if self.provider.is_empty() {
            "the model"
        } else {
            self.provider
        }
    }

    /// The assembled response, or a [`ModelError::Protocol`] when the
    /// stream ended before the model said it had finished.
    pub fn finish(self) -> Result<ModelResponse, ModelError> {
        self.check()?;
        let provider = self.provider_name();
        if let Some(index) = self.orphan {
            return Err(ModelError::Protocol {
                provider,
                message: format!("arguments arrived for tool call {index}, which never started"),
            });
        }
        let Some(stop_reason) = self.stop else {
            return Err(ModelError::Protocol {
                provider,
                message: "stream ended before the model finished (truncated)".to_owned(),
            });
        };
        let content = self
            .blocks
            .into_iter()
            .map(|block| match block {
                Block::Text(text) => ContentBlock::Text { text },
                Block::Tool {
                    id,
                    name,
                    arguments,
                } => {
                    let (input, invalid_input) = parse_arguments(arguments);
                    ContentBlock::ToolUse {
                        id,
                        name,
                        input,
                        invalid_input,
                    }
                }
            })
            .collect();
        Ok(ModelResponse {
            content,
            stop_reason,
            usage: self.usage,
        })
    }
}

fn merge_usage(into: &mut Usage, from: &Usage) {
    for (slot, value) in [
        (&mut into.input_tokens, from.input_tokens),
        (&mut into.output_tokens, from.output_tokens),
        (
            &mut into.cache_creation_input_tokens,
            from.cache_creation_input_tokens,
        ),
        (
            &mut into.cache_read_input_tokens,
            from.cache_read_input_tokens,
        ),
    ] {
        if value != 0 {
            *slot = value;
        }
    }
}

/// Parses streamed arguments; anything but a JSON object becomes `{}` plus
/// the reason, so the block can still be sent back to the model.
fn parse_arguments(raw: String) -> (serde_json::Value, Option<InvalidInput>) {
    if raw.trim().is_empty() {
        return (serde_json::json!({}), None);
    }
    let error = match serde_json::from_str::<serde_json::Value>(&raw) {
        Ok(value @ serde_json::Value::Object(_)) => return (value, None),
        Ok(other) => format!(
            "the arguments must be a JSON object, not {}",
            json_kind(&other)
        ),
        Err(err) => format!("the arguments are not valid JSON: {err}"),
    };
    (serde_json::json!({}), Some(InvalidInput { raw, error }))
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
