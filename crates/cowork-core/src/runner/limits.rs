//! Caps on what one model turn may ask for: how many tool calls run, and
//! how large one call's arguments may be. A turn over a cap is not an
//! error of the task: the calls within it run, the rest are answered with
//! a tool error that says how to stay within it, and the task goes on.
//!
//! The excess is also kept out of the log. The recorded assistant message
//! is the one the conversation is rebuilt from (and sent back to the
//! provider), so it must stay well-formed — every `tool_use` answered by
//! a `tool_result` — but it need not hold 10,000 refused calls: it keeps
//! the calls that ran, plus one stand-in for all the dropped ones, whose
//! result tells the model what happened. Oversized arguments are replaced
//! by `{}` and a short `invalid_input`, so even a resume that finds the
//! call unanswered refuses it instead of running it.

use std::collections::HashMap;

use cowork_protocol::{ContentBlock, Event, InvalidInput};

use super::Runner;
use crate::error::CoreError;

/// The most tool calls one turn runs. Real models fan out to a few dozen
/// parallel calls at most (read every file of a folder, search several
/// patterns); 64 leaves room for that while bounding what one runaway
/// turn costs — each call may ask the person, writes a journal entry and
/// two events. A model needing more makes them over the next turns.
pub(crate) const MAX_CALLS_PER_TURN: usize = 64;

/// The most bytes of JSON arguments one call may carry. `Write` content
/// and `CreateDocument` specs are legitimately large, but a model writes
/// at most its output-token limit per turn (tens to hundreds of KiB); 8
/// MiB fits any real document with room to spare, and keeps one call from
/// filling memory and the store.
pub(crate) const MAX_CALL_INPUT_BYTES: usize = 8 * 1024 * 1024;

/// How much of oversized arguments is kept, so the log shows what they
/// began with.
const KEPT_PREFIX_CHARS: usize = 200;

/// A turn's content once the caps are applied.
#[derive(Debug)]
pub(crate) struct Capped {
    /// The assistant content to record and run.
    pub content: Vec<ContentBlock>,
    /// Calls answered with an error instead of running, by call id, with
    /// what the model is told.
    pub refusals: HashMap<String, String>,
}

/// Applies the caps to the assistant content of one turn.
pub(crate) fn cap_turn(content: Vec<ContentBlock>) -> Capped {
    let total = content
        .iter()
        .filter(|b| matches!(b, ContentBlock::ToolUse { .. }))
        .count();
    let mut refusals = HashMap::new();
    let mut kept = Vec::with_capacity(content.len().min(MAX_CALLS_PER_TURN * 2 + 1));
    let mut calls = 0usize;
    for block in content {
        let ContentBlock::ToolUse {
            id,
            name,
            input,
            invalid_input,
        } = block
        else {
            kept.push(block);
            continue;
        };
        calls += 1;
        if calls <= MAX_CALLS_PER_TURN {
            let size = input_bytes(&input, invalid_input.as_ref());
            if size > MAX_CALL_INPUT_BYTES {
                refusals.insert(id.clone(), oversized_message(&name, size));
                kept.push(ContentBlock::ToolUse {
                    id,
                    name,
                    input: serde_json::json!({}),
                    invalid_input: Some(oversized_stub(&input, invalid_input.as_ref(), size)),
                });
            } else {
                kept.push(ContentBlock::ToolUse {
                    id,
                    name,
                    input,
                    invalid_input,
                });
            }
        } else if calls == MAX_CALLS_PER_TURN + 1 {
            let message = too_many_message(total);
            refusals.insert(id.clone(), message.clone());
            kept.push(ContentBlock::ToolUse {
                id,
                name,
                input: serde_json::json!({}),
                invalid_input: Some(InvalidInput {
                    raw: String::new(),
                    error: message,
                }),
            });
        }
        // Calls past the stand-in are dropped, inputs and all.
    }
    Capped {
        content: kept,
        refusals,
    }
}

/// Refusals for the unanswered calls a resumed task finds. A log written
/// under these caps never holds more than they allow, but one written
/// before them may: its calls past the cap, or with oversized arguments,
/// are answered with the same errors instead of run. They stay in the
/// recorded message, which cannot change, so each gets its own answer.
pub(crate) fn resume_refusals(unanswered: &[ContentBlock]) -> HashMap<String, String> {
    let mut refusals = HashMap::new();
    for (i, call) in unanswered.iter().enumerate() {
        let ContentBlock::ToolUse {
            id,
            name,
            input,
            invalid_input,
        } = call
        else {
            continue;
        };
        if i >= MAX_CALLS_PER_TURN {
            refusals.insert(
                id.clone(),
                format!(
                    "This turn had {} tool calls; only the first {MAX_CALLS_PER_TURN} ran, and this \
                     one did not. Make at most {MAX_CALLS_PER_TURN} tool calls per turn.",
                    unanswered.len()
                ),
            );
            continue;
        }
        let size = input_bytes(input, invalid_input.as_ref());
        if size > MAX_CALL_INPUT_BYTES {
            refusals.insert(id.clone(), oversized_message(name, size));
        }
    }
    refusals
}

impl Runner {
    /// The refusal of a call over the turn's caps, if it is one; taken, so
    /// it is answered once.
    pub(super) fn take_refusal(&mut self, call: &ContentBlock) -> Option<String> {
        match call {
            ContentBlock::ToolUse { id, .. } => self.refusals.remove(id),
            ContentBlock::Text { .. } | ContentBlock::ToolResult { .. } => None,
        }
    }

    pub(super) fn is_refused(&self, call: &ContentBlock) -> bool {
        match call {
            ContentBlock::ToolUse { id, .. } => self.refusals.contains_key(id),
            ContentBlock::Text { .. } | ContentBlock::ToolResult { .. } => false,
        }
    }

    /// Answers a call refused by the turn's caps without running it. It is
    /// announced like any call (with the kept, empty input) so watchers
    /// see every result paired with its start.
    pub(super) fn refuse(&mut self, call: &ContentBlock, message: String) -> Result<(), CoreError> {
        if let ContentBlock::ToolUse {
            id, name, input, ..
        } = call
        {
            self.emit(Event::ToolCallStarted {
                id: id.clone(),
                name: name.clone(),
                input: input.clone(),
                effect: self.effect_of(call),
            })?;
        }
        self.finish_call(call, Err(message), 0)
    }
}

/// The size of a call's arguments as the model sent them; parsed
/// arguments are counted as compact JSON without building the text.
fn input_bytes(input: &serde_json::Value, invalid: Option<&InvalidInput>) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    if let Some(bad) = invalid {
        return bad.raw.len();
    }
    let mut count = Count(0);
    // Serializing a `Value` into a counting writer cannot fail.
    let _ = serde_json::to_writer(&mut count, input);
    count.0
}

fn oversized_stub(
    input: &serde_json::Value,
    invalid: Option<&InvalidInput>,
    size: usize,
) -> InvalidInput {
    let prefix: String = match invalid {
        Some(bad) => bad.raw.chars().take(KEPT_PREFIX_CHARS).collect(),
        None => {
            let mut shown = String::new();
            if let Some(object) = input.as_object() {
                let keys: Vec<&str> = object.keys().map(String::as_str).collect();
                shown = format!("{{keys: {}}}", keys.join(", "));
            }
            shown.chars().take(KEPT_PREFIX_CHARS).collect()
        }
    };
    InvalidInput {
        raw: prefix,
        error: format!(
            "the arguments were {}, over the limit of {} for one call, and were not kept",
            mib(size),
            mib(MAX_CALL_INPUT_BYTES)
        ),
    }
}

fn oversized_message(name: &str, size: usize) -> String {
    format!(
        "The arguments of this {name} call were {}, over the limit of {} for one call, so it \
         did not run. Split the work into smaller calls (for example write a large file in \
         parts, or a document with fewer or smaller sections per call).",
        mib(size),
        mib(MAX_CALL_INPUT_BYTES)
    )
}

fn too_many_message(total: usize) -> String {
    let dropped = total - MAX_CALLS_PER_TURN;
    format!(
        "This turn had {total} tool calls; only the first {MAX_CALLS_PER_TURN} ran. This call and \
         the {} after it ({dropped} in all) did not run and were not kept. Make at most \
         {MAX_CALLS_PER_TURN} tool calls per turn; make the calls that are still needed in the \
         next turns.",
        dropped - 1
    )
}

/// `12.3 MiB`.
fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
