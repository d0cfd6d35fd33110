//! The script format: a conversation to replay, one turn per model call.
//!
//! The `script` provider and the mock model server both replay it, so a
//! test, a demo or a bug report can drive cowork with no network and no key.
//!
//! ```json
//! {"turns": [
//!   {"tool_calls": [{"name": "Glob", "input": {"pattern": "**/*.pdf"}}]},
//!   {"text": "I found 3 PDFs.", "tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
//!   {"text": "Done."}
//! ]}
//! ```

use serde::{Deserialize, Serialize};

use crate::message::Usage;

/// A whole script.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub turns: Vec<ScriptTurn>,
    /// The context window the scripted model claims, in tokens; small
    /// values exercise compaction. Defaults to 200,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
}

/// What the model answers to one call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptTurn {
    /// Text the model says (streamed in a few pieces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ScriptToolCall>,
    /// Wait this long before answering: lets tests interrupt a task
    /// mid-call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Reported usage; when absent, the replayer estimates it from the
    /// request's size (about 4 bytes per token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// HTTP errors the mock server answers with, in order, on the first
    /// requests for this turn, before it serves the turn itself (for
    /// example `[529, 429]` to exercise retries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_errors: Vec<u16>,
    /// End the stream with this mid-stream error instead of a normal stop
    /// (Anthropic's `error` event; OpenAI's `error` object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_error: Option<String>,
}

/// One tool call in a scripted turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptToolCall {
    pub name: String,
    /// The arguments. Ignored when `raw_input` is set.
    #[serde(default)]
    pub input: serde_json::Value,
    /// Arguments sent verbatim as the streamed JSON text, which need not be
    /// valid JSON: models do emit broken arguments, and the runner must
    /// recover from them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_input: Option<String>,
    /// The call id; generated (`call_<turn>_<n>`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl ScriptToolCall {
    /// The argument text as it goes over the wire.
    pub fn input_json(&self) -> String {
        match &self.raw_input {
            Some(raw) => raw.clone(),
            None if self.input.is_null() => "{}".to_owned(),
            None => self.input.to_string(),
        }
    }

    /// The id of the `n`th call of turn `turn` (both from 0).
    pub fn id_at(&self, turn: usize, n: usize) -> String {
        self.id
            .clone()
            .unwrap_or_else(|| format!("call_{turn}_{n}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let script: Script = serde_json::from_str(
            r#"{"turns": [
              {"tool_calls": [{"name": "Glob", "input": {"pattern": "**/*.pdf"}}]},
              {"text": "I found 3 PDFs.", "tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
              {"text": "Done."}
            ]}"#,
        )
        .unwrap();
        assert_eq!(script.turns.len(), 3);
        assert_eq!(script.turns[1].tool_calls[0].name, "Read");
        assert_eq!(script.turns[0].tool_calls[0].id_at(0, 0), "call_0_0");
    }

    #[test]
    fn a_misspelt_field_is_an_error_not_a_silent_default() {
        let err = serde_json::from_str::<Script>(r#"{"turns": [{"txt": "hi"}]}"#).unwrap_err();
        assert!(err.to_string().contains("txt"), "{err}");
    }
}
