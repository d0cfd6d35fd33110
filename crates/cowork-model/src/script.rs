//! The scripted model: replays a [`Script`], one turn per call, with no
//! network. Tests, demos and bug reports drive cowork with it.
//!
//! Each turn streams the way a real model does — text in pieces, tool-call
//! arguments in fragments that [`crate::ResponseBuilder`] must join — so
//! the whole pipeline runs, not a shortcut around it.
//!
//! ```
//! # async fn demo() -> Result<(), cowork_model::ModelError> {
//! use cowork_model::{Model, ModelRequest, script::ScriptModel};
//! use cowork_protocol::{Message, script::{Script, ScriptTurn}};
//! let script = Script {
//!     turns: vec![ScriptTurn { text: Some("Done.".into()), ..ScriptTurn::default() }],
//!     context_window: None,
//! };
//! let model = ScriptModel::new(script);
//! let answer = model.complete(ModelRequest::new("", vec![Message::user_text("go")])).await?;
//! assert!(model.complete(ModelRequest::new("", vec![])).await.is_err(), "one turn only");
//! # Ok(()) }
//! ```

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cowork_protocol::Usage;
use cowork_protocol::script::{Script, ScriptTurn};
use futures::stream::{self, BoxStream, StreamExt};

use crate::{Model, ModelError, ModelEvent, ModelInfo, ModelRequest, ModelSetting};

const PROVIDER: &str = "script";
/// The context window claimed when the script names none.
pub const DEFAULT_CONTEXT_WINDOW: u64 = 200_000;

/// A model that answers from a script. Cloning shares the position in
/// the script.
#[derive(Debug, Clone)]
pub struct ScriptModel {
    script: Arc<Script>,
    next: Arc<AtomicUsize>,
}

impl ScriptModel {
    /// A model that answers call `n` with turn `n` of `script`.
    pub fn new(script: Script) -> Self {
        Self {
            script: Arc::new(script),
            next: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Reads a script file (JSON). An unreadable or invalid file is a
    /// `Config` error naming the file and, for bad JSON, the line and
    /// column.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|err| ModelError::Config {
            message: format!("could not read the script {}: {err}", path.display()),
            hint: "check the script's path".to_owned(),
            setting: Some(ModelSetting::Script),
        })?;
        let script = serde_json::from_str::<Script>(&text).map_err(|err| ModelError::Config {
            message: format!("the script {} is not valid: {err}", path.display()),
            hint: "a script is {\"turns\": [{\"text\": …, \"tool_calls\": [{\"name\": …, \"input\": {…}}]}]}".to_owned(),
            setting: Some(ModelSetting::Script),
        })?;
        Ok(Self::new(script))
    }

    /// Continues a conversation that already made `calls_already_made`
    /// calls (a resumed task): the next call gets that turn.
    pub fn with_start(self, calls_already_made: usize) -> Self {
        self.next.store(calls_already_made, Ordering::SeqCst);
        self
    }

    /// How many calls this model has answered or refused so far, the
    /// starting offset included.
    pub fn calls_made(&self) -> usize {
        self.next.load(Ordering::SeqCst)
    }
}

impl Model for ScriptModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            provider: PROVIDER,
            model: PROVIDER.to_owned(),
            context_window: self.script.context_window.unwrap_or(DEFAULT_CONTEXT_WINDOW),
        }
    }

    fn stream(&self, request: ModelRequest) -> BoxStream<'static, Result<ModelEvent, ModelError>> {
        let call = self.next.fetch_add(1, Ordering::SeqCst);
        let Some(turn) = self.script.turns.get(call) else {
            let error = ModelError::ScriptExhausted {
                turns: self.script.turns.len(),
                call,
            };
            return stream::iter([Err(error)]).boxed();
        };
        let events = turn_events(turn, call, &request);
        let delay = turn.delay_ms.map(Duration::from_millis);
        stream::once(async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            stream::iter(events)
        })
        .flatten()
        .boxed()
    }
}

/// The events of turn number `turn_index`, as a real model would stream them.
fn turn_events(
    turn: &ScriptTurn,
    turn_index: usize,
    request: &ModelRequest,
) -> Vec<Result<ModelEvent, ModelError>> {
    let text = turn.text.as_deref().unwrap_or_default();
    let inputs: Vec<String> = turn.tool_calls.iter().map(|c| c.input_json()).collect();
    let usage = turn.usage.unwrap_or_else(|| Usage {
        input_tokens: request_bytes(request).div_ceil(4),
        output_tokens: (text.len() + inputs.iter().map(String::len).sum::<usize>()).div_ceil(4)
            as u64,
        ..Usage::default()
    });
    let mut events = vec![Ok(ModelEvent::Usage(usage))];
    let pieces = if text.chars().count() >= 9 { 3 } else { 1 };
    events.extend(
        split(text, pieces)
            .into_iter()
            .map(|p| Ok(ModelEvent::TextDelta(p.to_owned()))),
    );
    if let Some(message) = &turn.stream_error {
        events.push(Err(ModelError::Stream {
            provider: PROVIDER,
            kind: "overloaded_error".to_owned(),
            message: message.clone(),
        }));
        return events;
    }
    for (n, (call, input)) in turn.tool_calls.iter().zip(&inputs).enumerate() {
        events.push(Ok(ModelEvent::ToolCallStart {
            index: n,
            id: call.id_at(turn_index, n),
            name: call.name.clone(),
        }));
        events.extend(split(input, 2).into_iter().map(|piece| {
            Ok(ModelEvent::ToolCallDelta {
                index: n,
                partial_json: piece.to_owned(),
            })
        }));
    }
    let stop = if turn.tool_calls.is_empty() {
        cowork_protocol::StopReason::EndTurn
    } else {
        cowork_protocol::StopReason::ToolUse
    };
    events.push(Ok(ModelEvent::Stop(stop)));
    events
}

/// The request's size as it would travel, for estimating its tokens.
fn request_bytes(request: &ModelRequest) -> u64 {
    let size = serde_json::to_vec(&(&request.system, &request.messages, &request.tools))
        .map_or(0, |v| v.len());
    size as u64
}

/// `text` in up to `pieces` non-empty parts of about equal length, cut at
/// character boundaries.
fn split(text: &str, pieces: usize) -> Vec<&str> {
    let chars = text.chars().count();
    let pieces = pieces.clamp(1, chars.max(1));
    let mut out = Vec::with_capacity(pieces);
    let mut rest = text;
    for remaining in (1..=pieces).rev() {
        if remaining == 1 {
            out.push(rest);
            break;
        }
        let take = rest.chars().count() / remaining;
        let cut = rest.char_indices().nth(take).map_or(rest.len(), |(i, _)| i);
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    out.retain(|p| !p.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn split_keeps_every_character_in_order_and_cuts_at_boundaries() {
        for (text, pieces) in [("héllo wörld 😀", 3), ("{}", 2), ("x", 2), ("", 3)] {
            let parts = split(text, pieces);
            assert_eq!(parts.concat(), text);
            assert!(parts.len() <= pieces);
            assert!(parts.iter().all(|p| !p.is_empty()));
        }
        assert_eq!(split("{}", 2), ["{", "}"]);
    }
}
