//! Anthropic's streamed events → [`ModelEvent`]s.

use std::collections::HashMap;

use cowork_protocol::{StopReason, Usage};
use serde::Deserialize;
use serde_json::Value;

use crate::http::WireDecoder;
use crate::sse::{SseEvent, SseParser};
use crate::{ModelError, ModelEvent};

const PROVIDER: &str = "anthropic";

/// Decodes a Messages API event stream, fed in chunks of any size.
///
/// `Stop` is emitted at `message_stop`, with the reason `message_delta`
/// gave, so a stream cut anywhere before the end is reported as truncated
/// by [`AnthropicDecoder::finish`]. Thinking, citations and event types
/// this version does not know are skipped.
///
/// ```
/// use cowork_model::{ModelEvent, anthropic::AnthropicDecoder};
/// let mut decoder = AnthropicDecoder::new();
/// let events = decoder.feed(br#"event: content_block_delta
/// data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}
///
/// "#);
/// assert!(matches!(&events[0], Ok(ModelEvent::TextDelta(t)) if t == "Hi"));
/// assert!(decoder.finish()[0].is_err(), "no message_stop: truncated");
/// ```
#[derive(Debug, Default)]
pub struct AnthropicDecoder {
    sse: SseParser,
    stop_reason: Option<StopReason>,
    /// Index of each tool block → its input from `content_block_start`,
    /// sent at `content_block_stop` if no `input_json_delta` came.
    start_inputs: HashMap<usize, Value>,
    saw_tool_use: bool,
    stopped: bool,
    failed: bool,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireEvent {
    MessageStart {
        message: WireMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: WireBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: WireDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        #[serde(default)]
        delta: Option<WireMessageDelta>,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: WireError,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireBlock {
    Text {
        #[serde(default)]
        text: Option<String>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    /// Thinking, server tools, and blocks newer than this client.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    /// `thinking_delta`, `signature_delta`, `citations_delta`, …
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct WireMessageDelta {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(wire: WireUsage) -> Self {
        Usage {
            input_tokens: wire.input_tokens.unwrap_or(0),
            output_tokens: wire.output_tokens.unwrap_or(0),
            cache_creation_input_tokens: wire.cache_creation_input_tokens.unwrap_or(0),
            cache_read_input_tokens: wire.cache_read_input_tokens.unwrap_or(0),
        }
    }
}

#[derive(Deserialize)]
struct WireError {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl AnthropicDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes the next chunk of the body. After an `Err` (an `error`
    /// event or malformed data) nothing more comes out.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<ModelEvent, ModelError>> {
        let mut out = Vec::new();
        for event in self.sse.feed(bytes) {
            self.on_event(event, &mut out);
        }
        if self.sse.overflowed() && !self.failed {
            self.failed = true;
            out.push(Err(ModelError::ResponseTooLarge {
                provider: PROVIDER,
                limit: crate::MAX_RESPONSE_BYTES,
            }));
        }
        out
    }

    /// Ends the body: a last unterminated event is decoded, and a stream
    /// without `message_stop` is reported as truncated.
    pub fn finish(&mut self) -> Vec<Result<ModelEvent, ModelError>> {
        let mut out = Vec::new();
        if let Some(event) = self.sse.finish() {
            self.on_event(event, &mut out);
        }
        if !self.stopped && !self.failed {
            self.failed = true;
            out.push(Err(ModelError::Protocol {
                provider: PROVIDER,
                message: "stream ended before the model finished (truncated: no message_stop)"
                    .to_owned(),
            }));
        }
        out
    }

    fn on_event(&mut self, event: SseEvent, out: &mut Vec<Result<ModelEvent, ModelError>>) {
        if self.failed || self.stopped {
            return;
        }
        let wire = match serde_json::from_str::<WireEvent>(&event.data) {
            Ok(wire) => wire,
            Err(err) => {
                // Data we cannot read under a name we know is a broken
                // stream; under a name we do not know it is someone else's
                // extension.
                let known = match event.event.as_deref() {
                    None => true,
                    Some(name) => KNOWN_EVENTS.contains(&name),
                };
                if known {
                    self.failed = true;
                    out.push(Err(ModelError::Protocol {
                        provider: PROVIDER,
                        message: format!(
                            "could not read a {} event: {err}",
                            event.event.as_deref().unwrap_or("data")
                        ),
                    }));
                }
                return;
            }
        };
        match wire {
            WireEvent::MessageStart { message } => {
                if let Some(usage) = message.usage {
                    out.push(Ok(ModelEvent::Usage(usage.into())));
                }
            }
            WireEvent::ContentBlockStart {
                index,
                content_block,
            } => match content_block {
                WireBlock::Text { text } => {
                    if let Some(text) = text.filter(|t| !t.is_empty()) {
                        out.push(Ok(ModelEvent::TextDelta(text)));
                    }
                }
                WireBlock::ToolUse { id, name, input } => {
                    self.saw_tool_use = true;
                    if input.as_object().is_some_and(|o| !o.is_empty()) {
                        self.start_inputs.insert(index, input);
                    }
                    out.push(Ok(ModelEvent::ToolCallStart { index, id, name }));
                }
                WireBlock::Other => {}
            },
            WireEvent::ContentBlockDelta { index, delta } => match delta {
                WireDelta::TextDelta { text } => {
                    if !text.is_empty() {
                        out.push(Ok(ModelEvent::TextDelta(text)));
                    }
                }
                WireDelta::InputJsonDelta { partial_json } => {
                    self.start_inputs.remove(&index);
                    if !partial_json.is_empty() {
                        out.push(Ok(ModelEvent::ToolCallDelta {
                            index,
                            partial_json,
                        }));
                    }
                }
                WireDelta::Other => {}
            },
            WireEvent::ContentBlockStop { index } => {
                if let Some(input) = self.start_inputs.remove(&index) {
                    out.push(Ok(ModelEvent::ToolCallDelta {
                        index,
                        partial_json: input.to_string(),
                    }));
                }
            }
            WireEvent::MessageDelta { delta, usage } => {
                if let Some(reason) = delta.and_then(|d| d.stop_reason) {
                    self.stop_reason = Some(StopReason::from_wire(&reason));
                }
                if let Some(usage) = usage {
                    out.push(Ok(ModelEvent::Usage(usage.into())));
                }
            }
            WireEvent::MessageStop => {
                self.stopped = true;
                let reason = self.stop_reason.take().unwrap_or_else(|| {
                    tracing::warn!("anthropic stream ended without a stop_reason; inferring one");
                    if self.saw_tool_use {
                        StopReason::ToolUse
                    } else {
                        StopReason::EndTurn
                    }
                });
                out.push(Ok(ModelEvent::Stop(reason)));
            }
            WireEvent::Error { error } => {
                self.failed = true;
                out.push(Err(ModelError::Stream {
                    provider: PROVIDER,
                    kind: error.kind.unwrap_or_else(|| "error".to_owned()),
                    message: error.message.unwrap_or_default(),
                }));
            }
            WireEvent::Ping | WireEvent::Unknown => {}
        }
    }
}

const KNOWN_EVENTS: &[&str] = &[
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "error",
];

impl WireDecoder for AnthropicDecoder {
    fn feed(&mut self, bytes: &[u8]) -> Vec<Result<ModelEvent, ModelError>> {
        AnthropicDecoder::feed(self, bytes)
    }

    fn finish(&mut self) -> Vec<Result<ModelEvent, ModelError>> {
        AnthropicDecoder::finish(self)
    }
}
