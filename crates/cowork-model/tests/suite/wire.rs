//! Shared helpers: fixtures, and running recorded bytes through a decoder.

use cowork_model::anthropic::AnthropicDecoder;
use cowork_model::openai::OpenAiDecoder;
use cowork_model::{ModelError, ModelEvent, ModelResponse, ResponseBuilder};

/// A recording from the shared fixtures folder beside the repository
/// (`<repo>/../shared/fixtures`), or `None` with a one-line note when that
/// folder is absent (a bare clone): the test then checks nothing more.
/// `.ci/run` sets `COWORK_REQUIRE_FIXTURES`, and there a missing recording
/// fails the test.
pub fn recorded(relative: &str) -> Option<Vec<u8>> {
    let root = format!("{}/../../../shared/fixtures", env!("CARGO_MANIFEST_DIR"));
    let path = format!("{root}/{relative}");
    if !std::path::Path::new(&root).is_dir()
        && std::env::var_os("COWORK_REQUIRE_FIXTURES").is_none()
    {
        #[expect(
            clippy::print_stderr,
            reason = "the skip note is for the person running tests"
        )]
        {
            eprintln!(
                "note: ../shared/fixtures is absent; skipping the check on {relative} (.ci/run requires it)"
            );
        }
        return None;
    }
    Some(std::fs::read(&path).unwrap_or_else(|err| panic!("fixture {path}: {err}")))
}

/// A stream the project wrote itself in the provider's wire format
/// (`tests/streams/`), so the decoders stay covered on a bare clone.
pub fn own(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/streams/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("stream {path}: {err}"))
}

pub const ANTHROPIC_BASIC: &str =
    "anthropic-sdk-python/tests/lib/streaming/fixtures/basic_response.txt";
pub const ANTHROPIC_TOOL_USE: &str =
    "anthropic-sdk-python/tests/lib/streaming/fixtures/tool_use_response.txt";
pub const ANTHROPIC_ERROR: &str = "anthropic-docs/messages-streaming/error_event.txt";
pub const OPENAI_GET_WEATHER: &str =
    "aiomodels/tests/openai/chat_completion_chunks/get_weather.chunks.jsonl";

/// Our own streams.
pub const OWN_ANTHROPIC_TEXT: &str = "anthropic_text.sse";
pub const OWN_ANTHROPIC_TOOL_USE: &str = "anthropic_tool_use.sse";
pub const OWN_ANTHROPIC_ERROR: &str = "anthropic_error.sse";
pub const OWN_OPENAI_TOOL_CALL: &str = "openai_tool_call.jsonl";

/// JSON lines of chunks as an OpenAI-compatible server sends them: each
/// line as an SSE event, then `[DONE]`.
pub fn openai_sse(lines: &[u8]) -> Vec<u8> {
    let lines = String::from_utf8(lines.to_vec()).unwrap();
    let mut out = String::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        out.push_str(&format!("data: {line}\n\n"));
    }
    out.push_str("data: [DONE]\n\n");
    out.into_bytes()
}

/// The recorded OpenAI stream, as the server sends it.
pub fn openai_get_weather() -> Option<Vec<u8>> {
    recorded(OPENAI_GET_WEATHER).map(|lines| openai_sse(&lines))
}

/// Our own OpenAI stream (a Grep call), as the server sends it.
pub fn own_openai_tool_call() -> Vec<u8> {
    openai_sse(&own(OWN_OPENAI_TOOL_CALL))
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
