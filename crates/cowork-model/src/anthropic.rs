//! Anthropic's Messages API, streamed.
//!
//! The request marks the stable prefix (system prompt, tool list, recent
//! user turns) with `cache_control`, so an agent loop that resends a
//! growing conversation pays for the prefix once. The answer arrives as
//! server-sent events, decoded by [`AnthropicDecoder`].
//!
//! ```no_run
//! # fn demo() -> Result<(), cowork_model::ModelError> {
//! use cowork_model::anthropic::{AnthropicConfig, AnthropicModel};
//! let config = AnthropicConfig::from_env(None, None)?;
//! let model = AnthropicModel::new(config)?;
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

pub use decode::AnthropicDecoder;

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-6";
/// Where the API lives unless `ANTHROPIC_BASE_URL` or `--base-url` says
/// otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// The API version this client speaks.
pub const API_VERSION: &str = "2023-06-01";
/// The context window of current Claude models, in tokens.
pub const CONTEXT_WINDOW: u64 = 200_000;

const PROVIDER: &str = "anthropic";
const KEY_HINT: &str = "set ANTHROPIC_API_KEY=sk-ant-…, or use an OpenAI-compatible server instead (Ollama: http://localhost:11434/v1)";

/// How to reach Anthropic. The key never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct AnthropicConfig {
    pub api_key: String,
    pub model: String,
    /// Without the `/v1/messages` path, e.g. `https://api.anthropic.com`.
    pub base_url: String,
    pub retry: RetryPolicy,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long the answer may pause between two bytes. Anthropic sends
    /// `ping` events while the model thinks, so a long silence means a
    /// dead connection.
    pub idle_timeout: Duration,
}

impl std::fmt::Debug for AnthropicConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicConfig")
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

impl AnthropicConfig {
    /// A configuration with the default model, URL, retries and timeouts.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            model: DEFAULT_MODEL.to_owned(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
        }
    }

    /// Reads `ANTHROPIC_API_KEY` (required) and `ANTHROPIC_BASE_URL`
    /// (optional) from the environment. `model` and `base_url`, when
    /// given (a front's settings), win over the environment.
    pub fn from_env(model: Option<String>, base_url: Option<String>) -> Result<Self, ModelError> {
        Self::from_vars(model, base_url, |name| std::env::var(name).ok())
    }

    /// [`AnthropicConfig::from_env`] with the variables looked up by `var`,
    /// so callers and tests can supply their own environment.
    pub fn from_vars(
        model: Option<String>,
        base_url: Option<String>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ModelError> {
        let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let Some(api_key) = non_empty(var("ANTHROPIC_API_KEY")) else {
            return Err(ModelError::Config {
                message: "no Anthropic API key: ANTHROPIC_API_KEY is not set".to_owned(),
                hint: KEY_HINT.to_owned(),
                setting: Some(ModelSetting::Provider),
            });
        };
        let mut config = Self::new(api_key.trim());
        if let Some(model) = non_empty(model) {
            config.model = model;
        }
        if let Some(url) = non_empty(base_url).or_else(|| non_empty(var("ANTHROPIC_BASE_URL"))) {
            config.base_url = url;
        }
        Ok(config)
    }
}

/// A Claude model behind the Messages API.
#[derive(Debug, Clone)]
pub struct AnthropicModel {
    endpoint: Arc<Endpoint>,
    model: String,
}

impl AnthropicModel {
    /// Checks the configuration and sets up the HTTP client; sends nothing.
    pub fn new(config: AnthropicConfig) -> Result<Self, ModelError> {
        let base = http::check_base_url(&config.base_url, "ANTHROPIC_BASE_URL")?;
        let mut key =
            HeaderValue::from_str(config.api_key.trim()).map_err(|_| ModelError::Config {
                message: "the Anthropic API key contains characters an HTTP header cannot carry"
                    .to_owned(),
                hint: "check ANTHROPIC_API_KEY for stray quotes or line breaks".to_owned(),
                setting: None,
            })?;
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", key);
        headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("accept", HeaderValue::from_static("text/event-stream"));
        let endpoint = Endpoint {
            provider: PROVIDER,
            client: http::client(PROVIDER, config.connect_timeout, config.idle_timeout)?,
            url: format!("{base}/v1/messages"),
            headers,
            retry: config.retry,
            auth_hint: "check ANTHROPIC_API_KEY (create a key at console.anthropic.com)".to_owned(),
            connect_hint: None,
        };
        Ok(Self {
            endpoint: Arc::new(endpoint),
            model: config.model,
        })
    }
}

impl Model for AnthropicModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            provider: PROVIDER,
            model: self.model.clone(),
            context_window: CONTEXT_WINDOW,
        }
    }

    fn stream(&self, request: ModelRequest) -> BoxStream<'static, Result<ModelEvent, ModelError>> {
        let body = request::body(&self.model, &request);
        match serde_json::to_vec(&body) {
            Ok(bytes) => http::stream_call(
                self.endpoint.clone(),
                Bytes::from(bytes),
                AnthropicDecoder::new(),
            ),
            Err(err) => stream::iter([Err(ModelError::Protocol {
                provider: PROVIDER,
                message: format!("could not encode the request: {err}"),
            })])
            .boxed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn a_missing_key_says_how_to_configure_one() {
        let err = AnthropicConfig::from_vars(None, None, vars(&[])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("ANTHROPIC_API_KEY=sk-ant-"), "{text}");
        // Core and the daemon show this too: no front's flag in it.
        assert!(
            text.contains("OpenAI-compatible") && !text.contains("--"),
            "{text}"
        );
        assert!(matches!(
            err,
            ModelError::Config {
                setting: Some(ModelSetting::Provider),
                ..
            }
        ));
        let err = AnthropicConfig::from_vars(None, None, vars(&[("ANTHROPIC_API_KEY", " ")]))
            .unwrap_err();
        assert!(matches!(err, ModelError::Config { .. }));
    }

    #[test]
    fn flags_win_over_the_environment_and_defaults_fill_the_rest() {
        let env = vars(&[
            ("ANTHROPIC_API_KEY", "sk-ant-x\n"),
            ("ANTHROPIC_BASE_URL", "http://proxy:8080"),
        ]);
        let config = AnthropicConfig::from_vars(None, None, &env).unwrap();
        assert_eq!(config.api_key, "sk-ant-x");
        assert_eq!(config.model, DEFAULT_MODEL);
        assert_eq!(config.base_url, "http://proxy:8080");
        let config = AnthropicConfig::from_vars(
            Some("claude-opus-4-1".into()),
            Some("http://other".into()),
            &env,
        )
        .unwrap();
        assert_eq!(config.model, "claude-opus-4-1");
        assert_eq!(config.base_url, "http://other");
    }

    #[test]
    fn debug_output_hides_the_key() {
        let text = format!("{:?}", AnthropicConfig::new("sk-ant-secret"));
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn a_base_url_without_a_scheme_is_a_config_error() {
        let mut config = AnthropicConfig::new("k");
        config.base_url = "api.anthropic.com".into();
        let err = AnthropicModel::new(config).unwrap_err();
        assert!(matches!(err, ModelError::Config { .. }), "{err}");
    }
}
