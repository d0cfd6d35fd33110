//! OpenAI-compatible chat completions, streamed: OpenAI itself, and the
//! servers that copy its API — Ollama, llama.cpp, vLLM, LM Studio.
//!
//! Those servers differ in the details (whether the call id repeats, whether
//! a tool call arrives in one chunk or many, whether usage comes at all),
//! and [`OpenAiDecoder`] accepts each of them.
//!
//! ```no_run
//! # fn demo() -> Result<(), cowork_model::ModelError> {
//! use cowork_model::openai::{OpenAiConfig, OpenAiModel};
//! let config = OpenAiConfig::from_env(
//!     Some("qwen2.5:7b".into()),
//!     Some("http://localhost:11434/v1".into()),
//! )?;
//! let model = OpenAiModel::new(config)?;
//! # Ok(()) }
//! ```

mod decode;
mod request;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::http::{self, Endpoint};
use crate::{Model, ModelError, ModelEvent, ModelInfo, ModelRequest, ModelSetting, RetryPolicy};

pub use decode::OpenAiDecoder;

/// The model used with api.openai.com when none is named. Other servers
/// have no sensible default: the model must be named.
pub const DEFAULT_MODEL: &str = "gpt-4.1";
/// OpenAI's own endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

const PROVIDER: &str = "openai";

/// How to reach an OpenAI-compatible server. The key never appears in
/// `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenAiConfig {
    /// Sent as a bearer token when set. Local servers need none.
    pub api_key: Option<String>,
    pub model: String,
    /// Up to and including the version, e.g. `http://localhost:11434/v1`.
    pub base_url: String,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    /// How long the answer may pause between two bytes. Local servers may
    /// take minutes to load a model before the first byte.
    pub idle_timeout: Duration,
    /// The context window the model is assumed to have, for compaction.
    /// Guessed from the model name for OpenAI's models; local servers set
    /// it per launch (Ollama's `num_ctx`), so it defaults low for them.
    pub context_window: u64,
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("context_window", &self.context_window)
            .finish()
    }
}

impl OpenAiConfig {
    /// `model` at `base_url`, without a key, with default retries and
    /// timeouts.
    pub fn new(model: impl Into<String>, base_url: impl Into<String>) -> Self {
        let model = model.into();
        let base_url = base_url.into();
        let context_window = context_window_for(&model, is_openai(&base_url));
        Self {
            api_key: None,
            model,
            base_url,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(600),
            context_window,
        }
    }

    /// Reads `OPENAI_API_KEY` and `OPENAI_BASE_URL` from the environment;
    /// `model` and `base_url` (a front's settings) win over it.
    /// The key is required for api.openai.com only; the model may be left
    /// out for api.openai.com only.
    pub fn from_env(model: Option<String>, base_url: Option<String>) -> Result<Self, ModelError> {
        Self::from_vars(model, base_url, |name| std::env::var(name).ok())
    }

    /// [`OpenAiConfig::from_env`] with the variables looked up by `var`.
    pub fn from_vars(
        model: Option<String>,
        base_url: Option<String>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ModelError> {
        let non_empty =
            |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let base_url = non_empty(base_url)
            .or_else(|| non_empty(var("OPENAI_BASE_URL")))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let official = is_openai(&base_url);
        let api_key = non_empty(var("OPENAI_API_KEY"));
        if official && api_key.is_none() {
            return Err(ModelError::Config {
                message: format!("no OpenAI API key for {base_url}: OPENAI_API_KEY is not set"),
                hint: "set OPENAI_API_KEY=sk-…, or use a local server's base URL instead (Ollama: http://localhost:11434/v1)".to_owned(),
                setting: Some(ModelSetting::BaseUrl),
            });
        }
        let model = match non_empty(model) {
            Some(model) => model,
            None if official => DEFAULT_MODEL.to_owned(),
            None => {
                return Err(ModelError::Config {
                    message: format!("no model named for {base_url}"),
                    hint: "name the model (e.g. qwen2.5:7b for Ollama)".to_owned(),
                    setting: Some(ModelSetting::Model),
                });
            }
        };
        let mut config = Self::new(model, base_url);
        config.api_key = api_key;
        Ok(config)
    }
}

/// A model behind an OpenAI-compatible `/chat/completions` endpoint.
#[derive(Debug, Clone)]
pub struct OpenAiModel {
    endpoint: Arc<Endpoint>,
    model: String,
    context_window: u64,
    official: bool,
}

impl OpenAiModel {
    /// Checks the configuration and sets up the HTTP client; sends nothing.
    pub fn new(config: OpenAiConfig) -> Result<Self, ModelError> {
        let base = http::check_base_url(&config.base_url, "OPENAI_BASE_URL")?;
        let mut headers = HeaderMap::new();
        if let Some(key) = &config.api_key {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", key.trim())).map_err(|_| {
                    ModelError::Config {
                        message:
                            "the OpenAI API key contains characters an HTTP header cannot carry"
                                .to_owned(),
                        hint: "check OPENAI_API_KEY for stray quotes or line breaks".to_owned(),
                        setting: None,
                    }
                })?;
            value.set_sensitive(true);
            headers.insert("authorization", value);
        }
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("accept", HeaderValue::from_static("text/event-stream"));
        let official = is_openai(&base);
        let connect_hint =
            is_local(&base).then(|| "is the server running? For Ollama: `ollama serve`".to_owned());
        let endpoint = Endpoint {
            provider: PROVIDER,
            client: http::client(PROVIDER, config.connect_timeout, config.idle_timeout)?,
            url: format!("{base}/chat/completions"),
            headers,
            retry: config.retry,
            auth_hint: "check OPENAI_API_KEY (the server refused it or needs one)".to_owned(),
            connect_hint,
        };
        Ok(Self {
            endpoint: Arc::new(endpoint),
            model: config.model,
            context_window: config.context_window,
            official,
        })
    }
}

impl Model for OpenAiModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            provider: PROVIDER,
            model: self.model.clone(),
            context_window: self.context_window,
        }
    }

    fn stream(&self, request: ModelRequest) -> BoxStream<'static, Result<ModelEvent, ModelError>> {
        let body = request::body(&self.model, &request, self.official);
        match serde_json::to_vec(&body) {
            Ok(bytes) => http::stream_call(
                self.endpoint.clone(),
                Bytes::from(bytes),
                OpenAiDecoder::new(),
            ),
            Err(err) => stream::iter([Err(ModelError::Protocol {
                provider: PROVIDER,
                message: format!("could not encode the request: {err}"),
            })])
            .boxed(),
        }
    }
}

/// The host of an `http(s)://host[:port]/…` URL, lowercased.
fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or(v6)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    host.to_ascii_lowercase()
}

fn is_openai(url: &str) -> bool {
    host(url) == "api.openai.com"
}

fn is_local(url: &str) -> bool {
    let host = host(url);
    host == "localhost" || host == "::1" || host == "0.0.0.0" || host.starts_with("127.")
}

/// A guess from the model's name; see [`OpenAiConfig::context_window`].
fn context_window_for(model: &str, official: bool) -> u64 {
    let model = model.to_ascii_lowercase();
    if model.starts_with("gpt-4.1") {
        1_047_576
    } else if model.starts_with("gpt-5") {
        400_000
    } else if model.starts_with("o1") || model.starts_with("o3") || model.starts_with("o4") {
        200_000
    } else if official {
        128_000
    } else {
        32_768
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn api_openai_com_needs_a_key_and_has_a_default_model() {
        let err = OpenAiConfig::from_vars(None, None, vars(&[])).unwrap_err();
        assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
        let config =
            OpenAiConfig::from_vars(None, None, vars(&[("OPENAI_API_KEY", "sk-1")])).unwrap();
        assert_eq!(config.model, DEFAULT_MODEL);
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.api_key.as_deref(), Some("sk-1"));
        assert_eq!(config.context_window, 1_047_576);
    }

    #[test]
    fn a_local_server_needs_no_key_but_a_model() {
        let url = Some("http://localhost:11434/v1/".to_owned());
        let err = OpenAiConfig::from_vars(None, url.clone(), vars(&[])).unwrap_err();
        // Worded for every front: the setting is typed, not a CLI flag.
        assert!(
            err.to_string().contains("qwen2.5:7b") && !err.to_string().contains("--"),
            "{err}"
        );
        assert!(matches!(
            err,
            ModelError::Config {
                setting: Some(ModelSetting::Model),
                ..
            }
        ));
        let config = OpenAiConfig::from_vars(Some("qwen2.5:7b".into()), url, vars(&[])).unwrap();
        assert_eq!(config.api_key, None);
        let config = OpenAiConfig::from_vars(
            Some("m".into()),
            None,
            vars(&[("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")]),
        )
        .unwrap();
        assert_eq!(config.base_url, "http://127.0.0.1:8080/v1");
    }

    #[test]
    fn hosts_are_read_from_urls_of_every_shape() {
        assert_eq!(host("https://api.openai.com/v1"), "api.openai.com");
        assert_eq!(host("http://user:pw@LOCALHOST:11434/v1"), "localhost");
        assert_eq!(host("http://[::1]:8000/v1"), "::1");
        assert!(is_local("http://127.0.0.1:1234"));
        assert!(!is_local("https://api.openai.com.evil.example/v1"));
        assert!(!is_openai("https://api.openai.com.evil.example/v1"));
    }

    #[test]
    fn debug_output_hides_the_key() {
        let mut config = OpenAiConfig::new("m", DEFAULT_BASE_URL);
        config.api_key = Some("sk-secret".into());
        assert!(!format!("{config:?}").contains("secret"));
    }
}
