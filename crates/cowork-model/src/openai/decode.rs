//! OpenAI-style streamed chunks → [`ModelEvent`]s.

use std::collections::HashMap;

use cowork_protocol::{StopReason, Usage};
use serde_json::Value;

use crate::http::WireDecoder;
use crate::sse::SseParser;
use crate::{ModelError, ModelEvent};

const PROVIDER: &str = "openai";

/// Decodes a chat-completions stream, fed in chunks of any size.
///
/// Tool-call fragments are merged by their wire `index`: the first one
/// names the call, later ones carry pieces of the arguments — or one chunk
/// carries the whole call (Ollama). `Stop` is held back until `[DONE]` or
/// the end of the body, because the usage chunk follows the one with the
/// `finish_reason`.
///
/// ```
/// use cowork_model::{ModelEvent, openai::OpenAiDecoder};
/// use cowork_protocol::StopReason;
/// let mut decoder = OpenAiDecoder::new();
/// let mut events = decoder.feed(b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
/// assert!(matches!(events.pop(), Some(Ok(ModelEvent::Stop(StopReason::EndTurn)))));
/// ```
#[derive(Debug, Default)]
pub struct OpenAiDecoder {
    sse: SseParser,
    /// Tool calls in the order they began; their position is the
    /// `index` of the events.
    calls: Vec<Call>,
    /// Wire index → position in `calls` of the call now using it.
    by_wire: HashMap<u64, usize>,
    finish_reason: Option<StopReason>,
    ended: bool,
    /// Argument bytes received, held here until a call's name arrives:
    /// bounded like a whole answer.
    argument_bytes: usize,
}

fn too_large() -> ModelError {
    ModelError::ResponseTooLarge {
        provider: PROVIDER,
        limit: crate::MAX_RESPONSE_BYTES,
    }
}

#[derive(Debug, Default)]
struct Call {
    id: Option<String>,
    name: Option<String>,
    started: bool,
    /// Arguments that arrived before the name did.
    pending: String,
}

impl OpenAiDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes the next chunk of the body. After an `Err` or `[DONE]`
    /// nothing more comes out.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<ModelEvent, ModelError>> {
        let mut out = Vec::new();
        for event in self.sse.feed(bytes) {
            self.on_data(&event.data, &mut out);
        }
        if self.sse.overflowed() && !self.ended {
            self.fail(&mut out, too_large());
        }
        out
    }

    /// Ends the body. A stream without `[DONE]` is accepted when the model
    /// gave a `finish_reason`, and reported as truncated when it did not.
    pub fn finish(&mut self) -> Vec<Result<ModelEvent, ModelError>> {
        let mut out = Vec::new();
        if let Some(event) = self.sse.finish() {
            self.on_data(&event.data, &mut out);
        }
        if !self.ended {
            self.end(&mut out, "the body ended");
        }
        out
    }

    fn end(&mut self, out: &mut Vec<Result<ModelEvent, ModelError>>, how: &str) {
        self.ended = true;
        match self.finish_reason.take() {
            Some(reason) => {
                for index in 0..self.calls.len() {
                    self.start_call(index, out);
                }
                out.push(Ok(ModelEvent::Stop(reason)));
            }
            None => out.push(Err(ModelError::Protocol {
                provider: PROVIDER,
                message: format!("stream ended before the model finished (truncated: {how} without a finish_reason)"),
            })),
        }
    }

    fn fail(&mut self, out: &mut Vec<Result<ModelEvent, ModelError>>, error: ModelError) {
        self.ended = true;
        out.push(Err(error));
    }

    fn on_data(&mut self, data: &str, out: &mut Vec<Result<ModelEvent, ModelError>>) {
        if self.ended {
            return;
        }
        let data = data.trim();
        if data == "[DONE]" {
            self.end(out, "[DONE] came");
            return;
        }
        if data.is_empty() {
            return;
        }
        let chunk: Value = match serde_json::from_str(data) {
            Ok(chunk) => chunk,
            Err(err) => {
                let message = format!("could not read a chunk: {err}");
                return self.fail(
                    out,
                    ModelError::Protocol {
                        provider: PROVIDER,
                        message,
                    },
                );
            }
        };
        if let Some(error) = stream_error(&chunk) {
            return self.fail(out, error);
        }
        if let Some(choice) = chunk["choices"].as_array().and_then(|c| c.first()) {
            let delta = &choice["delta"];
            if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
                out.push(Ok(ModelEvent::TextDelta(text.to_owned())));
            }
            if let Some(fragments) = delta["tool_calls"].as_array() {
                for (position, fragment) in fragments.iter().enumerate() {
                    self.on_fragment(position, fragment, out);
                }
            }
            if let Some(reason) = choice["finish_reason"].as_str().filter(|r| !r.is_empty()) {
                self.finish_reason = Some(StopReason::from_wire(reason));
            }
        }
        if chunk["usage"].is_object() {
            out.push(Ok(ModelEvent::Usage(usage(&chunk["usage"]))));
        }
    }

    fn on_fragment(
        &mut self,
        position: usize,
        fragment: &Value,
        out: &mut Vec<Result<ModelEvent, ModelError>>,
    ) {
        if self.ended {
            return;
        }
        let wire = fragment["index"].as_u64().unwrap_or(position as u64);
        let id = fragment["id"].as_str().filter(|s| !s.is_empty());
        let function = &fragment["function"];
        let name = function["name"].as_str().filter(|s| !s.is_empty());
        let arguments = match &function["arguments"] {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            // A few servers send the arguments as an object.
            other => other.to_string(),
        };
        let existing = self.by_wire.get(&wire).copied().filter(|&at| {
            // A new id with a name at a used index is a new call (servers
            // that number every call 0); a repeated id is the same call.
            let call = &self.calls[at];
            !(call.started && name.is_some() && id.is_some() && id != call.id.as_deref())
        });
        let at = existing.unwrap_or_else(|| {
            self.calls.push(Call::default());
            self.by_wire.insert(wire, self.calls.len() - 1);
            self.calls.len() - 1
        });
        self.argument_bytes = self.argument_bytes.saturating_add(arguments.len());
        if self.argument_bytes > crate::MAX_RESPONSE_BYTES {
            return self.fail(out, too_large());
        }
        let call = &mut self.calls[at];
        if call.id.is_none() {
            call.id = id.map(str::to_owned);
        }
        if call.name.is_none() {
            call.name = name.map(str::to_owned);
        }
        call.pending.push_str(&arguments);
        if call.name.is_some() {
            self.start_call(at, out);
        }
    }

    /// Emits the call's start once, then whatever arguments are waiting.
    fn start_call(&mut self, at: usize, out: &mut Vec<Result<ModelEvent, ModelError>>) {
        let call = &mut self.calls[at];
        if !call.started {
            call.started = true;
            out.push(Ok(ModelEvent::ToolCallStart {
                index: at,
                id: call.id.clone().unwrap_or_else(|| format!("call_{at}")),
                name: call.name.clone().unwrap_or_default(),
            }));
        }
        if !call.pending.is_empty() {
            out.push(Ok(ModelEvent::ToolCallDelta {
                index: at,
                partial_json: std::mem::take(&mut call.pending),
            }));
        }
    }
}

/// An error reported inside the stream: `{"error": {…}}` (OpenAI,
/// llama.cpp), `{"error": "…"}` (Ollama) or `{"object": "error", …}`
/// (vLLM).
fn stream_error(chunk: &Value) -> Option<ModelError> {
    let error = &chunk["error"];
    let (kind, message) = if let Some(message) = error.as_str() {
        ("error".to_owned(), message.to_owned())
    } else if error.is_object() {
        let kind = error["type"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| error["code"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "error".to_owned());
        (
            kind,
            error["message"].as_str().unwrap_or_default().to_owned(),
        )
    } else if chunk["object"] == "error" {
        let kind = chunk["type"].as_str().unwrap_or("error").to_owned();
        (
            kind,
            chunk["message"].as_str().unwrap_or_default().to_owned(),
        )
    } else {
        return None;
    };
    Some(ModelError::Stream {
        provider: PROVIDER,
        kind,
        message,
    })
}

/// OpenAI counts cached tokens inside `prompt_tokens`; ours are disjoint.
fn usage(wire: &Value) -> Usage {
    let prompt = wire["prompt_tokens"].as_u64().unwrap_or(0);
    let cached = wire["prompt_tokens_details"]["cached_tokens"]
        .as_u64()
        .unwrap_or(0);
    Usage {
        input_tokens: prompt.saturating_sub(cached),
        output_tokens: wire["completion_tokens"].as_u64().unwrap_or(0),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: cached,
    }
}

impl WireDecoder for OpenAiDecoder {
    fn feed(&mut self, bytes: &[u8]) -> Vec<Result<ModelEvent, ModelError>> {
        OpenAiDecoder::feed(self, bytes)
    }

    fn finish(&mut self) -> Vec<Result<ModelEvent, ModelError>> {
        OpenAiDecoder::finish(self)
    }
}
