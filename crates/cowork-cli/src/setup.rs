//! Choosing and building the model a task talks to.

use std::sync::Arc;

use cowork_model::Model;
use cowork_model::anthropic::{AnthropicConfig, AnthropicModel};
use cowork_model::openai::{OpenAiConfig, OpenAiModel};
use cowork_model::script::ScriptModel;
use cowork_protocol::{ModelChoice, Provider};

use crate::cli::{ModelArgs, ProviderArg};

/// Why no model could be set up: a configuration problem, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

pub const NO_MODEL: &str = "no model is configured. Either:\n  \
    export ANTHROPIC_API_KEY=sk-ant-…            (Anthropic)\n  \
    --provider openai --base-url http://localhost:11434/v1 --model qwen2.5:7b   (Ollama or any OpenAI-compatible server)\n  \
    --provider script --script FILE.json         (replay a scripted conversation)\n\
    `cowork doctor` checks the setup.";

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// Picks the provider from the flags and the environment.
pub fn choose_provider(args: &ModelArgs) -> Result<Provider, SetupError> {
    if let Some(p) = args.provider {
        return Ok(match p {
            ProviderArg::Anthropic => Provider::Anthropic,
            ProviderArg::Openai => Provider::Openai,
            ProviderArg::Script => Provider::Script,
        });
    }
    if args.script.is_some() {
        Ok(Provider::Script)
    } else if env_set("ANTHROPIC_API_KEY") {
        Ok(Provider::Anthropic)
    } else if args.base_url.is_some() || env_set("OPENAI_BASE_URL") || env_set("OPENAI_API_KEY") {
        Ok(Provider::Openai)
    } else {
        Err(SetupError(NO_MODEL.to_owned()))
    }
}

/// Builds the model for `args`, returning it with the choice to record in
/// the task (so `resume` can rebuild it; keys are never recorded).
pub fn model_from_args(args: &ModelArgs) -> Result<(Arc<dyn Model>, ModelChoice), SetupError> {
    let provider = choose_provider(args)?;
    let script = match (provider, &args.script) {
        (Provider::Script, None) => {
            return Err(SetupError(
                "the script provider needs --script FILE.json (see the README for the format)"
                    .into(),
            ));
        }
        (Provider::Script, Some(path)) => Some(std::path::absolute(path).map_err(|e| {
            SetupError(format!(
                "cannot use the script path {}: {e}",
                path.display()
            ))
        })?),
        (Provider::Anthropic | Provider::Openai, _) => None,
    };
    let choice = ModelChoice {
        provider,
        model: args.model.clone().unwrap_or_default(),
        base_url: args.base_url.clone(),
        script,
    };
    let model = build_model(&choice, 0)?;
    let choice = ModelChoice {
        model: model.info().model,
        ..choice
    };
    Ok((model, choice))
}

/// Builds the model a stored task used. `calls_made` is how many model
/// calls the task already recorded: a script resumes at that turn.
pub fn build_model(choice: &ModelChoice, calls_made: usize) -> Result<Arc<dyn Model>, SetupError> {
    let model = (!choice.model.is_empty()).then(|| choice.model.clone());
    let fail = |e: cowork_model::ModelError| SetupError(e.to_string());
    Ok(match choice.provider {
        Provider::Anthropic => {
            let config = AnthropicConfig::from_env(model, choice.base_url.clone()).map_err(fail)?;
            Arc::new(AnthropicModel::new(config).map_err(fail)?)
        }
        Provider::Openai => {
            let config = OpenAiConfig::from_env(model, choice.base_url.clone()).map_err(fail)?;
            Arc::new(OpenAiModel::new(config).map_err(fail)?)
        }
        Provider::Script => {
            let Some(path) = &choice.script else {
                return Err(SetupError(
                    "the script provider needs --script FILE.json".into(),
                ));
            };
            Arc::new(
                ScriptModel::from_file(path)
                    .map_err(fail)?
                    .with_start(calls_made),
            )
        }
    })
}
