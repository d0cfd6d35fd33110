//! Shared helpers: fixtures, and running recorded bytes through a decoder.

use cowork_model::anthropic::AnthropicDecoder;
use cowork_model::openai::OpenAiDecoder;
use cowork_model::{ModelError, ModelEvent, ModelResponse, ResponseBuilder};

/// Reads a recording from the shared fixtures folder.
pub fn fixture(relative: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/fixtures/{relative}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|err| panic!("fixture {path}: {err}"))
}

pub const ANTHROPIC_BASIC: &str =
    "anthropic-sdk-python/tests/lib/streaming/fixtures/basic_response.txt";
pub const ANTHROPIC_TOOL_USE: &str =
    "anthropic-sdk-python/tests/lib/streaming/fixtures/tool_use_response.txt";
pub const ANTHROPIC_ERROR: &str = "anthropic-docs/messages-streaming/error_event.txt";
pub const OPENAI_GET_WEATHER: &str =
    "aiomodels/tests/openai/chat_completion_chunks/get_weather.chunks.jsonl";

/// The OpenAI recording as the server sends it: each JSON line as an SSE
/// event, then `[DONE]`.
pub fn openai_get_weather() -> Vec<u8> {
    let lines = String::from_utf8(fixture(OPENAI_GET_WEATHER)).unwrap();
    let mut out = String::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        out.push_str(&format!("data: {line}\n\n"));
    }
    out.push_str("data: [DONE]\n\n");
    out.into_bytes()
}

/// Either provider's decoder, for tests that run both.
pub trait Decoder {
    fn fresh() -> Self;
    fn feed_bytes(&mut self, bytes: &[u8]) -> Vec<Result<ModelEvent, ModelError>>;
    fn end(&mut self) -> Vec<Result<ModelEvent, ModelError>>;
}

impl Decoder for AnthropicDecoder {
    fn fresh() -> Self {
        AnthropicDecoder::new()
    }
    fn feed_bytes(&mut self, bytes: &[u8]) -> Vec<Result<ModelEvent, ModelError>> {
        self.feed(bytes)
    }
    fn end(&mut self) -> Vec<Result<ModelEvent, ModelError>> {
        self.finish()
    }
}

impl Decoder for OpenAiDecoder {
    fn fresh() -> Self {
        OpenAiDecoder::new()
    }
    fn feed_bytes(&mut self, bytes: &[u8]) -> Vec<Result<ModelEvent, ModelError>> {
        self.feed(bytes)
    }
    fn end(&mut self) -> Vec<Result<ModelEvent, ModelError>> {
        self.finish()
    }
}

/// Every event the decoder produces from `chunks`, the first error ending
/// the list, as the HTTP stream does.
pub fn events<D: Decoder>(chunks: &[&[u8]]) -> Result<Vec<ModelEvent>, ModelError> {
    let mut decoder = D::fresh();
    let mut out = Vec::new();
    for chunk in chunks {
        for item in decoder.feed_bytes(chunk) {
            out.push(item?);
        }
    }
    for item in decoder.end() {
        out.push(item?);
    }
    Ok(out)
}

/// The response `chunks` decode to; errors as text so results compare.
pub fn response<D: Decoder>(chunks: &[&[u8]]) -> Result<ModelResponse, String> {
    let mut builder = ResponseBuilder::for_provider("test");
    for event in events::<D>(chunks).map_err(|e| e.to_string())? {
        builder.push(event);
    }
    builder.finish().map_err(|e| e.to_string())
}

/// Asserts that every two-chunk split and the one-byte split of `bytes`
/// decode exactly as the whole does.
pub fn assert_split_invariant<D: Decoder>(bytes: &[u8]) {
    let whole = response::<D>(&[bytes]);
    for cut in 0..=bytes.len() {
        assert_eq!(
            response::<D>(&[&bytes[..cut], &bytes[cut..]]),
            whole,
            "split at byte {cut}"
        );
    }
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(response::<D>(&singles), whole, "one-byte chunks");
}
