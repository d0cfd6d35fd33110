//! Model clients: one small [`Model`] trait, and the providers that speak
//! real wire formats behind it — Anthropic's Messages API, any
//! OpenAI-compatible chat-completions server (OpenAI, Ollama, llama.cpp,
//! vLLM), and a scripted model that replays a conversation from a file.
//!
//! Providers turn their wire stream into provider-neutral [`ModelEvent`]s;
//! [`ResponseBuilder`] folds those into a [`ModelResponse`]. Retries of
//! transient HTTP failures follow a [`RetryPolicy`]; errors left after them
//! say how to react ([`ModelError::is_transient`]). What a server can make
//! the client hold is bounded: one answer to [`MAX_RESPONSE_BYTES`], one
//! SSE event to [`sse::MAX_EVENT_BYTES`], an error body to 64 KiB; past
//! that the call fails with [`ModelError::ResponseTooLarge`]. The wire decoders
//! ([`anthropic::AnthropicDecoder`], [`openai::OpenAiDecoder`]) and the
//! [`sse`] parser are public so recordings can be replayed without a
//! server. [`build`] turns a task's recorded model choice into a model,
//! for every front alike. This crate knows nothing of tools beyond their specs, nor of
//! files or storage.
//!
//! ```
//! # async fn demo() -> Result<(), cowork_model::ModelError> {
//! use cowork_model::{Model, ModelRequest, ScriptModel};
//! use cowork_protocol::{Message, StopReason, script::{Script, ScriptTurn}};
//! let model = ScriptModel::new(Script {
//!     turns: vec![ScriptTurn { text: Some("Hello!".into()), ..ScriptTurn::default() }],
//!     context_window: None,
//! });
//! let request = ModelRequest::new("You are helpful.", vec![Message::user_text("hi")]);
//! let response = model.complete(request).await?;
//! assert_eq!(response.stop_reason, StopReason::EndTurn);
//! # Ok(()) }
//! ```

pub mod anthropic;
mod build;
mod builder;
mod error;
mod http;
pub mod openai;
mod retry;
pub mod script;
pub mod sse;

use futures::future::BoxFuture;
use futures::stream::BoxStream;

use cowork_protocol::{ContentBlock, Message, StopReason, ToolSpec, Usage};

pub use build::build;
pub use builder::{MAX_RESPONSE_BYTES, ResponseBuilder};
pub use error::{ModelError, ModelSetting};
pub use retry::RetryPolicy;

pub use anthropic::{AnthropicConfig, AnthropicModel};
pub use openai::{OpenAiConfig, OpenAiModel};
pub use script::ScriptModel;

/// One call's input, provider-neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRequest {
    /// The system prompt. Providers mark it (and the tool list) as the
    /// stable, cacheable prefix where the wire format supports that.
    pub system: String,
    /// The conversation so far, oldest first.
    pub messages: Vec<Message>,
    /// The tools the model may call.
    pub tools: Vec<ToolSpec>,
    /// The most output tokens this call may produce.
    pub max_tokens: u32,
}

impl ModelRequest {
    /// A request with no tools and room for 8192 output tokens.
    pub fn new(system: impl Into<String>, messages: Vec<Message>) -> Self {
        Self {
            system: system.into(),
            messages,
            tools: Vec::new(),
            max_tokens: 8192,
        }
    }
}

/// A provider-neutral streaming event.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelEvent {
    /// A piece of assistant text.
    TextDelta(String),
    /// A tool call begins. `index` identifies it in later deltas.
    ToolCallStart {
        index: usize,
        id: String,
        name: String,
    },
    /// A piece of a tool call's JSON arguments.
    ToolCallDelta { index: usize, partial_json: String },
    /// Token counts so far. Later reports replace earlier non-zero fields
    /// (Anthropic reports input at the start and output at the end).
    Usage(Usage),
    /// The model finished its answer.
    Stop(StopReason),
    /// The provider could not get an answer this time and will try again
    /// after `wait`. Informational: it changes nothing in the answer, but
    /// tells a waiting person why nothing is coming.
    Retrying {
        attempt: u32,
        max_attempts: u32,
        wait: std::time::Duration,
        /// What went wrong, e.g. "HTTP 529: Overloaded".
        reason: String,
    },
}

/// A whole answer, as [`ResponseBuilder`] assembles it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelResponse {
    /// Text and tool-use blocks in the order the model produced them.
    pub content: Vec<ContentBlock>,
    pub stop_reason: StopReason,
    pub usage: Usage,
}

/// Static facts about a configured model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// `anthropic`, `openai` or `script`.
    pub provider: &'static str,
    pub model: String,
    /// The context window in tokens, for compaction decisions.
    pub context_window: u64,
}

/// A language model. Only [`Model::stream`] is required; [`Model::complete`]
/// collects the stream.
pub trait Model: Send + Sync {
    fn info(&self) -> ModelInfo;

    /// Streams the answer to `request`. Transport errors, HTTP errors left
    /// after retries, and mid-stream errors all arrive as `Err` items, after
    /// which the stream ends.
    fn stream(&self, request: ModelRequest) -> BoxStream<'static, Result<ModelEvent, ModelError>>;

    /// The whole answer to `request`.
    fn complete(
        &self,
        request: ModelRequest,
    ) -> BoxFuture<'static, Result<ModelResponse, ModelError>> {
        let provider = self.info().provider;
        let stream = self.stream(request);
        Box::pin(async move {
            use futures::StreamExt;
            let mut stream = stream;
            let mut builder = ResponseBuilder::for_provider(provider);
            while let Some(event) = stream.next().await {
                builder.push(event?);
                builder.check()?;
            }
            builder.finish()
        })
    }
}
